//go:build linux

package tlsprobe // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe"

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/features"
	"github.com/cilium/ebpf/link"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probeload"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/ringreader"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe/payload"
)

// Probe is the tls probe.
type Probe struct {
	cfg Config

	mu       sync.Mutex
	started  bool
	coll     *ebpf.Collection
	progs    programs
	ring     *ebpf.Map
	execLink link.Link
	reader   *ringreader.Reader
	cancel   context.CancelFunc
	done     chan struct{}
	att      *attacher
	logger   *zap.Logger

	// singleUprobes forces single uprobes even where uprobe_multi links
	// exist (tests of the fallback for kernels < 6.6).
	singleUprobes bool
	// noTeardownHooks leaves SSL_free & co. unhooked (tests of the
	// socket-change detection alone).
	noTeardownHooks bool
}

// New returns the tls probe for cfg (validated again at Start).
func New(cfg Config) probe.Probe {
	return &Probe{cfg: cfg}
}

// Name returns "tls".
func (p *Probe) Name() string { return Name }

// Start loads the BPF objects, attaches to the TLS libraries and binaries
// of the running processes (and, with system_libraries, of the standard
// library directories), follows exec events and starts reading.
func (p *Probe) Start(_ context.Context, env probe.Env) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return errors.New("tls probe already started")
	}
	p.started = true
	if err := p.cfg.Validate(); err != nil {
		return fmt.Errorf("tls probe config: %w", err)
	}
	if runtime.GOARCH != "amd64" {
		return fmt.Errorf("tls probe: unsupported on %s (register access is amd64 only)", runtime.GOARCH)
	}
	p.logger = env.Logger
	if p.logger == nil {
		p.logger = zap.NewNop()
	}
	if err := p.load(env); err != nil {
		p.closeLocked()
		return err
	}

	p.att = newAttacher(p.cfg, p.progs, p.logger, env.SelfPID)
	p.att.noTeardown = p.noTeardownHooks
	execs := make(chan uint32, 1024)
	var err error
	p.reader, err = ringreader.Start(p.ring, ringreader.Options{
		Probe: Name, PollInterval: env.PollInterval, Sink: env.Sink, Logger: p.logger,
	}, func(raw []byte) error { return p.handle(env, raw, execs) })
	if err != nil {
		p.closeLocked()
		return fmt.Errorf("tls probe: %w", err)
	}
	p.execLink, err = link.AttachTracing(link.TracingOptions{Program: p.progs.exec, AttachType: ebpf.AttachTraceRawTp})
	if err != nil {
		// Without exec events new processes are found by the periodic rescan.
		p.logger.Warn("tls probe: cannot follow exec events; new processes are found by the periodic rescan only",
			zap.Error(err))
	}

	// The initial scan runs before Start returns: what runs now is hooked
	// when Start returns.
	if p.cfg.SystemLibraries {
		p.att.attachSystemLibraries()
	}
	for _, path := range p.cfg.LibraryPaths {
		p.att.attachPath(path)
	}
	p.att.scanAll()

	dctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.done = make(chan struct{})
	go p.discover(dctx, execs)
	return nil
}

// programs are the loaded programs the attacher uses: the uprobe_multi
// variants when the kernel has uprobe_multi links (one link, hence one
// detach, per file), single uprobes otherwise.
type programs struct {
	multi          bool
	entry, ret     *ebpf.Program // C libraries
	goEntry, goRet *ebpf.Program // Go crypto/tls
	exec           *ebpf.Program
}

func (p *Probe) load(env probe.Env) error {
	spec, err := loadTls()
	if err != nil {
		return fmt.Errorf("tls probe: load BPF spec: %w", err)
	}
	if err := spec.Variables["max_capture_bytes"].Set(uint32(p.cfg.MaxPayloadBytes)); err != nil {
		return fmt.Errorf("tls probe: set max_capture_bytes: %w", err)
	}
	if err := probeload.SetRingSize(spec, "payload_events", 0, env.RingBufferSize); err != nil {
		return fmt.Errorf("tls probe: %w", err)
	}
	multi := !p.singleUprobes && features.HaveBPFLinkUprobeMulti() == nil
	names := [4]string{"tls_entry", "tls_ret", "go_tls_entry", "go_tls_ret"}
	for _, n := range names {
		unused := n + "_single"
		if !multi {
			unused = n
		}
		delete(spec.Programs, unused)
	}
	p.coll, err = ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{MapReplacements: probeload.SharedMaps(spec, env.SharedMaps)})
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return fmt.Errorf("tls probe: load BPF objects: %+v", ve)
		}
		return fmt.Errorf("tls probe: load BPF objects: %w", err)
	}
	prog := func(n string) *ebpf.Program {
		if !multi {
			n += "_single"
		}
		return p.coll.Programs[n]
	}
	p.progs = programs{
		multi: multi, entry: prog(names[0]), ret: prog(names[1]), goEntry: prog(names[2]), goRet: prog(names[3]),
		exec: p.coll.Programs["tls_exec"],
	}
	p.ring = p.coll.Maps["payload_events"]
	return nil
}

// handle decodes one ring buffer record.
func (p *Probe) handle(env probe.Env, raw []byte, execs chan<- uint32) error {
	h, err := bpfheaders.ParseHeader(raw)
	if err != nil {
		return err
	}
	switch h.Type {
	case payload.KindExec:
		select {
		case execs <- h.PID:
		default:
			// Discovery is behind: the periodic rescan finds the process,
			// but the exec event itself is dropped, and counted.
			env.Sink.Lost(Name, "discovery_queue_full", 1)
		}
		return nil
	case payload.KindData:
	default:
		return fmt.Errorf("unknown tls event type %d", h.Type)
	}
	ev, err := payload.Decode(raw)
	if err != nil {
		return err
	}
	libPath := p.att.libraryPath(ev.Cookie)
	ts := env.Clock.Wall(ev.Ktime)
	now := time.Now()
	env.Sink.EmitLog(func(lr plog.LogRecord) {
		payload.Fill(lr, &ev, ts, now, libPath)
	})
	return nil
}

// discover follows exec events and rescans periodically.
func (p *Probe) discover(ctx context.Context, execs <-chan uint32) {
	defer close(p.done)
	type pending struct {
		pid uint32
		at  time.Time
	}
	var later []pending
	rescan := time.NewTicker(p.cfg.RescanInterval)
	defer rescan.Stop()
	retry := time.NewTicker(100 * time.Millisecond)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case pid := <-execs:
			p.att.scanPID(int(pid))
			// Libraries loaded after exec (dlopen) show up a bit later.
			now := time.Now()
			later = append(later, pending{pid, now.Add(200 * time.Millisecond)}, pending{pid, now.Add(time.Second)})
		case <-retry.C:
			now := time.Now()
			kept := later[:0]
			for _, l := range later {
				if now.Before(l.at) {
					kept = append(kept, l)
					continue
				}
				p.att.scanPID(int(l.pid))
			}
			later = kept
		case <-rescan.C:
			p.att.scanAll()
		}
	}
}

// Close stops discovery and reading and detaches everything.
func (p *Probe) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closeLocked()
}

func (p *Probe) closeLocked() error {
	var errs []error
	if p.cancel != nil {
		p.cancel()
		<-p.done
		p.cancel = nil
	}
	if p.execLink != nil {
		errs = append(errs, p.execLink.Close())
		p.execLink = nil
	}
	if p.att != nil {
		errs = append(errs, p.att.closeAll())
	}
	if p.reader != nil {
		p.reader.Drain(time.Second)
		errs = append(errs, p.reader.Close())
		p.reader = nil
	}
	if p.coll != nil {
		p.coll.Close()
		p.coll = nil
	}
	return errors.Join(errs...)
}

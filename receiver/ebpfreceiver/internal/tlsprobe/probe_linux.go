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
	"github.com/cilium/ebpf/link"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/ringreader"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe/payload"
)

// Probe is the tls probe.
type Probe struct {
	cfg Config

	mu       sync.Mutex
	started  bool
	objs     tlsObjects
	loaded   bool
	execLink link.Link
	reader   *ringreader.Reader
	cancel   context.CancelFunc
	done     chan struct{}
	att      *attacher
	logger   *zap.Logger
}

// New returns the tls probe for cfg.
func New(cfg Config) (probe.Probe, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("tls probe config: %w", err)
	}
	return &Probe{cfg: cfg}, nil
}

// Name returns "tls".
func (p *Probe) Name() string { return Name }

// Start loads the BPF objects, attaches to the TLS libraries and binaries
// of the running processes (and, with system_libraries, of the standard
// library directories), follows exec events and starts reading.
func (p *Probe) Start(ctx context.Context, env probe.Env) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return errors.New("tls probe already started")
	}
	p.started = true
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

	p.att = newAttacher(p.cfg, &p.objs, p.logger, env.SelfPID)
	execs := make(chan uint32, 1024)
	var err error
	p.reader, err = ringreader.Start(p.objs.PayloadEvents, ringreader.Options{
		Probe: Name, PollInterval: env.PollInterval, Sink: env.Sink, Logger: p.logger,
	}, func(raw []byte) error { return p.handle(env, raw, execs) })
	if err != nil {
		p.closeLocked()
		return fmt.Errorf("tls probe: %w", err)
	}
	p.execLink, err = link.AttachTracing(link.TracingOptions{Program: p.objs.TlsExec, AttachType: ebpf.AttachTraceRawTp})
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

func (p *Probe) load(env probe.Env) error {
	spec, err := loadTls()
	if err != nil {
		return fmt.Errorf("tls probe: load BPF spec: %w", err)
	}
	if err := spec.Variables["max_capture_bytes"].Set(uint32(p.cfg.MaxPayloadBytes)); err != nil {
		return fmt.Errorf("tls probe: set max_capture_bytes: %w", err)
	}
	if env.RingBufferSize > 0 {
		spec.Maps["payload_events"].MaxEntries = env.RingBufferSize
	}
	if err := spec.LoadAndAssign(&p.objs, &ebpf.CollectionOptions{MapReplacements: sharedFor(spec, env.SharedMaps)}); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return fmt.Errorf("tls probe: load BPF objects: %+v", ve)
		}
		return fmt.Errorf("tls probe: load BPF objects: %w", err)
	}
	p.loaded = true
	return nil
}

// sharedFor returns the shared maps the spec declares.
func sharedFor(spec *ebpf.CollectionSpec, shared map[string]*ebpf.Map) map[string]*ebpf.Map {
	out := map[string]*ebpf.Map{}
	for name, m := range shared {
		if _, ok := spec.Maps[name]; ok {
			out[name] = m
		}
	}
	return out
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
	if p.loaded {
		errs = append(errs, p.objs.Close())
		p.loaded = false
	}
	return errors.Join(errs...)
}

//go:build linux

package socketprobe // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/socketprobe"

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

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probeload"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/ringreader"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe/payload"
)

// Probe is the socket probe.
type Probe struct {
	cfg Config

	mu      sync.Mutex
	started bool
	objs    *socketObjects
	links   []link.Link
	reader  *ringreader.Reader
}

// New returns the socket probe for cfg (validated again at Start).
func New(cfg Config) probe.Probe {
	return &Probe{cfg: cfg}
}

// Name returns "socket".
func (p *Probe) Name() string { return Name }

// addrKey is struct addr_key of socket.bpf.c.
type addrKey struct {
	Prefixlen uint32
	Addr      [16]byte
}

// Start loads and attaches the sys_enter/sys_exit programs and starts
// reading.
func (p *Probe) Start(_ context.Context, env probe.Env) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return errors.New("socket probe already started")
	}
	p.started = true
	if err := p.cfg.Validate(); err != nil {
		return fmt.Errorf("socket probe config: %w", err)
	}
	if runtime.GOARCH != "amd64" {
		return fmt.Errorf("socket probe: unsupported on %s (syscall numbers and registers are amd64 only)", runtime.GOARCH)
	}
	logger := env.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	if err := p.load(env); err != nil {
		p.closeLocked()
		return err
	}
	var err error
	p.reader, err = ringreader.Start(p.objs.PayloadEvents, ringreader.Options{
		Probe: Name, PollInterval: env.PollInterval, Sink: env.Sink, Logger: logger,
	}, func(raw []byte) error {
		ev, err := payload.Decode(raw)
		if err != nil {
			return err
		}
		ts := env.Clock.Wall(ev.Ktime)
		now := time.Now()
		env.Sink.EmitLog(func(lr plog.LogRecord) { payload.Fill(lr, &ev, ts, now, "") })
		return nil
	})
	if err != nil {
		p.closeLocked()
		return fmt.Errorf("socket probe: %w", err)
	}
	p.links, err = probeload.AttachRawTracepoints(p.objs.SocketSysEnter, p.objs.SocketSysExit)
	if err != nil {
		p.closeLocked()
		return fmt.Errorf("socket probe: %w", err)
	}
	return nil
}

func (p *Probe) load(env probe.Env) error {
	spec, err := loadSocket()
	if err != nil {
		return fmt.Errorf("socket probe: load BPF spec: %w", err)
	}
	set := func(name string, v uint32) error {
		if err := spec.Variables[name].Set(v); err != nil {
			return fmt.Errorf("socket probe: set %s: %w", name, err)
		}
		return nil
	}
	if err := set("max_capture_bytes", uint32(p.cfg.MaxPayloadBytes)); err != nil {
		return err
	}
	if len(p.cfg.Ports) > 0 {
		if err := set("port_filter", 1); err != nil {
			return err
		}
	}
	if len(p.cfg.Addresses) > 0 {
		if err := set("addr_filter", 1); err != nil {
			return err
		}
	}
	if err := probeload.SetRingSize(spec, "payload_events", 0, env.RingBufferSize); err != nil {
		return fmt.Errorf("socket probe: %w", err)
	}
	objs := &socketObjects{}
	if err := spec.LoadAndAssign(objs, &ebpf.CollectionOptions{MapReplacements: probeload.SharedMaps(spec, env.SharedMaps)}); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return fmt.Errorf("socket probe: load BPF objects: %+v", ve)
		}
		return fmt.Errorf("socket probe: load BPF objects: %w", err)
	}
	p.objs = objs
	for _, port := range p.cfg.Ports {
		if err := p.objs.SocketPorts.Update(uint16(port), uint8(1), ebpf.UpdateAny); err != nil {
			return fmt.Errorf("socket probe: add port %d to the filter: %w", port, err)
		}
	}
	for _, a := range p.cfg.Addresses {
		pfx, err := parsePrefix(a)
		if err != nil {
			return fmt.Errorf("socket probe: addresses: %w", err)
		}
		key := addrKey{Prefixlen: uint32(pfx.Bits()), Addr: pfx.Addr().As16()}
		if err := p.objs.SocketAddrs.Update(key, uint8(1), ebpf.UpdateAny); err != nil {
			return fmt.Errorf("socket probe: add address %s to the filter: %w", a, err)
		}
	}
	return nil
}

// Close detaches and stops reading.
func (p *Probe) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closeLocked()
}

func (p *Probe) closeLocked() error {
	err := probeload.Teardown("socket probe", p.links, p.reader, p.objs)
	p.links, p.reader, p.objs = nil, nil, nil
	return err
}

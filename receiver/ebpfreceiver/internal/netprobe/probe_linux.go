//go:build linux && amd64

package netprobe

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/ringreader"
)

// Name is the probe's name in the receiver's config and in the loss metrics.
const Name = "network"

type sockKey struct {
	pid uint32
	fd  int32
}

// netProbe is the network probe (see net.c).
type netProbe struct {
	cfg Config

	mu        sync.Mutex
	env       probe.Env
	objs      *netObjects
	links     []link.Link
	reader    *ringreader.Reader
	unixPeers map[sockKey]string // reader goroutine only
}

// New returns the network probe for cfg (checked again by Start).
func New(cfg Config) probe.Probe {
	return &netProbe{cfg: cfg, unixPeers: map[sockKey]string{}}
}

func (p *netProbe) Name() string { return Name }

func (p *netProbe) Start(_ context.Context, env probe.Env) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.objs != nil {
		return errors.New("network probe: already started")
	}
	if err := p.cfg.Validate(); err != nil {
		return fmt.Errorf("network probe config: %w", err)
	}
	if env.Logger == nil {
		env.Logger = zap.NewNop()
	}
	p.env = env
	spec, err := loadNet()
	if err != nil {
		return fmt.Errorf("network probe: load BPF spec: %w", err)
	}
	failed := uint32(0)
	if p.cfg.IncludeFailed {
		failed = 1
	}
	if err := spec.Variables["want_failed"].Set(failed); err != nil {
		return fmt.Errorf("network probe: set want_failed: %w", err)
	}
	if p.cfg.RingBufferSize > 0 {
		spec.Maps["net_events"].MaxEntries = uint32(p.cfg.RingBufferSize)
	} else if env.RingBufferSize > 0 {
		spec.Maps["net_events"].MaxEntries = env.RingBufferSize
	}
	spec.Maps["net_socks"].MaxEntries = uint32(p.cfg.MaxTrackedSockets)
	shared := map[string]*ebpf.Map{}
	for name, m := range env.SharedMaps {
		if _, ok := spec.Maps[name]; ok {
			shared[name] = m
		}
	}
	objs := &netObjects{}
	if err := spec.LoadAndAssign(objs, &ebpf.CollectionOptions{MapReplacements: shared}); err != nil {
		return fmt.Errorf("network probe: load BPF objects: %w", err)
	}
	p.objs = objs
	for _, prog := range []*ebpf.Program{objs.NetSysEnter, objs.NetSysExit} {
		l, err := link.AttachTracing(link.TracingOptions{Program: prog, AttachType: ebpf.AttachTraceRawTp})
		if err != nil {
			p.closeLocked()
			return fmt.Errorf("network probe: attach %s: %w", prog, err)
		}
		p.links = append(p.links, l)
	}
	rd, err := ringreader.Start(objs.NetEvents, ringreader.Options{
		Probe: Name, PollInterval: env.PollInterval, Sink: env.Sink, Logger: env.Logger,
	}, p.handle)
	if err != nil {
		p.closeLocked()
		return fmt.Errorf("network probe: %w", err)
	}
	p.reader = rd
	return nil
}

func (p *netProbe) handle(raw []byte) error {
	e, err := decodeEvent(raw)
	if err != nil {
		return err
	}
	k := sockKey{pid: e.hdr.PID, fd: e.fd}
	unixPath := e.unixPath
	if e.family == afUnix {
		switch e.hdr.Type {
		case evConnect:
			if e.ret == 0 || e.ret == einprogress {
				if len(p.unixPeers) >= p.cfg.MaxTrackedSockets {
					clear(p.unixPeers) // the kernel map is LRU; this is best effort
				}
				p.unixPeers[k] = unixPath
			}
		case evClose:
			unixPath = p.unixPeers[k]
			delete(p.unixPeers, k)
		}
	}
	wall := p.env.Clock.Wall(e.hdr.Ktime)
	now := time.Now()
	p.env.Sink.EmitLog(func(lr plog.LogRecord) { fillRecord(lr, &e, wall, now, unixPath) })
	return nil
}

func (p *netProbe) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closeLocked()
}

func (p *netProbe) closeLocked() error {
	var errs []error
	for _, l := range p.links {
		if err := l.Close(); err != nil {
			errs = append(errs, fmt.Errorf("network probe: detach: %w", err))
		}
	}
	p.links = nil
	if p.reader != nil {
		p.reader.Drain(time.Second)
		if err := p.reader.Close(); err != nil {
			errs = append(errs, fmt.Errorf("network probe: close reader: %w", err))
		}
		p.reader = nil
	}
	if p.objs != nil {
		if err := p.objs.Close(); err != nil {
			errs = append(errs, fmt.Errorf("network probe: close BPF objects: %w", err))
		}
		p.objs = nil
	}
	return errors.Join(errs...)
}

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
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probeload"
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
	if err := probeload.SetRingSize(spec, "net_events", p.cfg.RingBufferSize, env.RingBufferSize); err != nil {
		return fmt.Errorf("network probe: %w", err)
	}
	spec.Maps["net_socks"].MaxEntries = uint32(p.cfg.MaxTrackedSockets)
	objs := &netObjects{}
	if err := spec.LoadAndAssign(objs, &ebpf.CollectionOptions{MapReplacements: probeload.SharedMaps(spec, env.SharedMaps)}); err != nil {
		return fmt.Errorf("network probe: load BPF objects: %w", err)
	}
	p.objs = objs
	p.links, err = probeload.AttachRawTracepoints(objs.NetSysEnter, objs.NetSysExit)
	if err != nil {
		p.closeLocked()
		return fmt.Errorf("network probe: %w", err)
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
	err := probeload.Teardown("network probe", p.links, p.reader, p.objs)
	p.links, p.reader, p.objs = nil, nil, nil
	return err
}

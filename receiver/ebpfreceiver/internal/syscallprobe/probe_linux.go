//go:build linux && amd64

package syscallprobe

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

// ProbeName is the probe's name in the receiver's config and in the loss
// metrics.
const ProbeName = "syscall"

// syscallProbe is the generic syscall probe (see syscall.c).
type syscallProbe struct {
	cfg Config

	mu     sync.Mutex
	env    probe.Env
	objs   *syscallObjects
	links  []link.Link
	reader *ringreader.Reader
}

// New returns the syscall probe for cfg (checked again by Start).
func New(cfg Config) probe.Probe {
	return &syscallProbe{cfg: cfg}
}

func (p *syscallProbe) Name() string { return ProbeName }

func (p *syscallProbe) Start(_ context.Context, env probe.Env) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.objs != nil {
		return errors.New("syscall probe: already started")
	}
	if err := p.cfg.Validate(); err != nil {
		return fmt.Errorf("syscall probe config: %w", err)
	}
	if len(p.cfg.Syscalls) == 0 {
		return errors.New("syscall probe config: syscalls: must name at least one syscall")
	}
	if env.Logger == nil {
		env.Logger = zap.NewNop()
	}
	p.env = env
	spec, err := loadSyscall()
	if err != nil {
		return fmt.Errorf("syscall probe: load BPF spec: %w", err)
	}
	if err := probeload.SetRingSize(spec, "sc_events", p.cfg.RingBufferSize, env.RingBufferSize); err != nil {
		return fmt.Errorf("syscall probe: %w", err)
	}
	objs := &syscallObjects{}
	if err := spec.LoadAndAssign(objs, &ebpf.CollectionOptions{MapReplacements: probeload.SharedMaps(spec, env.SharedMaps)}); err != nil {
		return fmt.Errorf("syscall probe: load BPF objects: %w", err)
	}
	p.objs = objs
	for _, name := range p.cfg.Syscalls {
		nr, _ := Number(name)
		sel := pathArgOf(name)
		if err := objs.ScSelected.Update(nr, sel, ebpf.UpdateAny); err != nil {
			p.closeLocked()
			return fmt.Errorf("syscall probe: select %s: %w", name, err)
		}
	}
	p.links, err = probeload.AttachRawTracepoints(objs.ScSysEnter, objs.ScSysExit)
	if err != nil {
		p.closeLocked()
		return fmt.Errorf("syscall probe: %w", err)
	}
	rd, err := ringreader.Start(objs.ScEvents, ringreader.Options{
		Probe: ProbeName, PollInterval: env.PollInterval, Sink: env.Sink, Logger: env.Logger,
	}, p.handle)
	if err != nil {
		p.closeLocked()
		return fmt.Errorf("syscall probe: %w", err)
	}
	p.reader = rd
	return nil
}

func (p *syscallProbe) handle(raw []byte) error {
	e, err := decodeEvent(raw)
	if err != nil {
		return err
	}
	wall := p.env.Clock.Wall(e.hdr.Ktime)
	now := time.Now()
	p.env.Sink.EmitLog(func(lr plog.LogRecord) { fillRecord(lr, &e, wall, now) })
	return nil
}

func (p *syscallProbe) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closeLocked()
}

func (p *syscallProbe) closeLocked() error {
	err := probeload.Teardown("syscall probe", p.links, p.reader, p.objs)
	p.links, p.reader, p.objs = nil, nil, nil
	return err
}

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
	if p.cfg.RingBufferSize > 0 {
		spec.Maps["sc_events"].MaxEntries = uint32(p.cfg.RingBufferSize)
	} else if env.RingBufferSize > 0 {
		spec.Maps["sc_events"].MaxEntries = env.RingBufferSize
	}
	shared := map[string]*ebpf.Map{}
	for name, m := range env.SharedMaps {
		if _, ok := spec.Maps[name]; ok {
			shared[name] = m
		}
	}
	objs := &syscallObjects{}
	if err := spec.LoadAndAssign(objs, &ebpf.CollectionOptions{MapReplacements: shared}); err != nil {
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
	for _, prog := range []*ebpf.Program{objs.ScSysEnter, objs.ScSysExit} {
		l, err := link.AttachTracing(link.TracingOptions{Program: prog, AttachType: ebpf.AttachTraceRawTp})
		if err != nil {
			p.closeLocked()
			return fmt.Errorf("syscall probe: attach %s: %w", prog, err)
		}
		p.links = append(p.links, l)
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
	var errs []error
	for _, l := range p.links {
		if err := l.Close(); err != nil {
			errs = append(errs, fmt.Errorf("syscall probe: detach: %w", err))
		}
	}
	p.links = nil
	if p.reader != nil {
		p.reader.Drain(time.Second)
		if err := p.reader.Close(); err != nil {
			errs = append(errs, fmt.Errorf("syscall probe: close reader: %w", err))
		}
		p.reader = nil
	}
	if p.objs != nil {
		if err := p.objs.Close(); err != nil {
			errs = append(errs, fmt.Errorf("syscall probe: close BPF objects: %w", err))
		}
		p.objs = nil
	}
	return errors.Join(errs...)
}

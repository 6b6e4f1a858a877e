//go:build linux

package processprobe

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"go.uber.org/zap"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probeload"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/ringreader"
)

// Probe is the process probe.
type Probe struct {
	cfg  Config
	opts Options

	mu      sync.Mutex
	objs    *processObjects
	links   []link.Link
	reader  *ringreader.Reader
	tracker *tracker
}

// ProgramIDs returns the kernel ids of the loaded programs (for tests).
func (p *Probe) ProgramIDs() []ebpf.ProgramID {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.objs == nil {
		return nil
	}
	var ids []ebpf.ProgramID
	for _, prog := range []*ebpf.Program{p.objs.OtrProcessExec, p.objs.OtrProcessFork, p.objs.OtrProcessExit} {
		if info, err := prog.Info(); err == nil {
			if id, ok := info.ID(); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// Start loads and attaches the programs and starts reading.
func (p *Probe) Start(_ context.Context, env probe.Env) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	spec, err := loadProcess()
	if err != nil {
		return fmt.Errorf("load process probe spec: %w", err)
	}
	// The process probe has no ring_buffer_size of its own: the receiver's
	// ring_buffer.size, when set, else the compiled size.
	if err := probeload.SetRingSize(spec, "process_events", 0, env.RingBufferSize); err != nil {
		return fmt.Errorf("process probe: %w", err)
	}
	objs := &processObjects{}
	if err := spec.LoadAndAssign(objs, &ebpf.CollectionOptions{MapReplacements: probeload.SharedMaps(spec, env.SharedMaps)}); err != nil {
		var verr *ebpf.VerifierError
		if errors.As(err, &verr) {
			return fmt.Errorf("load process probe programs: %+v", verr)
		}
		return fmt.Errorf("load process probe programs: %w", err)
	}
	p.objs = objs
	p.links, err = probeload.AttachRawTracepoints(objs.OtrProcessFork, objs.OtrProcessExec, objs.OtrProcessExit)
	if err != nil {
		p.closeLocked()
		return fmt.Errorf("process probe: %w", err)
	}
	sink := env.Sink
	if p.opts.TreeOnly {
		sink = discardSink{Sink: env.Sink}
	}
	p.tracker = newTracker(p.cfg, env.Clock, sink)
	if p.cfg.Spans && !p.opts.TreeOnly {
		// After attaching (nothing forked from now on is missed) and before
		// reading (the events of the seeded processes find them).
		p.seed(env)
	}
	rd, err := ringreader.Start(objs.ProcessEvents, ringreader.Options{
		Probe: probeName, PollInterval: env.PollInterval, Sink: env.Sink, Logger: env.Logger,
	}, p.tracker.handle)
	if err != nil {
		p.closeLocked()
		return err
	}
	p.reader = rd
	return nil
}

// seed adds the processes already running to the tracker; a failure is
// logged and the probe runs without them.
func (p *Probe) seed(env probe.Env) {
	t0 := time.Now()
	st, err := seedRunning(p.tracker, env.SharedMaps, uint32(env.SelfPID))
	if err != nil {
		env.Logger.Warn("cannot read the running processes: processes started before the receiver start new traces", zap.Error(err))
		return
	}
	fields := []zap.Field{
		zap.Int("scanned", st.Scanned), zap.Int("seeded", st.Seeded),
		zap.Int("filtered", st.Filtered), zap.Duration("took", time.Since(t0)),
	}
	if st.NotSeeded > 0 {
		env.Logger.Warn("process table too small for the running processes: the oldest are not seeded (raise probes.process.max_tracked_processes)",
			append(fields, zap.Int("not_seeded", st.NotSeeded), zap.Int("max_tracked_processes", p.cfg.MaxTrackedProcesses))...)
		return
	}
	env.Logger.Info("seeded the process table with the running processes", fields...)
}

// Close detaches, drains what is left in the ring, closes every program
// and map of the probe (probeload.Teardown) and then ends the spans of the
// processes still running.
func (p *Probe) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closeLocked()
}

func (p *Probe) closeLocked() error {
	err := probeload.Teardown("process probe", p.links, p.reader, p.objs)
	p.links, p.reader, p.objs = nil, nil, nil
	// The spans of the processes still running end only now: the reader
	// has handled what was left in the ring (their exits), and nothing
	// calls the tracker any more.
	if p.tracker != nil {
		p.tracker.shutdown()
		p.tracker = nil
	}
	return err
}

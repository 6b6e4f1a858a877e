//go:build linux

package ebpfreceiver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/fileprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/logcapture"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/netprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/processprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/socketprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/syscallprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe"
)

const (
	lossPollInterval  = time.Second
	clockSyncInterval = time.Minute
)

// ebpfReceiver is one ebpf receiver, shared by its logs and traces
// pipelines.
type ebpfReceiver struct {
	cfg      *Config
	set      receiver.Settings
	forget   func()
	selfPID  int
	obs      *receiverhelper.ObsReport
	tel      *telemetry
	logsNext consumer.Logs
	trNext   consumer.Traces

	mu        sync.Mutex
	started   bool
	startErr  error
	stopped   bool
	sink      *batchSink
	shared    *bpfheaders.SharedMaps
	probes    []probe.Probe
	clock     *monoClock
	lastLoss  map[bpfheaders.LossKey]uint64
	stop      chan struct{}
	loopsDone sync.WaitGroup
}

func newReceiver(set receiver.Settings, cfg *Config, forget func()) (*ebpfReceiver, error) {
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID: set.ID, Transport: "ebpf", ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, fmt.Errorf("create obsreport: %w", err)
	}
	tel, err := newTelemetry(set.TelemetrySettings, set.ID.String())
	if err != nil {
		return nil, err
	}
	return &ebpfReceiver{cfg: cfg, set: set, forget: forget, selfPID: os.Getpid(), obs: obs, tel: tel}, nil
}

func (r *ebpfReceiver) setLogs(next consumer.Logs)     { r.logsNext = next }
func (r *ebpfReceiver) setTraces(next consumer.Traces) { r.trNext = next }

// buildProbes returns the enabled probes. Wiring another probe is one
// entry here, e.g.
//
//	if cfg.Probes.File.Enabled { ps = append(ps, fileprobe.New(cfg.Probes.File)) }
func (r *ebpfReceiver) buildProbes() []probe.Probe {
	cfg := r.cfg
	var ps []probe.Probe
	procCfg := cfg.Probes.Process
	procCfg.Spans = procCfg.Spans && r.trNext != nil
	switch {
	case procCfg.Enabled:
		ps = append(ps, processprobe.New(procCfg, processprobe.Options{}))
	case cfg.Filters.FollowChildren:
		// The process probe maintains the followed trees in the kernel.
		ps = append(ps, processprobe.New(procCfg, processprobe.Options{TreeOnly: true}))
	}
	if cfg.Probes.File.Enabled {
		ps = append(ps, fileprobe.New(cfg.Probes.File))
	}
	if cfg.Probes.Network.Enabled {
		ps = append(ps, netprobe.New(cfg.Probes.Network))
	}
	if cfg.Probes.Syscall.Enabled {
		ps = append(ps, syscallprobe.New(cfg.Probes.Syscall))
	}
	if cfg.Probes.LogCapture.Enabled {
		ps = append(ps, logcapture.New(cfg.Probes.LogCapture))
	}
	if cfg.Probes.TLS.Enabled {
		ps = append(ps, tlsprobe.New(cfg.Probes.TLS))
	}
	if cfg.Probes.Socket.Enabled {
		ps = append(ps, socketprobe.New(cfg.Probes.Socket))
	}
	return ps
}

func toU32(in []int) []uint32 {
	out := make([]uint32, len(in))
	for i, v := range in {
		out[i] = uint32(v)
	}
	return out
}

// Start checks privileges, creates the shared maps and starts every probe.
func (r *ebpfReceiver) Start(ctx context.Context, _ component.Host) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return r.startErr // the other pipeline of the same receiver
	}
	r.started = true
	r.startErr = r.start(ctx)
	return r.startErr
}

func (r *ebpfReceiver) start(ctx context.Context) error {
	if err := checkCapabilities(); err != nil {
		return err
	}
	f := r.cfg.Filters
	shared, err := bpfheaders.NewSharedMaps(bpfheaders.Filter{
		SelfPID:          uint32(r.selfPID),
		PIDs:             toU32(f.PIDs),
		ExcludePIDs:      toU32(f.ExcludePIDs),
		FollowChildren:   f.FollowChildren,
		Comms:            f.Comms,
		ExcludeComms:     f.ExcludeComms,
		UIDs:             toU32(f.UIDs),
		ExcludeUIDs:      toU32(f.ExcludeUIDs),
		CgroupIDs:        f.CgroupIDs,
		ExcludeCgroupIDs: f.ExcludeCgroupIDs,
		WakeupBytes:      uint64(r.cfg.RingBuffer.WakeupBytes),
	})
	if err != nil {
		return fmt.Errorf("ebpf receiver: %w", err)
	}
	r.shared = shared
	r.clock = newMonoClock()
	r.sink = newBatchSink(r.set.ID.String(), r.set.BuildInfo.Version, r.cfg.QueueSize, r.tel, r.obs, r.set.Logger, r.logsNext, r.trNext)
	r.lastLoss = map[bpfheaders.LossKey]uint64{}

	var startErrs []error
	for _, p := range r.buildProbes() {
		env := probe.Env{
			Logger:         r.set.Logger.With(zap.String("probe", p.Name())),
			SharedMaps:     shared.Maps(),
			Clock:          r.clock,
			Sink:           r.sink.forProbe(p.Name()),
			SelfPID:        r.selfPID,
			RingBufferSize: uint32(r.cfg.RingBuffer.Size),
			PollInterval:   r.cfg.RingBuffer.PollInterval,
		}
		if err := p.Start(ctx, env); err != nil {
			// One probe that cannot work must not take the others down: it
			// says why, and the receiver runs with the rest.
			_ = p.Close()
			startErrs = append(startErrs, fmt.Errorf("probe %s: %w", p.Name(), err))
			r.set.Logger.Error("ebpf probe could not start; the other probes keep running",
				zap.String("probe", p.Name()), zap.Error(err))
			continue
		}
		r.probes = append(r.probes, p)
	}
	if len(r.probes) == 0 {
		_ = r.closeShared()
		return fmt.Errorf("ebpf receiver: no probe could start: %w", errors.Join(startErrs...))
	}
	r.stop = make(chan struct{})
	r.loopsDone.Add(1)
	go r.loop()
	r.set.Logger.Info("ebpf receiver started", zap.Int("probes", len(r.probes)), zap.Int("self_pid", r.selfPID))
	return nil
}

func (r *ebpfReceiver) loop() {
	defer r.loopsDone.Done()
	flushT := time.NewTicker(r.cfg.FlushInterval)
	lossT := time.NewTicker(lossPollInterval)
	clockT := time.NewTicker(clockSyncInterval)
	defer flushT.Stop()
	defer lossT.Stop()
	defer clockT.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-flushT.C:
			r.sink.flush(context.Background())
		case <-r.sink.kick:
			r.sink.flush(context.Background())
		case <-lossT.C:
			r.pollLosses()
		case <-clockT.C:
			r.clock.sync()
		}
	}
}

// pollLosses exports the growth of the kernel loss counters.
func (r *ebpfReceiver) pollLosses() {
	losses, err := r.shared.ReadLosses()
	if err != nil {
		r.set.Logger.Warn("cannot read kernel loss counters", zap.Error(err))
		return
	}
	for k, v := range losses {
		if d := v - r.lastLoss[k]; d > 0 {
			r.tel.Lost(bpfheaders.ProbeName(k.Probe), bpfheaders.LossReasonName(k.Reason), int64(d))
		}
		r.lastLoss[k] = v
	}
}

// ProgramIDs returns the ids of the BPF programs the receiver's probes
// loaded (for tests).
func (r *ebpfReceiver) ProgramIDs() []ebpf.ProgramID {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []ebpf.ProgramID
	for _, p := range r.probes {
		if l, ok := p.(interface{ ProgramIDs() []ebpf.ProgramID }); ok {
			ids = append(ids, l.ProgramIDs()...)
		}
	}
	return ids
}

// closeProbes closes the probes in reverse start order (caller holds mu).
func (r *ebpfReceiver) closeProbes() error {
	var errs []error
	for i := len(r.probes) - 1; i >= 0; i-- {
		if err := r.probes[i].Close(); err != nil {
			errs = append(errs, fmt.Errorf("close probe %s: %w", r.probes[i].Name(), err))
		}
	}
	r.probes = nil
	return errors.Join(errs...)
}

// closeShared closes the shared maps (caller holds mu), after the probes.
func (r *ebpfReceiver) closeShared() error {
	if r.shared == nil {
		return nil
	}
	err := r.shared.Close()
	r.shared = nil
	return err
}

// Shutdown closes every probe (their last records and the spans of the
// processes still running are flushed), then every shared map.
func (r *ebpfReceiver) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return nil
	}
	r.stopped = true
	if r.forget != nil {
		r.forget()
	}
	if r.stop != nil {
		close(r.stop)
		r.loopsDone.Wait()
	}
	var errs []error
	if err := r.closeProbes(); err != nil {
		errs = append(errs, err)
	}
	if r.shared != nil {
		r.pollLosses()
	}
	if r.sink != nil {
		r.sink.flush(ctx)
	}
	if err := r.closeShared(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

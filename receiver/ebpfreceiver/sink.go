package ebpfreceiver

import (
	"context"
	"os"
	"sync"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
)

const (
	attrHostName = "host.name"
	attrSource   = "otelcol.trace.source"
	// flushBatch is the pending record count that triggers a flush before
	// the flush interval.
	flushBatch = 1024
	obsFormat  = "ebpf"
)

// batchSink collects the records of every probe into batches and hands them
// to the pipeline from its own goroutine (flush), so a probe's reader never
// blocks on the pipeline: beyond queueSize pending records, records are
// dropped and counted (reason queue_full).
type batchSink struct {
	receiverID string
	hostName   string
	version    string
	queueSize  int
	tel        *telemetry
	obs        *receiverhelper.ObsReport
	logger     *zap.Logger
	logsNext   consumer.Logs
	tracesNext consumer.Traces

	mu      sync.Mutex
	logs    plog.Logs
	records plog.LogRecordSlice
	traces  ptrace.Traces
	pending int
	kick    chan struct{}
	flushMu sync.Mutex
}

func newBatchSink(receiverID, version string, queueSize int, tel *telemetry, obs *receiverhelper.ObsReport, logger *zap.Logger, logsNext consumer.Logs, tracesNext consumer.Traces) *batchSink {
	host, _ := os.Hostname()
	s := &batchSink{
		receiverID: receiverID, hostName: host, version: version, queueSize: queueSize,
		tel: tel, obs: obs, logger: logger, logsNext: logsNext, tracesNext: tracesNext,
		kick: make(chan struct{}, 1),
	}
	s.resetLocked()
	return s
}

func (s *batchSink) resetLocked() {
	s.logs = plog.NewLogs()
	rl := s.logs.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(attrHostName, s.hostName)
	rl.Resource().Attributes().PutStr(attrSource, s.receiverID)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(scopeName)
	sl.Scope().SetVersion(s.version)
	s.records = sl.LogRecords()
	s.traces = ptrace.NewTraces()
	s.pending = 0
}

// forProbe returns the probe.Sink a probe gets.
func (s *batchSink) forProbe(name string) probe.Sink { return &probeSink{s: s, probe: name} }

// admitLocked reserves room for one record, or says the queue is full; it
// kicks an early flush when a batch is complete.
func (s *batchSink) admitLocked() bool {
	if s.pending >= s.queueSize {
		return false
	}
	s.pending++
	if s.pending == flushBatch {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	return true
}

// flush hands the pending records to the pipeline.
func (s *batchSink) flush(ctx context.Context) {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.mu.Lock()
	logs, traces := s.logs, s.traces
	s.resetLocked()
	s.mu.Unlock()
	if n := logs.LogRecordCount(); n > 0 && s.logsNext != nil {
		octx := s.obs.StartLogsOp(ctx)
		err := s.logsNext.ConsumeLogs(octx, logs)
		s.obs.EndLogsOp(octx, obsFormat, n, err)
		if err != nil {
			s.logger.Warn("pipeline refused log records", zap.Int("count", n), zap.Error(err))
		}
	}
	if n := traces.SpanCount(); n > 0 && s.tracesNext != nil {
		octx := s.obs.StartTracesOp(ctx)
		err := s.tracesNext.ConsumeTraces(octx, traces)
		s.obs.EndTracesOp(octx, obsFormat, n, err)
		if err != nil {
			s.logger.Warn("pipeline refused spans", zap.Int("count", n), zap.Error(err))
		}
	}
}

// probeSink is one probe's view of the batchSink.
type probeSink struct {
	s     *batchSink
	probe string
}

var (
	_ probe.Sink        = (*probeSink)(nil)
	_ probe.ReadCounter = (*probeSink)(nil)
)

// EmitLog appends one log record, or drops it (queue_full).
func (p *probeSink) EmitLog(fill func(plog.LogRecord)) bool {
	s := p.s
	if s.logsNext == nil {
		return true // no logs pipeline: nothing is wanted
	}
	s.mu.Lock()
	if !s.admitLocked() {
		s.mu.Unlock()
		s.tel.Lost(p.probe, "queue_full", 1)
		return false
	}
	fill(s.records.AppendEmpty())
	s.mu.Unlock()
	return true
}

// EmitSpan appends one span with its own resource, or drops it (queue_full).
func (p *probeSink) EmitSpan(fill func(pcommon.Resource, ptrace.Span)) bool {
	s := p.s
	if s.tracesNext == nil {
		return true
	}
	s.mu.Lock()
	if !s.admitLocked() {
		s.mu.Unlock()
		s.tel.Lost(p.probe, "queue_full", 1)
		return false
	}
	rs := s.traces.ResourceSpans().AppendEmpty()
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(scopeName)
	ss.Scope().SetVersion(s.version)
	fill(rs.Resource(), ss.Spans().AppendEmpty())
	s.mu.Unlock()
	return true
}

// Lost counts lost events of the probe.
func (p *probeSink) Lost(probeName, reason string, n int64) { p.s.tel.Lost(probeName, reason, n) }

// CountRead counts events read from the kernel.
func (p *probeSink) CountRead(probeName string, n int64) { p.s.tel.CountRead(probeName, n) }

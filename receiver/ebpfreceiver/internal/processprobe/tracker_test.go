package processprobe

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

type fixedClock struct{}

func (fixedClock) Wall(ns uint64) time.Time { return time.Unix(1_700_000_000, int64(ns)) }

type recordingSink struct {
	mu    sync.Mutex
	logs  plog.LogRecordSlice
	spans ptrace.ResourceSpansSlice
	lost  map[string]int64
}

func (s *recordingSink) EmitLog(fill func(plog.LogRecord)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logs == (plog.LogRecordSlice{}) {
		s.logs = plog.NewLogRecordSlice()
	}
	fill(s.logs.AppendEmpty())
	return true
}

func (s *recordingSink) EmitSpan(fill func(pcommon.Resource, ptrace.Span)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spans == (ptrace.ResourceSpansSlice{}) {
		s.spans = ptrace.NewResourceSpansSlice()
	}
	rs := s.spans.AppendEmpty()
	fill(rs.Resource(), rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty())
	return true
}

func (s *recordingSink) Lost(_, reason string, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lost == nil {
		s.lost = map[string]int64{}
	}
	s.lost[reason] += n
}

func rawFork(child, parent uint32, ktime uint64) []byte {
	b := make([]byte, forkEventSize)
	rawHeader(b, eventFork, child, parent, 0, ktime, 1, "sh")
	binary.LittleEndian.PutUint64(b[56:], ktime)
	return b
}

func rawExit(pid, ppid uint32, ktime uint64, status uint32) []byte {
	b := make([]byte, exitEventSize)
	rawHeader(b, eventExit, pid, ppid, 0, ktime, 1, "sh")
	binary.LittleEndian.PutUint64(b[56:], 5)
	binary.LittleEndian.PutUint32(b[64:], status)
	return b
}

func spanOf(t *testing.T, s *recordingSink, pid int64) (pcommon.Resource, ptrace.Span) {
	t.Helper()
	for i := 0; i < s.spans.Len(); i++ {
		rs := s.spans.At(i)
		if v, _ := rs.Resource().Attributes().Get(attrPID); v.Int() == pid {
			return rs.Resource(), rs.ScopeSpans().At(0).Spans().At(0)
		}
	}
	t.Fatalf("no span for pid %d", pid)
	return pcommon.Resource{}, ptrace.Span{}
}

func TestTrackerSpanTree(t *testing.T) {
	sink := &recordingSink{}
	tr := newTracker(DefaultConfig(), fixedClock{}, sink)
	require.NoError(t, tr.handle(rawExec(100, 1, "/bin/sh", []string{"sh", "-c", "x"}, 0, 0)))
	require.NoError(t, tr.handle(rawFork(101, 100, 3000)))
	require.NoError(t, tr.handle(rawExec(101, 100, "/usr/bin/env", []string{"env"}, 0, 0)))
	require.NoError(t, tr.handle(rawExit(101, 100, 3_000_000_000, 3<<8)))
	require.NoError(t, tr.handle(rawExit(100, 1, 3_500_000_000, 9)))
	require.Equal(t, 2, sink.spans.Len())
	_, parent := spanOf(t, sink, 100)
	res, child := spanOf(t, sink, 101)
	assert.Equal(t, parent.SpanID(), child.ParentSpanID())
	assert.Equal(t, parent.TraceID(), child.TraceID())
	assert.True(t, parent.ParentSpanID().IsEmpty(), "unknown parent: root span")
	assert.Equal(t, "env", child.Name())
	assert.Equal(t, ptrace.StatusCodeError, child.Status().Code())
	assert.Equal(t, ptrace.StatusCodeError, parent.Status().Code(), "killed")
	v, _ := parent.Attributes().Get(attrExitCode)
	assert.Equal(t, int64(137), v.Int())
	v, _ = parent.Attributes().Get(attrExitSignal)
	assert.Equal(t, int64(9), v.Int())
	v, _ = res.Attributes().Get(attrServiceName)
	assert.Equal(t, "env", v.Str())
	assert.True(t, fixedClock{}.Wall(3_000_000_000).Equal(child.EndTimestamp().AsTime()))
	assert.True(t, fixedClock{}.Wall(2_000_000_000).Equal(child.StartTimestamp().AsTime()), "span starts at exec")
	assert.Empty(t, tr.procs)
	// Logs: exec, fork, exec, exit, exit.
	require.Equal(t, 5, sink.logs.Len())
	assert.Equal(t, "process.exit", sink.logs.At(3).EventName())
	assert.Equal(t, plog.SeverityNumberWarn, sink.logs.At(3).SeverityNumber())
}

func TestTrackerBoundedAndShutdown(t *testing.T) {
	sink := &recordingSink{}
	cfg := DefaultConfig()
	cfg.MaxTrackedProcesses = 2
	tr := newTracker(cfg, fixedClock{}, sink)
	for pid := uint32(1); pid <= 3; pid++ {
		require.NoError(t, tr.handle(rawFork(100+pid, 1, uint64(pid))))
	}
	assert.Len(t, tr.procs, 2)
	assert.Equal(t, int64(1), sink.lost["evicted"])
	tr.shutdown()
	require.Equal(t, 2, sink.spans.Len())
	for i := 0; i < 2; i++ {
		sp := sink.spans.At(i).ScopeSpans().At(0).Spans().At(0)
		v, ok := sp.Attributes().Get(attrEndedBySutdown)
		require.True(t, ok)
		assert.True(t, v.Bool())
		assert.Equal(t, shutdownDescription, sp.Status().Message())
	}
}

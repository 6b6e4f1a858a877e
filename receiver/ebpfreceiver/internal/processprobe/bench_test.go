package processprobe

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// benchSink builds each record into a reused slice, like the receiver's
// batch sink, and resets it now and then.
type benchSink struct {
	logs  plog.LogRecordSlice
	spans ptrace.ResourceSpansSlice
}

func newBenchSink() *benchSink {
	return &benchSink{logs: plog.NewLogRecordSlice(), spans: ptrace.NewResourceSpansSlice()}
}

func (s *benchSink) EmitLog(fill func(plog.LogRecord)) bool {
	if s.logs.Len() > 1024 {
		s.logs = plog.NewLogRecordSlice()
	}
	fill(s.logs.AppendEmpty())
	return true
}

func (s *benchSink) EmitSpan(fill func(pcommon.Resource, ptrace.Span)) bool {
	if s.spans.Len() > 1024 {
		s.spans = ptrace.NewResourceSpansSlice()
	}
	rs := s.spans.AppendEmpty()
	fill(rs.Resource(), rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty())
	return true
}

func (*benchSink) Lost(string, string, int64) {}

// BenchmarkDecodeExec: raw exec record → process.exec LogRecord (spans off).
func BenchmarkDecodeExec(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Spans = false
	tr := newTracker(cfg, fixedClock{}, newBenchSink())
	raw := rawExec(100, 1, "/usr/bin/curl", []string{"curl", "-s", "-o", "/dev/null", "https://example.com/some/path?q=1"}, 0, 0)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if err := tr.handle(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeFork: raw fork record → process.fork LogRecord.
func BenchmarkDecodeFork(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Spans = false
	tr := newTracker(cfg, fixedClock{}, newBenchSink())
	raw := rawFork(101, 100, 5)
	b.ReportAllocs()
	for b.Loop() {
		if err := tr.handle(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeExit: raw exit record → process.exit LogRecord.
func BenchmarkDecodeExit(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Spans = false
	tr := newTracker(cfg, fixedClock{}, newBenchSink())
	raw := rawExit(101, 100, 5, 3<<8)
	b.ReportAllocs()
	for b.Loop() {
		if err := tr.handle(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProcessLifecycle: fork + exec + exit records of one process →
// three LogRecords and one span.
func BenchmarkProcessLifecycle(b *testing.B) {
	tr := newTracker(DefaultConfig(), fixedClock{}, newBenchSink())
	fork := rawFork(101, 100, 5)
	execR := rawExec(101, 100, "/bin/true", []string{"/bin/true", "a", "b"}, 0, 0)
	exit := rawExit(101, 100, 9, 0)
	b.ReportAllocs()
	for b.Loop() {
		_ = tr.handle(fork)
		_ = tr.handle(execR)
		_ = tr.handle(exit)
	}
}

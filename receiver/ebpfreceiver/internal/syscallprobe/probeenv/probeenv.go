// Package probeenv builds the probe.Env that the integration tests and
// benchmarks of the file, network, syscall and logcapture probes run a probe
// with: the receiver's shared filter maps, a monotonic->wall clock and a
// Sink that keeps every record in memory.
package probeenv // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/syscallprobe/probeenv"

import (
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Record is one emitted log record, flattened for assertions.
type Record struct {
	EventName string
	Body      string
	Severity  plog.SeverityNumber
	Timestamp time.Time
	Attrs     map[string]any
}

// Sink is a probe.Sink that keeps records (or only counts them when
// CountOnly is set) and the losses reported to it.
type Sink struct {
	// CountOnly fills the records into a batch that is dropped every 4096
	// records, as the receiver's sink batches them (benchmarks).
	CountOnly bool

	mu      sync.Mutex
	batch   plog.LogRecordSlice
	batched bool
	records []Record
	count   int64
	read    int64
	lost    map[string]int64
}

// NewSink returns an empty Sink.
func NewSink() *Sink { return &Sink{lost: map[string]int64{}} }

// EmitLog fills a record and keeps it.
func (s *Sink) EmitLog(fill func(plog.LogRecord)) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	if s.CountOnly {
		if !s.batched || s.batch.Len() >= 4096 {
			s.batch = plog.NewLogRecordSlice()
			s.batched = true
		}
		fill(s.batch.AppendEmpty())
		return true
	}
	lr := plog.NewLogRecord()
	fill(lr)
	r := Record{
		EventName: lr.EventName(),
		Severity:  lr.SeverityNumber(),
		Timestamp: lr.Timestamp().AsTime(),
		Attrs:     lr.Attributes().AsRaw(),
	}
	if lr.Body().Type() != pcommon.ValueTypeEmpty {
		r.Body = lr.Body().AsString()
	}
	s.records = append(s.records, r)
	return true
}

// EmitSpan is not used by these probes; it accepts and discards the span.
func (s *Sink) EmitSpan(func(pcommon.Resource, ptrace.Span)) bool { return true }

// Lost adds n to the loss counter of reason.
func (s *Sink) Lost(probe, reason string, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lost[probe+"/"+reason] += n
}

// CountRead counts records read from the kernel (probe.ReadCounter).
func (s *Sink) CountRead(_ string, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.read += n
}

// Records returns a copy of the records kept so far.
func (s *Sink) Records() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Record(nil), s.records...)
}

// Count returns how many records were emitted.
func (s *Sink) Count() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Losses returns a copy of the loss counters keyed "probe/reason".
func (s *Sink) Losses() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.lost))
	for k, v := range s.lost {
		out[k] = v
	}
	return out
}

// Find returns the records for which match is true.
func (s *Sink) Find(match func(Record) bool) []Record {
	var out []Record
	for _, r := range s.Records() {
		if match(r) {
			out = append(out, r)
		}
	}
	return out
}

// Package probe defines the contract between the ebpf receiver and each of
// its probes (process, file, network, syscall, logcapture, tls, socket).
//
// A probe owns its BPF objects (C source beside its Go loader, compiled by
// bpf2go), its ring buffer reader and the decoding of its events into the
// records that docs/events.md describes. The receiver owns what is shared:
// the in-kernel filter maps, the clock conversion, the batching of records
// into the pipeline and the loss counters.
package probe // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"

import (
	"context"
	"time"

	"github.com/cilium/ebpf"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
)

// Probe is one independently switchable probe of the ebpf receiver.
type Probe interface {
	// Name returns the probe's name as used in the receiver's config and in
	// the `probe` attribute of the loss metrics.
	Name() string
	// Start loads the probe's BPF objects (reusing Env.SharedMaps through
	// ebpf.CollectionOptions.MapReplacements), attaches them and starts
	// reading. It returns an error saying what failed when the probe cannot
	// work at all; a partial failure (one hook of several) is logged once
	// with its reason and the rest keeps running.
	Start(ctx context.Context, env Env) error
	// Close stops reading, detaches every link and closes every program and
	// map the probe created. It is safe to call after a failed Start and
	// more than once.
	Close() error
}

// Env is what the receiver hands to each probe at Start.
type Env struct {
	// Logger is the receiver's logger, already named for the probe.
	Logger *zap.Logger
	// SharedMaps are the maps every probe's BPF program must share (the
	// filter maps, the loss counters), keyed by their name in the C source.
	// Pass them as ebpf.CollectionOptions.MapReplacements.
	SharedMaps map[string]*ebpf.Map
	// Clock converts kernel timestamps to wall time.
	Clock Clock
	// Sink receives the probe's records.
	Sink Sink
	// SelfPID is the collector's own pid. The shared filter already drops it
	// in the kernel; user-space discovery (e.g. scanning /proc) skips it too.
	SelfPID int
	// RingBufferSize is the configured size in bytes of each probe's ring
	// buffer (a power of two and a multiple of the page size): set it as
	// the MaxEntries of the probe's BPF_MAP_TYPE_RINGBUF spec before loading.
	// Zero means keep the size compiled into the object.
	RingBufferSize uint32
	// PollInterval is how often a probe's ring reader drains its ring when
	// no wakeup came (see internal/ringreader). Zero means its default.
	PollInterval time.Duration
}

// ReadCounter is implemented by a Sink that counts the events read from
// the kernel (the otelcol_ebpf_events_total metric). internal/ringreader
// calls it for every record it reads.
type ReadCounter interface {
	CountRead(probe string, n int64)
}

// Clock converts a kernel CLOCK_MONOTONIC timestamp (bpf_ktime_get_ns) to
// wall-clock time.
type Clock interface {
	Wall(monotonicNs uint64) time.Time
}

// Sink is where a probe hands its records. Implementations never block the
// caller: when the pipeline is behind, the record is dropped, counted with
// reason queue_full, and the call returns false.
type Sink interface {
	// EmitLog appends one log record; fill sets its fields.
	EmitLog(fill func(plog.LogRecord)) bool
	// EmitSpan appends one span whose resource fill sets too.
	EmitSpan(fill func(pcommon.Resource, ptrace.Span)) bool
	// Lost counts n events of the probe lost for reason (ringbuf_full,
	// queue_full, decode_error, ...) and logs a rate-limited warning.
	Lost(probe, reason string, n int64)
}

// Package ringreader drains a probe's BPF ring buffer with the policy every
// probe of the ebpf receiver shares: the BPF side submits with
// BPF_RB_NO_WAKEUP until the ring holds the configured wakeup threshold
// (otr_ringbuf_submit in bpfheaders/common.h), and the reader polls on a
// short timer, so a quiet ring is drained within one poll interval and a busy
// one costs one wakeup per threshold instead of one per event.
package ringreader // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/ringreader"

import (
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
)

// DefaultPollInterval is the poll interval when Options.PollInterval is 0.
const DefaultPollInterval = 50 * time.Millisecond

// Handler decodes one raw record (valid only during the call: copy what you
// keep). An error counts the record as lost with reason decode_error.
type Handler func(raw []byte) error

// Options configure a Reader.
type Options struct {
	// Probe is the probe's name, for the loss and read counters.
	Probe string
	// PollInterval bounds the time a record waits in a quiet ring.
	PollInterval time.Duration
	// Sink counts decode errors (Lost) and reads (when it implements
	// probe.ReadCounter).
	Sink probe.Sink
	// Logger logs the first decode error of each burst.
	Logger *zap.Logger
}

package processprobe

import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"

const probeName = "process"

// Options are what the receiver decides beyond the probe's Config.
type Options struct {
	// TreeOnly loads the probe only to maintain the followed process trees
	// of the shared filter (follow_children with the process probe
	// disabled): no record is emitted.
	TreeOnly bool
}

// New returns the process probe.
func New(cfg Config, opts Options) *Probe {
	return &Probe{cfg: cfg, opts: opts}
}

// Name returns "process".
func (*Probe) Name() string { return probeName }

var _ probe.Probe = (*Probe)(nil)

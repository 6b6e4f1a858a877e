//go:build !linux

package processprobe

import (
	"context"
	"errors"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
)

// Probe is the process probe; eBPF needs Linux.
type Probe struct {
	cfg  Config
	opts Options
}

// Start returns an error: eBPF is not supported on this platform.
func (*Probe) Start(context.Context, probe.Env) error {
	return errors.New("process probe: not supported on this platform (Linux only)")
}

// Close does nothing.
func (*Probe) Close() error { return nil }

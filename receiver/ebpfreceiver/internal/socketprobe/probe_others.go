//go:build !linux

package socketprobe // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/socketprobe"

import (
	"context"
	"errors"
	"fmt"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
)

// Probe is the socket probe; it needs Linux (eBPF).
type Probe struct{}

// New validates cfg and returns a probe whose Start fails on this platform.
func New(cfg Config) (probe.Probe, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("socket probe config: %w", err)
	}
	return &Probe{}, nil
}

// Name returns "socket".
func (*Probe) Name() string { return Name }

// Start returns an error: the socket probe is not supported on this platform.
func (*Probe) Start(context.Context, probe.Env) error {
	return errors.New("socket probe: not supported on this platform (Linux only)")
}

// Close does nothing.
func (*Probe) Close() error { return nil }

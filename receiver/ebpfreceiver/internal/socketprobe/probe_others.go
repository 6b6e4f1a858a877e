//go:build !linux

package socketprobe // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/socketprobe"

import (
	"context"
	"errors"
	"fmt"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
)

// Probe is the socket probe; it needs Linux (eBPF).
type Probe struct{ cfg Config }

// New returns a probe whose Start fails on this platform.
func New(cfg Config) probe.Probe {
	return &Probe{cfg: cfg}
}

// Name returns "socket".
func (*Probe) Name() string { return Name }

// Start returns an error: the socket probe is not supported on this platform.
func (p *Probe) Start(context.Context, probe.Env) error {
	if err := p.cfg.Validate(); err != nil {
		return fmt.Errorf("socket probe config: %w", err)
	}
	return errors.New("socket probe: not supported on this platform (Linux only)")
}

// Close does nothing.
func (*Probe) Close() error { return nil }

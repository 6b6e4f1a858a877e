//go:build !linux

package tlsprobe // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe"

import (
	"context"
	"errors"
	"fmt"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
)

// Probe is the tls probe; it needs Linux (eBPF uprobes).
type Probe struct{ cfg Config }

// New returns a probe whose Start fails on this platform.
func New(cfg Config) probe.Probe {
	return &Probe{cfg: cfg}
}

// Name returns "tls".
func (*Probe) Name() string { return Name }

// Start returns an error: the tls probe is not supported on this platform.
func (p *Probe) Start(context.Context, probe.Env) error {
	if err := p.cfg.Validate(); err != nil {
		return fmt.Errorf("tls probe config: %w", err)
	}
	return errors.New("tls probe: not supported on this platform (Linux only)")
}

// Close does nothing.
func (*Probe) Close() error { return nil }

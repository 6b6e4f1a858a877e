//go:build !linux || !amd64

package logcapture

import (
	"errors"
	"fmt"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
)

// Name is the probe's name in the receiver's config and in the loss metrics.
const Name = "logcapture"

// New returns an error: the logcapture probe needs eBPF on Linux (x86_64).
func New(cfg Config) (probe.Probe, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("logcapture probe config: %w", err)
	}
	return nil, errors.New("logcapture probe: not supported on this platform (needs Linux on x86_64 with eBPF)")
}

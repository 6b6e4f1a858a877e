//go:build !linux || !amd64

package syscallprobe

import (
	"context"
	"errors"
	"fmt"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
)

// ProbeName is the probe's name in the receiver's config and in the loss
// metrics.
const ProbeName = "syscall"

// New returns the syscall probe; on this platform its Start fails: it needs
// eBPF on Linux (x86_64).
func New(cfg Config) probe.Probe { return unsupported{cfg: cfg} }

type unsupported struct{ cfg Config }

func (unsupported) Name() string { return ProbeName }

func (u unsupported) Start(context.Context, probe.Env) error {
	if err := u.cfg.Validate(); err != nil {
		return fmt.Errorf("syscall probe config: %w", err)
	}
	return errors.New("syscall probe: not supported on this platform (needs Linux on x86_64 with eBPF)")
}

func (unsupported) Close() error { return nil }

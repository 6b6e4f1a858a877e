package syscallprobe

import (
	"errors"
	"fmt"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probeload"
)

// Config is the configuration of the generic syscall probe.
type Config struct {
	// Enabled switches the probe on.
	Enabled bool `mapstructure:"enabled"`
	// Syscalls lists the syscalls to trace by name (x86_64 names, e.g.
	// openat, connect, mmap). Each call becomes one `syscall` event.
	Syscalls []string `mapstructure:"syscalls"`
	// RingBufferSize overrides the receiver's ring_buffer.size for this
	// probe (bytes, a power of two of at least 64 KiB); 0 keeps the
	// receiver's.
	RingBufferSize int `mapstructure:"ring_buffer_size"`
}

// NewDefaultConfig returns the defaults: disabled, no syscall selected
// (an enabled probe needs a list).
func NewDefaultConfig() Config {
	return Config{}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.Enabled && len(c.Syscalls) == 0 {
		errs = append(errs, errors.New("syscalls: must name at least one syscall"))
	}
	seen := map[string]bool{}
	for _, s := range c.Syscalls {
		if _, ok := Number(s); !ok {
			errs = append(errs, fmt.Errorf("syscalls: unknown syscall %q", s))
		}
		if seen[s] {
			errs = append(errs, fmt.Errorf("syscalls: %q listed twice", s))
		}
		seen[s] = true
	}
	if err := probeload.CheckRingBufferSize(c.RingBufferSize); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

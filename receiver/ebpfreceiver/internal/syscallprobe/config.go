package syscallprobe

import (
	"errors"
	"fmt"
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
	if c.RingBufferSize != 0 && (c.RingBufferSize < 64<<10 || c.RingBufferSize > 1<<30 || c.RingBufferSize&(c.RingBufferSize-1) != 0) {
		errs = append(errs, fmt.Errorf("ring_buffer_size: %d must be 0 (the receiver's size) or a power of two between 65536 and 1073741824", c.RingBufferSize))
	}
	return errors.Join(errs...)
}

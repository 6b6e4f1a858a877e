package syscallprobe

import (
	"errors"
	"fmt"
	"time"
)

// Config is the configuration of the generic syscall probe.
type Config struct {
	// Syscalls lists the syscalls to trace by name (x86_64 names, e.g.
	// openat, connect, mmap). Each call becomes one `syscall` event.
	Syscalls []string `mapstructure:"syscalls"`
	// RingBufferSize is the size in bytes of the probe's ring buffer: a
	// power of two, at least 64 KiB.
	RingBufferSize int `mapstructure:"ring_buffer_size"`
	// PollInterval bounds how long an event waits in a quiet ring buffer.
	PollInterval time.Duration `mapstructure:"poll_interval"`
}

// NewDefaultConfig returns the defaults: no syscall selected (the probe
// needs a list), a 4 MiB ring buffer.
func NewDefaultConfig() Config {
	return Config{RingBufferSize: 4 << 20, PollInterval: 50 * time.Millisecond}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Syscalls) == 0 {
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
	if c.RingBufferSize < 64<<10 || c.RingBufferSize > 1<<30 || c.RingBufferSize&(c.RingBufferSize-1) != 0 {
		errs = append(errs, fmt.Errorf("ring_buffer_size: %d must be a power of two between 65536 and 1073741824", c.RingBufferSize))
	}
	if c.PollInterval <= 0 || c.PollInterval > 10*time.Second {
		errs = append(errs, fmt.Errorf("poll_interval: %v out of range (0, 10s]", c.PollInterval))
	}
	return errors.Join(errs...)
}

package netprobe

import (
	"errors"
	"fmt"
	"time"
)

// Config is the configuration of the network probe.
type Config struct {
	// IncludeFailed emits net.connect for failed connects (with error.type).
	IncludeFailed bool `mapstructure:"include_failed"`
	// RingBufferSize is the size in bytes of the probe's ring buffer: a
	// power of two, at least 64 KiB.
	RingBufferSize int `mapstructure:"ring_buffer_size"`
	// MaxTrackedSockets bounds the kernel map of connected/accepted sockets
	// whose bytes are counted until close (LRU).
	MaxTrackedSockets int `mapstructure:"max_tracked_sockets"`
	// PollInterval bounds how long an event waits in a quiet ring buffer.
	PollInterval time.Duration `mapstructure:"poll_interval"`
}

// NewDefaultConfig returns the network probe's defaults.
func NewDefaultConfig() Config {
	return Config{
		IncludeFailed:     true,
		RingBufferSize:    4 << 20,
		MaxTrackedSockets: 65536,
		PollInterval:      50 * time.Millisecond,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.RingBufferSize < 64<<10 || c.RingBufferSize > 1<<30 || c.RingBufferSize&(c.RingBufferSize-1) != 0 {
		errs = append(errs, fmt.Errorf("ring_buffer_size: %d must be a power of two between 65536 and 1073741824", c.RingBufferSize))
	}
	if c.MaxTrackedSockets < 1024 || c.MaxTrackedSockets > 1<<22 {
		errs = append(errs, fmt.Errorf("max_tracked_sockets: %d out of range [1024, %d]", c.MaxTrackedSockets, 1<<22))
	}
	if c.PollInterval <= 0 || c.PollInterval > 10*time.Second {
		errs = append(errs, fmt.Errorf("poll_interval: %v out of range (0, 10s]", c.PollInterval))
	}
	return errors.Join(errs...)
}

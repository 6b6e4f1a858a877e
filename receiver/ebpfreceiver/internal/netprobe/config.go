package netprobe

import (
	"errors"
	"fmt"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probeload"
)

// Config is the configuration of the network probe.
type Config struct {
	// Enabled switches the probe on.
	Enabled bool `mapstructure:"enabled"`
	// IncludeFailed emits net.connect for failed connects (with error.type).
	IncludeFailed bool `mapstructure:"include_failed"`
	// RingBufferSize overrides the receiver's ring_buffer.size for this
	// probe (bytes, a power of two of at least 64 KiB); 0 keeps the
	// receiver's.
	RingBufferSize int `mapstructure:"ring_buffer_size"`
	// MaxTrackedSockets bounds the kernel map of connected/accepted sockets
	// whose bytes are counted until close (LRU).
	MaxTrackedSockets int `mapstructure:"max_tracked_sockets"`
}

// NewDefaultConfig returns the network probe's defaults (disabled).
func NewDefaultConfig() Config {
	return Config{
		IncludeFailed:     true,
		MaxTrackedSockets: 65536,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if err := probeload.CheckRingBufferSize(c.RingBufferSize); err != nil {
		errs = append(errs, err)
	}
	if c.MaxTrackedSockets < 1024 || c.MaxTrackedSockets > 1<<22 {
		errs = append(errs, fmt.Errorf("max_tracked_sockets: %d out of range [1024, %d]", c.MaxTrackedSockets, 1<<22))
	}
	return errors.Join(errs...)
}

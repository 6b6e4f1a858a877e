package fileprobe

import (
	"errors"
	"fmt"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probeload"
)

// Event kinds that Config.Events may name.
const (
	EventOpen   = "open"
	EventClose  = "close"
	EventDelete = "delete"
	EventRename = "rename"
)

// Config is the configuration of the file probe.
type Config struct {
	// Enabled switches the probe on.
	Enabled bool `mapstructure:"enabled"`
	// Events lists the events to emit: open, close, delete, rename.
	// Counting bytes for fs.close needs the opens to be traced too, which
	// the probe does in the kernel whether or not fs.open is emitted.
	Events []string `mapstructure:"events"`
	// IncludeFailed emits events of failed syscalls (with error.type).
	IncludeFailed bool `mapstructure:"include_failed"`
	// RingBufferSize overrides the receiver's ring_buffer.size for this
	// probe (bytes, a power of two of at least 64 KiB); 0 keeps the
	// receiver's.
	RingBufferSize int `mapstructure:"ring_buffer_size"`
	// MaxTrackedFDs bounds the kernel map of open files whose bytes are
	// counted until close (least recently used entries are evicted).
	MaxTrackedFDs int `mapstructure:"max_tracked_fds"`
	// ResolveRelativePaths turns a relative path into an absolute one with
	// the task's cwd (or the dirfd's path) from /proc when the event is read.
	ResolveRelativePaths bool `mapstructure:"resolve_relative_paths"`
}

// NewDefaultConfig returns the file probe's defaults: disabled; when
// enabled, every event, failed calls included, a 16 MiB ring buffer.
func NewDefaultConfig() Config {
	return Config{
		Events:               []string{EventOpen, EventClose, EventDelete, EventRename},
		IncludeFailed:        true,
		RingBufferSize:       16 << 20,
		MaxTrackedFDs:        65536,
		ResolveRelativePaths: true,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Events) == 0 {
		errs = append(errs, errors.New("events: must name at least one of open, close, delete, rename"))
	}
	seen := map[string]bool{}
	for _, e := range c.Events {
		switch e {
		case EventOpen, EventClose, EventDelete, EventRename:
		default:
			errs = append(errs, fmt.Errorf("events: unknown event %q (want open, close, delete or rename)", e))
		}
		if seen[e] {
			errs = append(errs, fmt.Errorf("events: %q listed twice", e))
		}
		seen[e] = true
	}
	if err := probeload.CheckRingBufferSize(c.RingBufferSize); err != nil {
		errs = append(errs, err)
	}
	if c.MaxTrackedFDs < 1024 || c.MaxTrackedFDs > 1<<22 {
		errs = append(errs, fmt.Errorf("max_tracked_fds: %d out of range [1024, %d]", c.MaxTrackedFDs, 1<<22))
	}
	return errors.Join(errs...)
}

func (c *Config) wants(event string) bool {
	for _, e := range c.Events {
		if e == event {
			return true
		}
	}
	return false
}

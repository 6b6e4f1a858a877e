package fileprobe

import (
	"errors"
	"fmt"
	"time"
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
	// Events lists the events to emit: open, close, delete, rename.
	// Counting bytes for fs.close needs the opens to be traced too, which
	// the probe does in the kernel whether or not fs.open is emitted.
	Events []string `mapstructure:"events"`
	// IncludeFailed emits events of failed syscalls (with error.type).
	IncludeFailed bool `mapstructure:"include_failed"`
	// RingBufferSize is the size in bytes of the probe's ring buffer: a
	// power of two, at least 64 KiB.
	RingBufferSize int `mapstructure:"ring_buffer_size"`
	// MaxTrackedFDs bounds the kernel map of open files whose bytes are
	// counted until close (least recently used entries are evicted).
	MaxTrackedFDs int `mapstructure:"max_tracked_fds"`
	// ResolveRelativePaths turns a relative path into an absolute one with
	// the task's cwd (or the dirfd's path) from /proc when the event is read.
	ResolveRelativePaths bool `mapstructure:"resolve_relative_paths"`
	// PollInterval bounds how long an event waits in a quiet ring buffer.
	PollInterval time.Duration `mapstructure:"poll_interval"`
}

// NewDefaultConfig returns the file probe's defaults: every event, failed
// calls included, an 8 MiB ring buffer.
func NewDefaultConfig() Config {
	return Config{
		Events:               []string{EventOpen, EventClose, EventDelete, EventRename},
		IncludeFailed:        true,
		RingBufferSize:       8 << 20,
		MaxTrackedFDs:        65536,
		ResolveRelativePaths: true,
		PollInterval:         50 * time.Millisecond,
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
	errs = append(errs, ValidateRingBufferSize("ring_buffer_size", c.RingBufferSize))
	if c.MaxTrackedFDs < 1024 || c.MaxTrackedFDs > 1<<22 {
		errs = append(errs, fmt.Errorf("max_tracked_fds: %d out of range [1024, %d]", c.MaxTrackedFDs, 1<<22))
	}
	if c.PollInterval <= 0 || c.PollInterval > 10*time.Second {
		errs = append(errs, fmt.Errorf("poll_interval: %v out of range (0, 10s]", c.PollInterval))
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

// ValidateRingBufferSize checks a ring buffer size named field: a power of
// two between 64 KiB and 1 GiB.
func ValidateRingBufferSize(field string, size int) error {
	if size < 64<<10 || size > 1<<30 || size&(size-1) != 0 {
		return fmt.Errorf("%s: %d must be a power of two between 65536 and 1073741824", field, size)
	}
	return nil
}

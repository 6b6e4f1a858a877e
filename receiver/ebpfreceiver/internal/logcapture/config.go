package logcapture

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probeload"
)

// hardMaxCaptureBytes is the BPF program's limit (logcapture.c LOG_DATA_MAX).
const hardMaxCaptureBytes = 32768

// Config is the configuration of the logcapture probe.
type Config struct {
	// Enabled switches the probe on.
	Enabled bool `mapstructure:"enabled"`
	// Include lists regular expressions (Go RE2 syntax) matched against the
	// absolute path of a file opened for writing; a file is captured when
	// one matches and no Exclude does. The default matches *.log files and
	// files under log/ and logs/ directories.
	Include []string `mapstructure:"include"`
	// Exclude lists regular expressions of paths never captured.
	Exclude []string `mapstructure:"exclude"`
	// Console captures writes to stdout/stderr (fds 1 and 2).
	Console ConsoleConfig `mapstructure:"console"`
	// MaxBytesPerWrite bounds the bytes captured from one write call; the
	// rest is not captured and the line it cuts carries
	// log.record.truncated=true.
	MaxBytesPerWrite int `mapstructure:"max_bytes_per_write"`
	// MaxLineBytes bounds a line held while waiting for its newline; a longer
	// line is emitted in pieces flagged truncated.
	MaxLineBytes int `mapstructure:"max_line_bytes"`
	// FlushTimeout is how long a partial line (no newline yet) is held
	// before it is emitted as it is.
	FlushTimeout time.Duration `mapstructure:"flush_timeout"`
	// ScanExisting marks, at start, the matching files that processes
	// already have open for writing (from /proc/<pid>/fd).
	ScanExisting bool `mapstructure:"scan_existing"`
	// RingBufferSize overrides the receiver's ring_buffer.size for this
	// probe (bytes, a power of two of at least 64 KiB); 0 keeps the
	// receiver's.
	RingBufferSize int `mapstructure:"ring_buffer_size"`
	// MaxTrackedFDs bounds the kernel map of fds being captured.
	MaxTrackedFDs int `mapstructure:"max_tracked_fds"`
}

// ConsoleConfig selects console (stdout/stderr) capture.
type ConsoleConfig struct {
	// Streams lists the streams to capture: stdout, stderr. Empty: none.
	Streams []string `mapstructure:"streams"`
}

// NewDefaultConfig returns the defaults: disabled; when enabled, *.log,
// /log/ and /logs/ files, no console, 16 KiB per write, 1 s idle flush, a
// 16 MiB ring buffer.
func NewDefaultConfig() Config {
	return Config{
		Include:          []string{`\.log$`, `/logs?/`},
		MaxBytesPerWrite: 16384,
		MaxLineBytes:     65536,
		FlushTimeout:     time.Second,
		ScanExisting:     true,
		RingBufferSize:   16 << 20,
		MaxTrackedFDs:    65536,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Include) == 0 && len(c.Console.Streams) == 0 {
		errs = append(errs, errors.New("include: at least one pattern is needed unless console.streams is set"))
	}
	for _, p := range c.Include {
		if _, err := regexp.Compile(p); err != nil {
			errs = append(errs, fmt.Errorf("include: pattern %q: %w", p, err))
		}
	}
	for _, p := range c.Exclude {
		if _, err := regexp.Compile(p); err != nil {
			errs = append(errs, fmt.Errorf("exclude: pattern %q: %w", p, err))
		}
	}
	for _, s := range c.Console.Streams {
		if s != "stdout" && s != "stderr" {
			errs = append(errs, fmt.Errorf("console.streams: unknown stream %q (want stdout or stderr)", s))
		}
	}
	if c.MaxBytesPerWrite < 1 || c.MaxBytesPerWrite > hardMaxCaptureBytes {
		errs = append(errs, fmt.Errorf("max_bytes_per_write: %d out of range [1, %d]", c.MaxBytesPerWrite, hardMaxCaptureBytes))
	}
	if c.MaxLineBytes < 1 || c.MaxLineBytes > 16<<20 {
		errs = append(errs, fmt.Errorf("max_line_bytes: %d out of range [1, %d]", c.MaxLineBytes, 16<<20))
	}
	if c.FlushTimeout < 10*time.Millisecond || c.FlushTimeout > time.Minute {
		errs = append(errs, fmt.Errorf("flush_timeout: %v out of range [10ms, 1m]", c.FlushTimeout))
	}
	if err := probeload.CheckRingBufferSize(c.RingBufferSize); err != nil {
		errs = append(errs, err)
	}
	if c.MaxTrackedFDs < 1024 || c.MaxTrackedFDs > 1<<22 {
		errs = append(errs, fmt.Errorf("max_tracked_fds: %d out of range [1024, %d]", c.MaxTrackedFDs, 1<<22))
	}
	return errors.Join(errs...)
}

// pathMatcher decides whether a path is a log file.
type pathMatcher struct {
	include, exclude []*regexp.Regexp
}

func newPathMatcher(c *Config) (*pathMatcher, error) {
	m := &pathMatcher{}
	for _, p := range c.Include {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("include: pattern %q: %w", p, err)
		}
		m.include = append(m.include, re)
	}
	for _, p := range c.Exclude {
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("exclude: pattern %q: %w", p, err)
		}
		m.exclude = append(m.exclude, re)
	}
	return m, nil
}

func (m *pathMatcher) match(path string) bool {
	for _, re := range m.exclude {
		if re.MatchString(path) {
			return false
		}
	}
	for _, re := range m.include {
		if re.MatchString(path) {
			return true
		}
	}
	return false
}

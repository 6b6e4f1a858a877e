// Package processprobe is the `process` probe of the ebpf receiver: it
// traces exec, fork and exit of processes with tp_btf programs
// (sched_process_exec, sched_process_fork, sched_process_exit), emits the
// process.exec / process.fork / process.exit records of docs/events.md and
// one span per process, and maintains the followed process trees of the
// receiver's shared in-kernel filter.
package processprobe // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/processprobe"

import (
	"errors"
	"fmt"
)

// ArgsKernelLimit is the most argv bytes the BPF program captures per exec.
const ArgsKernelLimit = 4095

// Config is the `process` probe's configuration.
type Config struct {
	// Enabled switches the probe on.
	Enabled bool `mapstructure:"enabled"`
	// MaxArgs bounds the number of argv entries kept per exec.
	MaxArgs int `mapstructure:"max_args"`
	// MaxArgsBytes bounds the total argv bytes kept per exec (at most 4095).
	MaxArgsBytes int `mapstructure:"max_args_bytes"`
	// MaxTrackedProcesses bounds the table of running processes that spans
	// are built from; beyond it the least recently seen is evicted (counted
	// as lost with reason evicted).
	MaxTrackedProcesses int `mapstructure:"max_tracked_processes"`
	// Spans switches the process spans on.
	Spans bool `mapstructure:"spans"`
}

// DefaultConfig returns the probe's defaults.
func DefaultConfig() Config {
	return Config{
		Enabled:             true,
		MaxArgs:             64,
		MaxArgsBytes:        ArgsKernelLimit,
		MaxTrackedProcesses: 16384,
		Spans:               true,
	}
}

// Validate checks the config.
func (c Config) Validate() error {
	var errs []error
	if c.MaxArgs < 1 {
		errs = append(errs, fmt.Errorf("max_args must be at least 1, got %d", c.MaxArgs))
	}
	if c.MaxArgsBytes < 1 || c.MaxArgsBytes > ArgsKernelLimit {
		errs = append(errs, fmt.Errorf("max_args_bytes must be between 1 and %d, got %d", ArgsKernelLimit, c.MaxArgsBytes))
	}
	if c.MaxTrackedProcesses < 1 {
		errs = append(errs, fmt.Errorf("max_tracked_processes must be at least 1, got %d", c.MaxTrackedProcesses))
	}
	return errors.Join(errs...)
}

package ebpfreceiver // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver"

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/fileprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/logcapture"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/netprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/processprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/socketprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/syscallprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe"
)

// Config is the ebpf receiver's configuration.
type Config struct {
	// Probes switches each probe on or off and configures it.
	Probes ProbesConfig `mapstructure:"probes"`
	// RingBuffer configures every probe's kernel → user ring buffer.
	RingBuffer RingBufferConfig `mapstructure:"ring_buffer"`
	// Filters select the processes traced, in the kernel, for every probe.
	Filters FiltersConfig `mapstructure:"filters"`
	// QueueSize bounds the records waiting for the pipeline; beyond it
	// records are dropped and counted (reason queue_full).
	QueueSize int `mapstructure:"queue_size"`
	// FlushInterval is the longest a record waits before it is handed to
	// the pipeline.
	FlushInterval time.Duration `mapstructure:"flush_interval"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// ProbesConfig holds one sub-config per probe.
//
// Wiring another probe (a package under internal/ implementing probe.Probe
// with a Config having Validate()): add its field here, its default in
// createDefaultConfig, its Validate call in Config.Validate, and one entry
// in buildProbes (receiver_linux.go).
type ProbesConfig struct {
	// Process traces exec, fork and exit (and maintains followed trees).
	Process processprobe.Config `mapstructure:"process"`
	// File traces opens, closes (with bytes read/written), deletes and renames.
	File fileprobe.Config `mapstructure:"file"`
	// Network traces connect, accept and socket close.
	Network netprobe.Config `mapstructure:"network"`
	// Syscall traces a configured list of syscalls by name.
	Syscall syscallprobe.Config `mapstructure:"syscall"`
	// LogCapture turns writes to log files (and optionally the console)
	// into log records.
	LogCapture logcapture.Config `mapstructure:"logcapture"`
	// TLS captures the plaintext of OpenSSL, GnuTLS and Go crypto/tls.
	TLS tlsprobe.Config `mapstructure:"tls"`
	// Socket captures plaintext TCP payloads (opt-in).
	Socket socketprobe.Config `mapstructure:"socket"`
}

// anyEnabled reports whether at least one probe is switched on. Each probe's
// own Validate is called by the collector's config validation, which walks
// nested configs and prefixes their errors with their path
// (probes::logcapture: …).
func (p *ProbesConfig) anyEnabled() bool {
	return p.Process.Enabled || p.File.Enabled || p.Network.Enabled || p.Syscall.Enabled ||
		p.LogCapture.Enabled || p.TLS.Enabled || p.Socket.Enabled
}

// RingBufferConfig configures the ring buffers.
type RingBufferConfig struct {
	// Size in bytes of each probe's ring buffer: a power of two and a
	// multiple of the page size.
	Size int `mapstructure:"size"`
	// WakeupBytes: the kernel wakes the reader only once a ring holds this
	// many bytes (0: never; the poll interval drains it). Must be below Size.
	WakeupBytes int `mapstructure:"wakeup_bytes"`
	// PollInterval is how often the reader drains a ring that did not wake
	// it.
	PollInterval time.Duration `mapstructure:"poll_interval"`
}

// FiltersConfig selects processes. Include lists that are set must all
// match (a process must be in `pids` AND have a listed `comms` …); an
// exclude match always drops. The collector's own process is always
// excluded.
type FiltersConfig struct {
	// PIDs to trace; with FollowChildren, their descendants too (existing
	// ones and those forked later).
	PIDs []int `mapstructure:"pids"`
	// FollowChildren extends PIDs and ExcludePIDs to process trees.
	FollowChildren bool `mapstructure:"follow_children"`
	// Comms are task names (up to 15 bytes, as in /proc/<pid>/comm).
	Comms []string `mapstructure:"comms"`
	// UIDs are real user ids.
	UIDs []int `mapstructure:"uids"`
	// CgroupIDs are cgroup v2 ids (inode numbers of cgroup directories).
	CgroupIDs []uint64 `mapstructure:"cgroup_ids"`

	ExcludePIDs      []int    `mapstructure:"exclude_pids"`
	ExcludeComms     []string `mapstructure:"exclude_comms"`
	ExcludeUIDs      []int    `mapstructure:"exclude_uids"`
	ExcludeCgroupIDs []uint64 `mapstructure:"exclude_cgroup_ids"`
	// ExcludeSelf must stay true: the collector never traces itself (its
	// own reads and exports would feed back into the pipeline).
	ExcludeSelf bool `mapstructure:"exclude_self"`
}

const (
	maxRingBufferSize = 1 << 30
	commMaxLen        = 15
)

// Validate checks the configuration; every message names its field.
func (cfg *Config) Validate() error {
	var errs []error
	if !cfg.Probes.anyEnabled() {
		errs = append(errs, errors.New("probes: no probe is enabled (enable at least one of probes.process, file, network, syscall, logcapture, tls, socket)"))
	}

	rb := cfg.RingBuffer
	page := os.Getpagesize()
	switch {
	case rb.Size <= 0 || rb.Size&(rb.Size-1) != 0:
		errs = append(errs, fmt.Errorf("ring_buffer.size must be a power of two, got %d", rb.Size))
	case rb.Size%page != 0:
		errs = append(errs, fmt.Errorf("ring_buffer.size must be a multiple of the page size %d, got %d", page, rb.Size))
	case rb.Size > maxRingBufferSize:
		errs = append(errs, fmt.Errorf("ring_buffer.size must be at most %d, got %d", maxRingBufferSize, rb.Size))
	}
	if rb.WakeupBytes < 0 || (rb.Size > 0 && rb.WakeupBytes >= rb.Size) {
		errs = append(errs, fmt.Errorf("ring_buffer.wakeup_bytes must be between 0 and ring_buffer.size-1, got %d (ring_buffer.size is %d; with a small ring, set wakeup_bytes too: its default is %d)", rb.WakeupBytes, rb.Size, defaultWakeupBytes))
	}
	if rb.PollInterval < time.Millisecond || rb.PollInterval > 10*time.Second {
		errs = append(errs, fmt.Errorf("ring_buffer.poll_interval must be between 1ms and 10s, got %s", rb.PollInterval))
	}

	if cfg.QueueSize < 1 {
		errs = append(errs, fmt.Errorf("queue_size must be at least 1, got %d", cfg.QueueSize))
	}
	if cfg.FlushInterval <= 0 {
		errs = append(errs, fmt.Errorf("flush_interval must be positive, got %s", cfg.FlushInterval))
	}

	f := cfg.Filters
	if !f.ExcludeSelf {
		errs = append(errs, errors.New("filters.exclude_self cannot be false: the collector never traces its own process"))
	}
	included := map[int]bool{}
	for _, p := range f.PIDs {
		if p <= 0 {
			errs = append(errs, fmt.Errorf("filters.pids: pid must be positive, got %d", p))
		}
		included[p] = true
	}
	for _, p := range f.ExcludePIDs {
		if p <= 0 {
			errs = append(errs, fmt.Errorf("filters.exclude_pids: pid must be positive, got %d", p))
		}
		if included[p] {
			errs = append(errs, fmt.Errorf("filters.exclude_pids: pid %d is also in filters.pids", p))
		}
	}
	if f.FollowChildren && len(f.PIDs) == 0 && len(f.ExcludePIDs) == 0 {
		errs = append(errs, errors.New("filters.follow_children needs filters.pids or filters.exclude_pids"))
	}
	for field, list := range map[string][]string{"filters.comms": f.Comms, "filters.exclude_comms": f.ExcludeComms} {
		for _, c := range list {
			if c == "" || len(c) > commMaxLen {
				errs = append(errs, fmt.Errorf("%s: comm must be 1 to %d bytes, got %q", field, commMaxLen, c))
			}
		}
	}
	for field, list := range map[string][]int{"filters.uids": f.UIDs, "filters.exclude_uids": f.ExcludeUIDs} {
		for _, u := range list {
			if u < 0 || u > 0xffffffff {
				errs = append(errs, fmt.Errorf("%s: uid must be between 0 and 4294967295, got %d", field, u))
			}
		}
	}
	for field, list := range map[string][]uint64{"filters.cgroup_ids": f.CgroupIDs, "filters.exclude_cgroup_ids": f.ExcludeCgroupIDs} {
		for _, c := range list {
			if c == 0 {
				errs = append(errs, fmt.Errorf("%s: cgroup id must be positive", field))
			}
		}
	}
	return errors.Join(errs...)
}

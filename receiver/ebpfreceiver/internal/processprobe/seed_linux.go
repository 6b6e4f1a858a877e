//go:build linux

package processprobe

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
)

const (
	procRoot   = "/proc"
	cgroupRoot = "/sys/fs/cgroup"
)

// inodeOf returns the inode number of path: for a cgroup v2 directory,
// the cgroup id the kernel reports (bpf_get_current_cgroup_id).
func inodeOf(path string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	return st.Ino, nil
}

// bootOffset returns CLOCK_BOOTTIME - CLOCK_MONOTONIC in nanoseconds (the
// time spent suspended), taking the boottime reading between two monotonic
// ones.
func bootOffset() (int64, error) {
	var m1, b, m2 unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &m1); err != nil {
		return 0, fmt.Errorf("read CLOCK_MONOTONIC: %w", err)
	}
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &b); err != nil {
		return 0, fmt.Errorf("read CLOCK_BOOTTIME: %w", err)
	}
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &m2); err != nil {
		return 0, fmt.Errorf("read CLOCK_MONOTONIC: %w", err)
	}
	return b.Nano() - (m1.Nano()+m2.Nano())/2, nil
}

// filterConfig is struct otr_filter_config of bpfheaders/common.h.
type filterConfig struct {
	SelfTgid    uint32
	Flags       uint32
	WakeupBytes uint64
}

// loadSeedFilter reads the receiver's filter back from the shared maps.
// Without the maps (nil), everything passes.
func loadSeedFilter(maps map[string]*ebpf.Map, self uint32) (*seedFilter, error) {
	settings := maps[bpfheaders.MapFilterSettings]
	if settings == nil {
		return &seedFilter{self: self}, nil
	}
	f := &seedFilter{
		self: self, pids: map[uint32]uint8{}, comms: map[string]uint8{},
		uids: map[uint32]uint8{}, cgroups: map[uint64]uint8{},
	}
	var cfg filterConfig
	if err := settings.Lookup(uint32(0), &cfg); err != nil {
		return nil, fmt.Errorf("read %s: %w", bpfheaders.MapFilterSettings, err)
	}
	f.flags = cfg.Flags
	if cfg.SelfTgid != 0 {
		f.self = cfg.SelfTgid
	}
	var errs []error
	if m := maps[bpfheaders.MapFilterPIDs]; m != nil {
		var k uint32
		var v uint8
		it := m.Iterate()
		for it.Next(&k, &v) {
			f.pids[k] = v
		}
		errs = append(errs, wrapIter(bpfheaders.MapFilterPIDs, it.Err()))
	}
	if m := maps[bpfheaders.MapFilterUIDs]; m != nil {
		var k uint32
		var v uint8
		it := m.Iterate()
		for it.Next(&k, &v) {
			f.uids[k] = v
		}
		errs = append(errs, wrapIter(bpfheaders.MapFilterUIDs, it.Err()))
	}
	if m := maps[bpfheaders.MapFilterCgroups]; m != nil {
		var k uint64
		var v uint8
		it := m.Iterate()
		for it.Next(&k, &v) {
			f.cgroups[k] = v
		}
		errs = append(errs, wrapIter(bpfheaders.MapFilterCgroups, it.Err()))
	}
	if m := maps[bpfheaders.MapFilterComms]; m != nil {
		var k [16]byte
		var v uint8
		it := m.Iterate()
		for it.Next(&k, &v) {
			f.comms[bpfheaders.CString(k[:])] = v
		}
		errs = append(errs, wrapIter(bpfheaders.MapFilterComms, it.Err()))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return f, nil
}

func wrapIter(name string, err error) error {
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	return nil
}

// seedRunning seeds the tracker with the processes running now.
func seedRunning(t *tracker, maps map[string]*ebpf.Map, self uint32) (seedStats, error) {
	filter, err := loadSeedFilter(maps, self)
	if err != nil {
		return seedStats{}, err
	}
	off, err := bootOffset()
	if err != nil {
		return seedStats{}, err
	}
	sc := newProcScanner(procRoot, cgroupRoot, inodeOf)
	procs, err := sc.scan(self)
	if err != nil {
		return seedStats{}, err
	}
	return t.seed(procs, filter, off, sc), nil
}

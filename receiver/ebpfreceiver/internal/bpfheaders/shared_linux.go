//go:build linux

package bpfheaders

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/cilium/ebpf"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/procfs"
)

// Values of the filter maps (common.h OTR_PID_*, OTR_MATCH_*, OTR_FILTER_*).
const (
	pidInclude   uint8 = 1
	pidExclude   uint8 = 2
	pidFollow    uint8 = 4
	matchInclude uint8 = 1
	matchExclude uint8 = 2

	flagIncludePIDs    uint32 = 1 << 0
	flagIncludeComms   uint32 = 1 << 1
	flagIncludeUIDs    uint32 = 1 << 2
	flagIncludeCgroups uint32 = 1 << 3
)

// SharedMaps are the maps common.h declares, created once by the receiver
// and passed to every probe (probe.Env.SharedMaps).
type SharedMaps struct {
	maps map[string]*ebpf.Map
}

// NewSharedMaps creates the shared maps and loads filter f into them.
func NewSharedMaps(f Filter) (*SharedMaps, error) {
	spec, err := loadShared()
	if err != nil {
		return nil, fmt.Errorf("load shared map specs: %w", err)
	}
	s := &SharedMaps{maps: map[string]*ebpf.Map{}}
	for _, name := range []string{MapFilterSettings, MapFilterPIDs, MapFilterComms, MapFilterUIDs, MapFilterCgroups, MapLossCounters} {
		ms, ok := spec.Maps[name]
		if !ok {
			s.Close()
			return nil, fmt.Errorf("shared map %s missing from shared.c", name)
		}
		m, err := ebpf.NewMap(ms)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("create shared map %s: %w", name, err)
		}
		s.maps[name] = m
	}
	if err := s.load(f); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Maps returns the maps keyed by their C name, for
// ebpf.CollectionOptions.MapReplacements.
func (s *SharedMaps) Maps() map[string]*ebpf.Map {
	out := make(map[string]*ebpf.Map, len(s.maps))
	for k, v := range s.maps {
		out[k] = v
	}
	return out
}

// Close closes every map.
func (s *SharedMaps) Close() error {
	var errs []error
	for name, m := range s.maps {
		if err := m.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", name, err))
		}
	}
	s.maps = map[string]*ebpf.Map{}
	return errors.Join(errs...)
}

// LossKey identifies one kernel loss counter.
type LossKey struct {
	Probe  uint32
	Reason uint32
}

// ReadLosses returns the non-zero kernel loss counters, summed over CPUs.
func (s *SharedMaps) ReadLosses() (map[LossKey]uint64, error) {
	m := s.maps[MapLossCounters]
	if m == nil {
		return nil, errors.New("loss counter map is closed")
	}
	out := map[LossKey]uint64{}
	var perCPU []uint64
	for key := uint32(0); key < probeMax*lossReasons; key++ {
		if err := m.Lookup(key, &perCPU); err != nil {
			return nil, fmt.Errorf("read loss counter %d: %w", key, err)
		}
		var sum uint64
		for _, v := range perCPU {
			sum += v
		}
		if sum > 0 {
			out[LossKey{Probe: key / lossReasons, Reason: key % lossReasons}] = sum
		}
	}
	return out, nil
}

// TrackPID adds pid to the followed process trees (as an included pid whose
// children are followed) at run time.
func (s *SharedMaps) TrackPID(pid uint32) error {
	if err := s.maps[MapFilterPIDs].Update(pid, pidInclude|pidFollow, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("add pid %d to %s: %w", pid, MapFilterPIDs, err)
	}
	return nil
}

func commKey(c string) [16]byte {
	var k [16]byte
	copy(k[:15], c)
	return k
}

func (s *SharedMaps) load(f Filter) error {
	var flags uint32
	pids := map[uint32]uint8{}
	follow := uint8(0)
	if f.FollowChildren {
		follow = pidFollow
	}
	for _, p := range f.PIDs {
		pids[p] |= pidInclude | follow
	}
	for _, p := range f.ExcludePIDs {
		pids[p] |= pidExclude | follow
	}
	if f.FollowChildren && len(pids) > 0 {
		// Processes already forked below a root belong to its tree too.
		for pid, v := range descendants(pids) {
			pids[pid] |= v
		}
	}
	if len(f.PIDs) > 0 {
		flags |= flagIncludePIDs
	}
	for p, v := range pids {
		if err := s.maps[MapFilterPIDs].Update(p, v, ebpf.UpdateAny); err != nil {
			return fmt.Errorf("fill %s: %w", MapFilterPIDs, err)
		}
	}
	put := func(name string, key any, v uint8) error {
		if err := s.maps[name].Update(key, v, ebpf.UpdateAny); err != nil {
			return fmt.Errorf("fill %s: %w", name, err)
		}
		return nil
	}
	for _, c := range f.Comms {
		flags |= flagIncludeComms
		if err := put(MapFilterComms, commKey(c), matchInclude); err != nil {
			return err
		}
	}
	for _, c := range f.ExcludeComms {
		if err := put(MapFilterComms, commKey(c), matchExclude); err != nil {
			return err
		}
	}
	for _, u := range f.UIDs {
		flags |= flagIncludeUIDs
		if err := put(MapFilterUIDs, u, matchInclude); err != nil {
			return err
		}
	}
	for _, u := range f.ExcludeUIDs {
		if err := put(MapFilterUIDs, u, matchExclude); err != nil {
			return err
		}
	}
	for _, c := range f.CgroupIDs {
		flags |= flagIncludeCgroups
		if err := put(MapFilterCgroups, c, matchInclude); err != nil {
			return err
		}
	}
	for _, c := range f.ExcludeCgroupIDs {
		if err := put(MapFilterCgroups, c, matchExclude); err != nil {
			return err
		}
	}
	cfg := sharedOtrFilterConfig{SelfTgid: f.SelfPID, Flags: flags, WakeupBytes: f.WakeupBytes}
	if err := s.maps[MapFilterSettings].Update(uint32(0), cfg, ebpf.UpdateAny); err != nil {
		return fmt.Errorf("fill %s: %w", MapFilterSettings, err)
	}
	return nil
}

// descendants scans /proc for the existing descendants of roots and returns
// them with the value of their root.
func descendants(roots map[uint32]uint8) map[uint32]uint8 {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	parent := map[uint32]uint32{}
	for _, e := range entries {
		pid, err := strconv.ParseUint(e.Name(), 10, 32)
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		st, err := procfs.ParseStat(raw) // comm may contain spaces and ')'
		if err != nil {
			continue
		}
		parent[uint32(pid)] = st.PPID
	}
	out := map[uint32]uint8{}
	for pid := range parent {
		// Walk up (bounded) until a root or pid 0.
		p := parent[pid]
		for depth := 0; p != 0 && depth < 64; depth++ {
			if v, ok := roots[p]; ok {
				if _, isRoot := roots[pid]; !isRoot {
					out[pid] = v
				}
				break
			}
			p = parent[p]
		}
	}
	return out
}

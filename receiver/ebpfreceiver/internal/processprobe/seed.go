package processprobe

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/procfs"
)

// Seeding: the processes already running when the probe starts are read
// from /proc into the tracker's table, so that what they run afterwards
// joins their trace (docs/events.md, "Process spans").

const (
	// userHZ is the unit of /proc/<pid>/stat's starttime (USER_HZ, 100 on
	// every Linux architecture Go supports).
	userHZ = 100
	// pfKthread is PF_KTHREAD in /proc/<pid>/stat's flags.
	pfKthread = 0x00200000
	// lossNotSeeded is the loss reason of running processes left out of the
	// table because seeding them would have filled more than half of it.
	lossNotSeeded = "not_seeded"
	// initComm is the comm of a service manager: its children start traces
	// of their own, like the children of pid 1.
	initComm = "systemd"
)

// seedProc is what /proc says about one running process.
type seedProc struct {
	pid, ppid, sid uint32
	comm           string
	state          byte
	flags          uint64
	// startBoot is the process's start, nanoseconds since boot
	// (CLOCK_BOOTTIME), at USER_HZ resolution.
	startBoot int64
	uid       uint32
	cgroupID  uint64
}

// seedStats says what seeding did.
type seedStats struct {
	// Scanned counts the processes read from /proc.
	Scanned int
	// Seeded counts the processes added to the table.
	Seeded int
	// Filtered counts the processes the configured filter drops.
	Filtered int
	// NotSeeded counts the processes left out by the table bound.
	NotSeeded int
}

// procScanner reads processes from a procfs.
type procScanner struct {
	// root is the procfs mount ("/proc").
	root string
	// cgroupRoot is the cgroup v2 mount ("/sys/fs/cgroup").
	cgroupRoot string
	// inode returns the inode number of a path (the cgroup v2 id of a
	// cgroup directory).
	inode func(path string) (uint64, error)

	cgroupIDs map[string]uint64
}

func newProcScanner(root, cgroupRoot string, inode func(string) (uint64, error)) *procScanner {
	return &procScanner{root: root, cgroupRoot: cgroupRoot, inode: inode, cgroupIDs: map[string]uint64{}}
}

// scan returns every process of the procfs that is not a kernel thread,
// a zombie, pid 1 or skip. A process that vanishes while being read is
// left out.
func (s *procScanner) scan(skip uint32) ([]seedProc, error) {
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return nil, fmt.Errorf("list running processes: %w", err)
	}
	out := make([]seedProc, 0, len(entries))
	for _, e := range entries {
		pid, err := strconv.ParseUint(e.Name(), 10, 32)
		if err != nil || pid <= 1 || uint32(pid) == skip {
			continue
		}
		p, err := s.read(uint32(pid))
		if err != nil {
			continue // exited meanwhile, or not readable
		}
		if p.flags&pfKthread != 0 || p.state == 'Z' || p.state == 'X' {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// read reads /proc/<pid>/stat, status and cgroup.
func (s *procScanner) read(pid uint32) (seedProc, error) {
	dir := filepath.Join(s.root, strconv.FormatUint(uint64(pid), 10))
	raw, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return seedProc{}, err
	}
	p, err := parseStat(raw)
	if err != nil {
		return seedProc{}, fmt.Errorf("%s/stat: %w", dir, err)
	}
	if raw, err = os.ReadFile(filepath.Join(dir, "status")); err == nil {
		p.uid = parseStatusUID(raw)
	}
	if raw, err = os.ReadFile(filepath.Join(dir, "cgroup")); err == nil {
		p.cgroupID = s.cgroupID(raw)
	}
	return p, nil
}

// parseStat parses /proc/<pid>/stat (procfs.ParseStat: comm may hold
// spaces and ')') into a seedProc.
func parseStat(raw []byte) (seedProc, error) {
	st, err := procfs.ParseStat(raw)
	return seedProc{
		pid: st.PID, ppid: st.PPID, sid: st.Session, comm: st.Comm, state: st.State, flags: st.Flags,
		startBoot: int64(st.StartTime) * (int64(time.Second) / userHZ),
	}, err
}

// parseStatusUID returns the real uid of /proc/<pid>/status ("Uid: real
// effective saved fs").
func parseStatusUID(raw []byte) uint32 {
	for line := range bytes.Lines(raw) {
		rest, ok := bytes.CutPrefix(line, []byte("Uid:"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) == 0 {
			return 0
		}
		v, _ := strconv.ParseUint(f[0], 10, 32)
		return uint32(v)
	}
	return 0
}

// cgroupID returns the cgroup v2 id of the "0::<path>" line of
// /proc/<pid>/cgroup (0 when there is none or it cannot be resolved).
func (s *procScanner) cgroupID(raw []byte) uint64 {
	for line := range bytes.Lines(raw) {
		rest, ok := bytes.CutPrefix(bytes.TrimRight(line, "\n"), []byte("0::"))
		if !ok {
			continue
		}
		path := string(rest)
		if id, ok := s.cgroupIDs[path]; ok {
			return id
		}
		id, err := s.inode(filepath.Join(s.cgroupRoot, path))
		if err != nil {
			id = 0
		}
		s.cgroupIDs[path] = id
		return id
	}
	return 0
}

// details returns the executable path (empty when unreadable) and the
// argv of pid bounded by maxArgs entries and maxBytes bytes.
func (s *procScanner) details(pid uint32, maxArgs, maxBytes int) (string, []string) {
	dir := filepath.Join(s.root, strconv.FormatUint(uint64(pid), 10))
	exe, _ := os.Readlink(filepath.Join(dir, "exe"))
	f, err := os.Open(filepath.Join(dir, "cmdline"))
	if err != nil {
		return exe, nil
	}
	defer f.Close()
	buf := make([]byte, maxBytes)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return exe, nil
	}
	buf = bytes.TrimSuffix(buf[:n], []byte{0})
	if len(buf) == 0 {
		return exe, nil
	}
	var args []string
	for arg := range bytes.SplitSeq(buf, []byte{0}) {
		if len(args) == maxArgs {
			break
		}
		args = append(args, string(arg))
	}
	return exe, args
}

// seedName is the span name of a seeded process: the executable's base
// name when the comm is (a prefix of) it, else the comm (a process that
// renamed itself, or an interpreter: /usr/bin/dash runs as "sh").
func seedName(comm, exe string) string {
	if exe != "" {
		base := filepath.Base(strings.TrimSuffix(exe, " (deleted)"))
		if comm != "" && strings.HasPrefix(base, comm) {
			return base
		}
	}
	if comm == "" {
		return filepath.Base(exe)
	}
	return comm
}

// seedFilter is the user-space twin of the kernel's otr_filter_pass_ids
// (bpfheaders/common.h), evaluated once per process at seeding.
type seedFilter struct {
	self    uint32
	flags   uint32
	pids    map[uint32]uint8
	comms   map[string]uint8
	uids    map[uint32]uint8
	cgroups map[uint64]uint8
}

// Values of the filter maps (bpfheaders/common.h OTR_PID_*, OTR_MATCH_*,
// OTR_FILTER_INCLUDE_*).
const (
	filterPIDInclude     = 1
	filterPIDExclude     = 2
	filterMatchInclude   = 1
	filterMatchExclude   = 2
	filterIncludePIDs    = 1 << 0
	filterIncludeComms   = 1 << 1
	filterIncludeUIDs    = 1 << 2
	filterIncludeCgroups = 1 << 3
	filterCommLen        = 15
)

// pass reports whether the kernel filter lets p's events through. A nil
// filter passes everything.
func (f *seedFilter) pass(p *seedProc) bool {
	if f == nil {
		return true
	}
	if p.pid == f.self {
		return false
	}
	comm := p.comm
	if len(comm) > filterCommLen {
		comm = comm[:filterCommLen]
	}
	pv := f.pids[p.pid]
	uv, cv, mv := f.uids[p.uid], f.cgroups[p.cgroupID], f.comms[comm]
	if pv&filterPIDExclude != 0 || uv == filterMatchExclude || cv == filterMatchExclude || mv == filterMatchExclude {
		return false
	}
	switch {
	case f.flags&filterIncludePIDs != 0 && pv&filterPIDInclude == 0,
		f.flags&filterIncludeUIDs != 0 && uv != filterMatchInclude,
		f.flags&filterIncludeCgroups != 0 && cv != filterMatchInclude,
		f.flags&filterIncludeComms != 0 && mv != filterMatchInclude:
		return false
	}
	return true
}

// seed adds the running processes procs to the table (see the package's
// docs/events.md section "Process spans" for the rules): filter drops
// what the kernel filter would, at most half of max_tracked_processes are
// seeded (the most recently started), trace roots are the processes whose
// parent is not seeded, session leaders and children of a service manager.
// bootOffset is CLOCK_BOOTTIME - CLOCK_MONOTONIC in nanoseconds.
func (t *tracker) seed(procs []seedProc, filter *seedFilter, bootOffset int64, scanner *procScanner) seedStats {
	st := seedStats{Scanned: len(procs)}
	if !t.cfg.Spans {
		return st
	}
	kept := make([]*seedProc, 0, len(procs))
	for i := range procs {
		if filter.pass(&procs[i]) {
			kept = append(kept, &procs[i])
		} else {
			st.Filtered++
		}
	}
	// Oldest first: parents before children, and the LRU's back holds the
	// oldest.
	slices.SortStableFunc(kept, func(a, b *seedProc) int {
		if a.startBoot != b.startBoot {
			return cmp.Compare(a.startBoot, b.startBoot)
		}
		return cmp.Compare(a.pid, b.pid)
	})
	t.mu.Lock()
	defer t.mu.Unlock()
	limit := max(1, t.cfg.MaxTrackedProcesses/2) - len(t.procs)
	if limit < 0 {
		limit = 0
	}
	if len(kept) > limit {
		st.NotSeeded = len(kept) - limit
		kept = kept[st.NotSeeded:]
		t.sink.Lost(probeName, lossNotSeeded, int64(st.NotSeeded))
	}
	byPID := make(map[uint32]*seedProc, len(kept))
	for _, p := range kept {
		byPID[p.pid] = p
	}
	var add func(p *seedProc, depth int)
	add = func(p *seedProc, depth int) {
		if _, done := t.procs[p.pid]; done {
			return
		}
		parent := byPID[p.ppid]
		root := parent == nil || p.sid == p.pid || parent.comm == initComm || depth > 4096
		if !root {
			add(parent, depth+1) // started in the same tick, or a pid wrap
		}
		exe, args := scanner.details(p.pid, t.cfg.MaxArgs, t.cfg.MaxArgsBytes)
		ps := &procState{
			pid: p.pid, ppid: p.ppid, start: t.wallOfBoot(p.startBoot, bootOffset),
			execd: true, seeded: true,
			name: seedName(p.comm, exe), path: exe, args: args,
			uid: p.uid, owner: t.owner(p.uid), cgroupID: p.cgroupID,
			traceID: newTraceID(), spanID: newSpanID(),
		}
		if pp := t.procs[p.ppid]; !root && pp != nil {
			ps.traceID, ps.parent = pp.traceID, pp.spanID
		}
		ps.elem = t.lru.PushFront(ps)
		t.procs[p.pid] = ps
		st.Seeded++
	}
	for _, p := range kept {
		add(p, 0)
	}
	return st
}

// wallOfBoot converts nanoseconds since boot (CLOCK_BOOTTIME) to wall time
// through the receiver's clock (CLOCK_MONOTONIC based).
func (t *tracker) wallOfBoot(bootNs, bootOffset int64) time.Time {
	mono := bootNs - bootOffset
	if mono >= 0 {
		return t.clock.Wall(uint64(mono))
	}
	// Started before a suspend longer than its uptime then: before the
	// monotonic clock's zero.
	return t.clock.Wall(0).Add(time.Duration(mono))
}

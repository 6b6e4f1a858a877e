package processprobe

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// fakeProc is one process of a fake procfs.
type fakeProc struct {
	pid, ppid, sid uint32
	comm           string
	state          string
	flags          uint64
	startTicks     uint64
	uid            uint32
	cgroup         string
	exe            string
	cmdline        []string
}

// fakeProcfs writes procs as /proc/<pid>/{stat,status,cgroup,exe,cmdline}
// under a temporary directory and returns its path.
func fakeProcfs(t testing.TB, procs []fakeProc) string {
	t.Helper()
	root := t.TempDir()
	for _, p := range procs {
		dir := filepath.Join(root, strconv.FormatUint(uint64(p.pid), 10))
		require.NoError(t, os.MkdirAll(dir, 0o755))
		state := p.state
		if state == "" {
			state = "S"
		}
		// Fields 3..22 then a few more, as the kernel writes them.
		stat := fmt.Sprintf("%d (%s) %s %d %d %d 0 -1 %d 10 0 0 0 1 2 0 0 20 0 1 0 %d 1000 200 18446744073709551615 0 0 0\n",
			p.pid, p.comm, state, p.ppid, p.sid, p.sid, p.flags, p.startTicks)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644))
		status := fmt.Sprintf("Name:\t%s\nUmask:\t0022\nUid:\t%d\t%d\t%d\t%d\nGid:\t0\t0\t0\t0\n", p.comm, p.uid, p.uid+1, p.uid, p.uid)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "status"), []byte(status), 0o644))
		if p.cgroup != "" {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "cgroup"), []byte("0::"+p.cgroup+"\n"), 0o644))
		}
		if p.exe != "" {
			require.NoError(t, os.Symlink(p.exe, filepath.Join(dir, "exe")))
		}
		var cmd []byte
		for _, a := range p.cmdline {
			cmd = append(cmd, a...)
			cmd = append(cmd, 0)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, "cmdline"), cmd, 0o644))
	}
	// Not a process.
	require.NoError(t, os.WriteFile(filepath.Join(root, "uptime"), []byte("1 1\n"), 0o644))
	return root
}

// fakeInode resolves the fake hosts' cgroup directories.
func fakeInode(path string) (uint64, error) {
	switch {
	case strings.HasSuffix(path, "/cg/root"):
		return 10, nil
	case strings.HasSuffix(path, "/cg/user.slice/session-1.scope"):
		return 4242, nil
	}
	return 0, os.ErrNotExist
}

// machine is a small host: sshd → bash (session leader) → agent → tool,
// an idle daemon, a user manager (systemd) with a service, a zombie, a
// kernel thread, pid 1 and the collector itself (pid 900).
func machine() []fakeProc {
	return []fakeProc{
		{pid: 1, ppid: 0, sid: 1, comm: "systemd", startTicks: 1, exe: "/usr/lib/systemd/systemd", cmdline: []string{"/sbin/init"}},
		{pid: 2, ppid: 0, sid: 0, comm: "kthreadd", flags: pfKthread, startTicks: 1},
		{pid: 50, ppid: 2, sid: 0, comm: "kworker/0:1", flags: pfKthread | 0x40, startTicks: 2},
		{pid: 100, ppid: 1, sid: 100, comm: "sshd", startTicks: 300, exe: "/usr/sbin/sshd", cmdline: []string{"sshd: /usr/sbin/sshd -D"}, cgroup: "/cg/root"},
		{pid: 200, ppid: 100, sid: 200, comm: "bash", startTicks: 500, uid: 1000, exe: "/usr/bin/bash", cmdline: []string{"-bash"}, cgroup: "/cg/user.slice/session-1.scope"},
		{pid: 300, ppid: 200, sid: 200, comm: "node", startTicks: 600, uid: 1000, exe: "/usr/bin/node", cmdline: []string{"node", "agent.js", "--model", "x"}, cgroup: "/cg/user.slice/session-1.scope"},
		{pid: 400, ppid: 300, sid: 200, comm: "sh", startTicks: 700, uid: 1000, exe: "/usr/bin/dash", cmdline: []string{"/bin/sh", "-c", "make test"}, cgroup: "/cg/user.slice/session-1.scope"},
		{pid: 500, ppid: 1, sid: 500, comm: "cron", startTicks: 310, exe: "/usr/sbin/cron", cmdline: []string{"/usr/sbin/cron", "-f"}, cgroup: "/cg/root"},
		{pid: 600, ppid: 1, sid: 600, comm: "systemd", startTicks: 400, uid: 1000, exe: "/usr/lib/systemd/systemd", cmdline: []string{"/usr/lib/systemd/systemd", "--user"}},
		{pid: 700, ppid: 600, sid: 600, comm: "pipewire", startTicks: 410, uid: 1000, exe: "/usr/bin/pipewire", cmdline: []string{"/usr/bin/pipewire"}},
		{pid: 800, ppid: 300, sid: 200, comm: "defunct", state: "Z", startTicks: 650, uid: 1000},
		{pid: 900, ppid: 200, sid: 200, comm: "otelcol-trace", startTicks: 660, exe: "/usr/bin/otelcol-trace"},
	}
}

// seedBootOffset is CLOCK_BOOTTIME - CLOCK_MONOTONIC of the fake host (1 s
// suspended): a tick t is at monotonic t*10ms - 1s.
const seedBootOffset = int64(time.Second)

func seededTracker(t testing.TB, cfg Config, procs []fakeProc, filter *seedFilter) (*tracker, *recordingSink, seedStats) {
	t.Helper()
	sink := &recordingSink{}
	tr := newTracker(cfg, fixedClock{}, sink)
	sc := newProcScanner(fakeProcfs(t, procs), "/sys/fs/cgroup", fakeInode)
	list, err := sc.scan(900)
	require.NoError(t, err)
	return tr, sink, tr.seed(list, filter, seedBootOffset, sc)
}

func tickWall(ticks uint64) time.Time {
	return fixedClock{}.Wall(0).Add(time.Duration(int64(ticks)*int64(10*time.Millisecond) - seedBootOffset))
}

func TestParseStat(t *testing.T) {
	p, err := parseStat([]byte("4242 (a (b) c) R 17 4242 4200 0 -1 4194560 10 0 0 0 1 2 0 0 20 0 3 0 123456 1000 200 1 2 3\n"))
	require.NoError(t, err)
	assert.Equal(t, uint32(4242), p.pid)
	assert.Equal(t, "a (b) c", p.comm, "comm with spaces and parentheses")
	assert.Equal(t, byte('R'), p.state)
	assert.Equal(t, uint32(17), p.ppid)
	assert.Equal(t, uint32(4200), p.sid)
	assert.Equal(t, uint64(4194560), p.flags)
	assert.Equal(t, int64(123456)*int64(10*time.Millisecond), p.startBoot)

	for _, bad := range []string{"", "12 no comm", "x (c) S 1 2 3", "5 (c) S 1 2 3 4", "5 (c) S x 1 1 0 -1 0 0 0 0 0 0 0 0 0 0 0 1 0 1 1 1"} {
		_, err := parseStat([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}

func TestScanSkipsKernelThreadsZombiesInitAndSelf(t *testing.T) {
	sc := newProcScanner(fakeProcfs(t, machine()), "/sys/fs/cgroup", fakeInode)
	list, err := sc.scan(900)
	require.NoError(t, err)
	var pids []uint32
	for _, p := range list {
		pids = append(pids, p.pid)
	}
	assert.ElementsMatch(t, []uint32{100, 200, 300, 400, 500, 600, 700}, pids)
	for _, p := range list {
		if p.pid == 300 {
			assert.Equal(t, uint32(1000), p.uid, "real uid from status")
			assert.Equal(t, uint64(4242), p.cgroupID)
		}
	}
	_, err = newProcScanner(filepath.Join(t.TempDir(), "missing"), "", fakeInode).scan(0)
	require.ErrorContains(t, err, "list running processes")
}

func TestSeedTraceRoots(t *testing.T) {
	tr, sink, st := seededTracker(t, DefaultConfig(), machine(), nil)
	assert.Equal(t, seedStats{Scanned: 7, Seeded: 7}, st)
	require.Len(t, tr.procs, 7)
	assert.Empty(t, sink.spans, "seeding emits nothing")
	assert.Empty(t, sink.logs)
	sshd, bash, agent, tool := tr.procs[100], tr.procs[200], tr.procs[300], tr.procs[400]
	cron, user, pw := tr.procs[500], tr.procs[600], tr.procs[700]

	// Roots: children of pid 1, session leaders, children of a service
	// manager.
	for _, root := range []*procState{sshd, bash, cron, user, pw} {
		assert.True(t, root.parent.IsEmpty(), "pid %d is a trace root", root.pid)
	}
	assert.NotEqual(t, sshd.traceID, bash.traceID, "a login session is a trace of its own")
	assert.NotEqual(t, user.traceID, pw.traceID, "a user service is a trace of its own")
	// The session is one trace.
	assert.Equal(t, bash.spanID, agent.parent)
	assert.Equal(t, bash.traceID, agent.traceID)
	assert.Equal(t, agent.spanID, tool.parent)
	assert.Equal(t, bash.traceID, tool.traceID)

	// What /proc says.
	assert.True(t, tickWall(600).Equal(agent.start), "start %s, want %s", agent.start, tickWall(600))
	assert.Equal(t, "node", agent.name)
	assert.Equal(t, "/usr/bin/node", agent.path)
	assert.Equal(t, []string{"node", "agent.js", "--model", "x"}, agent.args)
	assert.Equal(t, uint32(1000), agent.uid)
	assert.Equal(t, uint64(4242), agent.cgroupID)
	assert.Equal(t, "sh", tool.name, "comm, not the interpreter's file name")
	assert.Equal(t, "systemd", user.name)
}

func TestSeededProcessesInLaterTrees(t *testing.T) {
	tr, sink, _ := seededTracker(t, DefaultConfig(), machine(), nil)
	tool := tr.procs[400]
	// The tool (seeded) forks make, which execs and exits.
	require.NoError(t, tr.handle(rawFork(1000, 400, 3_000_000_000)))
	require.NoError(t, tr.handle(rawExec(1000, 400, "/usr/bin/make", []string{"make", "test"}, 0, 0)))
	require.NoError(t, tr.handle(rawExit(1000, 400, 4_000_000_000, 0)))
	_, mk := spanOf(t, sink, 1000)
	assert.Equal(t, tool.spanID, mk.ParentSpanID(), "child of the seeded parent's span")
	assert.Equal(t, tool.traceID, mk.TraceID(), "in the seeded parent's trace")

	// A seeded idle daemon that exits gets its span, from its real start.
	require.NoError(t, tr.handle(rawExit(500, 1, 5_000_000_000, 0)))
	_, cron := spanOf(t, sink, 500)
	assert.True(t, tickWall(310).Equal(cron.StartTimestamp().AsTime()))
	assert.True(t, fixedClock{}.Wall(5_000_000_000).Equal(cron.EndTimestamp().AsTime()))
	assert.True(t, cron.ParentSpanID().IsEmpty())
	assert.Equal(t, "cron", cron.Name())

	// Shutdown: the session's chain (tool, agent, bash) had a traced
	// descendant; sshd (above the session's root), the user manager and
	// its service stayed idle: no span.
	tr.shutdown()
	ended := map[int64]ptrace.Span{}
	for i := 0; i < sink.spans.Len(); i++ {
		rs := sink.spans.At(i)
		sp := rs.ScopeSpans().At(0).Spans().At(0)
		if v, ok := sp.Attributes().Get(attrEndedBySutdown); ok && v.Bool() {
			pid, _ := rs.Resource().Attributes().Get(attrPID)
			ended[pid.Int()] = sp
		}
	}
	require.Len(t, ended, 3, "only the active seeded processes: %v", keys(ended))
	for _, pid := range []int64{200, 300, 400} {
		require.Contains(t, ended, pid)
	}
	assert.True(t, tickWall(500).Equal(ended[200].StartTimestamp().AsTime()), "bash starts at its /proc start time")
	assert.Equal(t, ended[200].SpanID(), ended[300].ParentSpanID())
	assert.Equal(t, ended[300].SpanID(), ended[400].ParentSpanID())
	assert.Equal(t, shutdownDescription, ended[400].Status().Message())
}

func keys[V any](m map[int64]V) []int64 {
	var out []int64
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestSeededForkRace(t *testing.T) {
	tr, sink, _ := seededTracker(t, DefaultConfig(), machine(), nil)
	tool := tr.procs[400]
	// The fork of the tool, read from the ring after seeding: same start
	// (within the 10 ms tick) → the seeded entry stays, with its span id.
	forkNs := uint64(tickWall(700).Add(4 * time.Millisecond).Sub(fixedClock{}.Wall(0)))
	require.NoError(t, tr.handle(rawFork(400, 300, forkNs)))
	assert.Same(t, tool, tr.procs[400])
	assert.Equal(t, 1, sink.logs.Len(), "the fork record is still emitted")
	// A fork with another start: the pid was reused.
	require.NoError(t, tr.handle(rawFork(400, 300, forkNs+uint64(time.Second))))
	assert.NotSame(t, tool, tr.procs[400])
	assert.False(t, tr.procs[400].seeded)
	assert.Equal(t, tr.procs[300].spanID, tr.procs[400].parent)
}

func TestSeededExecIsActivity(t *testing.T) {
	tr, sink, _ := seededTracker(t, DefaultConfig(), machine(), nil)
	// The user manager's service execs something else: it and the
	// service's root are active; the start stays the /proc one.
	require.NoError(t, tr.handle(rawExec(700, 600, "/usr/bin/wireplumber", []string{"wireplumber"}, 0, 0)))
	tr.shutdown()
	require.Equal(t, 1, sink.spans.Len())
	res, sp := spanOf(t, sink, 700)
	assert.Equal(t, "wireplumber", sp.Name())
	assert.True(t, tickWall(410).Equal(sp.StartTimestamp().AsTime()), "start is the process start, not the exec")
	v, _ := res.Attributes().Get(attrExePath)
	assert.Equal(t, "/usr/bin/wireplumber", v.Str())
}

func TestSeedFilter(t *testing.T) {
	// pids: [300] with follow_children (its descendants are in the map),
	// exclude_pids: [200].
	filter := &seedFilter{
		self: 900, flags: filterIncludePIDs,
		pids:  map[uint32]uint8{300: filterPIDInclude | 4, 400: filterPIDInclude | 4, 200: filterPIDExclude},
		comms: map[string]uint8{}, uids: map[uint32]uint8{}, cgroups: map[uint64]uint8{},
	}
	tr, _, st := seededTracker(t, DefaultConfig(), machine(), filter)
	assert.Equal(t, seedStats{Scanned: 7, Seeded: 2, Filtered: 5}, st)
	require.Len(t, tr.procs, 2)
	assert.True(t, tr.procs[300].parent.IsEmpty(), "its parent is filtered out: a root")
	assert.Equal(t, tr.procs[300].spanID, tr.procs[400].parent)

	cases := []struct {
		name string
		f    seedFilter
		p    seedProc
		want bool
	}{
		{"no filter", seedFilter{}, seedProc{pid: 5}, true},
		{"self", seedFilter{self: 5}, seedProc{pid: 5}, false},
		{"excluded uid", seedFilter{uids: map[uint32]uint8{7: filterMatchExclude}}, seedProc{pid: 5, uid: 7}, false},
		{"excluded cgroup", seedFilter{cgroups: map[uint64]uint8{9: filterMatchExclude}}, seedProc{pid: 5, cgroupID: 9}, false},
		{"excluded comm", seedFilter{comms: map[string]uint8{"sshd": filterMatchExclude}}, seedProc{pid: 5, comm: "sshd"}, false},
		{"included comm, cut to 15 bytes", seedFilter{flags: filterIncludeComms, comms: map[string]uint8{"abcdefghijklmno": filterMatchInclude}}, seedProc{pid: 5, comm: "abcdefghijklmnopq"}, true},
		{"comm not included", seedFilter{flags: filterIncludeComms, comms: map[string]uint8{"curl": filterMatchInclude}}, seedProc{pid: 5, comm: "wget"}, false},
		{"uid not included", seedFilter{flags: filterIncludeUIDs, uids: map[uint32]uint8{0: filterMatchInclude}}, seedProc{pid: 5, uid: 1}, false},
		{"uid and cgroup included", seedFilter{flags: filterIncludeUIDs | filterIncludeCgroups, uids: map[uint32]uint8{1: filterMatchInclude}, cgroups: map[uint64]uint8{3: filterMatchInclude}}, seedProc{pid: 5, uid: 1, cgroupID: 3}, true},
		{"cgroup not included", seedFilter{flags: filterIncludeCgroups, cgroups: map[uint64]uint8{3: filterMatchInclude}}, seedProc{pid: 5, cgroupID: 4}, false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.f.pass(&c.p), c.name)
	}
}

func TestSeedBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxTrackedProcesses = 6 // seeds at most 3, the newest
	tr, sink, st := seededTracker(t, cfg, machine(), nil)
	assert.Equal(t, seedStats{Scanned: 7, Seeded: 3, NotSeeded: 4}, st)
	assert.Equal(t, int64(4), sink.lost[lossNotSeeded])
	for _, pid := range []uint32{200, 300, 400} {
		assert.Contains(t, tr.procs, pid)
	}
	// Half the table is left for the processes started later: no
	// eviction for the next three.
	for pid := uint32(1001); pid <= 1003; pid++ {
		require.NoError(t, tr.handle(rawFork(pid, 400, 1)))
	}
	assert.Zero(t, sink.lost["evicted"])
	// The oldest seeded process is evicted first.
	require.NoError(t, tr.handle(rawFork(1004, 1, 1)))
	assert.Equal(t, int64(1), sink.lost["evicted"])
	assert.NotContains(t, tr.procs, uint32(200))
}

func TestSeedSpansOff(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Spans = false
	tr, _, st := seededTracker(t, cfg, machine(), nil)
	assert.Zero(t, st.Seeded)
	assert.Empty(t, tr.procs)
}

func TestSeedName(t *testing.T) {
	assert.Equal(t, "systemd-journald", seedName("systemd-journal", "/usr/lib/systemd/systemd-journald"))
	assert.Equal(t, "sh", seedName("sh", "/usr/bin/dash"))
	assert.Equal(t, "app", seedName("app", "/opt/app (deleted)"))
	assert.Equal(t, "worker", seedName("worker", ""))
	assert.Equal(t, "dash", seedName("", "/usr/bin/dash"))
}

func TestSeedDetailsBounded(t *testing.T) {
	root := fakeProcfs(t, []fakeProc{{pid: 10, ppid: 1, sid: 10, comm: "x", exe: "/bin/x", cmdline: []string{"x", "aaaa", "bbbb", "cccc"}}})
	sc := newProcScanner(root, "/sys/fs/cgroup", fakeInode)
	exe, args := sc.details(10, 2, 100)
	assert.Equal(t, "/bin/x", exe)
	assert.Equal(t, []string{"x", "aaaa"}, args, "at most max_args")
	_, args = sc.details(10, 64, 8)
	assert.Equal(t, []string{"x", "aaaa", "b"}, args, "at most max_args_bytes")
	exe, args = sc.details(11, 64, 8)
	assert.Empty(t, exe)
	assert.Nil(t, args)
}

// BenchmarkSeedFakeProcfs: scan a procfs of 1000 processes (100 sessions
// of 10) written under a temporary directory and seed them (no filter).
func BenchmarkSeedFakeProcfs(b *testing.B) {
	const n = 1000
	procs := make([]fakeProc, 0, n)
	for i := range uint32(n) {
		pid := 1000 + i
		ppid, sid := pid-1, pid-i%10
		if i%10 == 0 {
			ppid = 1
		}
		procs = append(procs, fakeProc{
			pid: pid, ppid: ppid, sid: sid, comm: "worker", startTicks: uint64(100 + i), uid: 1000,
			cgroup: "/cg/user.slice/session-1.scope", exe: "/usr/bin/worker", cmdline: []string{"worker", "--id", strconv.Itoa(int(i))},
		})
	}
	root := fakeProcfs(b, procs)
	b.ReportAllocs()
	for b.Loop() {
		tr := newTracker(DefaultConfig(), fixedClock{}, newBenchSink())
		sc := newProcScanner(root, "/sys/fs/cgroup", fakeInode)
		list, err := sc.scan(0)
		if err != nil {
			b.Fatal(err)
		}
		if st := tr.seed(list, nil, seedBootOffset, sc); st.Seeded != n {
			b.Fatalf("seeded %d, want %d", st.Seeded, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/process")
}

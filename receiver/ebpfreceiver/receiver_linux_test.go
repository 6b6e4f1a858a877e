//go:build linux

package ebpfreceiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for eBPF: loading tp_btf programs needs CAP_BPF and CAP_PERFMON")
	}
}

// heldTree is a shell that waits for a line on stdin before running script,
// so the receiver can be started with a filter on its pid first.
type heldTree struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	pid   int
}

func holdTree(t *testing.T, script string) *heldTree {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", "read go; "+script)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return &heldTree{cmd: cmd, stdin: stdin, pid: cmd.Process.Pid}
}

func (h *heldTree) release(t *testing.T) {
	t.Helper()
	_, err := io.WriteString(h.stdin, "go\n")
	require.NoError(t, err)
}

type started struct {
	rcv    *ebpfReceiver
	logs   *consumertest.LogsSink
	traces *consumertest.TracesSink
}

func startReceiver(t *testing.T, cfg *Config) *started {
	t.Helper()
	return startReceiverWith(t, cfg, receivertest.NewNopSettings(componentType()))
}

func startReceiverWith(t *testing.T, cfg *Config, set receiver.Settings) *started {
	t.Helper()
	f := NewFactory()
	set.ID = component.NewID(componentType())
	logs := new(consumertest.LogsSink)
	traces := new(consumertest.TracesSink)
	lr, err := f.CreateLogs(context.Background(), set, cfg, logs)
	require.NoError(t, err)
	tr, err := f.CreateTraces(context.Background(), set, cfg, traces)
	require.NoError(t, err)
	require.Same(t, lr, tr, "logs and traces share one receiver")
	require.NoError(t, lr.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, tr.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { _ = lr.Shutdown(context.Background()) })
	return &started{rcv: lr.(*ebpfReceiver), logs: logs, traces: traces}
}

func treeConfig(pid int) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Filters.PIDs = []int{pid}
	cfg.Filters.FollowChildren = true
	cfg.FlushInterval = 20 * time.Millisecond
	cfg.RingBuffer.PollInterval = 10 * time.Millisecond
	return cfg
}

func allRecords(sink *consumertest.LogsSink) []plog.LogRecord {
	var out []plog.LogRecord
	for _, ld := range sink.AllLogs() {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			sls := ld.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					out = append(out, lrs.At(k))
				}
			}
		}
	}
	return out
}

type spanWithResource struct {
	res  pcommon.Resource
	span ptrace.Span
}

func allSpans(sink *consumertest.TracesSink) []spanWithResource {
	var out []spanWithResource
	for _, td := range sink.AllTraces() {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			rs := td.ResourceSpans().At(i)
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				ss := rs.ScopeSpans().At(j).Spans()
				for k := 0; k < ss.Len(); k++ {
					out = append(out, spanWithResource{rs.Resource(), ss.At(k)})
				}
			}
		}
	}
	return out
}

func intAttr(m pcommon.Map, k string) int64 {
	v, ok := m.Get(k)
	if !ok {
		return -1
	}
	return v.Int()
}

func strAttr(m pcommon.Map, k string) string {
	v, ok := m.Get(k)
	if !ok {
		return ""
	}
	return v.Str()
}

func argsAttr(m pcommon.Map) []string {
	v, ok := m.Get("process.command_args")
	if !ok {
		return nil
	}
	var out []string
	for i := 0; i < v.Slice().Len(); i++ {
		out = append(out, v.Slice().At(i).Str())
	}
	return out
}

func findRecords(recs []plog.LogRecord, event string, match func(plog.LogRecord) bool) []plog.LogRecord {
	var out []plog.LogRecord
	for _, r := range recs {
		if r.EventName() == event && (match == nil || match(r)) {
			out = append(out, r)
		}
	}
	return out
}

func TestProcessEventsAndSpans(t *testing.T) {
	requireRoot(t)
	// H: read; fork C1 = sh -c '/bin/true a b; exit 3' (which forks C2 =
	// /bin/true a b); fork C3 = sh -c 'exec /bin/true c d' (same pid execs
	// twice); exit 0.
	h := holdTree(t, `/bin/sh -c '/bin/true a b; exit 3'; /bin/sh -c 'exec /bin/true c d'; exit 0`)
	st := startReceiver(t, treeConfig(h.pid))
	before := time.Now()
	h.release(t)
	require.NoError(t, h.cmd.Wait())
	after := time.Now()

	// Wait until H's own exit is seen: everything of its tree came before.
	require.Eventually(t, func() bool {
		return len(findRecords(allRecords(st.logs), "process.exit", func(r plog.LogRecord) bool {
			return intAttr(r.Attributes(), "process.pid") == int64(h.pid)
		})) == 1
	}, 10*time.Second, 10*time.Millisecond, "exit of the held shell never arrived")
	recs := allRecords(st.logs)

	// C2: /bin/true a b, child of C1.
	execAB := findRecords(recs, "process.exec", func(r plog.LogRecord) bool {
		return assert.ObjectsAreEqual([]string{"/bin/true", "a", "b"}, argsAttr(r.Attributes()))
	})
	require.Len(t, execAB, 1, "exactly one exec of /bin/true a b")
	a := execAB[0].Attributes()
	assert.Equal(t, "/bin/true", strAttr(a, "process.executable.path"))
	assert.Equal(t, "true", strAttr(a, "process.executable.name"))
	assert.Equal(t, int64(0), intAttr(a, "process.user.id"))
	assert.Equal(t, "root", strAttr(a, "process.owner"))
	assert.Positive(t, intAttr(a, "linux.cgroup.id"))
	assert.Positive(t, intAttr(a, "linux.namespace.pid"))
	assert.Positive(t, intAttr(a, "linux.namespace.mnt"))
	_, cut := a.Get("process.command_args.truncated")
	assert.False(t, cut)
	c2 := intAttr(a, "process.pid")
	c1 := intAttr(a, "process.parent_pid")
	assert.NotEqual(t, int64(h.pid), c1)
	ts := execAB[0].Timestamp().AsTime()
	// Kernel monotonic time converted to wall time: the exec happened
	// between the release and the shell's exit (1 ms for rounding).
	assert.False(t, ts.Before(before.Add(-time.Millisecond)), "exec at %s before the release at %s", ts, before)
	assert.False(t, ts.After(after.Add(time.Millisecond)), "exec at %s after the tree exited at %s", ts, after)
	created, err := time.Parse(time.RFC3339Nano, strAttr(a, "process.creation.time"))
	require.NoError(t, err)
	assert.False(t, created.After(ts), "created before exec")

	// C1's exec (sh -c ...), its parent is H; C1 exits with 3.
	execC1 := findRecords(recs, "process.exec", func(r plog.LogRecord) bool { return intAttr(r.Attributes(), "process.pid") == c1 })
	require.Len(t, execC1, 1)
	assert.Equal(t, int64(h.pid), intAttr(execC1[0].Attributes(), "process.parent_pid"))
	assert.Equal(t, []string{"/bin/sh", "-c", "/bin/true a b; exit 3"}, argsAttr(execC1[0].Attributes()))
	exitC1 := findRecords(recs, "process.exit", func(r plog.LogRecord) bool { return intAttr(r.Attributes(), "process.pid") == c1 })
	require.Len(t, exitC1, 1)
	assert.Equal(t, int64(3), intAttr(exitC1[0].Attributes(), "process.exit.code"))
	assert.Equal(t, plog.SeverityNumberWarn, exitC1[0].SeverityNumber())
	exitC2 := findRecords(recs, "process.exit", func(r plog.LogRecord) bool { return intAttr(r.Attributes(), "process.pid") == c2 })
	require.Len(t, exitC2, 1)
	assert.Equal(t, int64(0), intAttr(exitC2[0].Attributes(), "process.exit.code"))
	assert.Equal(t, c1, intAttr(exitC2[0].Attributes(), "process.parent_pid"))
	forkC2 := findRecords(recs, "process.fork", func(r plog.LogRecord) bool { return intAttr(r.Attributes(), "process.pid") == c2 })
	require.Len(t, forkC2, 1)
	assert.Equal(t, c1, intAttr(forkC2[0].Attributes(), "process.parent_pid"))

	// C3: sh, then exec of /bin/true c d in the same pid.
	execCD := findRecords(recs, "process.exec", func(r plog.LogRecord) bool {
		return assert.ObjectsAreEqual([]string{"/bin/true", "c", "d"}, argsAttr(r.Attributes()))
	})
	require.Len(t, execCD, 1)
	c3 := intAttr(execCD[0].Attributes(), "process.pid")
	execC3 := findRecords(recs, "process.exec", func(r plog.LogRecord) bool { return intAttr(r.Attributes(), "process.pid") == c3 })
	require.Len(t, execC3, 2, "sh and then true, same pid")
	assert.Equal(t, []string{"/bin/sh", "-c", "exec /bin/true c d"}, argsAttr(execC3[0].Attributes()))

	// Only H's tree; never the test process itself.
	tree := map[int64]bool{int64(h.pid): true, c1: true, c2: true, c3: true}
	for _, r := range recs {
		pid := intAttr(r.Attributes(), "process.pid")
		assert.True(t, tree[pid], "record %s of pid %d outside the followed tree", r.EventName(), pid)
		assert.NotEqual(t, int64(os.Getpid()), pid)
	}
	// Resource of records.
	rl := st.logs.AllLogs()[0].ResourceLogs().At(0).Resource().Attributes()
	assert.Equal(t, "ebpf", strAttr(rl, "otelcol.trace.source"))
	assert.NotEmpty(t, strAttr(rl, "host.name"))

	// Spans: C2's span is a child of C1's, same trace.
	var spans []spanWithResource
	require.Eventually(t, func() bool {
		spans = allSpans(st.traces)
		return len(spans) >= 4
	}, 10*time.Second, 10*time.Millisecond)
	byPID := map[int64]spanWithResource{}
	for _, s := range spans {
		byPID[intAttr(s.res.Attributes(), "process.pid")] = s
	}
	s1, s2, s3 := byPID[c1], byPID[c2], byPID[c3]
	require.NotEqual(t, ptrace.Span{}, s1.span)
	require.NotEqual(t, ptrace.Span{}, s2.span)
	require.NotEqual(t, ptrace.Span{}, s3.span)
	assert.Equal(t, "sh", s1.span.Name())
	assert.Equal(t, "true", s2.span.Name())
	assert.Equal(t, s1.span.SpanID(), s2.span.ParentSpanID(), "child process span's parent is the parent process span")
	assert.Equal(t, s1.span.TraceID(), s2.span.TraceID(), "process tree is one trace")
	assert.Equal(t, ptrace.StatusCodeError, s1.span.Status().Code())
	assert.Equal(t, int64(3), intAttr(s1.span.Attributes(), "process.exit.code"))
	assert.Equal(t, ptrace.StatusCodeUnset, s2.span.Status().Code())
	assert.Equal(t, ptrace.SpanKindInternal, s2.span.Kind())
	assert.Equal(t, []string{"/bin/true", "a", "b"}, argsAttr(s2.res.Attributes()))
	assert.Equal(t, "true", strAttr(s2.res.Attributes(), "service.name"))
	assert.Equal(t, "/bin/true", strAttr(s2.res.Attributes(), "process.executable.path"))
	assert.Equal(t, c1, intAttr(s2.res.Attributes(), "process.parent_pid"))
	assert.False(t, s2.span.StartTimestamp().AsTime().Before(s1.span.StartTimestamp().AsTime()))
	assert.False(t, s2.span.EndTimestamp().AsTime().After(s1.span.EndTimestamp().AsTime()))
	// C3: one span for the pid, named after the last executable.
	assert.Equal(t, "true", s3.span.Name())
	assert.Equal(t, []string{"/bin/true", "c", "d"}, argsAttr(s3.res.Attributes()))
}

func TestFilterKeepsTreeDropsOthers(t *testing.T) {
	requireRoot(t)
	inside := holdTree(t, `/bin/echo inside-tree >/dev/null; exit 0`)
	outside := holdTree(t, `/bin/echo outside-tree >/dev/null; exit 0`)
	st := startReceiver(t, treeConfig(inside.pid))
	outside.release(t)
	require.NoError(t, outside.cmd.Wait())
	inside.release(t)
	require.NoError(t, inside.cmd.Wait())
	// A direct child of the test process (its own pid is excluded, its
	// children are not in the tree).
	require.NoError(t, exec.Command("/bin/echo", "child-of-collector").Run())

	require.Eventually(t, func() bool {
		return len(findRecords(allRecords(st.logs), "process.exit", func(r plog.LogRecord) bool {
			return intAttr(r.Attributes(), "process.pid") == int64(inside.pid)
		})) == 1
	}, 10*time.Second, 10*time.Millisecond)
	// Let the other events (if the filter were broken) arrive: they were
	// produced before the inside tree's exit, so one more flush suffices.
	st.rcv.sink.flush(context.Background())
	recs := allRecords(st.logs)
	require.Len(t, findRecords(recs, "process.exec", func(r plog.LogRecord) bool {
		return assert.ObjectsAreEqual([]string{"/bin/echo", "inside-tree"}, argsAttr(r.Attributes()))
	}), 1)
	for _, r := range recs {
		pid := intAttr(r.Attributes(), "process.pid")
		ppid := intAttr(r.Attributes(), "process.parent_pid")
		assert.NotEqual(t, int64(outside.pid), pid, "outside tree: %s", r.EventName())
		assert.NotEqual(t, int64(outside.pid), ppid, "outside tree: %s", r.EventName())
		assert.NotEqual(t, int64(os.Getpid()), pid, "the collector itself")
		args := argsAttr(r.Attributes())
		if len(args) > 1 {
			assert.NotEqual(t, "child-of-collector", args[1])
			assert.NotEqual(t, "outside-tree", args[1])
		}
	}
}

func TestSpanEndedByShutdown(t *testing.T) {
	requireRoot(t)
	h := holdTree(t, `exec /bin/sleep 60`)
	st := startReceiver(t, treeConfig(h.pid))
	h.release(t)
	require.Eventually(t, func() bool {
		return len(findRecords(allRecords(st.logs), "process.exec", func(r plog.LogRecord) bool {
			return intAttr(r.Attributes(), "process.pid") == int64(h.pid)
		})) == 1
	}, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, st.rcv.Shutdown(context.Background()))
	var found bool
	for _, s := range allSpans(st.traces) {
		if intAttr(s.res.Attributes(), "process.pid") != int64(h.pid) {
			continue
		}
		found = true
		assert.Equal(t, "sleep", s.span.Name())
		v, ok := s.span.Attributes().Get("process.span.ended_by_shutdown")
		require.True(t, ok)
		assert.True(t, v.Bool())
		assert.Equal(t, ptrace.StatusCodeUnset, s.span.Status().Code())
		assert.Equal(t, "process still running at shutdown", s.span.Status().Message())
		_, hasCode := s.span.Attributes().Get("process.exit.code")
		assert.False(t, hasCode)
	}
	assert.True(t, found, "span of the still running sleep")
}

func TestShutdownUnloadsPrograms(t *testing.T) {
	requireRoot(t)
	st := startReceiver(t, treeConfig(os.Getppid()))
	ids := st.rcv.ProgramIDs()
	require.Len(t, ids, 3, "exec, fork and exit programs")
	for _, id := range ids {
		p, err := ebpf.NewProgramFromID(id)
		require.NoError(t, err, "program %d loaded while running", id)
		require.NoError(t, p.Close())
	}
	require.NoError(t, st.rcv.Shutdown(context.Background()))
	require.Eventually(t, func() bool {
		for _, id := range ids {
			p, err := ebpf.NewProgramFromID(id)
			if err == nil {
				p.Close()
				return false
			}
			if !errors.Is(err, os.ErrNotExist) {
				return false
			}
		}
		return true
	}, 10*time.Second, 20*time.Millisecond, "programs %v still loaded after Shutdown", ids)
	assert.Empty(t, st.rcv.ProgramIDs())
}

// TestStartWithoutCapabilities re-runs TestCapabilityErrorChild under capsh
// without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN.
func TestStartWithoutCapabilities(t *testing.T) {
	runChildUnderCapsh(t, "cap_bpf,cap_perfmon,cap_sys_admin", "TestCapabilityErrorChild", "1")
}

// TestStartWithMinimalCapabilities re-runs TestMinimalCapabilitiesChild
// under capsh with CAP_SYS_ADMIN dropped: CAP_BPF + CAP_PERFMON suffice.
func TestStartWithMinimalCapabilities(t *testing.T) {
	runChildUnderCapsh(t, "cap_sys_admin", "TestMinimalCapabilitiesChild", "minimal")
}

// runChildUnderCapsh re-runs this test binary's test child under capsh with
// the capabilities drop dropped and OTR_CAPABILITY_CHILD=mode, and requires
// that it passes.
func runChildUnderCapsh(t *testing.T, drop, child, mode string) {
	t.Helper()
	requireRoot(t)
	capsh, err := exec.LookPath("capsh")
	if err != nil {
		t.Skip("needs capsh (libcap2-bin) to drop capabilities")
	}
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(capsh, "--drop="+drop, "--",
		"-c", self+" -test.run=^"+child+"$ -test.v -test.count=1")
	cmd.Env = append(os.Environ(), "OTR_CAPABILITY_CHILD="+mode)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "--- PASS: "+child)
}

func TestMinimalCapabilitiesChild(t *testing.T) {
	if os.Getenv("OTR_CAPABILITY_CHILD") != "minimal" {
		t.Skip("runs only under capsh from TestStartWithMinimalCapabilities")
	}
	eff, err := effectiveCaps()
	require.NoError(t, err)
	require.Zero(t, eff&(1<<capSysAdmin), "CAP_SYS_ADMIN must be dropped")
	h := holdTree(t, `exit 5`)
	st := startReceiver(t, treeConfig(h.pid))
	h.release(t)
	require.Eventually(t, func() bool {
		return len(findRecords(allRecords(st.logs), "process.exit", func(r plog.LogRecord) bool {
			return intAttr(r.Attributes(), "process.exit.code") == 5
		})) == 1
	}, 10*time.Second, 10*time.Millisecond, "events flow with CAP_BPF+CAP_PERFMON only")
	require.NoError(t, st.rcv.Shutdown(context.Background()))
}

func TestCapabilityErrorChild(t *testing.T) {
	if os.Getenv("OTR_CAPABILITY_CHILD") != "1" {
		t.Skip("runs only under capsh from TestStartWithoutCapabilities")
	}
	cfg := createDefaultConfig().(*Config)
	set := receivertest.NewNopSettings(componentType())
	r, err := NewFactory().CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	err = r.Start(context.Background(), componenttest.NewNopHost())
	require.EqualError(t, err, "ebpf receiver: missing capability CAP_BPF and CAP_PERFMON: run the collector as root or grant it CAP_BPF and CAP_PERFMON (e.g. setcap cap_bpf,cap_perfmon+ep otelcol-trace)")
	require.NoError(t, r.Shutdown(context.Background()))
}

func TestCapabilityErrorNamesMissing(t *testing.T) {
	assert.NoError(t, capabilityError(1<<capSysAdmin))
	assert.NoError(t, capabilityError(1<<capBPF|1<<capPerfmon))
	err := capabilityError(1 << capBPF)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing capability CAP_PERFMON:")
}

func TestSelfExcludedWithoutFilters(t *testing.T) {
	requireRoot(t)
	cfg := createDefaultConfig().(*Config)
	cfg.FlushInterval = 20 * time.Millisecond
	st := startReceiver(t, cfg)
	cmd := exec.Command("/bin/echo", "child-of-the-collector")
	cmd.Stdout = io.Discard
	require.NoError(t, cmd.Run())
	child := int64(cmd.Process.Pid)
	require.Eventually(t, func() bool {
		return len(findRecords(allRecords(st.logs), "process.exit", func(r plog.LogRecord) bool {
			return intAttr(r.Attributes(), "process.pid") == child
		})) == 1
	}, 10*time.Second, 10*time.Millisecond)
	recs := allRecords(st.logs)
	execs := findRecords(recs, "process.exec", func(r plog.LogRecord) bool { return intAttr(r.Attributes(), "process.pid") == child })
	require.Len(t, execs, 1, "the collector's child is traced")
	assert.Equal(t, int64(os.Getpid()), intAttr(execs[0].Attributes(), "process.parent_pid"))
	for _, r := range recs {
		assert.NotEqual(t, int64(os.Getpid()), intAttr(r.Attributes(), "process.pid"), "record %s of the collector itself", r.EventName())
		if r.EventName() == "process.fork" {
			assert.NotEqual(t, int64(os.Getpid()), intAttr(r.Attributes(), "process.parent_pid"), "fork made by the collector itself")
		}
	}
}

func sumCounter(t *testing.T, tel *componenttest.Telemetry, name string, want map[string]string) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	if err != nil {
		return 0
	}
	var sum int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		match := true
		for k, v := range want {
			if got, ok := dp.Attributes.Value(attribute.Key(k)); !ok || got.AsString() != v {
				match = false
			}
		}
		if match {
			sum += dp.Value
		}
	}
	return sum
}

// TestKernelLossCounted: a one-page ring cannot hold an exec event (4456
// bytes), so every exec is a reserve failure, counted in the kernel and
// exported as otelcol_ebpf_events_lost{reason=ringbuf_full}.
func TestKernelLossCounted(t *testing.T) {
	requireRoot(t)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	set := receivertest.NewNopSettings(componentType())
	set.TelemetrySettings = tel.NewTelemetrySettings()
	h := holdTree(t, `/bin/true; exit 0`)
	cfg := treeConfig(h.pid)
	cfg.RingBuffer.Size = os.Getpagesize()
	cfg.RingBuffer.WakeupBytes = 0
	st := startReceiverWith(t, cfg, set)
	h.release(t)
	require.NoError(t, h.cmd.Wait())
	want := map[string]string{"receiver": "ebpf", "probe": "process", "reason": "ringbuf_full"}
	require.Eventually(t, func() bool {
		return sumCounter(t, tel, "otelcol_ebpf_events_lost", want) >= 1
	}, 10*time.Second, 20*time.Millisecond, "kernel reserve failure not exported")
	// Forks and exits fit: they were read and accepted.
	require.Eventually(t, func() bool {
		return sumCounter(t, tel, "otelcol_ebpf_events", map[string]string{"probe": "process"}) >= 2 &&
			len(findRecords(allRecords(st.logs), "process.exit", nil)) >= 2
	}, 10*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool {
		m, err := tel.GetMetric("otelcol_receiver_accepted_log_records")
		return err == nil && len(m.Data.(metricdata.Sum[int64]).DataPoints) > 0
	}, 10*time.Second, 20*time.Millisecond, "obsreport accepted counter")
	assert.Empty(t, findRecords(allRecords(st.logs), "process.exec", nil), "no exec fits a one-page ring")
}

// TestQueueFullCounted: with room for one pending record and no flush
// before Shutdown, the other records of a tree are dropped and counted as
// queue_full, never silently.
func TestQueueFullCounted(t *testing.T) {
	requireRoot(t)
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	set := receivertest.NewNopSettings(componentType())
	set.TelemetrySettings = tel.NewTelemetrySettings()
	h := holdTree(t, `/bin/true; exit 0`)
	cfg := treeConfig(h.pid)
	cfg.QueueSize = 1
	cfg.FlushInterval = time.Hour
	st := startReceiverWith(t, cfg, set)
	h.release(t)
	require.NoError(t, h.cmd.Wait())
	want := map[string]string{"receiver": "ebpf", "probe": "process", "reason": "queue_full"}
	// fork, exec and exit of /bin/true, exit of the shell: 4 records (+ spans).
	require.Eventually(t, func() bool {
		return sumCounter(t, tel, "otelcol_ebpf_events_lost", want) >= 3
	}, 10*time.Second, 10*time.Millisecond, "queue drops not counted")
	require.NoError(t, st.rcv.Shutdown(context.Background()))
	assert.Equal(t, 1, st.logs.LogRecordCount()+st.traces.SpanCount(), "exactly the one queued record reached the pipeline")
}

// TestLongArgvTruncated: an argv over the capture limits is cut, flagged and
// accompanied by its original size.
func TestLongArgvTruncated(t *testing.T) {
	requireRoot(t)
	h := holdTree(t, `/bin/true $(seq 1 2000); exit 0`)
	cfg := treeConfig(h.pid)
	cfg.Probes.Process.MaxArgs = 10
	st := startReceiver(t, cfg)
	h.release(t)
	require.NoError(t, h.cmd.Wait())
	var execs []plog.LogRecord
	require.Eventually(t, func() bool {
		execs = findRecords(allRecords(st.logs), "process.exec", func(r plog.LogRecord) bool {
			return strAttr(r.Attributes(), "process.executable.path") == "/bin/true"
		})
		return len(execs) == 1
	}, 10*time.Second, 10*time.Millisecond)
	a := execs[0].Attributes()
	assert.Equal(t, []string{"/bin/true", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, argsAttr(a))
	v, ok := a.Get("process.command_args.truncated")
	require.True(t, ok)
	assert.True(t, v.Bool())
	size := len("/bin/true") + 1
	for i := 1; i <= 2000; i++ {
		size += len(fmt.Sprint(i)) + 1
	}
	assert.Equal(t, int64(size), intAttr(a, "process.command_args.original_size"))
	t0 := time.Now()
	require.NoError(t, st.rcv.Shutdown(context.Background()))
	t.Logf("shutdown took %s", time.Since(t0))
}

// TestFilterCommsAndUIDs: within a followed tree, an include comm list keeps
// only that comm's events, and an excluded uid drops everything of it.
func TestFilterCommsAndUIDs(t *testing.T) {
	requireRoot(t)
	t.Run("comms", func(t *testing.T) {
		h := holdTree(t, `/bin/true comm-filter; /bin/echo other >/dev/null; exit 0`)
		cfg := treeConfig(h.pid)
		cfg.Filters.Comms = []string{"true"}
		st := startReceiver(t, cfg)
		h.release(t)
		require.NoError(t, h.cmd.Wait())
		require.Eventually(t, func() bool {
			return len(findRecords(allRecords(st.logs), "process.exit", nil)) >= 1
		}, 10*time.Second, 10*time.Millisecond)
		require.NoError(t, st.rcv.Shutdown(context.Background()))
		recs := allRecords(st.logs)
		execs := findRecords(recs, "process.exec", nil)
		require.Len(t, execs, 1)
		assert.Equal(t, []string{"/bin/true", "comm-filter"}, argsAttr(execs[0].Attributes()))
		for _, r := range recs {
			assert.Equal(t, "true", strAttr(r.Attributes(), "process.executable.name"), "%s passed the comm filter", r.EventName())
		}
	})
	t.Run("exclude_uids", func(t *testing.T) {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skip("needs setpriv (util-linux) to run a process as another uid")
		}
		// Root's events are excluded; the same tree's process that switched
		// to uid 65534 passes.
		h := holdTree(t, `/bin/true as-root; `+setpriv+` --reuid=65534 --regid=65534 --clear-groups /bin/true as-nobody; exit 0`)
		cfg := treeConfig(h.pid)
		cfg.Filters.ExcludeUIDs = []int{0}
		st := startReceiver(t, cfg)
		h.release(t)
		require.NoError(t, h.cmd.Wait())
		require.Eventually(t, func() bool {
			return len(findRecords(allRecords(st.logs), "process.exec", nil)) >= 1
		}, 10*time.Second, 10*time.Millisecond)
		require.NoError(t, st.rcv.Shutdown(context.Background()))
		recs := allRecords(st.logs)
		execs := findRecords(recs, "process.exec", nil)
		require.Len(t, execs, 1)
		assert.Equal(t, []string{"/bin/true", "as-nobody"}, argsAttr(execs[0].Attributes()))
		for _, r := range recs {
			assert.Equal(t, int64(65534), intAttr(r.Attributes(), "process.user.id"), "%s of an excluded uid", r.EventName())
		}
	})
}

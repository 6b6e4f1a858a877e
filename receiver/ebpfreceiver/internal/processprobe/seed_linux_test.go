//go:build linux

package processprobe_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver"
)

// held is a process started before the receiver, blocked reading stdin.
type held struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	pid   int
}

// startHeld starts /bin/sh -c script and waits until the shell has exec'd
// (so /proc shows the shell, not the test binary).
func startHeld(t *testing.T, script string) *held {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", script)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	self, err := os.Executable()
	require.NoError(t, err)
	exe := "/proc/" + itoa(cmd.Process.Pid) + "/exe"
	require.Eventually(t, func() bool {
		p, err := os.Readlink(exe)
		return err == nil && p != self
	}, 10*time.Second, 5*time.Millisecond, "the held shell never exec'd")
	return &held{cmd: cmd, stdin: stdin, pid: cmd.Process.Pid}
}

func itoa(i int) string { return pcommon.NewValueInt(int64(i)).AsString() }

type span struct {
	res  pcommon.Map
	span ptrace.Span
}

func spans(sink *consumertest.TracesSink) []span {
	var out []span
	for _, td := range sink.AllTraces() {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			rs := td.ResourceSpans().At(i)
			for j := 0; j < rs.ScopeSpans().Len(); j++ {
				ss := rs.ScopeSpans().At(j).Spans()
				for k := 0; k < ss.Len(); k++ {
					out = append(out, span{res: rs.Resource().Attributes(), span: ss.At(k)})
				}
			}
		}
	}
	return out
}

func args(m pcommon.Map) []string {
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

func pidOf(m pcommon.Map) int {
	v, _ := m.Get("process.pid")
	return int(v.Int())
}

func find(all []span, pred func(span) bool) []span {
	var out []span
	for _, s := range all {
		if pred(s) {
			out = append(out, s)
		}
	}
	return out
}

// TestSeededParentSpans starts a shell and an idle process before the
// receiver, then lets the shell run children: the children's spans are
// children of the shell's span, in its trace; at shutdown the shell's span
// ends with its real start time and the idle process gets no span. Run with
// a filter on both pids and with no filter (the whole host).
func TestSeededParentSpans(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for eBPF: loading tp_btf programs needs CAP_BPF and CAP_PERFMON")
	}
	for _, mode := range []string{"filtered", "whole host"} {
		t.Run(mode, func(t *testing.T) {
			beforeParent := time.Now()
			parent := startHeld(t, `read go; /bin/true seeded-a; /bin/sh -c '/bin/true seeded-b'; read wait`)
			idle := startHeld(t, `read never`)

			cfg := ebpfreceiver.NewFactory().CreateDefaultConfig().(*ebpfreceiver.Config)
			if mode == "filtered" {
				cfg.Filters.PIDs = []int{parent.pid, idle.pid}
				cfg.Filters.FollowChildren = true
			}
			cfg.FlushInterval = 20 * time.Millisecond
			cfg.RingBuffer.PollInterval = 10 * time.Millisecond

			traces := new(consumertest.TracesSink)
			set := receivertest.NewNopSettings(ebpfreceiver.NewFactory().Type())
			set.ID = component.NewIDWithName(set.ID.Type(), "seed")
			rcv, err := ebpfreceiver.NewFactory().CreateTraces(context.Background(), set, cfg, traces)
			require.NoError(t, err)
			beforeReceiver := time.Now()
			require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
			stopped := false
			t.Cleanup(func() {
				if !stopped {
					_ = rcv.Shutdown(context.Background())
				}
			})

			_, err = io.WriteString(parent.stdin, "go\n")
			require.NoError(t, err)
			var a, b, inner []span
			require.Eventually(t, func() bool {
				all := spans(traces)
				a = find(all, func(s span) bool { return slices.Equal(args(s.res), []string{"/bin/true", "seeded-a"}) })
				b = find(all, func(s span) bool { return slices.Equal(args(s.res), []string{"/bin/true", "seeded-b"}) })
				inner = find(all, func(s span) bool { return slices.Equal(args(s.res), []string{"/bin/sh", "-c", "/bin/true seeded-b"}) })
				return len(a) == 1 && len(b) == 1 && len(inner) == 1
			}, 10*time.Second, 10*time.Millisecond, "the spans of the seeded shell's children never arrived")
			// The parent is still blocked on its second read.
			require.Nil(t, parent.cmd.ProcessState)

			require.NoError(t, rcv.Shutdown(context.Background()))
			stopped = true
			all := spans(traces)
			ps := find(all, func(s span) bool { return pidOf(s.res) == parent.pid })
			require.Len(t, ps, 1, "one span for the seeded parent, ended at shutdown")
			p := ps[0].span
			assert.Empty(t, find(all, func(s span) bool { return pidOf(s.res) == idle.pid }),
				"an idle process running before the receiver gets no span at shutdown")

			assert.True(t, p.ParentSpanID().IsEmpty(), "the collector's child is a trace root")
			assert.Equal(t, p.SpanID(), a[0].span.ParentSpanID(), "child of the seeded parent's span")
			assert.Equal(t, p.TraceID(), a[0].span.TraceID(), "in the seeded parent's trace")
			assert.Equal(t, p.SpanID(), inner[0].span.ParentSpanID())
			assert.Equal(t, p.TraceID(), inner[0].span.TraceID())
			assert.Equal(t, inner[0].span.SpanID(), b[0].span.ParentSpanID(), "grandchild")
			assert.Equal(t, p.TraceID(), b[0].span.TraceID())

			v, ok := p.Attributes().Get("process.span.ended_by_shutdown")
			require.True(t, ok)
			assert.True(t, v.Bool())
			assert.Equal(t, ptrace.StatusCodeUnset, p.Status().Code())
			assert.Equal(t, "process still running at shutdown", p.Status().Message())
			assert.Equal(t, "sh", p.Name())
			assert.Equal(t, []string{"/bin/sh", "-c", `read go; /bin/true seeded-a; /bin/sh -c '/bin/true seeded-b'; read wait`}, args(ps[0].res))
			// /proc gives the start in 10 ms ticks (rounded down).
			start := p.StartTimestamp().AsTime()
			assert.True(t, start.Before(beforeReceiver), "start %s is the real start, before the receiver started at %s", start, beforeReceiver)
			assert.False(t, start.Before(beforeParent.Add(-50*time.Millisecond)), "start %s, parent started at %s", start, beforeParent)
			assert.True(t, start.Before(a[0].span.StartTimestamp().AsTime()))
		})
	}
}

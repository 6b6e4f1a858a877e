//go:build linux

package ebpfe2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	topologyprocessor "github.com/otelcol-trace/otelcol-trace/processor/topology"
	"github.com/otelcol-trace/otelcol-trace/processor/topology/internal/podmantest"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver"
)

// gate holds every batch from the receiver until released, so that the
// processor sees the container's records only after the container is gone.
type gate struct {
	mu     sync.Mutex
	logs   []plog.Logs
	traces []ptrace.Traces
}

func (g *gate) logsConsumer() consumer.Logs {
	c, _ := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.logs = append(g.logs, ld)
		return nil
	})
	return c
}

func (g *gate) tracesConsumer() consumer.Traces {
	c, _ := consumer.NewTraces(func(_ context.Context, td ptrace.Traces) error {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.traces = append(g.traces, td)
		return nil
	})
	return c
}

// records calls fn for every held log record.
func (g *gate) records(fn func(plog.LogRecord)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, ld := range g.logs {
		forRecords(ld, fn)
	}
}

func forRecords(ld plog.Logs, fn func(plog.LogRecord)) {
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				fn(lrs.At(k))
			}
		}
	}
}

func intAttr(m pcommon.Map, k string) int64 {
	v, ok := m.Get(k)
	if !ok || v.Type() != pcommon.ValueTypeInt {
		return -1
	}
	return v.Int()
}

func strAttr(m pcommon.Map, k string) string {
	v, ok := m.Get(k)
	if !ok {
		return ""
	}
	return v.AsString()
}

// TestEBPFProcessProbeThroughTopology runs the real ebpf receiver (process
// probe) and the topology processor on the exec and exit events of a
// command in a real podman container. The processor gets the records only
// after the container was removed, so both resolve from the cache that
// cgroupfs notifications and the podman event stream warmed.
func TestEBPFProcessProbeThroughTopology(t *testing.T) {
	svc := podmantest.Require(t)
	ctx := context.Background()
	host := componenttest.NewNopHost()

	// topology processor → sinks
	tf := topologyprocessor.NewFactory()
	tcfg := tf.CreateDefaultConfig().(*topologyprocessor.Config)
	tcfg.DockerEndpoints = []string{"unix://" + svc.Socket}
	tcfg.OCIStateDirs = nil
	tcfg.RuntimeTimeout = 10 * time.Second // margin for loaded CI machines
	tcfg.WaitTimeout = 5 * time.Second
	logs, traces := new(consumertest.LogsSink), new(consumertest.TracesSink)
	tset := processortest.NewNopSettings(tf.Type())
	lp, err := tf.CreateLogs(ctx, tset, tcfg, logs)
	require.NoError(t, err)
	tp, err := tf.CreateTraces(ctx, tset, tcfg, traces)
	require.NoError(t, err)
	for _, c := range []component.Component{lp, tp} {
		require.NoError(t, c.Start(ctx, host))
		t.Cleanup(func() { require.NoError(t, c.Shutdown(ctx)) })
	}

	// ebpf receiver (process probe, `sleep` only) → gate
	g := &gate{}
	rf := ebpfreceiver.NewFactory()
	rcfg := rf.CreateDefaultConfig().(*ebpfreceiver.Config)
	rcfg.Filters.Comms = []string{"sleep"}
	rcfg.FlushInterval = 20 * time.Millisecond
	rcfg.RingBuffer.PollInterval = 10 * time.Millisecond
	rset := receivertest.NewNopSettings(rf.Type())
	rl, err := rf.CreateLogs(ctx, rset, rcfg, g.logsConsumer())
	require.NoError(t, err)
	rt, err := rf.CreateTraces(ctx, rset, rcfg, g.tracesConsumer())
	require.NoError(t, err)
	for _, c := range []component.Component{rl, rt} {
		require.NoError(t, c.Start(ctx, host))
	}
	stopReceiver := sync.OnceFunc(func() {
		require.NoError(t, rl.Shutdown(ctx))
		require.NoError(t, rt.Shutdown(ctx))
	})
	t.Cleanup(stopReceiver)

	// A short command in a container with kubelet's labels.
	name := fmt.Sprintf("otelcol-topo-ebpf-%d", time.Now().UnixNano())
	podmantest.Run(t, "create", "--name", name,
		"--label", "io.kubernetes.pod.name=api-7f9c",
		"--label", "io.kubernetes.pod.namespace=payments",
		podmantest.Image, "sleep", "2")
	t.Cleanup(func() { _ = exec.Command("podman", "rm", "-f", "-t", "0", name).Run() })
	podmantest.Run(t, "start", name)
	cid := podmantest.Run(t, "inspect", "-f", "{{.Id}}", name)
	pid, err := strconv.Atoi(podmantest.Run(t, "inspect", "-f", "{{.State.Pid}}", name))
	require.NoError(t, err)
	cgDir, cgid := podmantest.CgroupOfPID(t, pid)

	// A host process meanwhile.
	hostCmd := exec.Command("sleep", "0.1")
	require.NoError(t, hostCmd.Run())
	hostPID := int64(hostCmd.Process.Pid)

	// The container ends and is removed.
	podmantest.Run(t, "wait", name)
	podmantest.Run(t, "rm", name)
	require.Eventually(t, func() bool {
		_, err := os.Stat(cgDir)
		return os.IsNotExist(err)
	}, 30*time.Second, 20*time.Millisecond, "cgroup %s still exists", cgDir)

	// Wait for both exits in the gate, then stop the receiver.
	require.Eventually(t, func() bool {
		var ctrExit, hostExit bool
		g.records(func(r plog.LogRecord) {
			if r.EventName() != "process.exit" {
				return
			}
			ctrExit = ctrExit || intAttr(r.Attributes(), "linux.cgroup.id") == cgid
			hostExit = hostExit || intAttr(r.Attributes(), "process.pid") == hostPID
		})
		return ctrExit && hostExit
	}, 30*time.Second, 20*time.Millisecond, "exit events of the container's and the host's sleep never arrived")
	stopReceiver()

	// Release everything into the processor.
	g.mu.Lock()
	for _, ld := range g.logs {
		require.NoError(t, lp.ConsumeLogs(ctx, ld))
	}
	for _, td := range g.traces {
		require.NoError(t, tp.ConsumeTraces(ctx, td))
	}
	g.mu.Unlock()

	// On failure, show what the processor made of the container's records.
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, ld := range logs.AllLogs() {
			forRecords(ld, func(r plog.LogRecord) {
				if intAttr(r.Attributes(), "linux.cgroup.id") == cgid || intAttr(r.Attributes(), "process.pid") == hostPID {
					t.Logf("%s %v", r.EventName(), r.Attributes().AsRaw())
				}
			})
		}
	})

	seen := map[string]int{}
	for _, ld := range logs.AllLogs() {
		forRecords(ld, func(r plog.LogRecord) {
			a := r.Attributes()
			switch {
			case intAttr(a, "linux.cgroup.id") == cgid:
				ev := r.EventName()
				seen[ev]++
				assert.Equal(t, cid, strAttr(a, "container.id"), ev)
				assert.Equal(t, "podman", strAttr(a, "container.runtime.name"), ev)
				assert.Equal(t, name, strAttr(a, "container.name"), ev)
				assert.Equal(t, "localhost/otelcol-trace-busybox", strAttr(a, "container.image.name"), ev)
				assert.Equal(t, `["test"]`, strAttr(a, "container.image.tags"), ev)
				assert.Equal(t, "api-7f9c", strAttr(a, "k8s.pod.name"), ev)
				assert.Equal(t, "payments", strAttr(a, "k8s.namespace.name"), ev)
				assert.Equal(t, "false", strAttr(a, "linux.namespace.host"), ev)
			case intAttr(a, "process.pid") == hostPID:
				seen["host "+r.EventName()]++
				for _, k := range []string{"container.id", "container.name", "container.image.name", "k8s.pod.name", "k8s.namespace.name"} {
					_, ok := a.Get(k)
					assert.False(t, ok, "host process %s carries %s", r.EventName(), k)
				}
				assert.Equal(t, "true", strAttr(a, "linux.namespace.host"))
			}
		})
	}
	assert.Positive(t, seen["process.exec"], "exec of the container's sleep")
	assert.Positive(t, seen["process.exit"], "exit of the container's sleep")
	assert.Positive(t, seen["host process.exec"], "exec of the host's sleep")
	assert.Positive(t, seen["host process.exit"], "exit of the host's sleep")

	// The container's process span carries the metadata on its resource.
	var spanSeen bool
	for _, td := range traces.AllTraces() {
		for i := 0; i < td.ResourceSpans().Len(); i++ {
			res := td.ResourceSpans().At(i).Resource().Attributes()
			if intAttr(res, "linux.cgroup.id") == cgid {
				spanSeen = true
				assert.Equal(t, cid, strAttr(res, "container.id"))
				assert.Equal(t, "api-7f9c", strAttr(res, "k8s.pod.name"))
			}
		}
	}
	assert.True(t, spanSeen, "a process span of the container's sleep")
}

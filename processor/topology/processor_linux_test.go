//go:build linux

package topologyprocessor

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func oneRecord(attrs map[string]any) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("otelcol.trace.source", "ebpf")
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName("process.exec")
	_ = lr.Attributes().FromRaw(attrs)
	return ld
}

func lastRecord(t *testing.T, tp *testPipeline) (pcommon.Map, pcommon.Map) {
	t.Helper()
	all := tp.logs.AllLogs()
	require.NotEmpty(t, all)
	rl := all[len(all)-1].ResourceLogs().At(0)
	return rl.Resource().Attributes(), rl.ScopeLogs().At(0).LogRecords().At(0).Attributes()
}

func TestLogsResolveDockerAndK8sByCgroupID(t *testing.T) {
	cg := newFakeCgroupFS(t)
	self := os.Getpid()
	dockerID := cg.mkdir(t, "/system.slice/docker-"+cid1+".scope", self)
	k8sID := cg.mkdir(t, "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2f1a8c3e_5b7d_4e9f_a1c2_3d4e5f6a7b8c.slice/docker-"+cid2+".scope")
	hostID := cg.mkdir(t, "/system.slice/sshd.service", self)
	api := newFakeDockerAPI(t, "Docker Engine - Community")
	api.add(dockerContainer{ID: cid1, Names: []string{"/web"}, Image: "docker.io/library/nginx:1.25", Labels: map[string]string{"team": "a"}})
	api.add(dockerContainer{ID: cid2, Names: []string{"/k8s_app_pod-1_ns-1_x"}, Image: "registry.local:5000/app@sha256:abcd", Labels: map[string]string{
		labelK8sPodName: "pod-1", labelK8sPodNS: "ns-1", labelK8sContainer: "app", labelK8sPodUID: uid1,
	}})
	cfg := testConfig(cg, api)
	cfg.ContainerLabels = []string{"team"}
	tp := newTestPipeline(t, cfg)
	ctx := context.Background()

	require.NoError(t, tp.lp.ConsumeLogs(ctx, oneRecord(map[string]any{attrCgroupID: dockerID, attrPID: int64(self)})))
	res, rec := lastRecord(t, tp)
	assert.Equal(t, cid1, strAttr(t, rec, attrContainerID))
	assert.Equal(t, runtimeDocker, strAttr(t, rec, attrContainerRT))
	assert.Equal(t, "web", strAttr(t, rec, attrContainerName))
	assert.Equal(t, "docker.io/library/nginx", strAttr(t, rec, attrImageName))
	assert.Equal(t, `["1.25"]`, strAttr(t, rec, attrImageTags))
	assert.Equal(t, "a", strAttr(t, rec, "container.label.team"))
	assert.Empty(t, strAttr(t, rec, attrPodName))
	assert.Equal(t, "test-host", strAttr(t, res, attrHostName))
	_, onResource := res.Get(attrContainerID)
	assert.False(t, onResource, "attributes go where the key was found: the record")
	// The test process is in the host's namespaces.
	assert.Equal(t, "true", strAttr(t, rec, attrNSHost))
	assert.NotEmpty(t, strAttr(t, rec, attrNSPid))

	require.NoError(t, tp.lp.ConsumeLogs(ctx, oneRecord(map[string]any{attrCgroupID: k8sID})))
	_, rec = lastRecord(t, tp)
	assert.Equal(t, cid2, strAttr(t, rec, attrContainerID))
	assert.Equal(t, uid1, strAttr(t, rec, attrPodUID))
	assert.Equal(t, "pod-1", strAttr(t, rec, attrPodName))
	assert.Equal(t, "ns-1", strAttr(t, rec, attrNamespaceName))
	assert.Equal(t, "app", strAttr(t, rec, attrK8sContainer))
	assert.Equal(t, "registry.local:5000/app", strAttr(t, rec, attrImageName))
	_, hasTags := rec.Get(attrImageTags)
	assert.False(t, hasTags, "a digest reference has no tag")
	_, hasLabel := rec.Get("container.label." + labelK8sPodName)
	assert.False(t, hasLabel, "container_labels limits the labels written")

	require.NoError(t, tp.lp.ConsumeLogs(ctx, oneRecord(map[string]any{attrCgroupID: hostID, attrPID: int64(self)})))
	_, rec = lastRecord(t, tp)
	for _, k := range []string{attrContainerID, attrContainerName, attrPodName, attrNamespaceName, attrContainerRT} {
		_, ok := rec.Get(k)
		assert.False(t, ok, "a host process carries no %s", k)
	}
	assert.Equal(t, "true", strAttr(t, rec, attrNSHost))
	// Only the namespaces of the k8s record (an empty cgroup, no pid) were
	// unknown.
	assert.Equal(t, map[string]int64{missingNamespaces: 1}, tp.missing(t))

	// The container goes away; its late exit event still resolves.
	cg.rmdir(t, "/system.slice/docker-"+cid1+".scope")
	// An unknown id makes the batch wait for a rescan, which sees the
	// directory gone.
	require.NoError(t, tp.lp.ConsumeLogs(ctx, oneRecord(map[string]any{attrCgroupID: int64(999999999)})))
	res2 := oneRecord(map[string]any{attrCgroupID: dockerID, attrPID: int64(1 << 30)})
	require.NoError(t, tp.lp.ConsumeLogs(ctx, res2))
	_, rec = lastRecord(t, tp)
	assert.Equal(t, cid1, strAttr(t, rec, attrContainerID))
	assert.Equal(t, "web", strAttr(t, rec, attrContainerName))
}

func TestUnknownCgroupIsCountedAndFilledLater(t *testing.T) {
	cg := newFakeCgroupFS(t)
	api := newFakeDockerAPI(t, "Podman Engine")
	tp := newTestPipeline(t, testConfig(cg, api))
	ctx := context.Background()

	// Not a cgroup at all: missing after the wait, counted.
	require.NoError(t, tp.lp.ConsumeLogs(ctx, oneRecord(map[string]any{attrCgroupID: int64(999999999)})))
	_, rec := lastRecord(t, tp)
	_, ok := rec.Get(attrContainerID)
	assert.False(t, ok)
	assert.Equal(t, int64(1), tp.missing(t)[missingUnknownCgroup])

	// A container created after start: its first record waits for the
	// rescan that the miss triggers and resolves.
	id := cg.mkdir(t, "/libpod_parent/libpod-"+cid1, os.Getpid())
	api.add(dockerContainer{ID: cid1, Names: []string{"late"}, Image: "localhost/img:v1"})
	require.NoError(t, tp.lp.ConsumeLogs(ctx, oneRecord(map[string]any{attrCgroupID: id})))
	_, rec = lastRecord(t, tp)
	assert.Equal(t, cid1, strAttr(t, rec, attrContainerID))
	assert.Equal(t, runtimePodman, strAttr(t, rec, attrContainerRT))
	assert.Equal(t, "late", strAttr(t, rec, attrContainerName))
	assert.Equal(t, "localhost/img", strAttr(t, rec, attrImageName))
}

// TestSlowRuntimeDoesNotBlock: a runtime socket that never answers delays
// a batch at most wait_timeout; the record passes with what the cgroup path
// gives, the gap is counted, and later records get the metadata once the
// runtime answers.
func TestSlowRuntimeDoesNotBlock(t *testing.T) {
	cg := newFakeCgroupFS(t)
	api := newFakeDockerAPI(t, "Docker Engine")
	cfg := testConfig(cg, api)
	cfg.RuntimeTimeout = 60 * time.Second // the runtime, not its timeout, must not hold the pipeline
	cfg.WaitTimeout = time.Second
	tp := newTestPipeline(t, cfg)
	ctx := context.Background()

	api.block()
	id := cg.mkdir(t, "/docker/"+cid2, os.Getpid())
	api.add(dockerContainer{ID: cid2, Names: []string{"/slow"}, Image: "busybox:1"})
	require.NoError(t, tp.lp.ConsumeLogs(ctx, oneRecord(map[string]any{attrCgroupID: id})))
	_, rec := lastRecord(t, tp)
	assert.Equal(t, cid2, strAttr(t, rec, attrContainerID), "the cgroup path alone gives the id")
	_, ok := rec.Get(attrContainerName)
	assert.False(t, ok)
	assert.Equal(t, int64(1), tp.missing(t)[missingRuntime])

	api.open()
	require.Eventually(t, func() bool {
		require.NoError(t, tp.lp.ConsumeLogs(ctx, oneRecord(map[string]any{attrCgroupID: id})))
		_, rec := lastRecord(t, tp)
		return strAttr(t, rec, attrContainerName) == "slow"
	}, 30*time.Second, 20*time.Millisecond)
}

func TestTracesAndMetricsResourceLevel(t *testing.T) {
	cg := newFakeCgroupFS(t)
	id := cg.mkdir(t, "/machine.slice/libpod-"+cid1+".scope/container", os.Getpid())
	api := newFakeDockerAPI(t, "Podman Engine")
	api.add(dockerContainer{ID: cid1, Names: []string{"db"}, Image: "localhost/pg:16"})
	tp := newTestPipeline(t, testConfig(cg, api))
	ctx := context.Background()

	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutInt(attrCgroupID, id)
	rs.Resource().Attributes().PutInt(attrPID, int64(os.Getpid()))
	span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.SetName("postgres")
	require.NoError(t, tp.tp.ConsumeTraces(ctx, td))
	got := tp.traces.AllTraces()[0].ResourceSpans().At(0)
	assert.Equal(t, cid1, strAttr(t, got.Resource().Attributes(), attrContainerID))
	assert.Equal(t, "db", strAttr(t, got.Resource().Attributes(), attrContainerName))
	_, onSpan := got.ScopeSpans().At(0).Spans().At(0).Attributes().Get(attrContainerID)
	assert.False(t, onSpan, "process spans carry the key on the resource, so the metadata goes there")

	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	g := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	g.SetName("x")
	dp := g.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.Attributes().PutStr(attrCgroupID, "0") // invalid id: ignored
	dp2 := g.Gauge().DataPoints().AppendEmpty()
	dp2.Attributes().PutStr(attrCgroupID, itoa(id)) // a string form still resolves
	require.NoError(t, tp.mp.ConsumeMetrics(ctx, md))
	gotM := tp.metrics.AllMetrics()[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Gauge().DataPoints()
	_, ok := gotM.At(0).Attributes().Get(attrContainerID)
	assert.False(t, ok)
	assert.Equal(t, cid1, strAttr(t, gotM.At(1).Attributes(), attrContainerID))
}

// TestPIDFallback resolves a record that carries only a pid through
// /proc/<pid>/cgroup: the test process itself, a host process.
func TestPIDFallback(t *testing.T) {
	cg := newFakeCgroupFS(t)
	tp := newTestPipeline(t, testConfig(cg, nil))
	ctx := context.Background()
	require.NoError(t, tp.lp.ConsumeLogs(ctx, oneRecord(map[string]any{attrPID: int64(os.Getpid())})))
	_, rec := lastRecord(t, tp)
	_, ok := rec.Get(attrContainerID)
	assert.False(t, ok)
	assert.Equal(t, "true", strAttr(t, rec, attrNSHost))

	// A pid that does not exist: counted as gone.
	require.NoError(t, tp.lp.ConsumeLogs(ctx, oneRecord(map[string]any{attrPID: int64(1 << 30)})))
	assert.Equal(t, int64(1), tp.missing(t)[missingProcessGone])
}

func TestRecordNamespacesAreUsed(t *testing.T) {
	cg := newFakeCgroupFS(t)
	id := cg.mkdir(t, "/docker/"+cid1)
	tp := newTestPipeline(t, testConfig(cg, nil))
	require.NoError(t, tp.lp.ConsumeLogs(context.Background(), oneRecord(map[string]any{
		attrCgroupID: id, attrNSPid: int64(1), attrNSMnt: int64(2), attrNSNet: int64(3), attrNSUts: int64(4),
	})))
	_, rec := lastRecord(t, tp)
	assert.Equal(t, "false", strAttr(t, rec, attrNSHost))
	assert.Equal(t, "1", strAttr(t, rec, attrNSPid))
}

func itoa(v int64) string { return pcommon.NewValueInt(v).AsString() }

// TestHungRuntimeAtStart: a runtime that accepts connections but never
// answers does not hold the collector's start; its failures are counted,
// and the cgroup path still gives the container id.
func TestHungRuntimeAtStart(t *testing.T) {
	cg := newFakeCgroupFS(t)
	id := cg.mkdir(t, "/docker/"+cid1, os.Getpid())
	api := newFakeDockerAPI(t, "Docker Engine")
	api.block()
	cfg := testConfig(cg, api)
	cfg.RuntimeTimeout = 500 * time.Millisecond
	cfg.WaitTimeout = 0
	tp := newTestPipeline(t, cfg) // returns: Start is bounded
	require.Eventually(t, func() bool {
		m, err := tp.tel.GetMetric("otelcol_topology_runtime_errors")
		return err == nil && len(m.Data.(metricdata.Sum[int64]).DataPoints) > 0
	}, 30*time.Second, 20*time.Millisecond)
	require.NoError(t, tp.lp.ConsumeLogs(context.Background(), oneRecord(map[string]any{attrCgroupID: id})))
	_, rec := lastRecord(t, tp)
	assert.Equal(t, cid1, strAttr(t, rec, attrContainerID))
	assert.Equal(t, int64(1), tp.missing(t)[missingRuntime])
}

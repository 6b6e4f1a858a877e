//go:build linux

package topologyprocessor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-trace/otelcol-trace/processor/topology/internal/podmantest"
)

func podmanConfig(svc *podmantest.Service) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.DockerEndpoints = []string{"unix://" + svc.Socket}
	cfg.OCIStateDirs = nil
	cfg.WaitTimeout = 5 * time.Second
	cfg.RuntimeTimeout = 10 * time.Second
	return cfg
}

// TestPodmanContainer runs a real container with Kubernetes labels and
// checks the records of its process before and after the container is
// removed, and that a host process gets none of the container attributes.
func TestPodmanContainer(t *testing.T) {
	svc := podmantest.Require(t)
	tp := newTestPipeline(t, podmanConfig(svc))
	ctx := context.Background()

	name := fmt.Sprintf("otelcol-topo-%d", time.Now().UnixNano())
	cid := podmantest.Run(t, "run", "-d", "--name", name,
		"--label", "io.kubernetes.pod.name=web-0",
		"--label", "io.kubernetes.pod.namespace=shop",
		"--label", "io.kubernetes.container.name=web",
		podmantest.Image, "sleep", "120")
	t.Cleanup(func() { _ = exec.Command("podman", "rm", "-f", "-t", "0", name).Run() })
	require.Len(t, cid, 64)
	pid, err := strconv.Atoi(podmantest.Run(t, "inspect", "-f", "{{.State.Pid}}", name))
	require.NoError(t, err)
	require.Positive(t, pid)
	_, cgid := podmantest.CgroupOfPID(t, pid)

	check := func(event string) {
		t.Helper()
		_, rec := lastRecord(t, tp)
		assert.Equal(t, cid, strAttr(t, rec, attrContainerID), event)
		assert.Equal(t, runtimePodman, strAttr(t, rec, attrContainerRT), event)
		assert.Equal(t, name, strAttr(t, rec, attrContainerName), event)
		assert.Equal(t, "localhost/otelcol-trace-busybox", strAttr(t, rec, attrImageName), event)
		assert.Equal(t, `["test"]`, strAttr(t, rec, attrImageTags), event)
		assert.Equal(t, "web-0", strAttr(t, rec, attrPodName), event)
		assert.Equal(t, "shop", strAttr(t, rec, attrNamespaceName), event)
		assert.Equal(t, "web", strAttr(t, rec, attrK8sContainer), event)
		assert.Equal(t, "false", strAttr(t, rec, attrNSHost), event)
	}

	execRec := oneRecord(map[string]any{attrCgroupID: cgid, attrPID: int64(pid), "process.executable.name": "sleep"})
	require.NoError(t, tp.lp.ConsumeLogs(ctx, execRec))
	check("process.exec")
	_, rec := lastRecord(t, tp)
	ns, err := (&linuxFS{procRoot: "/proc"}).pidNamespaces(int64(pid))
	require.NoError(t, err)
	assert.Equal(t, strconv.FormatInt(ns.pid, 10), strAttr(t, rec, attrNSPid), "the container's own pid namespace")

	// The container ends and is removed; its exit event arrives later.
	podmantest.Run(t, "rm", "-f", "-t", "0", name)
	require.Eventually(t, func() bool {
		_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
		return os.IsNotExist(err)
	}, 30*time.Second, 50*time.Millisecond)
	exit := oneRecord(map[string]any{attrCgroupID: cgid, attrPID: int64(pid), "process.exit.code": int64(137)})
	exit.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).SetEventName("process.exit")
	require.NoError(t, tp.lp.ConsumeLogs(ctx, exit))
	check("process.exit after the container was removed")

	// A host process.
	self := os.Getpid()
	_, selfCgroup := podmantest.CgroupOfPID(t, self)
	host := oneRecord(map[string]any{attrCgroupID: selfCgroup, attrPID: int64(self)})
	require.NoError(t, tp.lp.ConsumeLogs(ctx, host))
	_, rec = lastRecord(t, tp)
	for _, k := range []string{attrContainerID, attrContainerName, attrImageName, attrPodName, attrNamespaceName, attrContainerRT} {
		_, ok := rec.Get(k)
		assert.False(t, ok, "a host process carries no %s", k)
	}
	assert.Equal(t, "true", strAttr(t, rec, attrNSHost))
	assert.Zero(t, tp.missing(t)[missingUnknownCgroup])
	assert.Zero(t, tp.missing(t)[missingRuntime])
}

// TestPodmanEventsWarmTheCache: with the cgroupfs watch off and no record
// asking, podman's event stream alone gets a new container's cgroup and
// metadata cached (well before the 10s periodic rescan).
func TestPodmanEventsWarmTheCache(t *testing.T) {
	svc := podmantest.Require(t)
	cfg := podmanConfig(svc)
	cfg.WatchCgroups = false
	cfg.RescanInterval = time.Hour
	r := startResolver(t, cfg)

	name := fmt.Sprintf("otelcol-topo-events-%d", time.Now().UnixNano())
	podmantest.Run(t, "run", "-d", "--name", name, podmantest.Image, "sleep", "120")
	t.Cleanup(func() { _ = exec.Command("podman", "rm", "-f", "-t", "0", name).Run() })
	pid, err := strconv.Atoi(podmantest.Run(t, "inspect", "-f", "{{.State.Pid}}", name))
	require.NoError(t, err)
	_, id := podmantest.CgroupOfPID(t, pid)
	require.Eventually(t, func() bool {
		r.mu.RLock()
		defer r.mu.RUnlock()
		e := r.cgroups[uint64(id)]
		return e != nil && e.metaDone
	}, 60*time.Second, 10*time.Millisecond)
	res := r.byCgroupID(uint64(id))
	assert.Contains(t, res.attrs, attr{key: attrContainerName, str: name})
}

// TestPodmanContainerInPodCgroup places a real container under a
// kubelet-shaped cgroup parent (cgroupfs layout
// /…/kubepods/besteffort/pod<uid>/libpod-<id>): k8s.pod.uid comes from the
// real cgroup path, the names from the labels.
func TestPodmanContainerInPodCgroup(t *testing.T) {
	svc := podmantest.Require(t)
	tp := newTestPipeline(t, podmanConfig(svc))

	const podUID = "6a0f1e2d-3c4b-4a59-8876-5f4e3d2c1b0a"
	top := fmt.Sprintf("otelcol-topo-test-%d", time.Now().UnixNano())
	parent := "/" + top + "/kubepods/besteffort/pod" + podUID
	t.Cleanup(func() { podmantest.RemoveCgroupTree(t, top) })
	name := fmt.Sprintf("otelcol-topo-pod-%d", time.Now().UnixNano())
	cid := podmantest.Run(t, "run", "-d", "--name", name, "--cgroup-parent", parent,
		"--label", "io.kubernetes.pod.name=batch-x1",
		"--label", "io.kubernetes.pod.namespace=jobs",
		podmantest.Image, "sleep", "120")
	t.Cleanup(func() { _ = exec.Command("podman", "rm", "-f", "-t", "0", name).Run() })
	pid, err := strconv.Atoi(podmantest.Run(t, "inspect", "-f", "{{.State.Pid}}", name))
	require.NoError(t, err)
	dir, cgid := podmantest.CgroupOfPID(t, pid)
	require.Contains(t, dir, "/pod"+podUID+"/libpod-"+cid)

	require.NoError(t, tp.lp.ConsumeLogs(context.Background(), oneRecord(map[string]any{attrCgroupID: cgid, attrPID: int64(pid)})))
	_, rec := lastRecord(t, tp)
	assert.Equal(t, cid, strAttr(t, rec, attrContainerID))
	assert.Equal(t, podUID, strAttr(t, rec, attrPodUID))
	assert.Equal(t, "batch-x1", strAttr(t, rec, attrPodName))
	assert.Equal(t, "jobs", strAttr(t, rec, attrNamespaceName))
	assert.Equal(t, runtimePodman, strAttr(t, rec, attrContainerRT))
}

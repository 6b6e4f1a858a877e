//go:build linux

package topologyprocessor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.uber.org/zap/zaptest"
)

func startResolver(t *testing.T, cfg *Config) *resolver {
	t.Helper()
	hfs, err := newHostFS(cfg)
	require.NoError(t, err)
	tel, err := newTelemetry(componenttest.NewNopTelemetrySettings())
	require.NoError(t, err)
	r, err := newResolverWithFS(cfg, zaptest.NewLogger(t), tel, hfs)
	require.NoError(t, err)
	r.start(context.Background())
	t.Cleanup(r.shutdown)
	return r
}

func (r *resolver) cached(id int64) *cgroupEntry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cgroups[uint64(id)]
}

// TestInotifySeesNewCgroups: with no periodic rescan and no record asking,
// cgroup directories created after start are cached through the inotify
// watch (nested directories included).
func TestInotifySeesNewCgroups(t *testing.T) {
	cg := newFakeCgroupFS(t)
	cfg := testConfig(cg, nil)
	cfg.WatchCgroups = true
	r := startResolver(t, cfg)

	id := cg.mkdir(t, "/kubepods/besteffort/pod"+uid1+"/"+cid1)
	require.Eventually(t, func() bool { return r.cached(id) != nil }, 30*time.Second, 10*time.Millisecond)
	e := r.cached(id)
	assert.Equal(t, cid1, e.ref.containerID)
	assert.Equal(t, uid1, e.ref.podUID)

	// Once the first is seen the watches are in place (the watcher rescans
	// once after adding them), and there is no other rescan: a second
	// container under new parent directories can only be seen through
	// inotify, including the watches added for the new parents.
	id2 := cg.mkdir(t, "/kubepods/burstable/pod7c6b5a49-3e2d-4c1b-9a08-f7e6d5c4b3a2/"+cid2)
	require.Eventually(t, func() bool { return r.cached(id2) != nil }, 30*time.Second, 10*time.Millisecond)
}

// TestRuntimeEventsWarmTheCache: a container start event makes the resolver
// rescan, and its attributes give the container's metadata before any
// record asks — even when the container is gone from the runtime's list by
// the time it is asked.
func TestRuntimeEventsWarmTheCache(t *testing.T) {
	cg := newFakeCgroupFS(t)
	api := newFakeDockerAPI(t, "Docker Engine")
	r := startResolver(t, testConfig(cg, api))

	id := cg.mkdir(t, "/docker/"+cid1)
	ev := dockerEvent{Type: "container", Action: "start"}
	ev.Actor.ID = cid1
	ev.Actor.Attributes = map[string]string{"name": "evt", "image": "alpine:3", "exitCode": "0", labelK8sPodName: "p-1", "team": "a"}
	api.events <- ev
	require.Eventually(t, func() bool {
		r.mu.RLock()
		defer r.mu.RUnlock()
		e := r.cgroups[uint64(id)]
		return e != nil && e.metaDone
	}, 30*time.Second, 10*time.Millisecond)
	res := r.byCgroupID(uint64(id))
	assert.Empty(t, res.missing)
	assert.Contains(t, res.attrs, attr{key: attrContainerName, str: "evt"})
	assert.Contains(t, res.attrs, attr{key: attrImageName, str: "alpine"})
	assert.Contains(t, res.attrs, attr{key: attrPodName, str: "p-1"})
	assert.Contains(t, res.attrs, attr{key: attrContainerRT, str: runtimeDocker})
	assert.Contains(t, res.attrs, attr{key: "container.label.team", str: "a"})
	assert.NotContains(t, res.attrs, attr{key: "container.label.exitCode", str: "0"})
}

// TestCacheBoundsAndExpiry: removed cgroups expire after removed_ttl and the
// cache never holds more than max_entries.
func TestCacheBoundsAndExpiry(t *testing.T) {
	cg := newFakeCgroupFS(t)
	cfg := testConfig(cg, nil)
	cfg.Cache.MaxEntries = 4
	cfg.Cache.RemovedTTL = time.Minute
	r := startResolver(t, cfg)
	now := time.Now()
	r.now = func() time.Time { return now }

	var ids []int64
	for _, c := range []string{"a", "b", "c", "d", "e", "f"} {
		ids = append(ids, cg.mkdir(t, "/"+c))
	}
	r.refresh(context.Background())
	assert.LessOrEqual(t, r.entries(), 4)

	// Removed, within the TTL: still resolvable; after it: gone.
	cfg.Cache.MaxEntries = 100
	r.refresh(context.Background())
	require.NotNil(t, r.cached(ids[5]))
	cg.rmdir(t, "/f")
	now = now.Add(30 * time.Second)
	r.refresh(context.Background())
	e := r.cached(ids[5])
	require.NotNil(t, e, "a removed cgroup stays for removed_ttl")
	assert.False(t, e.removedAt.IsZero())
	assert.Empty(t, r.byCgroupID(uint64(ids[5])).missing)
	now = now.Add(2 * time.Minute)
	r.refresh(context.Background())
	assert.Nil(t, r.cached(ids[5]))
	assert.NotNil(t, r.cached(ids[4]), "live cgroups do not expire")
}

func TestOCIStateDir(t *testing.T) {
	dir := t.TempDir()
	// containerd: <dir>/k8s.io/<id>/config.json
	p := filepath.Join(dir, "k8s.io", cid1)
	require.NoError(t, os.MkdirAll(p, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(p, "config.json"), []byte(`{"ociVersion":"1.1.0","annotations":{
		"io.kubernetes.cri.container-type":"container",
		"io.kubernetes.cri.container-name":"app",
		"io.kubernetes.cri.image-name":"ghcr.io/acme/app:2.1",
		"io.kubernetes.cri.sandbox-name":"app-5d8f",
		"io.kubernetes.cri.sandbox-namespace":"prod",
		"io.kubernetes.cri.sandbox-uid":"`+uid1+`"}}`), 0o644))
	// CRI-O: <dir>/<id>/userdata/config.json
	q := filepath.Join(dir, cid2, "userdata")
	require.NoError(t, os.MkdirAll(q, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(q, "config.json"), []byte(`{"annotations":{
		"io.container.manager":"cri-o",
		"io.kubernetes.container.name":"db",
		"io.kubernetes.pod.name":"db-0",
		"io.kubernetes.pod.namespace":"data",
		"io.kubernetes.cri-o.ImageName":"quay.io/acme/db:15"}}`), 0o644))

	o := ociStateDir{dir: "/run/containerd/io.containerd.runtime.v2.task"}
	o.dir = dir
	m, err := o.lookup(cid1)
	require.NoError(t, err)
	assert.Equal(t, "app-5d8f", m.k8sPod)
	assert.Equal(t, "prod", m.k8sNS)
	assert.Equal(t, "app", m.k8sCtr)
	assert.Equal(t, uid1, m.k8sPodUID)
	assert.Equal(t, "ghcr.io/acme/app:2.1", m.image)

	m, err = o.lookup(cid2)
	require.NoError(t, err)
	assert.Equal(t, runtimeCRIO, m.runtime)
	assert.Equal(t, "db-0", m.k8sPod)
	assert.Equal(t, "data", m.k8sNS)
	assert.Equal(t, "quay.io/acme/db:15", m.image)

	_, err = o.lookup("0000000000000000000000000000000000000000000000000000000000000000")
	assert.ErrorIs(t, err, os.ErrNotExist)

	require.NoError(t, os.WriteFile(filepath.Join(p, "config.json"), []byte(`{not json`), 0o644))
	_, err = o.lookup(cid1)
	assert.ErrorContains(t, err, "decode OCI spec")
}

// fakeProc writes /proc/<pid>/cgroup and /proc/<pid>/ns/* for a pid under
// a fake proc root.
func fakeProc(t *testing.T, root string, pid int, cgroup string, ns nsSet) {
	t.Helper()
	dir := filepath.Join(root, strconv.Itoa(pid))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "ns"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cgroup"), []byte(cgroup), 0o644))
	for name, ino := range map[string]int64{"pid": ns.pid, "mnt": ns.mnt, "net": ns.net, "uts": ns.uts} {
		require.NoError(t, os.Symlink(fmt.Sprintf("%s:[%d]", name, ino), filepath.Join(dir, "ns", name)))
	}
}

// TestCgroupV1OnlyHost: without a cgroup v2 hierarchy there are no cgroup
// ids; a record with a live pid resolves through the v1 paths of
// /proc/<pid>/cgroup and the runtime's list.
func TestCgroupV1OnlyHost(t *testing.T) {
	proc := t.TempDir()
	host := nsSet{pid: 4026531836, mnt: 4026531840, net: 4026531992, uts: 4026531838}
	fakeProc(t, proc, 1, "12:memory:/\n1:name=systemd:/init.scope\n", host)
	fakeProc(t, proc, 4242, "12:cpuset:/docker/"+cid1+"\n11:memory:/docker/"+cid1+"\n1:name=systemd:/docker/"+cid1+"\n",
		nsSet{pid: 4026532201, mnt: 4026532199, net: 4026532204, uts: 4026532200})
	fakeProc(t, proc, 77, "12:memory:/system.slice/cron.service\n1:name=systemd:/system.slice/cron.service\n", host)
	api := newFakeDockerAPI(t, "Docker Engine")
	api.add(dockerContainer{ID: cid1, Names: []string{"/legacy"}, Image: "centos:7"})

	cfg := createDefaultConfig().(*Config)
	cfg.ProcRoot = proc
	cfg.DockerEndpoints = []string{"unix://" + api.sock}
	cfg.OCIStateDirs = nil
	cfg.WatchCgroups = false
	tel, err := newTelemetry(componenttest.NewNopTelemetrySettings())
	require.NoError(t, err)
	r, err := newResolverWithFS(cfg, zaptest.NewLogger(t), tel, &linuxFS{procRoot: proc})
	require.NoError(t, err)
	assert.Equal(t, host, r.host)
	r.start(context.Background())
	t.Cleanup(r.shutdown)

	res := r.byPID(4242)
	assert.Equal(t, missingRuntime, res.missing, "first sight: the runtime was not asked yet")
	assert.True(t, res.pending)
	r.refresh(context.Background())
	res = r.byPID(4242)
	assert.Empty(t, res.missing)
	assert.Contains(t, res.attrs, attr{key: attrContainerID, str: cid1})
	assert.Contains(t, res.attrs, attr{key: attrContainerRT, str: runtimeDocker})
	assert.Contains(t, res.attrs, attr{key: attrContainerName, str: "legacy"})
	assert.Equal(t, int64(4026532201), res.ns.pid)

	res = r.byPID(77)
	assert.Empty(t, res.missing)
	assert.Empty(t, res.attrs)
	assert.Equal(t, host, res.ns)

	assert.Equal(t, missingProcessGone, r.byPID(5555).missing)
}

//go:build linux

package topologyprocessor

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// fakeCgroupFS is a directory tree shaped like a cgroup v2 hierarchy; the
// inode numbers of its directories play the cgroup ids, as on the real one.
type fakeCgroupFS struct {
	root string
}

func newFakeCgroupFS(t testing.TB) *fakeCgroupFS {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "cgroup.procs"), nil, 0o644))
	return &fakeCgroupFS{root: root}
}

// mkdir creates the cgroup and lists pids in its cgroup.procs; it returns
// the cgroup id.
func (f *fakeCgroupFS) mkdir(t testing.TB, rel string, pids ...int) int64 {
	t.Helper()
	dir := filepath.Join(f.root, rel)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	var procs []byte
	for _, p := range pids {
		procs = strconv.AppendInt(procs, int64(p), 10)
		procs = append(procs, '\n')
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cgroup.procs"), procs, 0o644))
	return inodeOf(t, dir)
}

func (f *fakeCgroupFS) rmdir(t testing.TB, rel string) {
	t.Helper()
	require.NoError(t, os.RemoveAll(filepath.Join(f.root, rel)))
}

func inodeOf(t testing.TB, p string) int64 {
	t.Helper()
	var st syscall.Stat_t
	require.NoError(t, syscall.Stat(p, &st))
	return int64(st.Ino)
}

// fakeDockerAPI serves /version and /containers/json on a unix socket, like
// the Docker Engine API. gate, when set, blocks every request until closed.
type fakeDockerAPI struct {
	sock       string
	mu         sync.Mutex
	containers []dockerContainer
	gate       chan struct{}
	requests   int
	events     chan dockerEvent
}

func newFakeDockerAPI(t testing.TB, engine string) *fakeDockerAPI {
	t.Helper()
	dir, err := os.MkdirTemp("", "topo-docker")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	f := &fakeDockerAPI{sock: filepath.Join(dir, "docker.sock"), events: make(chan dockerEvent, 16)}
	ln, err := net.Listen("unix", f.sock)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) {
		f.wait(r)
		_ = json.NewEncoder(w).Encode(map[string]any{"Components": []map[string]string{{"Name": engine}}})
	})
	mux.HandleFunc("/containers/json", func(w http.ResponseWriter, r *http.Request) {
		f.wait(r)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.requests++
		_ = json.NewEncoder(w).Encode(f.containers)
	})
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case ev := <-f.events:
				_ = json.NewEncoder(w).Encode(ev)
				w.(http.Flusher).Flush()
			}
		}
	})
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		f.open()
		srv.Close()
	})
	return f
}

func (f *fakeDockerAPI) wait(r *http.Request) {
	f.mu.Lock()
	g := f.gate
	f.mu.Unlock()
	if g != nil {
		select {
		case <-g:
		case <-r.Context().Done():
		}
	}
}

func (f *fakeDockerAPI) block() {
	f.mu.Lock()
	f.gate = make(chan struct{})
	f.mu.Unlock()
}

func (f *fakeDockerAPI) open() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gate != nil {
		close(f.gate)
		f.gate = nil
	}
}

func (f *fakeDockerAPI) add(c dockerContainer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.containers = append(f.containers, c)
}

// testConfig is the default config pointed at a fake cgroupfs and docker
// socket, with no other runtime and no periodic rescan during a test.
func testConfig(cg *fakeCgroupFS, docker *fakeDockerAPI) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.CgroupRoot = cg.root
	cfg.DockerEndpoints = nil
	if docker != nil {
		cfg.DockerEndpoints = []string{"unix://" + docker.sock}
	}
	cfg.OCIStateDirs = nil
	cfg.RescanInterval = 1 << 40
	cfg.WatchCgroups = false
	cfg.HostName = "test-host"
	// Waits end as soon as the refresh is done; the margin is for loaded
	// CI machines.
	cfg.WaitTimeout = 5 * time.Second
	cfg.RuntimeTimeout = 10 * time.Second
	return cfg
}

type testPipeline struct {
	tel     *componenttest.Telemetry
	logs    *consumertest.LogsSink
	traces  *consumertest.TracesSink
	metrics *consumertest.MetricsSink
	lp      processor.Logs
	tp      processor.Traces
	mp      processor.Metrics
}

func newTestPipeline(t testing.TB, cfg *Config) *testPipeline {
	t.Helper()
	require.NoError(t, cfg.Validate())
	tp := &testPipeline{
		tel:     componenttest.NewTelemetry(),
		logs:    new(consumertest.LogsSink),
		traces:  new(consumertest.TracesSink),
		metrics: new(consumertest.MetricsSink),
	}
	f := NewFactory()
	set := processortest.NewNopSettings(f.Type())
	set.TelemetrySettings = tp.tel.NewTelemetrySettings()
	ctx := context.Background()
	var err error
	tp.lp, err = f.CreateLogs(ctx, set, cfg, tp.logs)
	require.NoError(t, err)
	tp.tp, err = f.CreateTraces(ctx, set, cfg, tp.traces)
	require.NoError(t, err)
	tp.mp, err = f.CreateMetrics(ctx, set, cfg, tp.metrics)
	require.NoError(t, err)
	host := componenttest.NewNopHost()
	for _, c := range []component.Component{tp.lp, tp.tp, tp.mp} {
		require.NoError(t, c.Start(ctx, host))
	}
	t.Cleanup(func() {
		for _, c := range []component.Component{tp.lp, tp.tp, tp.mp} {
			require.NoError(t, c.Shutdown(ctx))
		}
		require.NoError(t, tp.tel.Shutdown(ctx))
	})
	return tp
}

// missing returns otelcol_topology_metadata_missing by reason.
func (tp *testPipeline) missing(t testing.TB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	m, err := tp.tel.GetMetric("otelcol_topology_metadata_missing")
	if err != nil {
		return out
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok)
	for _, dp := range sum.DataPoints {
		r, _ := dp.Attributes.Value("reason")
		out[r.AsString()] += dp.Value
	}
	return out
}

func strAttr(t testing.TB, m pcommon.Map, k string) string {
	t.Helper()
	v, ok := m.Get(k)
	if !ok {
		return ""
	}
	return v.AsString()
}

//go:build linux

package topologyprocessor

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// BenchmarkProcessLogs measures the time the processor adds per record with
// a warm cache: a batch of 1000 eBPF-shaped records (10 attributes each) is
// copied outside the timer and processed inside it. ns/record is the
// figure docs/benchmarks.md reports.
func BenchmarkProcessLogs(b *testing.B) {
	t := b
	cg := newFakeCgroupFS(t)
	self := os.Getpid()
	ctrID := cg.mkdir(t, "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod2f1a8c3e_5b7d_4e9f_a1c2_3d4e5f6a7b8c.slice/cri-containerd-"+cid1+".scope", self)
	hostID := cg.mkdir(t, "/system.slice/sshd.service", self)
	api := newFakeDockerAPI(t, "Docker Engine")
	api.add(dockerContainer{ID: cid1, Names: []string{"/app"}, Image: "ghcr.io/acme/app:2.1", Labels: map[string]string{
		labelK8sPodName: "app-5d8f", labelK8sPodNS: "prod", labelK8sContainer: "app", "team": "payments",
	}})
	cfg := testConfig(cg, api)
	tp := newTestPipeline(t, cfg)
	ctx := context.Background()

	cases := []struct {
		name  string
		attrs map[string]any
	}{
		{"container_live_pid", map[string]any{attrCgroupID: ctrID, attrPID: int64(self)}},
		{"container_exited_pid", map[string]any{attrCgroupID: ctrID, attrPID: int64(1 << 30)}},
		{"container_exec_with_namespaces", map[string]any{attrCgroupID: ctrID, attrPID: int64(1 << 30), attrNSPid: int64(1), attrNSMnt: int64(2), attrNSNet: int64(3), attrNSUts: int64(4)}},
		{"host_process", map[string]any{attrCgroupID: hostID, attrPID: int64(self)}},
		{"no_key", map[string]any{}},
	}
	const batch = 1000
	for _, c := range cases {
		template := plog.NewLogs()
		rl := template.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("host.name", "bench")
		lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
		for i := 0; i < batch; i++ {
			lr := lrs.AppendEmpty()
			lr.SetEventName("fs.open")
			a := lr.Attributes()
			require.NoError(b, a.FromRaw(c.attrs))
			a.PutInt("thread.id", int64(i))
			a.PutStr("process.executable.name", "app")
			a.PutInt("process.user.id", 1000)
			a.PutStr("file.path", "/etc/hosts")
			a.PutStr("syscall.name", "openat")
			a.PutInt("syscall.return", 3)
			a.PutDouble("fs.open.duration", 1e-6)
		}
		// Warm the cache with one pass.
		warm := plog.NewLogs()
		template.CopyTo(warm)
		require.NoError(b, tp.lp.ConsumeLogs(ctx, warm))

		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				ld := plog.NewLogs()
				template.CopyTo(ld)
				tp.logs.Reset()
				b.StartTimer()
				if err := tp.lp.ConsumeLogs(ctx, ld); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/record")
		})
	}
}

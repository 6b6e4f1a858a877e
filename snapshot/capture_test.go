package snapshot

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type testConfig struct {
	Name    string
	Port    int
	Ratio   float64
	Enabled bool
	Tags    []string
	Next    *testConfig
}

var testStruct = testConfig{Name: "db", Port: 5432, Ratio: 0.25, Enabled: true, Tags: []string{"a", "b"}, Next: &testConfig{Name: "child"}}

//go:noinline
func blockedInTestWorker(ch chan struct{}) { <-ch }

func startLabelledWorker(t *testing.T, labels ...string) {
	ch := make(chan struct{})
	started := make(chan struct{})
	go pprof.Do(context.Background(), pprof.Labels(labels...), func(context.Context) {
		close(started)
		blockedInTestWorker(ch)
	})
	<-started
	t.Cleanup(func() { close(ch) })
}

func findGoroutine(s *Snapshot, fn string) *Goroutine {
	for i := range s.Goroutines {
		for _, f := range s.Goroutines[i].Frames {
			if strings.HasSuffix(f.Function, fn) {
				return &s.Goroutines[i]
			}
		}
	}
	return nil
}

func waitBlocked(t *testing.T, a *Agent, fn string) *Snapshot {
	var snap *Snapshot
	require.Eventually(t, func() bool {
		var err error
		snap, err = a.CaptureSnapshot(context.Background())
		require.NoError(t, err)
		g := findGoroutine(snap, fn)
		return g != nil && g.WaitReason == "chan receive"
	}, 10*time.Second, 20*time.Millisecond)
	return snap
}

func TestCaptureGoroutinesAndProfileLabels(t *testing.T) {
	startLabelledWorker(t, "role", "test-worker", "shard", "7")
	a := NewAgent()
	snap := waitBlocked(t, a, ".blockedInTestWorker")
	g := findGoroutine(snap, ".blockedInTestWorker")
	assert.Equal(t, "waiting", g.State)
	assert.Equal(t, map[string]string{"role": "test-worker", "shard": "7"}, g.Labels)
	assert.False(t, snap.LabelsExact, "labels come from the profile without GODEBUG=tracebacklabels=1")
	require.NotNil(t, g.CreatedBy)
	assert.Contains(t, g.CreatedBy.Function, "startLabelledWorker")
	assert.NotZero(t, g.CreatorID)
	assert.Contains(t, g.Frames[0].File, "capture_test.go")
	assert.Positive(t, snap.PauseSeconds)
	assert.Equal(t, snap.Runtime.GoroutineCount > 0, true)
	assert.NotZero(t, snap.Runtime.HeapBytes)
	assert.NotEmpty(t, snap.ID)
}

func TestCaptureTracebackLabels(t *testing.T) {
	t.Setenv("GODEBUG", "madvdontneed=1")
	startLabelledWorker(t, "role", "exact")
	a := NewAgent()
	_ = a.Init(context.Background(), "x", WithTracebackLabels(), WithEndpoint(""))
	assert.Equal(t, "madvdontneed=1,tracebacklabels=1", os.Getenv("GODEBUG"))
	snap := waitBlocked(t, a, ".blockedInTestWorker")
	assert.True(t, snap.LabelsExact)
	g := findGoroutine(snap, ".blockedInTestWorker")
	assert.Equal(t, map[string]string{"role": "exact"}, g.Labels)
}

func TestRegisteredValues(t *testing.T) {
	a := NewAgent()
	a.Register("config", func() any { return testStruct })
	a.Register("big", func() any { return strings.Repeat("y", 5000) })
	a.Register("panics", func() any { panic("boom") })
	type node struct {
		Name string
		Next *node
	}
	cycle := &node{Name: "loop"}
	cycle.Next = cycle
	a.Register("cycle", func() any { return cycle })
	a.Register("removed", func() any { return 1 })
	a.Register("removed", nil)
	snap, err := a.CaptureSnapshot(context.Background())
	require.NoError(t, err)
	vars := map[string]Variable{}
	for _, v := range snap.Variables {
		vars[v.Name] = v
	}
	cfg := vars["config"].Value.(map[string]any)
	assert.Equal(t, "db", cfg["Name"])
	assert.Equal(t, int64(5432), cfg["Port"])
	assert.Equal(t, "registered", vars["config"].Source)
	assert.Equal(t, "snapshot.testConfig", vars["config"].Type)
	assert.Len(t, vars["big"].Value, 512)
	assert.True(t, vars["big"].Truncated)
	assert.Contains(t, vars["panics"].Error, "boom")
	assert.True(t, vars["cycle"].Truncated, "a cycle stops at the depth limit")
	assert.NotContains(t, vars, "removed")
}

func buildAndRun(t *testing.T, dir string, ldflags string, extra ...string) []byte {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "prog")
	args := append([]string{"build", "-o", bin}, extra...)
	if ldflags != "" {
		args = append(args, "-ldflags="+ldflags)
	}
	cmd := exec.Command("go", append(args, dir)...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	cmd = exec.Command(bin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	require.NoError(t, err, "run: %s", stderr.String())
	return out
}

func TestDWARFVariables(t *testing.T) {
	t.Run("exe", func(t *testing.T) { checkDWARFVariables(t, buildAndRun(t, "./testdata/dwarfprog", "")) })
	// A position-independent binary is loaded at a random address: the
	// reader must find the load offset (macOS binaries are always PIE).
	t.Run("pie", func(t *testing.T) {
		checkDWARFVariables(t, buildAndRun(t, "./testdata/dwarfprog", "", "-buildmode=pie"))
	})
}

func checkDWARFVariables(t *testing.T, out []byte) {
	var list []Variable
	require.NoError(t, json.Unmarshal(out, &list))
	vars := map[string]Variable{}
	for _, v := range list {
		vars[strings.TrimPrefix(v.Name, "main.")] = v
	}
	for n, v := range vars {
		assert.Equal(t, "dwarf", v.Source, n)
	}
	assert.Equal(t, float64(-1234567), vars["counter"].Value)
	assert.Equal(t, "int64", vars["counter"].Type)
	assert.Equal(t, "dwarf-test", vars["name"].Value)
	assert.Len(t, vars["long"].Value, 512)
	assert.True(t, vars["long"].Truncated)
	st := vars["cfg"].Value.(map[string]any)
	assert.Equal(t, "main.config", vars["cfg"].Type)
	assert.Equal(t, "db", st["Name"])
	assert.Equal(t, float64(5432), st["Port"])
	assert.Equal(t, 0.25, st["Ratio"])
	assert.Equal(t, true, st["Enabled"])
	assert.Equal(t, float64(-3), st["small"])
	assert.Equal(t, []any{"a", "b"}, st["Tags"])
	assert.Equal(t, "child", st["Next"].(map[string]any)["Name"])
	assert.Nil(t, st["Next"].(map[string]any)["Next"])
	assert.Contains(t, vars["table"].Value, "unsupported: map")
	assert.Len(t, vars["ints"].Value, 64)
	assert.True(t, vars["ints"].Truncated)
	assert.Nil(t, vars["nilPtr"].Value)
	assert.Empty(t, vars["nilPtr"].Error)
	assert.Equal(t, "raw bytes", vars["bytesVar"].Value)
	assert.Equal(t, []any{float64(1), float64(2), float64(3)}, vars["arr"].Value)
	assert.Contains(t, vars["missing"].Error, "unavailable")
}

func TestDWARFStrippedBinary(t *testing.T) {
	out := buildAndRun(t, "./testdata/dwarfprog", "-s -w")
	var list []Variable
	require.NoError(t, json.Unmarshal(out, &list))
	require.NotEmpty(t, list)
	for _, v := range list {
		assert.Contains(t, v.Error, "unavailable", v.Name)
		assert.Nil(t, v.Value)
	}
}

func TestParseStacks(t *testing.T) {
	dump := "goroutine 7 [chan receive, 3 minutes, locked to thread labels:{\"a\": \"b\", \"c\": \"d, e\"}]:\n" +
		"main.(*T).worker(0xc000012345, {0x1, 0x2})\n\t/src/main.go:42 +0x25\n" +
		"...additional frames elided...\n" +
		"created by main.main in goroutine 1\n\t/src/main.go:10 +0x45\n\n" +
		"goroutine 1 [running]:\nmain.main()\n\t/src/main.go:12 +0x1d\n\n" +
		"goroutine 9 [sync.WaitGroup.Wait (leaked)]:\nsync.(*WaitGroup).Wait(0x0)\n\t/go/src/sync/waitgroup.go:118 +0x60\n"
	gs, labels := parseStacks([]byte(dump))
	require.Len(t, gs, 3)
	assert.True(t, labels)
	assert.Equal(t, Goroutine{
		ID: 7, State: "waiting", WaitReason: "chan receive", WaitMinutes: 3, LockedToThread: true,
		Labels:       map[string]string{"a": "b", "c": "d, e"},
		Frames:       []Frame{{Function: "main.(*T).worker", File: "/src/main.go", Line: 42}},
		FramesElided: true,
		CreatedBy:    &Frame{Function: "main.main", File: "/src/main.go", Line: 10}, CreatorID: 1,
	}, gs[0])
	assert.Equal(t, "running", gs[1].State)
	assert.Equal(t, "leaked", gs[2].State)
	assert.Equal(t, "sync.WaitGroup.Wait", gs[2].WaitReason)
}

func FuzzParseStacks(f *testing.F) {
	f.Add([]byte("goroutine 1 [running]:\nmain.main()\n\t/x.go:1 +0x1\n"))
	f.Add([]byte("goroutine 2 [select, 5 minutes labels:{\"k\": \"v\"}]:\ncreated by x in goroutine 1\n\t:\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		gs, _ := parseStacks(b)
		for _, g := range gs {
			if g.State == "" {
				t.Fatalf("goroutine %d without state", g.ID)
			}
		}
	})
}

func TestReadMemory(t *testing.T) {
	src := []byte("0123456789")
	addr := uintptr(unsafe.Pointer(&src[0]))
	for name, read := range map[string]func(uintptr, []byte) error{"readMemory": readMemory, "readMemoryUnsafe": readMemoryUnsafe} {
		dst := make([]byte, 4)
		require.NoError(t, read(addr+2, dst), name)
		assert.Equal(t, "2345", string(dst), name)
		// An unmapped address is an error, not a crash.
		assert.Error(t, read(8, dst), name)
	}
	runtime.KeepAlive(src)
}

//go:build linux && amd64

package fileprobe

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/syscallprobe/probeenv"
)

// helperEnv makes the test binary act as the helper program (TestMain).
const helperEnv = "FILEPROBE_HELPER_DIR"

// helperResult is what the helper reports on stdout.
type helperResult struct {
	WriteFD, ReadFD, RelFD, How2FD int
	StaleFD                        int
	Written, Read                  int
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		os.Exit(runHelper(dir))
	}
	if dir := os.Getenv(dirfdHelperEnv); dir != "" {
		os.Exit(runDirfdHelper(dir))
	}
	os.Exit(m.Run())
}

// runHelper waits for a line on stdin, then performs known file operations
// in dir on one OS thread named by FILEPROBE_HELPER_COMM, and prints the fds
// it got as JSON.
func runHelper(dir string) int {
	runtime.LockOSThread()
	if comm := os.Getenv("FILEPROBE_HELPER_COMM"); comm != "" {
		name, err := unix.BytePtrFromString(comm)
		if err != nil {
			return 2
		}
		if err := unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(name)), 0, 0, 0); err != nil {
			fmt.Fprintln(os.Stderr, "prctl:", err)
			return 2
		}
	}
	stdin := bufio.NewReader(os.Stdin)
	if _, err := stdin.ReadString('\n'); err != nil {
		return 2
	}
	die := func(what string, err error) int { fmt.Fprintln(os.Stderr, what, err); return 2 }
	var r helperResult
	a := filepath.Join(dir, "a.txt")
	fd, err := unix.Openat(unix.AT_FDCWD, a, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o640)
	if err != nil {
		return die("open a", err)
	}
	r.WriteFD = fd
	payload := []byte(strings.Repeat("x", 100))
	for _, chunk := range [][]byte{payload, payload[:23]} {
		n, err := unix.Write(fd, chunk)
		if err != nil {
			return die("write", err)
		}
		r.Written += n
	}
	unix.Close(fd)
	if fd, err = unix.Openat(unix.AT_FDCWD, a, unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
		return die("open a ro", err)
	}
	r.ReadFD = fd
	buf := make([]byte, 64)
	for {
		n, err := unix.Read(fd, buf)
		if err != nil {
			return die("read", err)
		}
		if n == 0 {
			break
		}
		r.Read += n
	}
	unix.Close(fd)
	if err := unix.Chdir(dir); err != nil {
		return die("chdir", err)
	}
	if fd, err = unix.Openat(unix.AT_FDCWD, "rel.txt", unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o600); err != nil {
		return die("open rel", err)
	}
	r.RelFD = fd
	unix.Close(fd)
	if fd, err = unix.Openat2(unix.AT_FDCWD, filepath.Join(dir, "rel.txt"), &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC}); err != nil {
		return die("openat2", err)
	}
	r.How2FD = fd
	unix.Close(fd)
	if _, err := unix.Openat(unix.AT_FDCWD, filepath.Join(dir, "missing.txt"), unix.O_RDONLY, 0); err == nil {
		return die("open missing", fmt.Errorf("succeeded"))
	}
	if err := unix.Rename(a, filepath.Join(dir, "b.txt")); err != nil {
		return die("rename", err)
	}
	if err := unix.Unlink(filepath.Join(dir, "b.txt")); err != nil {
		return die("unlink", err)
	}
	// An fd closed without close() (close_range, as exec does for
	// O_CLOEXEC): a pipe that reuses its number must not produce fs.close.
	if fd, err = unix.Openat(unix.AT_FDCWD, filepath.Join(dir, "rel.txt"), unix.O_RDONLY, 0); err != nil {
		return die("open stale", err)
	}
	r.StaleFD = fd
	if err := unix.CloseRange(uint(fd), uint(fd), 0); err != nil {
		return die("close_range", err)
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return die("pipe", err)
	}
	if p[0] != fd {
		return die("pipe", fmt.Errorf("got fd %d, want the reused %d", p[0], fd))
	}
	if _, err := unix.Write(p[1], []byte("x")); err != nil {
		return die("pipe write", err)
	}
	if _, err := unix.Read(p[0], make([]byte, 1)); err != nil {
		return die("pipe read", err)
	}
	unix.Close(p[0])
	unix.Close(p[1])
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		return die("encode", err)
	}
	// Stay alive (so that /proc/<pid>/cwd still resolves relative paths)
	// until told to exit.
	_, _ = stdin.ReadString('\n')
	return 0
}

// helperProc is a started helper, blocked until release.
type helperProc struct {
	cmd   *exec.Cmd
	stdin *os.File
	out   *bufio.Reader
}

func startHelper(t *testing.T, dir, comm string) *helperProc {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	h := &helperProc{stdin: pw}
	h.cmd = exec.Command(exe, "-test.run=^$")
	h.cmd.Env = append(os.Environ(), helperEnv+"="+dir, "FILEPROBE_HELPER_COMM="+comm)
	h.cmd.Stdin = pr
	stdout, err := h.cmd.StdoutPipe()
	require.NoError(t, err)
	h.out = bufio.NewReader(stdout)
	h.cmd.Stderr = os.Stderr
	require.NoError(t, h.cmd.Start())
	pr.Close()
	t.Cleanup(func() { pw.Close(); _ = h.cmd.Process.Kill(); _, _ = h.cmd.Process.Wait() })
	return h
}

func (h *helperProc) run(t *testing.T) helperResult {
	t.Helper()
	_, err := h.stdin.WriteString("go\n")
	require.NoError(t, err)
	line, err := h.out.ReadString('\n')
	require.NoError(t, err, "helper failed")
	var r helperResult
	require.NoError(t, json.Unmarshal([]byte(line), &r))
	return r
}

// finish lets the helper exit and waits for it.
func (h *helperProc) finish(t *testing.T) {
	t.Helper()
	_, err := h.stdin.WriteString("exit\n")
	require.NoError(t, err)
	require.NoError(t, h.cmd.Wait())
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for eBPF: loading and attaching tp_btf programs requires CAP_BPF and CAP_PERFMON")
	}
}

func startProbe(t *testing.T, cfg Config, f bpfheaders.Filter) *probeenv.Sink {
	t.Helper()
	sink := probeenv.NewSink()
	f.SelfPID = uint32(os.Getpid())
	env, shared, err := probeenv.New(f, sink, nil)
	require.NoError(t, err)
	t.Cleanup(func() { shared.Close() })
	p := New(cfg)
	require.NoError(t, p.Start(t.Context(), env))
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	return sink
}

func inDir(dir string) func(probeenv.Record) bool {
	return func(r probeenv.Record) bool {
		for _, k := range []string{"file.path", "file.rename.target"} {
			if p, ok := r.Attrs[k].(string); ok && strings.HasPrefix(p, dir+"/") {
				return true
			}
		}
		return false
	}
}

func TestFileProbeEvents(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	h := startHelper(t, dir, "fp-helper")
	cfg := NewDefaultConfig()
	cfg.Enabled = true
	// Without the /proc fallback, the relative open's absolute path can
	// only come from the kernel's dentry walk.
	cfg.ResolveRelativePaths = false
	sink := startProbe(t, cfg, bpfheaders.Filter{PIDs: []uint32{uint32(h.cmd.Process.Pid)}})
	res := h.run(t)
	require.Equal(t, 123, res.Written)
	require.Equal(t, 123, res.Read)

	// 6 opens (a w, a r, rel, openat2, missing, stale), 4 closes, rename,
	// delete; no close for the fd that close_range closed.
	var recs []probeenv.Record
	require.Eventually(t, func() bool {
		recs = sink.Find(inDir(dir))
		return len(recs) >= 12
	}, 10*time.Second, 10*time.Millisecond, "events from the helper")
	h.finish(t)
	pid := int64(h.cmd.Process.Pid)
	for _, r := range recs {
		assert.Equal(t, pid, r.Attrs["process.pid"], "only the included pid: %v", r)
		assert.Equal(t, "fp-helper", r.Attrs["process.executable.name"])
	}
	a, b, rel := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt"), filepath.Join(dir, "rel.txt")
	want := []struct {
		event string
		attrs map[string]any
	}{
		{"fs.open", map[string]any{"file.path": a, "file.name": "a.txt", "file.directory": dir, "fs.open.flags": "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC", "fs.open.mode": int64(0o640), "fs.fd": int64(res.WriteFD), "syscall.name": "openat", "syscall.return": int64(res.WriteFD)}},
		{"fs.close", map[string]any{"file.path": a, "fs.fd": int64(res.WriteFD), "fs.write.bytes": int64(123), "fs.read.bytes": int64(0)}},
		{"fs.open", map[string]any{"file.path": a, "fs.open.flags": "O_RDONLY|O_CLOEXEC", "fs.fd": int64(res.ReadFD)}},
		{"fs.close", map[string]any{"file.path": a, "fs.fd": int64(res.ReadFD), "fs.write.bytes": int64(0), "fs.read.bytes": int64(123)}},
		{"fs.open", map[string]any{"file.path": rel, "fs.open.flags": "O_RDWR|O_CREAT|O_CLOEXEC", "fs.open.mode": int64(0o600), "fs.fd": int64(res.RelFD)}},
		{"fs.close", map[string]any{"file.path": rel, "fs.fd": int64(res.RelFD)}},
		{"fs.open", map[string]any{"file.path": rel, "fs.open.flags": "O_RDONLY|O_CLOEXEC", "syscall.name": "openat2", "fs.fd": int64(res.How2FD)}},
		{"fs.close", map[string]any{"file.path": rel, "fs.fd": int64(res.How2FD)}},
		{"fs.open", map[string]any{"file.path": filepath.Join(dir, "missing.txt"), "error.type": "ENOENT", "syscall.return": int64(-2)}},
		{"fs.rename", map[string]any{"file.path": a, "file.rename.target": b, "syscall.name": "renameat", "syscall.return": int64(0)}},
		{"fs.delete", map[string]any{"file.path": b, "syscall.name": "unlinkat", "syscall.return": int64(0)}},
		{"fs.open", map[string]any{"file.path": rel, "fs.fd": int64(res.StaleFD)}},
	}
	// Exactly these: in particular no fs.close for the pipe that reused the
	// fd that close_range closed.
	require.Len(t, recs, len(want), "exactly the helper's events, in order: %+v", recs)
	for i, w := range want {
		r := recs[i]
		assert.Equal(t, w.event, r.EventName, "record %d", i)
		for k, v := range w.attrs {
			assert.Equal(t, v, r.Attrs[k], "record %d (%s) attribute %s", i, w.event, k)
		}
	}
	_, hasFD := recs[8].Attrs["fs.fd"]
	assert.False(t, hasFD, "a failed open has no fs.fd")
	assert.Greater(t, recs[0].Attrs["fs.open.duration"], 0.0)
	assert.WithinDuration(t, time.Now(), recs[0].Timestamp, time.Minute, "kernel time converted to wall time")
}

func TestFileProbeCommFilter(t *testing.T) {
	requireRoot(t)
	keepDir, dropDir := t.TempDir(), t.TempDir()
	keep := startHelper(t, keepDir, "fp-keep")
	drop := startHelper(t, dropDir, "fp-drop")
	cfg := NewDefaultConfig()
	cfg.Enabled = true
	sink := startProbe(t, cfg, bpfheaders.Filter{ExcludeComms: []string{"fp-drop"}})
	// The dropped helper runs first: when the kept helper's events have all
	// arrived, the dropped one's would have too (one ring, in order).
	drop.run(t)
	keep.run(t)
	require.Eventually(t, func() bool { return len(sink.Find(inDir(keepDir))) == 12 }, 10*time.Second, 10*time.Millisecond)
	assert.Empty(t, sink.Find(inDir(dropDir)), "events of an excluded comm must be dropped in the kernel")
	// The test process itself (the collector's pid) is never traced.
	f, err := os.CreateTemp(keepDir, "self-*.txt")
	require.NoError(t, err)
	f.Close()
	after := filepath.Join(keepDir, "after")
	later := startHelper(t, after, "fp-keep")
	require.NoError(t, os.Mkdir(after, 0o755))
	later.run(t)
	require.Eventually(t, func() bool { return len(sink.Find(inDir(after))) == 12 }, 10*time.Second, 10*time.Millisecond)
	assert.Empty(t, sink.Find(func(r probeenv.Record) bool { return r.Attrs["file.path"] == f.Name() }), "own pid is excluded")
}

// TestFileProbeRelativePathAcrossMount: a relative open in a directory of
// another mount (a tmpfs) is reported with its absolute path, resolved in
// the kernel (the /proc fallback is off), crossing the mount point.
func TestFileProbeRelativePathAcrossMount(t *testing.T) {
	requireRoot(t)
	mnt := t.TempDir()
	require.NoError(t, unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"))
	t.Cleanup(func() { _ = unix.Unmount(mnt, unix.MNT_DETACH) })
	dir := filepath.Join(mnt, "deeper", "dir")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	h := startHelper(t, dir, "fp-mount")
	cfg := NewDefaultConfig()
	cfg.Enabled = true
	cfg.Events = []string{EventOpen}
	cfg.ResolveRelativePaths = false
	sink := startProbe(t, cfg, bpfheaders.Filter{PIDs: []uint32{uint32(h.cmd.Process.Pid)}})
	res := h.run(t)
	var rel []probeenv.Record
	require.Eventually(t, func() bool {
		rel = sink.Find(func(r probeenv.Record) bool {
			return r.Attrs["fs.fd"] == int64(res.RelFD) && r.Attrs["fs.open.flags"] == "O_RDWR|O_CREAT|O_CLOEXEC"
		})
		return len(rel) == 1
	}, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, filepath.Join(dir, "rel.txt"), rel[0].Attrs["file.path"])
	h.finish(t)
}

//go:build linux && amd64

package syscallprobe

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/syscallprobe/probeenv"
)

const helperEnv = "SYSCALLPROBE_HELPER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		if err := runHelper(dir); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type helperResult struct{ FD, Read, SockFD, Port int }

// runHelper: after a line on stdin, openat a missing file, openat an
// existing one, read 7 bytes from it, close it; print the fd; wait.
func runHelper(dir string) error {
	stdin := bufio.NewReader(os.Stdin)
	if _, err := stdin.ReadString('\n'); err != nil {
		return err
	}
	if _, err := unix.Openat(unix.AT_FDCWD, filepath.Join(dir, "missing"), unix.O_RDONLY|unix.O_CLOEXEC, 0); err != unix.ENOENT {
		return fmt.Errorf("open missing: %v", err)
	}
	fd, err := unix.Openat(unix.AT_FDCWD, filepath.Join(dir, "data"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	n, err := unix.Read(fd, make([]byte, 7))
	if err != nil {
		return err
	}
	if err := unix.Close(fd); err != nil {
		return err
	}
	// A connect to a port nobody listens on.
	tmp, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := unix.Bind(tmp, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return err
	}
	sa, err := unix.Getsockname(tmp)
	if err != nil {
		return err
	}
	port := sa.(*unix.SockaddrInet4).Port // bound, not listening: refused; kept open
	sfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := unix.Connect(sfd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: port}); err != unix.ECONNREFUSED {
		return fmt.Errorf("connect: %v, want ECONNREFUSED", err)
	}
	if err := json.NewEncoder(os.Stdout).Encode(helperResult{FD: fd, Read: n, SockFD: sfd, Port: port}); err != nil {
		return err
	}
	_, _ = stdin.ReadString('\n')
	return nil
}

func TestSyscallProbeEvents(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for eBPF: loading and attaching tp_btf programs requires CAP_BPF and CAP_PERFMON")
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "data"), []byte("0123456789"), 0o600))
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })

	sink := probeenv.NewSink()
	env, shared, err := probeenv.New(bpfheaders.Filter{SelfPID: uint32(os.Getpid()), PIDs: []uint32{uint32(cmd.Process.Pid)}}, sink, nil)
	require.NoError(t, err)
	t.Cleanup(func() { shared.Close() })
	cfg := NewDefaultConfig()
	cfg.Syscalls = []string{"openat", "read", "close", "connect"}
	cfg.Enabled = true
	p := New(cfg)
	require.NoError(t, p.Start(t.Context(), env))
	t.Cleanup(func() { require.NoError(t, p.Close()) })

	_, err = stdin.Write([]byte("go\n"))
	require.NoError(t, err)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	var r helperResult
	require.NoError(t, json.Unmarshal([]byte(line), &r))

	mine := func(rec probeenv.Record) bool {
		if p, ok := rec.Attrs["file.path"].(string); ok {
			return filepath.Dir(p) == dir
		}
		return rec.Attrs["fs.fd"] == int64(r.FD) && rec.Attrs["syscall.name"] != "openat"
	}
	var recs []probeenv.Record
	require.Eventually(t, func() bool { recs = sink.Find(mine); return len(recs) >= 4 }, 10*time.Second, 10*time.Millisecond)
	_, _ = stdin.Write([]byte("exit\n"))
	require.Len(t, recs, 4, "%+v", recs)

	open1, open2, read, closeRec := recs[0], recs[1], recs[2], recs[3]
	assert.Equal(t, "syscall", open1.EventName)
	assert.Equal(t, "openat", open1.Attrs["syscall.name"])
	assert.Equal(t, int64(257), open1.Attrs["syscall.number"])
	assert.Equal(t, int64(-2), open1.Attrs["syscall.return"])
	assert.Equal(t, "ENOENT", open1.Attrs["error.type"])
	assert.Equal(t, filepath.Join(dir, "missing"), open1.Attrs["file.path"])
	args := open1.Attrs["syscall.args"].([]any)
	require.Len(t, args, 6)
	assert.Equal(t, int64(unix.AT_FDCWD), int64(int32(args[0].(int64))), "raw dirfd")
	assert.Equal(t, int64(unix.O_RDONLY|unix.O_CLOEXEC), args[2], "raw flags")

	assert.Equal(t, filepath.Join(dir, "data"), open2.Attrs["file.path"])
	assert.Equal(t, int64(r.FD), open2.Attrs["syscall.return"])
	assert.NotContains(t, open2.Attrs, "error.type")

	assert.Equal(t, "read", read.Attrs["syscall.name"])
	assert.Equal(t, int64(7), read.Attrs["syscall.return"])
	assert.Equal(t, int64(7), read.Attrs["syscall.args"].([]any)[2], "count argument")
	assert.Equal(t, "close", closeRec.Attrs["syscall.name"])
	assert.Equal(t, int64(0), closeRec.Attrs["syscall.return"])
	assert.GreaterOrEqual(t, closeRec.Attrs["syscall.duration"], 0.0)
	for _, rec := range recs {
		assert.Equal(t, int64(cmd.Process.Pid), rec.Attrs["process.pid"])
	}

	var conn []probeenv.Record
	require.Eventually(t, func() bool {
		conn = sink.Find(func(rec probeenv.Record) bool {
			return rec.Attrs["syscall.name"] == "connect" && rec.Attrs["fs.fd"] == int64(r.SockFD)
		})
		return len(conn) == 1
	}, 10*time.Second, 10*time.Millisecond)
	c := conn[0]
	assert.Equal(t, "ECONNREFUSED", c.Attrs["error.type"])
	assert.Equal(t, int64(-111), c.Attrs["syscall.return"])
	assert.Equal(t, "127.0.0.1", c.Attrs["network.peer.address"], "decoded sockaddr")
	assert.Equal(t, int64(r.Port), c.Attrs["network.peer.port"])
	assert.Equal(t, "ipv4", c.Attrs["network.type"])
}

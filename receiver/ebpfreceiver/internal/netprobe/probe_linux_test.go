//go:build linux && amd64

package netprobe

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

const helperEnv = "NETPROBE_HELPER_DIR"

// helperResult is what the helper reports: the fds and ports it used.
type helperResult struct {
	ListenPort, ClientPort, ClientFD, ServerFD int
	V6Port, V6ClientPort, V6ClientFD           int
	RefusedPort, RefusedFD                     int
	UnixFD                                     int
	UnixPath                                   string
}

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

func listen(family int, addr unix.Sockaddr) (int, int, error) {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, 0, err
	}
	if err := unix.Bind(fd, addr); err != nil {
		return 0, 0, err
	}
	if err := unix.Listen(fd, 8); err != nil {
		return 0, 0, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, 0, err
	}
	switch s := sa.(type) {
	case *unix.SockaddrInet4:
		return fd, s.Port, nil
	case *unix.SockaddrInet6:
		return fd, s.Port, nil
	}
	return fd, 0, nil
}

func localPort(fd int) int {
	sa, _ := unix.Getsockname(fd)
	switch s := sa.(type) {
	case *unix.SockaddrInet4:
		return s.Port
	case *unix.SockaddrInet6:
		return s.Port
	}
	return 0
}

// runHelper waits for a line on stdin, then: a TCP/IPv4 loopback exchange
// (connect, accept, 100 bytes one way, 50 back, close both), an IPv6
// connect, a refused connect and a unix socket connect, all with blocking
// sockets; prints the fds and ports; waits for a second line.
func runHelper(dir string) error {
	stdin := bufio.NewReader(os.Stdin)
	if _, err := stdin.ReadString('\n'); err != nil {
		return err
	}
	var r helperResult
	lfd, port, err := listen(unix.AF_INET, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	if err != nil {
		return err
	}
	r.ListenPort = port
	cfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := unix.Connect(cfd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: port}); err != nil {
		return err
	}
	r.ClientFD, r.ClientPort = cfd, localPort(cfd)
	sfd, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
	if err != nil {
		return err
	}
	r.ServerFD = sfd
	buf := make([]byte, 200)
	if _, err := unix.Write(cfd, make([]byte, 100)); err != nil {
		return err
	}
	if err := readFull(sfd, buf[:100]); err != nil {
		return err
	}
	if _, err := unix.SendmsgN(sfd, make([]byte, 50), nil, nil, 0); err != nil {
		return err
	}
	if _, _, err := unix.Recvfrom(cfd, buf[:50], unix.MSG_WAITALL); err != nil {
		return err
	}
	unix.Close(cfd)
	unix.Close(sfd)
	unix.Close(lfd)

	l6, p6, err := listen(unix.AF_INET6, &unix.SockaddrInet6{Addr: [16]byte{15: 1}})
	if err != nil {
		return err
	}
	c6, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := unix.Connect(c6, &unix.SockaddrInet6{Addr: [16]byte{15: 1}, Port: p6}); err != nil {
		return err
	}
	r.V6Port, r.V6ClientFD, r.V6ClientPort = p6, c6, localPort(c6)
	unix.Close(c6)
	unix.Close(l6)

	// A port nobody listens on: bind one and close it without listening.
	tmp, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := unix.Bind(tmp, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return err
	}
	r.RefusedPort = localPort(tmp)
	unix.Close(tmp)
	rfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	r.RefusedFD = rfd
	if err := unix.Connect(rfd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: r.RefusedPort}); err != unix.ECONNREFUSED {
		return fmt.Errorf("connect to a closed port: %v, want ECONNREFUSED", err)
	}
	unix.Close(rfd)

	r.UnixPath = filepath.Join(dir, "sock")
	ul, _, err := listen(unix.AF_UNIX, &unix.SockaddrUnix{Name: r.UnixPath})
	if err != nil {
		return err
	}
	ufd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	if err := unix.Connect(ufd, &unix.SockaddrUnix{Name: r.UnixPath}); err != nil {
		return err
	}
	r.UnixFD = ufd
	unix.Close(ufd)
	unix.Close(ul)

	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		return err
	}
	_, _ = stdin.ReadString('\n')
	return nil
}

func readFull(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Read(fd, b)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("eof")
		}
		b = b[n:]
	}
	return nil
}

func TestNetworkProbeEvents(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for eBPF: loading and attaching tp_btf programs requires CAP_BPF and CAP_PERFMON")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
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

	// connect+accept+2 closes, v6 connect+close, refused connect, unix
	// connect+close.
	const n = 9
	require.Eventually(t, func() bool { return len(sink.Records()) >= n }, 10*time.Second, 10*time.Millisecond)
	_, _ = stdin.Write([]byte("exit\n"))
	recs := sink.Records()
	require.Len(t, recs, n, "%+v", recs)
	want := []struct {
		event string
		attrs map[string]any
	}{
		{"net.connect", map[string]any{"network.transport": "tcp", "network.type": "ipv4", "network.peer.address": "127.0.0.1", "network.peer.port": int64(r.ListenPort), "server.address": "127.0.0.1", "server.port": int64(r.ListenPort), "network.local.address": "127.0.0.1", "network.local.port": int64(r.ClientPort), "fs.fd": int64(r.ClientFD), "syscall.return": int64(0)}},
		{"net.accept", map[string]any{"network.transport": "tcp", "network.type": "ipv4", "client.address": "127.0.0.1", "client.port": int64(r.ClientPort), "network.peer.port": int64(r.ClientPort), "network.local.port": int64(r.ListenPort), "server.port": int64(r.ListenPort), "fs.fd": int64(r.ServerFD), "syscall.return": int64(r.ServerFD)}},
		{"net.close", map[string]any{"fs.fd": int64(r.ClientFD), "net.sent.bytes": int64(100), "net.received.bytes": int64(50), "server.port": int64(r.ListenPort), "network.local.port": int64(r.ClientPort)}},
		{"net.close", map[string]any{"fs.fd": int64(r.ServerFD), "net.sent.bytes": int64(50), "net.received.bytes": int64(100), "client.port": int64(r.ClientPort)}},
		{"net.connect", map[string]any{"network.transport": "tcp", "network.type": "ipv6", "network.peer.address": "::1", "network.peer.port": int64(r.V6Port), "network.local.address": "::1", "network.local.port": int64(r.V6ClientPort), "fs.fd": int64(r.V6ClientFD)}},
		{"net.close", map[string]any{"fs.fd": int64(r.V6ClientFD), "net.sent.bytes": int64(0), "network.type": "ipv6"}},
		{"net.connect", map[string]any{"network.peer.address": "127.0.0.1", "network.peer.port": int64(r.RefusedPort), "error.type": "ECONNREFUSED", "syscall.return": int64(-111), "fs.fd": int64(r.RefusedFD)}},
		{"net.connect", map[string]any{"network.transport": "unix", "network.peer.address": r.UnixPath, "fs.fd": int64(r.UnixFD)}},
		{"net.close", map[string]any{"network.transport": "unix", "network.peer.address": r.UnixPath, "fs.fd": int64(r.UnixFD)}},
	}
	for i, w := range want {
		assert.Equal(t, w.event, recs[i].EventName, "record %d", i)
		for k, v := range w.attrs {
			assert.Equal(t, v, recs[i].Attrs[k], "record %d (%s) attribute %s", i, w.event, k)
		}
		assert.Equal(t, int64(cmd.Process.Pid), recs[i].Attrs["process.pid"])
	}
	assert.Greater(t, recs[0].Attrs["net.connect.duration"], 0.0)
	assert.Greater(t, recs[2].Attrs["net.connection.duration"], 0.0)
}

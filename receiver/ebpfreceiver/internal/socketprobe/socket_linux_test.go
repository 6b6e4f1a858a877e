//go:build linux

package socketprobe

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap/zaptest"
	"golang.org/x/sys/unix"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
)

type testSink struct {
	mu   sync.Mutex
	recs []plog.LogRecord
}

func (s *testSink) EmitLog(fill func(plog.LogRecord)) bool {
	lr := plog.NewLogRecord()
	fill(lr)
	s.mu.Lock()
	s.recs = append(s.recs, lr)
	s.mu.Unlock()
	return true
}
func (s *testSink) EmitSpan(func(pcommon.Resource, ptrace.Span)) bool { return true }
func (s *testSink) Lost(string, string, int64)                        {}

func (s *testSink) records(pid int) []plog.LogRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []plog.LogRecord
	for _, r := range s.recs {
		if v, _ := r.Attributes().Get("process.pid"); v.Int() == int64(pid) {
			out = append(out, r)
		}
	}
	return out
}

type monoClock struct{ offset time.Duration }

func (c monoClock) Wall(ns uint64) time.Time { return time.Unix(0, int64(ns)).Add(c.offset) }

func startProbe(t testing.TB, cfg Config) *testSink {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for eBPF: run the tests as root")
	}
	shared, err := bpfheaders.NewSharedMaps(bpfheaders.Filter{SelfPID: uint32(os.Getpid())})
	require.NoError(t, err)
	t.Cleanup(func() { _ = shared.Close() })
	var ts unix.Timespec
	require.NoError(t, unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts))
	sink := &testSink{}
	env := probe.Env{
		Logger: zaptest.NewLogger(t), SharedMaps: shared.Maps(), Sink: sink, SelfPID: os.Getpid(),
		Clock: monoClock{offset: time.Duration(time.Now().UnixNano() - ts.Nano())}, PollInterval: 20 * time.Millisecond,
	}
	p := New(cfg)
	require.NoError(t, p.Start(context.Background(), env))
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	return sink
}

func startHTTPServer(t *testing.T) (port, pid int) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not found: needed for the HTTP test server")
	}
	cmd := exec.Command("python3", "testdata/http_server.py")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	port, err = strconv.Atoi(strings.TrimSpace(line))
	require.NoError(t, err)
	return port, cmd.Process.Pid
}

func curl(t *testing.T, args ...string) int {
	t.Helper()
	bin, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not found")
	}
	cmd := exec.Command(bin, append([]string{"-sS", "--http1.1"}, args...)...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	return cmd.Process.Pid
}

func attr(r plog.LogRecord, k string) pcommon.Value {
	v, _ := r.Attributes().Get(k)
	return v
}

func joined(recs []plog.LogRecord, dir string) string {
	var b bytes.Buffer
	for _, r := range recs {
		if attr(r, "network.io.direction").Str() == dir {
			b.Write(r.Body().Bytes().AsRaw())
		}
	}
	return b.String()
}

func TestPlainHTTPCurl(t *testing.T) {
	port, srvPid := startHTTPServer(t)
	sink := startProbe(t, Config{Ports: []int{port}, MaxPayloadBytes: 65536})
	secret := fmt.Sprintf("plain-%d", time.Now().UnixNano())
	const n = 3
	var urls []string
	for i := 0; i < n; i++ {
		urls = append(urls, fmt.Sprintf("http://127.0.0.1:%d/p%d", port, i))
	}
	pid := curl(t, append([]string{"-H", "X-Secret: " + secret}, urls...)...)

	var recs []plog.LogRecord
	require.Eventually(t, func() bool {
		recs = sink.records(pid)
		return strings.Count(joined(recs, "receive"), "secret="+secret) == n
	}, 20*time.Second, 20*time.Millisecond, "curl's socket payloads did not arrive")
	id := attr(recs[0], "connection.id").Str()
	assert.True(t, strings.HasPrefix(id, fmt.Sprintf("%d:socket:", pid)), id)
	for i, r := range recs {
		assert.Equal(t, id, attr(r, "connection.id").Str(), "one keep-alive connection")
		assert.Equal(t, int64(i), attr(r, "connection.sequence").Int())
		assert.Equal(t, "socket", attr(r, "payload.source").Str())
		assert.Equal(t, int64(port), attr(r, "network.peer.port").Int())
		assert.Equal(t, "127.0.0.1", attr(r, "network.peer.address").Str())
	}
	tx := joined(recs, "transmit")
	assert.True(t, strings.HasPrefix(tx, "GET /p0 HTTP/1.1\r\n"), tx)
	assert.Contains(t, tx, "X-Secret: "+secret)
	// The server's side is captured as well (local port = the filter port).
	srecs := sink.records(srvPid)
	require.NotEmpty(t, srecs)
	assert.Contains(t, joined(srecs, "receive"), "GET /p1 HTTP/1.1\r\n")
	assert.Equal(t, int64(port), attr(srecs[0], "network.local.port").Int())
}

func TestPortFilterExcludesOtherPorts(t *testing.T) {
	portA, _ := startHTTPServer(t)
	portB, _ := startHTTPServer(t)
	sink := startProbe(t, Config{Ports: []int{portA}, MaxPayloadBytes: 65536})
	pidB := curl(t, fmt.Sprintf("http://127.0.0.1:%d/b", portB))
	pidA := curl(t, fmt.Sprintf("http://127.0.0.1:%d/a", portA))
	require.Eventually(t, func() bool {
		return strings.Contains(joined(sink.records(pidA), "receive"), "hello /a")
	}, 20*time.Second, 20*time.Millisecond)
	// B's calls happened before A's and would have been read first.
	assert.Empty(t, sink.records(pidB), "port %d is not in the filter", portB)
}

func TestAddressFilter(t *testing.T) {
	port, _ := startHTTPServer(t)
	sink := startProbe(t, Config{Addresses: []string{"127.0.0.0/8"}, MaxPayloadBytes: 65536})
	pid := curl(t, fmt.Sprintf("http://127.0.0.1:%d/addr", port))
	require.Eventually(t, func() bool {
		return strings.Contains(joined(sink.records(pid), "receive"), "hello /addr")
	}, 20*time.Second, 20*time.Millisecond)
}

func TestAddressFilterExcludes(t *testing.T) {
	port, _ := startHTTPServer(t)
	portOK, _ := startHTTPServer(t)
	// Only peers in 10.0.0.0/8 pass: loopback traffic is dropped in the kernel...
	sink := startProbe(t, Config{Addresses: []string{"10.0.0.0/8"}, Ports: []int{port}, MaxPayloadBytes: 65536})
	pid := curl(t, fmt.Sprintf("http://127.0.0.1:%d/x", port))
	_ = portOK
	// ...so nothing of curl's arrives, while its traffic definitely
	// happened (curl succeeded). A second probe without the address
	// filter proves the events would have been visible.
	sink2 := startProbe(t, Config{Ports: []int{port}, MaxPayloadBytes: 65536})
	pid2 := curl(t, fmt.Sprintf("http://127.0.0.1:%d/y", port))
	require.Eventually(t, func() bool {
		return strings.Contains(joined(sink2.records(pid2), "receive"), "hello /y")
	}, 20*time.Second, 20*time.Millisecond)
	assert.Empty(t, sink.records(pid))
	assert.Empty(t, sink.records(pid2))
}

// vectoredClient sends one request with sendmsg (4 iovecs) and reads with
// recvmsg into 2 buffers, then another with writev/readv, each on its own
// connection.
const vectoredClient = `
import os, socket, sys
port, secret = int(sys.argv[1]), sys.argv[2].encode()
def parts(path):
    return [b"GET " + path + b" HTTP/1.1\r\n", b"Host: 127.0.0.1\r\n", b"X-Secret: " + secret + b"\r\n", b"Connection: close\r\n\r\n"]
def drain(s):
    while s.recv(65536):
        pass
s = socket.create_connection(("127.0.0.1", port))
s.sendmsg(parts(b"/msg"))
a, b = bytearray(5), bytearray(4096)
s.recvmsg_into([a, b])
drain(s); s.close()
s = socket.create_connection(("127.0.0.1", port))
os.writev(s.fileno(), parts(b"/vec"))
os.readv(s.fileno(), [bytearray(5), bytearray(4096)])
drain(s); s.close()
`

func TestVectoredCalls(t *testing.T) {
	port, _ := startHTTPServer(t)
	sink := startProbe(t, Config{Ports: []int{port}, MaxPayloadBytes: 65536})
	secret := fmt.Sprintf("vec-%d", time.Now().UnixNano())
	cmd := exec.Command("python3", "-c", vectoredClient, strconv.Itoa(port), secret)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	pid := cmd.Process.Pid

	var recs []plog.LogRecord
	require.Eventually(t, func() bool {
		recs = sink.records(pid)
		return strings.Count(joined(recs, "receive"), "secret="+secret) == 2
	}, 20*time.Second, 20*time.Millisecond, "the vectored calls' payloads did not arrive")

	byConn := map[string][]plog.LogRecord{}
	var order []string
	for _, r := range recs {
		id := attr(r, "connection.id").Str()
		if _, ok := byConn[id]; !ok {
			order = append(order, id)
		}
		byConn[id] = append(byConn[id], r)
	}
	require.Len(t, order, 2)
	for i, path := range []string{"/msg", "/vec"} {
		c := byConn[order[i]]
		want := "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Secret: " + secret + "\r\nConnection: close\r\n\r\n"
		assert.Equal(t, want, joined(c, "transmit"), path)
		// The request is one call of 4 iovecs: 4 chunks, in order.
		var off int64
		for j, r := range c[:4] {
			assert.Equal(t, "transmit", attr(r, "network.io.direction").Str())
			assert.Equal(t, int64(j), attr(r, "payload.chunk.index").Int())
			assert.Equal(t, int64(4), attr(r, "payload.chunk.count").Int())
			assert.Equal(t, off, attr(r, "payload.offset").Int())
			assert.Equal(t, int64(len(want)), attr(r, "payload.length").Int())
			assert.False(t, attr(r, "payload.truncated").Bool())
			off += int64(r.Body().Bytes().Len())
		}
		// The response's first read filled the 5-byte buffer, then the next.
		rx := c[4]
		assert.Equal(t, "HTTP/", string(rx.Body().Bytes().AsRaw()))
		assert.Equal(t, int64(2), attr(rx, "payload.chunk.count").Int())
		assert.Contains(t, joined(c, "receive"), "HTTP/1.1 200")
		assert.Contains(t, joined(c, "receive"), "hello "+path+" secret="+secret)
	}
}

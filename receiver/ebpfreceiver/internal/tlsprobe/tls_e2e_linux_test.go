//go:build linux

package tlsprobe

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// httpsServer is the Python loopback HTTPS server of testdata.
type httpsServer struct {
	port int
	pid  int
	cert string
}

func startHTTPSServer(t *testing.T) *httpsServer {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: needed for the HTTPS test server")
	}
	dir := t.TempDir()
	cert, key := writeCert(t, dir)
	cmd := exec.Command(py, "testdata/https_server.py", cert, key)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, "server did not print its port")
	port, err := strconv.Atoi(strings.TrimSpace(line))
	require.NoError(t, err)
	return &httpsServer{port: port, pid: cmd.Process.Pid, cert: cert}
}

func startProbe(t *testing.T, cfg Config) (*Probe, *testSink) {
	t.Helper()
	requireRoot(t)
	env, sink := newTestEnv(t)
	p := New(cfg)
	require.NoError(t, p.Start(context.Background(), env))
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	return p.(*Probe), sink
}

// payloads returns the records of pid from source, in arrival order.
func payloads(sink *testSink, pid int, source string) []plog.LogRecord {
	var out []plog.LogRecord
	for _, r := range sink.records(pid) {
		if attrStr(r, "payload.source") == source {
			out = append(out, r)
		}
	}
	return out
}

func attrStr(r plog.LogRecord, k string) string {
	v, ok := r.Attributes().Get(k)
	if !ok {
		return ""
	}
	return v.AsString()
}

func attrInt(r plog.LogRecord, k string) int64 {
	v, _ := r.Attributes().Get(k)
	return v.Int()
}

// joined concatenates the bodies of the records in one direction.
func joined(recs []plog.LogRecord, dir string) []byte {
	var b bytes.Buffer
	for _, r := range recs {
		if attrStr(r, "network.io.direction") == dir {
			b.Write(r.Body().Bytes().AsRaw())
		}
	}
	return b.Bytes()
}

// waitFor waits until the records of pid from source satisfy done.
func waitFor(t *testing.T, sink *testSink, pid int, source string, done func([]plog.LogRecord) bool) []plog.LogRecord {
	t.Helper()
	var recs []plog.LogRecord
	require.Eventually(t, func() bool {
		recs = payloads(sink, pid, source)
		return done(recs)
	}, 20*time.Second, 20*time.Millisecond, "records of pid %d from %s did not arrive; got %d", pid, source, len(recs))
	return recs
}

// checkConnection asserts that recs are one connection with contiguous
// sequence numbers in arrival order, and returns its connection.id.
func checkConnection(t *testing.T, recs []plog.LogRecord) string {
	t.Helper()
	require.NotEmpty(t, recs)
	id := attrStr(recs[0], "connection.id")
	for i, r := range recs {
		assert.Equal(t, id, attrStr(r, "connection.id"), "record %d", i)
		assert.Equal(t, int64(i), attrInt(r, "connection.sequence"), "record %d", i)
		assert.Equal(t, "net.payload", r.EventName())
	}
	return id
}

func randomToken(t *testing.T) string {
	return fmt.Sprintf("s3cr3t-%d-%d", os.Getpid(), time.Now().UnixNano())
}

func TestOpenSSLCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not found")
	}
	p, sink := startProbe(t, NewDefaultConfig())
	srv := startHTTPSServer(t)
	secret := randomToken(t)
	path := "/curl-" + secret[len(secret)-6:]

	cmd := exec.Command(curl, "-sS", "--http1.1", "--cacert", srv.cert, "-H", "X-Secret: "+secret,
		fmt.Sprintf("https://127.0.0.1:%d%s", srv.port, path))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "secret="+secret)
	pid := cmd.Process.Pid

	want := "hello " + path + " secret=" + secret
	recs := waitFor(t, sink, pid, "openssl", func(r []plog.LogRecord) bool {
		return bytes.Contains(joined(r, "receive"), []byte(want))
	})
	checkConnection(t, recs)
	tx := string(joined(recs, "transmit"))
	assert.True(t, strings.HasPrefix(tx, "GET "+path+" HTTP/1.1\r\n"), "request line: %q", tx)
	assert.Contains(t, tx, "X-Secret: "+secret)
	assert.Equal(t, "transmit", attrStr(recs[0], "network.io.direction"), "the request comes first")
	assert.Contains(t, attrStr(recs[0], "payload.library.path"), "libssl")
	assert.Equal(t, int64(pid), attrInt(recs[0], "process.pid"))
	assert.Equal(t, "curl", attrStr(recs[0], "process.executable.name"))
	assert.Equal(t, "client", attrStr(recs[0], "connection.role"), "SSL->server of OpenSSL 3.0")
	assert.NotEmpty(t, p.att.attached())

	// The server side (Python, SSL_read_ex/SSL_write_ex) is captured too,
	// with the 5-tuple resolved from its socket BIO.
	srecs := waitFor(t, sink, srv.pid, "openssl", func(r []plog.LogRecord) bool {
		return bytes.Contains(joined(r, "transmit"), []byte(want))
	})
	assert.Contains(t, string(joined(srecs, "receive")), "X-Secret: "+secret)
	assert.Equal(t, "127.0.0.1", attrStr(srecs[0], "network.local.address"))
	assert.Equal(t, int64(srv.port), attrInt(srecs[0], "network.local.port"))
	assert.Equal(t, "tcp", attrStr(srecs[0], "network.transport"))
	assert.Equal(t, "server", attrStr(srecs[0], "connection.role"))
}

func TestOpenSSLPythonUrllib(t *testing.T) {
	t.Run("uprobe_multi", func(t *testing.T) { testPythonUrllib(t, false) })
	t.Run("single_uprobes", func(t *testing.T) { testPythonUrllib(t, true) })
}

func testPythonUrllib(t *testing.T, single bool) {
	requireRoot(t)
	env, sink := newTestEnv(t)
	pr := New(NewDefaultConfig())
	pr.(*Probe).singleUprobes = single
	require.NoError(t, pr.Start(context.Background(), env))
	t.Cleanup(func() { require.NoError(t, pr.Close()) })
	assert.Equal(t, !single, pr.(*Probe).progs.multi)
	srv := startHTTPSServer(t)
	secret := randomToken(t)
	path := "/py-" + secret[len(secret)-6:]
	script := `import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
req = urllib.request.Request(sys.argv[1], headers={"X-Secret": sys.argv[3]})
print(urllib.request.urlopen(req, context=ctx).read().decode())`
	cmd := exec.Command("python3", "-c", script, fmt.Sprintf("https://127.0.0.1:%d%s", srv.port, path), srv.cert, secret)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	pid := cmd.Process.Pid

	want := "hello " + path + " secret=" + secret
	recs := waitFor(t, sink, pid, "openssl", func(r []plog.LogRecord) bool {
		return bytes.Contains(joined(r, "receive"), []byte(want))
	})
	id := checkConnection(t, recs)
	assert.Regexp(t, "^"+strconv.Itoa(pid)+":openssl:0x[0-9a-f]+:[0-9]+$", id, "<pid>:openssl:<SSL*>:<generation>")
	tx := string(joined(recs, "transmit"))
	assert.True(t, strings.HasPrefix(tx, "GET "+path+" HTTP/1.1\r\n"), "request line: %q", tx)
	assert.Contains(t, tx, "X-Secret: "+secret)
	// Python's socket BIO gives the fd: the peer is the server.
	assert.Equal(t, "127.0.0.1", attrStr(recs[0], "network.peer.address"))
	assert.Equal(t, int64(srv.port), attrInt(recs[0], "network.peer.port"))
	assert.Greater(t, recs[0].Attributes().AsRaw()["payload.call.duration"], 0.0)
}

var _ = filepath.Join

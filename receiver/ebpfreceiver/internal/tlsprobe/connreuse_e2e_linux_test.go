//go:build linux

package tlsprobe

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// byConnection groups records by connection.id, keeping arrival order.
func byConnection(recs []plog.LogRecord) map[string][]plog.LogRecord {
	out := map[string][]plog.LogRecord{}
	for _, r := range recs {
		id := attrStr(r, "connection.id")
		out[id] = append(out[id], r)
	}
	return out
}

// connPointer returns the "<pid>:<source>:<pointer>" part of a TLS
// connection.id (without the generation).
func connPointer(id string) string {
	if i := strings.LastIndexByte(id, ':'); i > 0 {
		return id[:i]
	}
	return id
}

// TestOpenSSLConnectionPerRequest is the QA case of SSL objects reused at
// the same address: a Python HTTPS server (http.server + ssl, which frees
// each connection's SSL object) serves several sequential connections of
// one curl process, one request each ("Connection: close"). Every
// connection, on both sides, must have its own connection.id and a
// sequence starting at 0, even when OpenSSL hands the freed SSL object's
// address to the next connection.
//
// The socket_change_only variant leaves SSL_free/SSL_clear unhooked: the
// server's SSL objects (socket BIO: the fd is known) are then told apart by
// the change of socket under the reused object alone.
func TestOpenSSLConnectionPerRequest(t *testing.T) {
	t.Run("uprobe_multi", func(t *testing.T) { testConnectionPerRequest(t, false, false) })
	t.Run("single_uprobes", func(t *testing.T) { testConnectionPerRequest(t, true, false) })
	t.Run("socket_change_only", func(t *testing.T) { testConnectionPerRequest(t, false, true) })
}

func testConnectionPerRequest(t *testing.T, single, noTeardown bool) {
	requireRoot(t)
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not found")
	}
	env, sink := newTestEnv(t)
	pr := New(NewDefaultConfig())
	pr.(*Probe).singleUprobes = single
	pr.(*Probe).noTeardownHooks = noTeardown
	require.NoError(t, pr.Start(context.Background(), env))
	t.Cleanup(func() { require.NoError(t, pr.Close()) })
	srv := startHTTPSServer(t)
	secret := randomToken(t)

	const n = 6
	args := []string{"-sS", "--http1.1", "--cacert", srv.cert, "-H", "X-Secret: " + secret, "-H", "Connection: close"}
	for i := 0; i < n; i++ {
		args = append(args, fmt.Sprintf("https://127.0.0.1:%d/conn%d", srv.port, i))
	}
	cmd := exec.Command(curl, args...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Equal(t, n, strings.Count(string(out), "secret="+secret), string(out))
	pid := cmd.Process.Pid

	// Server side: request i arrives on connection i.
	srecs := waitFor(t, sink, srv.pid, "openssl", func(r []plog.LogRecord) bool {
		return bytes.Count(joined(r, "transmit"), []byte("secret="+secret)) == n
	})
	var mine []plog.LogRecord // the server also saw other tests' connections: keep this test's
	for id, c := range byConnection(srecs) {
		if bytes.Contains(joined(c, "receive"), []byte("X-Secret: "+secret)) {
			mine = append(mine, c...)
		} else {
			t.Logf("server connection %s of another client ignored", id)
		}
	}
	checkPerRequest(t, "server", byConnection(mine), n, "receive", secret)
	if noTeardown {
		return // curl's own BIO hides the fd: without SSL_free only the server side is told apart
	}

	// Client side: curl opened the n connections one after the other.
	crecs := waitFor(t, sink, pid, "openssl", func(r []plog.LogRecord) bool {
		return bytes.Count(joined(r, "receive"), []byte("secret="+secret)) == n
	})
	checkPerRequest(t, "client", byConnection(crecs), n, "transmit", secret)
}

// checkPerRequest asserts conns are n connections each carrying exactly
// one request (seen in direction reqDir), one of /conn0../conn<n-1> each,
// with contiguous sequence numbers from 0 and (server) one peer port.
func checkPerRequest(t *testing.T, side string, conns map[string][]plog.LogRecord, n int, reqDir, secret string) {
	t.Helper()
	require.Len(t, conns, n, "%s: one connection.id per connection; ids: %v", side, keys(conns))
	seen := map[string]bool{}
	pointers := map[string]bool{}
	for id, c := range conns {
		pointers[connPointer(id)] = true
		checkConnection(t, c) // one id, sequence 0, 1, 2, ... in arrival order
		req := joined(c, reqDir)
		require.Equal(t, 1, bytes.Count(req, []byte("X-Secret: "+secret)), "%s %s carries one request: %q", side, id, req)
		var path string
		_, err := fmt.Sscanf(string(req), "GET %s HTTP/1.1", &path)
		require.NoError(t, err, "%s %s: the connection starts with its request line: %q", side, id, req)
		assert.False(t, seen[path], "%s: %s on two connections", side, path)
		seen[path] = true
		assert.Equal(t, reqDir, attrStr(c[0], "network.io.direction"), "%s %s: sequence 0 is the request", side, id)
		if side == "server" {
			port := attrInt(c[0], "network.peer.port")
			assert.NotZero(t, port)
			for _, r := range c {
				assert.Equal(t, port, attrInt(r, "network.peer.port"), "%s %s: one TCP connection", side, id)
			}
		}
	}
	for i := 0; i < n; i++ {
		assert.True(t, seen[fmt.Sprintf("/conn%d", i)], "%s: /conn%d not seen", side, i)
	}
	// The reuse is what the generation exists for; log how often it
	// happened (allocation is not the test's to control).
	t.Logf("%s: %d connections used %d distinct object addresses", side, n, len(pointers))
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestGoCryptoTLSConnectionPerRequest: a Go client without keep-alive
// opens one crypto/tls connection per request; (*Conn).Close ends each
// connection's state, so each has its own connection.id from sequence 0.
func TestGoCryptoTLSConnectionPerRequest(t *testing.T) {
	requireRoot(t)
	bin := buildGoClient(t, false)
	hooks, err := inspectELF(bin)
	require.NoError(t, err)
	require.True(t, hooks.GoClose, "crypto/tls.(*Conn).Close is hooked")
	p, sink := startProbe(t, NewDefaultConfig())
	srv := startHTTPSServer(t)
	secret := randomToken(t)
	const n = 5

	g := startGated(t, bin, "-url", fmt.Sprintf("https://127.0.0.1:%d/goclose", srv.port), "-ca", srv.cert,
		"-secret", secret, "-n", fmt.Sprint(n), "-close")
	id := fileIDOf(t, bin)
	require.Eventually(t, func() bool { return p.att.isAttached(id) }, 20*time.Second, 10*time.Millisecond,
		"the probe did not attach to the exec'ed Go binary")
	g.release(t)
	pid := g.cmd.Process.Pid

	recs := waitFor(t, sink, pid, "go_tls", func(r []plog.LogRecord) bool {
		return bytes.Count(joined(r, "receive"), []byte("secret="+secret)) == n
	})
	conns := byConnection(recs)
	require.Len(t, conns, n, "one connection.id per connection; ids: %v", keys(conns))
	pointers := map[string]bool{}
	for id, c := range conns {
		pointers[connPointer(id)] = true
		checkConnection(t, c)
		tx := joined(c, "transmit")
		assert.Equal(t, 1, bytes.Count(tx, []byte("X-Secret: "+secret)), "%s carries one request: %q", id, tx)
		assert.True(t, bytes.HasPrefix(tx, []byte("GET /goclose?i=")), "%s starts with its request line: %q", id, tx)
	}
	t.Logf("%d connections used %d distinct *tls.Conn addresses", n, len(pointers))
}

// TestGnuTLSConnectionPerRequest: one process opens sequential GnuTLS
// sessions (gnutls_deinit in between, so the next session is usually
// allocated at the same address; GnuTLS gives no fd, so gnutls_deinit is
// the only way to tell them apart). Each session has its own
// connection.id from sequence 0.
func TestGnuTLSConnectionPerRequest(t *testing.T) {
	requireRoot(t)
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler (cc)")
	}
	bin := filepath.Join(t.TempDir(), "gnutlsreuse")
	if out, err := exec.Command(cc, "-O2", "-o", bin, "testdata/gnutlsreuse.c", "-lgnutls").CombinedOutput(); err != nil {
		t.Skipf("cannot build the GnuTLS client (needs libgnutls28-dev): %v\n%s", err, out)
	}
	_, sink := startProbe(t, NewDefaultConfig())
	srv := startHTTPSServer(t)
	secret := randomToken(t)
	const n = 5

	cmd := exec.Command(bin, srv.cert, fmt.Sprint(srv.port), fmt.Sprint(n), secret)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Equal(t, n, strings.Count(string(out), "secret="+secret), string(out))
	pid := cmd.Process.Pid

	recs := waitFor(t, sink, pid, "gnutls", func(r []plog.LogRecord) bool {
		return bytes.Count(joined(r, "receive"), []byte("secret="+secret)) == n
	})
	conns := byConnection(recs)
	require.Len(t, conns, n, "one connection.id per connection; ids: %v", keys(conns))
	pointers := map[string]bool{}
	for id, c := range conns {
		pointers[connPointer(id)] = true
		checkConnection(t, c)
		tx := joined(c, "transmit")
		assert.Equal(t, 1, bytes.Count(tx, []byte("X-Secret: "+secret)), "%s carries one request: %q", id, tx)
		assert.True(t, bytes.HasPrefix(tx, []byte("GET /gnutls")), "%s starts with its request line: %q", id, tx)
	}
	t.Logf("%d sessions used %d distinct gnutls_session_t addresses", n, len(pointers))
}

//go:build linux

package tlsprobe

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// TestStaticOpenSSLExecutable: OpenSSL linked statically into an executable
// is found by its symbols in the exec'd binary.
func TestStaticOpenSSLExecutable(t *testing.T) {
	requireRoot(t)
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler (cc)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "sslpair_static")
	out, err := exec.Command(cc, "-O2", "-static", "-o", bin, "testdata/sslpair.c", "-lssl", "-lcrypto", "-lpthread").CombinedOutput()
	if err != nil {
		t.Skipf("cannot link OpenSSL statically here (needs libssl-dev): %v\n%s", err, out)
	}
	cert, key := writeCert(t, dir)
	p, sink := startProbe(t, NewDefaultConfig())

	g := startGated(t, bin, cert, key, "3", "100", "wait")
	id := fileIDOf(t, bin)
	require.Eventually(t, func() bool { return p.att.isAttached(id) }, 20*time.Second, 10*time.Millisecond,
		"the probe did not attach to the static OpenSSL executable")
	g.release(t)
	pid := g.cmd.Process.Pid

	// 3 round trips: each SSL object writes 3 x 100 bytes and reads 3 x 100.
	recs := waitFor(t, sink, pid, "openssl", func(r []plog.LogRecord) bool {
		return len(joined(r, "transmit")) >= 600 && len(joined(r, "receive")) >= 600
	})
	conns := map[string][]plog.LogRecord{}
	for _, r := range recs {
		assert.Equal(t, bin, attrStr(r, "payload.library.path"))
		conns[attrStr(r, "connection.id")] = append(conns[attrStr(r, "connection.id")], r)
	}
	require.Len(t, conns, 2, "client and server SSL objects are two connections")
	roles := map[string]bool{}
	for _, c := range conns {
		checkConnection(t, c)
		assert.Equal(t, bytes.Repeat([]byte("x"), 300), joined(c, "transmit"))
		roles[attrStr(c[0], "connection.role")] = true
	}
	assert.Equal(t, map[string]bool{"client": true, "server": true}, roles, "SSL->server of the static OpenSSL 3.0")
}

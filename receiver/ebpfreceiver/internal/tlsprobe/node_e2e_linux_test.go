//go:build linux

package tlsprobe

import (
	"bytes"
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

// nodeClient waits for a line on stdin, then GETs argv[1] with the CA
// argv[2] and X-Secret argv[3], and prints the body.
const nodeClient = `
const https = require('https'), fs = require('fs');
const [url, ca, secret] = process.argv.slice(1);
process.stdin.once('data', () => {
  https.get(url, {ca: fs.readFileSync(ca), headers: {'X-Secret': secret}}, (res) => {
    let body = '';
    res.on('data', (d) => body += d);
    res.on('end', () => { console.log(body); process.exit(0); });
  }).on('error', (e) => { console.error(e); process.exit(1); });
});
`

// TestNodeStaticOpenSSL: Node.js links OpenSSL statically and exports its
// symbols; the node executable is found and hooked after exec.
func TestNodeStaticOpenSSL(t *testing.T) {
	requireRoot(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found")
	}
	real, err := filepath.EvalSymlinks(node)
	require.NoError(t, err)
	p, sink := startProbe(t, NewDefaultConfig())
	srv := startHTTPSServer(t)
	secret := randomToken(t)

	g := startGated(t, real, "-e", nodeClient, fmt.Sprintf("https://127.0.0.1:%d/node", srv.port), srv.cert, secret)
	id := fileIDOf(t, real)
	require.Eventually(t, func() bool { return p.att.isAttached(id) }, 20*time.Second, 10*time.Millisecond,
		"the probe did not attach to the node executable")
	g.release(t)
	require.Contains(t, g.out.String(), "secret="+secret)
	pid := g.cmd.Process.Pid

	recs := waitFor(t, sink, pid, "openssl", func(r []plog.LogRecord) bool {
		return bytes.Contains(joined(r, "receive"), []byte("hello /node secret="+secret))
	})
	checkConnection(t, recs)
	tx := string(joined(recs, "transmit"))
	assert.True(t, strings.HasPrefix(tx, "GET /node HTTP/1.1\r\n"), "request line: %q", tx)
	assert.Contains(t, strings.ToLower(tx), "x-secret: "+secret)
	assert.Equal(t, real, attrStr(recs[0], "payload.library.path"))
	// The OpenSSL version text in node's .rodata selects the 3.0 layout.
	assert.Equal(t, "client", attrStr(recs[0], "connection.role"))
}

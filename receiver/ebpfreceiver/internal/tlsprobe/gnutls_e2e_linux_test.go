//go:build linux

package tlsprobe

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestGnuTLSCli(t *testing.T) {
	cli, err := exec.LookPath("gnutls-cli")
	if err != nil {
		t.Skip("gnutls-cli not found (apt-get install gnutls-bin)")
	}
	_, sink := startProbe(t, NewDefaultConfig())
	srv := startHTTPSServer(t)
	secret := randomToken(t)

	cmd := exec.Command(cli, "--x509cafile", srv.cert, "-p", fmt.Sprint(srv.port), "127.0.0.1")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	req := "GET /gnutls HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Secret: " + secret + "\r\nConnection: close\r\n\r\n"
	_, err = io.WriteString(stdin, req)
	require.NoError(t, err)
	pid := cmd.Process.Pid

	want := "hello /gnutls secret=" + secret
	recs := waitFor(t, sink, pid, "gnutls", func(r []plog.LogRecord) bool {
		return bytes.Contains(joined(r, "receive"), []byte(want))
	})
	_ = stdin.Close()
	checkConnection(t, recs)
	tx := string(joined(recs, "transmit"))
	assert.True(t, strings.HasPrefix(tx, "GET /gnutls HTTP/1.1\r\n"), "request line: %q", tx)
	assert.Contains(t, tx, "X-Secret: "+secret)
	assert.Contains(t, attrStr(recs[0], "payload.library.path"), "libgnutls")
}

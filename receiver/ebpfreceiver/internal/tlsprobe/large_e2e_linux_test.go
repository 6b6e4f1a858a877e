//go:build linux

package tlsprobe

import (
	"bytes"
	"fmt"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

func bigBody() []byte {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

func curlBig(t *testing.T, srv *httpsServer) int {
	t.Helper()
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not found")
	}
	cmd := exec.Command(curl, "-sS", "--http1.1", "--cacert", srv.cert, "-o", "/dev/null", "-w", "%{size_download}",
		fmt.Sprintf("https://127.0.0.1:%d/big", srv.port))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Equal(t, "1048576", string(out))
	return cmd.Process.Pid
}

// serverWrite returns the chunks of the server's one large SSL_write_ex.
func serverWrite(recs []plog.LogRecord) []plog.LogRecord {
	var out []plog.LogRecord
	for _, r := range recs {
		if attrStr(r, "network.io.direction") == "transmit" && attrInt(r, "payload.length") == 1<<20 {
			out = append(out, r)
		}
	}
	return out
}

func TestOneMebibyteResponseComplete(t *testing.T) {
	cfg := NewDefaultConfig()
	cfg.MaxPayloadBytes = MaxPayloadLimit
	_, sink := startProbe(t, cfg)
	srv := startHTTPSServer(t)
	pid := curlBig(t, srv)
	body := bigBody()

	// Client side: curl's reads, in sequence, hold the whole body.
	recs := waitFor(t, sink, pid, "openssl", func(r []plog.LogRecord) bool {
		return bytes.Contains(joined(r, "receive"), body)
	})
	checkConnection(t, recs)
	for _, r := range recs {
		if !assert.False(t, r.Attributes().AsRaw()["payload.truncated"].(bool)) {
			a := r.Attributes().AsRaw()
			delete(a, "x")
			t.Logf("%v body=%d", a, r.Body().Bytes().Len())
		}
	}

	// Server side: one 1 MiB SSL_write_ex split into 64 ordered chunks.
	srecs := waitFor(t, sink, srv.pid, "openssl", func(r []plog.LogRecord) bool {
		return len(serverWrite(r)) == 64
	})
	checkConnection(t, srecs)
	chunks := serverWrite(srecs)
	var got bytes.Buffer
	for i, c := range chunks {
		assert.Equal(t, int64(i), attrInt(c, "payload.chunk.index"))
		assert.Equal(t, int64(64), attrInt(c, "payload.chunk.count"))
		assert.Equal(t, int64(i*16384), attrInt(c, "payload.offset"))
		assert.False(t, c.Attributes().AsRaw()["payload.truncated"].(bool))
		got.Write(c.Body().Bytes().AsRaw())
	}
	assert.True(t, bytes.Equal(body, got.Bytes()), "the server's chunks reassemble to the body")
}

func TestOneMebibyteResponseTruncatedSaysSo(t *testing.T) {
	cfg := NewDefaultConfig()
	cfg.MaxPayloadBytes = 40000 // 2 full chunks and a partial one
	_, sink := startProbe(t, cfg)
	srv := startHTTPSServer(t)
	curlBig(t, srv)

	srecs := waitFor(t, sink, srv.pid, "openssl", func(r []plog.LogRecord) bool {
		return len(serverWrite(r)) == 3
	})
	checkConnection(t, srecs)
	chunks := serverWrite(srecs)
	var got bytes.Buffer
	for i, c := range chunks {
		assert.Equal(t, int64(i), attrInt(c, "payload.chunk.index"))
		assert.Equal(t, int64(3), attrInt(c, "payload.chunk.count"))
		assert.True(t, c.Attributes().AsRaw()["payload.truncated"].(bool))
		got.Write(c.Body().Bytes().AsRaw())
	}
	assert.Equal(t, bigBody()[:40000], got.Bytes())
}

func TestOpenSSLKeepAliveHundredRequests(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not found")
	}
	_, sink := startProbe(t, NewDefaultConfig())
	srv := startHTTPSServer(t)
	secret := randomToken(t)
	const n = 100
	args := []string{"-sS", "--http1.1", "--cacert", srv.cert, "-H", "X-Secret: " + secret}
	for i := 0; i < n; i++ {
		args = append(args, fmt.Sprintf("https://127.0.0.1:%d/ka%d", srv.port, i))
	}
	cmd := exec.Command(curl, args...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	pid := cmd.Process.Pid

	recs := waitFor(t, sink, pid, "openssl", func(r []plog.LogRecord) bool {
		return bytes.Count(joined(r, "receive"), []byte("secret="+secret)) == n
	})
	checkConnection(t, recs)
	tx := string(joined(recs, "transmit"))
	for i := 0; i < n; i++ {
		assert.Contains(t, tx, fmt.Sprintf("GET /ka%d HTTP/1.1\r\n", i))
	}
}

//go:build linux

package tlsprobe

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
)

// TestSharedFilterExcludesComm: the receiver's in-kernel filter applies to
// the tls probe (exclude_comms: curl).
func TestSharedFilterExcludesComm(t *testing.T) {
	requireRoot(t)
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not found")
	}
	env, sink, _ := newTestEnvFilter(t, bpfheaders.Filter{ExcludeComms: []string{"curl"}})
	p := New(NewDefaultConfig())
	require.NoError(t, p.Start(context.Background(), env))
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	srv := startHTTPSServer(t)

	cmd := exec.Command(curl, "-sS", "--http1.1", "--cacert", srv.cert, fmt.Sprintf("https://127.0.0.1:%d/filtered", srv.port))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	// The server (python3) is not excluded: once its records of this very
	// exchange arrived, curl's would have arrived before them.
	waitFor(t, sink, srv.pid, "openssl", func(r []plog.LogRecord) bool {
		return bytes.Contains(joined(r, "transmit"), []byte("hello /filtered"))
	})
	assert.Empty(t, sink.records(cmd.Process.Pid), "curl is excluded by the shared filter")
}

// TestRingBufferFullIsCountedAndLeavesAGap: with a ring too small for a
// 16 KiB chunk, the kernel counts the losses (shared loss map, probe tls,
// ringbuf_full) and the sequence numbers of the connection show the gap.
func TestRingBufferFullIsCountedAndLeavesAGap(t *testing.T) {
	requireRoot(t)
	env, sink, shared := newTestEnvFilter(t, bpfheaders.Filter{})
	env.RingBufferSize = 16384 // a 16 KiB chunk plus its header never fits
	cfg := NewDefaultConfig()
	cfg.MaxPayloadBytes = MaxPayloadLimit
	p := New(cfg)
	require.NoError(t, p.Start(context.Background(), env))
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	srv := startHTTPSServer(t)
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not found")
	}
	// Keep-alive: /big (the server writes 1 MiB in one SSL_write_ex: 64 full
	// chunks, none fits), then /after on the same connection.
	out, err := exec.Command(curl, "-sS", "--http1.1", "--cacert", srv.cert, "-o", "/dev/null", "-o", "/dev/null",
		fmt.Sprintf("https://127.0.0.1:%d/big", srv.port), fmt.Sprintf("https://127.0.0.1:%d/after", srv.port)).CombinedOutput()
	require.NoError(t, err, string(out))

	require.Eventually(t, func() bool {
		losses, err := shared.ReadLosses()
		require.NoError(t, err)
		return losses[bpfheaders.LossKey{Probe: bpfheaders.ProbeTLS, Reason: bpfheaders.LossRingbufFull}] >= 64
	}, 20*time.Second, 20*time.Millisecond, "ringbuf_full losses of the tls probe were not counted")

	// The records of /after, on the same connection, show the gap.
	recs := waitFor(t, sink, srv.pid, "openssl", func(r []plog.LogRecord) bool {
		return bytes.Contains(joined(r, "transmit"), []byte("hello /after"))
	})
	var maxSeq int64 = -1
	for _, r := range recs {
		maxSeq = max(maxSeq, attrInt(r, "connection.sequence"))
	}
	assert.Greater(t, maxSeq+1, int64(len(recs)), "sequence numbers must have a gap where records were lost")
}

//go:build linux

package tlsprobe

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap/zaptest"
	"golang.org/x/sys/unix"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
)

// testSink collects the records a probe emits.
type testSink struct {
	mu   sync.Mutex
	recs []plog.LogRecord
	lost map[string]int64
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

func (s *testSink) Lost(probe, reason string, n int64) {
	s.mu.Lock()
	if s.lost == nil {
		s.lost = map[string]int64{}
	}
	s.lost[probe+"/"+reason] += n
	s.mu.Unlock()
}

// records returns the records whose attributes match pid (0: all).
func (s *testSink) records(pid int) []plog.LogRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []plog.LogRecord
	for _, r := range s.recs {
		if pid != 0 {
			v, _ := r.Attributes().Get("process.pid")
			if v.Int() != int64(pid) {
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

type monoClock struct{ offset time.Duration }

func (c monoClock) Wall(ns uint64) time.Time { return time.Unix(0, int64(ns)).Add(c.offset) }

func newMonoClock() monoClock {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return monoClock{offset: time.Duration(time.Now().UnixNano() - ts.Nano())}
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for eBPF uprobes: run the tests as root")
	}
}

// newTestEnv returns an Env with real shared maps (the collector = this
// test process excluded) and a collecting sink.
func newTestEnv(t testing.TB) (probe.Env, *testSink) {
	t.Helper()
	env, sink, _ := newTestEnvFilter(t, bpfheaders.Filter{})
	return env, sink
}

// newTestEnvFilter is newTestEnv with the shared in-kernel filter f (its
// SelfPID is set to this process).
func newTestEnvFilter(t testing.TB, f bpfheaders.Filter) (probe.Env, *testSink, *bpfheaders.SharedMaps) {
	t.Helper()
	f.SelfPID = uint32(os.Getpid())
	shared, err := bpfheaders.NewSharedMaps(f)
	require.NoError(t, err)
	t.Cleanup(func() { _ = shared.Close() })
	sink := &testSink{}
	return probe.Env{
		Logger:       zaptest.NewLogger(t),
		SharedMaps:   shared.Maps(),
		Clock:        newMonoClock(),
		Sink:         sink,
		SelfPID:      os.Getpid(),
		PollInterval: 20 * time.Millisecond,
	}, sink, shared
}

// writeCert writes a self-signed certificate for 127.0.0.1/localhost and
// its key into dir.
func writeCert(t testing.TB, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return certPath, keyPath
}

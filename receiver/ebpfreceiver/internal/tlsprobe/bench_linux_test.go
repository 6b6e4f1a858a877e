//go:build linux

package tlsprobe

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// countingSink counts records and keeps none (the benchmark's sink).
type countingSink struct{ n atomic.Int64 }

func (s *countingSink) EmitLog(fill func(plog.LogRecord)) bool {
	lr := plog.NewLogRecord()
	fill(lr)
	s.n.Add(1)
	return true
}
func (s *countingSink) EmitSpan(func(pcommon.Resource, ptrace.Span)) bool { return true }
func (s *countingSink) Lost(string, string, int64)                        {}

// sslpairDriver builds testdata/sslpair.c and a certificate.
func sslpairDriver(b *testing.B) (bin, cert, key string) {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("needs root for eBPF uprobes")
	}
	cc, err := exec.LookPath("cc")
	if err != nil {
		b.Skip("no C compiler (cc) for the sslpair driver")
	}
	dir := b.TempDir()
	bin = filepath.Join(dir, "sslpair")
	out, err := exec.Command(cc, "-O2", "-o", bin, "testdata/sslpair.c", "-lssl", "-lcrypto").CombinedOutput()
	if err != nil {
		b.Skipf("cannot build the sslpair driver (needs libssl-dev): %v\n%s", err, out)
	}
	cert, key = writeCert(b, dir)
	return bin, cert, key
}

// runSSLPair runs the driver and returns its ns per round trip.
func runSSLPair(b *testing.B, bin, cert, key string, iterations int) float64 {
	b.Helper()
	out, err := exec.Command(bin, cert, key, strconv.Itoa(iterations), "256").CombinedOutput()
	require.NoError(b, err, string(out))
	ns, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	require.NoError(b, err)
	return ns
}

// attachEmpty attaches do-nothing uprobes and uretprobes to the same
// OpenSSL functions the probe hooks: the floor of the mechanism.
func attachEmpty(b *testing.B, lib string) func() {
	b.Helper()
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.Kprobe,
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
		License:      "GPL",
	})
	require.NoError(b, err)
	ex, err := link.OpenExecutable(lib)
	require.NoError(b, err)
	var links []link.Link
	for _, sym := range []string{symSSLWrite, symSSLRead, symSSLWriteEx, symSSLReadEx} {
		l, err := ex.Uprobe(sym, prog, nil)
		require.NoError(b, err)
		links = append(links, l)
		l, err = ex.Uretprobe(sym, prog, nil)
		require.NoError(b, err)
		links = append(links, l)
	}
	return func() {
		for _, l := range links {
			_ = l.Close()
		}
		_ = prog.Close()
	}
}

// BenchmarkOpenSSLRoundTrip measures, side by side, the cost of one
// SSL_write+SSL_read round trip (client write, server read, server write,
// client read; 256 bytes) with nothing attached, with the tls probe, and
// with empty uprobes/uretprobes on the same functions. The metric is the
// driver's own ns per round trip (process start and handshake excluded).
func BenchmarkOpenSSLRoundTrip(b *testing.B) {
	bin, cert, key := sslpairDriver(b)
	const lib = "/usr/lib/x86_64-linux-gnu/libssl.so.3"
	if _, err := os.Stat(lib); err != nil {
		b.Skip("libssl.so.3 not at " + lib)
	}
	iterations := 20000
	if v := os.Getenv("SSLPAIR_ITERATIONS"); v != "" {
		iterations, _ = strconv.Atoi(v)
	}
	report := func(b *testing.B) {
		var sum float64
		for i := 0; i < b.N; i++ {
			sum += runSSLPair(b, bin, cert, key, iterations)
		}
		b.ReportMetric(sum/float64(b.N), "ns/roundtrip")
	}

	b.Run("none", report)

	b.Run("empty_uprobes", func(b *testing.B) {
		detach := attachEmpty(b, lib)
		defer detach()
		report(b)
	})

	b.Run("tls_probe", func(b *testing.B) {
		env, _ := newTestEnv(b)
		sink := &countingSink{}
		env.Sink = sink
		cfg := NewDefaultConfig()
		cfg.SystemLibraries = false
		cfg.LibraryPaths = []string{lib}
		cfg.RescanInterval = 1 << 40 // no periodic rescans during the run
		p := New(cfg)
		require.NoError(b, p.Start(context.Background(), env))
		report(b)
		require.NoError(b, p.Close()) // drains the ring
		b.ReportMetric(float64(sink.n.Load())/float64(b.N*iterations), "records/roundtrip")
	})
}

//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// buildDir holds the binary the end-to-end tests build; TestMain removes it.
var buildDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "otelcol-trace-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// buildOnce builds the distribution once per test process.
var buildOnce = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(buildDir, "otelcol-trace")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
})

// collectorProcess is a running otelcol-trace binary whose output is kept.
type collectorProcess struct {
	cmd *exec.Cmd
	out *lockedBuffer
}

// lockedBuffer is a bytes.Buffer safe for the process's writer and the test's reader.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startCollector runs the built binary on config and stops it at the end of the test.
func startCollector(t *testing.T, bin, name, config string) *collectorProcess {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+".yaml")
	require.NoError(t, os.WriteFile(path, []byte(config), 0o600))
	p := &collectorProcess{cmd: exec.Command(bin, "--config", path), out: &lockedBuffer{}}
	p.cmd.Stdout = p.out
	p.cmd.Stderr = p.out
	require.NoError(t, p.cmd.Start())
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.out.String())
		}
	})
	require.Eventually(t, func() bool {
		return strings.Contains(p.out.String(), "Everything is ready")
	}, 60*time.Second, 100*time.Millisecond, "%s did not become ready:\n%s", name, p.out)
	return p
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestEndToEndOTLPToSecondCollector runs the real binary with the ebpf
// receiver exporting OTLP to a second otelcol-trace process (otlp receiver →
// file exporter) and finds a known exec, with its exact argv, in what the
// second collector wrote.
func TestEndToEndOTLPToSecondCollector(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the ebpf receiver loads BPF programs (run the tests as root, as CI does)")
	}
	bin, err := buildOnce()
	require.NoError(t, err)

	port := freePort(t)
	received := filepath.Join(t.TempDir(), "received.json")
	startCollector(t, bin, "downstream", fmt.Sprintf(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:%d
exporters:
  file:
    path: %s
    format: json
    flush_interval: 100ms
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [file]
    traces:
      receivers: [otlp]
      exporters: [file]
`, port, received))

	startCollector(t, bin, "upstream", fmt.Sprintf(`
receivers:
  ebpf:
    probes:
      process:
        enabled: true
processors:
  batch:
    timeout: 200ms
exporters:
  otlp_grpc:
    endpoint: 127.0.0.1:%d
    tls:
      insecure: true
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [ebpf]
      processors: [batch]
      exporters: [otlp_grpc]
    traces:
      receivers: [ebpf]
      processors: [batch]
      exporters: [otlp_grpc]
`, port))

	marker := fmt.Sprintf("e2e-marker-%d", time.Now().UnixNano())
	require.NoError(t, exec.Command("/bin/sh", "-c", "exec /bin/true "+marker+" second-arg").Run())

	var args []string
	require.Eventually(t, func() bool {
		args = findExecArgs(t, received, marker)
		return args != nil
	}, 30*time.Second, 200*time.Millisecond, "no process.exec record with %q reached the second collector", marker)
	require.Equal(t, []string{"/bin/true", marker, "second-arg"}, args)
}

// findExecArgs scans the file exporter's OTLP/JSON lines for a process.exec
// record of /bin/true whose argv contains marker and returns that argv (the
// /bin/sh that execs it carries the marker too, inside its -c script).
func findExecArgs(t *testing.T, path, marker string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if !bytes.Contains(sc.Bytes(), []byte(marker)) {
			continue
		}
		var doc otlpJSONLogs
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			continue
		}
		for _, rl := range doc.ResourceLogs {
			for _, sl := range rl.ScopeLogs {
				for _, lr := range sl.LogRecords {
					if lr.EventName != "process.exec" {
						continue
					}
					for _, a := range lr.Attributes {
						if a.Key != "process.command_args" || a.Value.ArrayValue == nil {
							continue
						}
						var argv []string
						for _, v := range a.Value.ArrayValue.Values {
							argv = append(argv, v.StringValue)
						}
						if len(argv) > 0 && argv[0] == "/bin/true" && strings.Contains(strings.Join(argv, " "), marker) {
							return argv
						}
					}
				}
			}
		}
	}
	return nil
}

// otlpJSONLogs is the part of the OTLP/JSON logs encoding the test reads.
type otlpJSONLogs struct {
	ResourceLogs []struct {
		ScopeLogs []struct {
			LogRecords []struct {
				EventName  string `json:"eventName"`
				Attributes []struct {
					Key   string `json:"key"`
					Value struct {
						StringValue string `json:"stringValue"`
						ArrayValue  *struct {
							Values []struct {
								StringValue string `json:"stringValue"`
							} `json:"values"`
						} `json:"arrayValue"`
					} `json:"value"`
				} `json:"attributes"`
			} `json:"logRecords"`
		} `json:"scopeLogs"`
	} `json:"resourceLogs"`
}

// TestDefaultConfig runs what `make run` runs — the binary on
// config/default.yaml — finds a marked exec in the debug exporter's output
// (its record and its process span), checks the collector does not trace
// itself, and that SIGTERM shuts it down cleanly.
func TestDefaultConfig(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the ebpf receiver loads BPF programs (run the tests as root, as CI does)")
	}
	bin, err := buildOnce()
	require.NoError(t, err)

	out := &lockedBuffer{}
	// The collector's own metrics endpoint (:8888) is switched off so that
	// tests running in parallel do not compete for the port.
	cmd := exec.Command(bin, "--config", filepath.Join("..", "..", "config", "default.yaml"),
		"--config", "yaml:service::telemetry::metrics::level: none")
	cmd.Env = append(os.Environ(), "OTELCOL_TRACE_DATA_DIR="+t.TempDir())
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("collector output:\n%s", out.String())
		}
	})
	require.Eventually(t, func() bool {
		return strings.Contains(out.String(), "Everything is ready")
	}, 60*time.Second, 100*time.Millisecond, "the collector did not start")

	marker := fmt.Sprintf("default-config-%d", time.Now().UnixNano())
	require.NoError(t, exec.Command("/bin/sh", "-c", "exec /bin/true "+marker+" x").Run())
	wantArgs := fmt.Sprintf(`process.command_args=["/bin/true","%s","x"]`, marker)
	require.Eventually(t, func() bool {
		// The exec record and the span's resource both carry the argv.
		return strings.Count(out.String(), wantArgs) >= 2
	}, 30*time.Second, 100*time.Millisecond, "no exec record and span of the marked process")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the collector did not stop on SIGTERM")
	}
	require.Contains(t, out.String(), "Shutdown complete")
	require.NotContains(t, out.String(), fmt.Sprintf("process.pid=%d ", cmd.Process.Pid), "the collector traced itself")
}

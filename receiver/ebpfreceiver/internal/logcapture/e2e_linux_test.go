//go:build linux && amd64

package logcapture_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// syncBuffer is an io.Writer safe for the collector's output goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestEndToEndLogCapture checks log capture as a user would: the real
// otelcol-trace binary, built here, with the logcapture and file probes and
// the file exporter; a Python script writes willsee.log and wontsee.txt;
// the exported OTLP JSON holds exactly willsee.log's lines, in order, and
// its fs.open/fs.close events.
func TestEndToEndLogCapture(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: builds the distribution")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for eBPF: loading and attaching tp_btf programs requires CAP_BPF and CAP_PERFMON")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("needs python3 for the log-writing helper: " + err.Error())
	}
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err)
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "otelcol-trace")
	build := exec.Command("go", "build", "-o", bin, "./cmd/otelcol-trace")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build ./cmd/otelcol-trace: %s", out)

	dir := filepath.Join(tmp, "work")
	require.NoError(t, os.Mkdir(dir, 0o755))
	writer := exec.Command(py, "testdata/writer.py", dir, "scenario")
	stdin, err := writer.StdinPipe()
	require.NoError(t, err)
	writer.Stdout = io.Discard
	writer.Stderr = os.Stderr
	require.NoError(t, writer.Start())
	t.Cleanup(func() { stdin.Close(); _ = writer.Process.Kill(); _ = writer.Wait() })

	exported := filepath.Join(tmp, "logs.json")
	config := filepath.Join(tmp, "config.yaml")
	require.NoError(t, os.WriteFile(config, []byte(fmt.Sprintf(`receivers:
  ebpf:
    probes:
      process:
        enabled: false
      file:
        enabled: true
      logcapture:
        enabled: true
    filters:
      pids: [%d]
exporters:
  file:
    path: %s
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [ebpf]
      exporters: [file]
`, writer.Process.Pid, exported)), 0o600))

	collector := exec.Command(bin, "--config", config)
	var logs syncBuffer
	collector.Stdout, collector.Stderr = &logs, &logs
	require.NoError(t, collector.Start())
	exited := make(chan error, 1)
	go func() { exited <- collector.Wait() }()
	defer func() {
		_ = collector.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = collector.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("collector output:\n%s", logs.String())
		}
	}()
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(logs.String(), "Everything is ready"); {
		select {
		case err := <-exited:
			exited <- err // for the deferred stop
			t.Fatalf("collector exited before it was ready: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		require.True(t, time.Now().Before(deadline), "collector not ready within 60s")
	}

	_, err = stdin.Write([]byte("go\n"))
	require.NoError(t, err)
	require.NoError(t, writer.Wait())

	logPath := filepath.Join(dir, "willsee.log")
	want := []string{"first line", "second line", "third line", "through a dup", "vectored", "ünïcode", "no newline at end"}
	var lines []string
	var events []string
	read := func() {
		lines, events = nil, nil
		f, err := os.Open(exported)
		if err != nil {
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		var u plog.JSONUnmarshaler
		for sc.Scan() {
			ld, err := u.UnmarshalLogs(sc.Bytes())
			if err != nil {
				continue // a line being written
			}
			for i := 0; i < ld.ResourceLogs().Len(); i++ {
				sls := ld.ResourceLogs().At(i).ScopeLogs()
				for j := 0; j < sls.Len(); j++ {
					lrs := sls.At(j).LogRecords()
					for k := 0; k < lrs.Len(); k++ {
						lr := lrs.At(k)
						if p, ok := lr.Attributes().Get("log.file.path"); ok && p.Str() == logPath {
							lines = append(lines, lr.Body().Str())
						}
						if p, ok := lr.Attributes().Get("file.path"); ok && p.Str() == logPath {
							events = append(events, lr.EventName())
						}
						assert.NotContains(t, lr.Body().AsString(), "nobody", "wontsee.txt is not a log file")
					}
				}
			}
		}
	}
	require.Eventually(t, func() bool { read(); return len(lines) >= len(want) }, 30*time.Second, 100*time.Millisecond)
	assert.Equal(t, want, lines, "exactly willsee.log's lines, in order")
	assert.Subset(t, events, []string{"fs.open", "fs.close"}, "the file probe's events for the log file")
}

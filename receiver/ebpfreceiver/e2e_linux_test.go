//go:build linux

package ebpfreceiver

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedBuffer is a bytes.Buffer safe for the collector's output copier and
// the test's polling.
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

// TestCollectorWithDefaultConfig builds a minimal collector with this
// receiver (testdata/collector), runs it on config/default.yaml, runs a
// marked process and finds its exec record and span in the debug
// exporter's output; SIGTERM then shuts it down cleanly.
func TestCollectorWithDefaultConfig(t *testing.T) {
	requireRoot(t)
	if testing.Short() {
		t.Skip("builds a collector binary")
	}
	bin := filepath.Join(t.TempDir(), "collector")
	build := exec.Command("go", "build", "-o", bin, "./testdata/collector")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	var output lockedBuffer
	col := exec.Command(bin, "--config", filepath.Join("..", "..", "config", "default.yaml"))
	col.Stdout = &output
	col.Stderr = &output
	require.NoError(t, col.Start())
	exited := make(chan error, 1)
	go func() { exited <- col.Wait() }()
	t.Cleanup(func() {
		_ = col.Process.Kill()
	})
	require.Eventually(t, func() bool {
		return bytes.Contains([]byte(output.String()), []byte("Everything is ready"))
	}, 60*time.Second, 50*time.Millisecond, "collector did not start:\n%s", output.String())

	marker := fmt.Sprintf("ebpf-e2e-%d", time.Now().UnixNano())
	require.NoError(t, exec.Command("/bin/sh", "-c", "exec /bin/true "+marker+" x").Run())
	wantArgs := fmt.Sprintf(`process.command_args=["/bin/true","%s","x"]`, marker)
	require.Eventually(t, func() bool {
		s := output.String()
		return bytes.Count([]byte(s), []byte(wantArgs)) >= 2 // the exec record and the span's resource
	}, 30*time.Second, 50*time.Millisecond, "no record of the marked exec")

	require.NoError(t, col.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err, "collector exit:\n%s", output.String())
	case <-time.After(30 * time.Second):
		t.Fatal("collector did not stop on SIGTERM")
	}
	s := output.String()
	assert.Contains(t, s, "Shutdown complete")
	assert.NotContains(t, s, fmt.Sprintf("process.pid=%d ", col.Process.Pid), "the collector traced itself")
	_ = os.Remove(bin)
}

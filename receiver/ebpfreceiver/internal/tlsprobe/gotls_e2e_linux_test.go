//go:build linux

package tlsprobe

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"golang.org/x/sys/unix"
)

// buildGoClient builds testdata/goclient (with its symbol table, or
// stripped) into a temp dir.
func buildGoClient(t *testing.T, stripped bool) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "goclient")
	args := []string{"build", "-buildvcs=false", "-o", out}
	if stripped {
		args = append(args, "-ldflags=-s -w")
	}
	args = append(args, "./testdata/goclient")
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, string(b))
	return out
}

func fileIDOf(t *testing.T, path string) fileID {
	t.Helper()
	var st unix.Stat_t
	require.NoError(t, unix.Stat(path, &st))
	return fileID{Major: unix.Major(st.Dev), Minor: unix.Minor(st.Dev), Inode: st.Ino}
}

// gatedProcess starts a command that waits for a stdin line and releases it
// once ready() holds.
type gatedProcess struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   bytes.Buffer
}

func startGated(t *testing.T, name string, args ...string) *gatedProcess {
	t.Helper()
	g := &gatedProcess{cmd: exec.Command(name, args...)}
	var err error
	g.stdin, err = g.cmd.StdinPipe()
	require.NoError(t, err)
	g.cmd.Stdout = &g.out
	g.cmd.Stderr = &g.out
	require.NoError(t, g.cmd.Start())
	t.Cleanup(func() { _ = g.cmd.Process.Kill(); _ = g.cmd.Wait() })
	return g
}

func (g *gatedProcess) release(t *testing.T) {
	t.Helper()
	_, err := io.WriteString(g.stdin, "go\n")
	require.NoError(t, err)
	require.NoError(t, g.stdin.Close())
	require.NoError(t, g.cmd.Wait(), g.out.String())
}

func TestGoCryptoTLSKeepAlive(t *testing.T) {
	requireRoot(t)
	bin := buildGoClient(t, false)
	p, sink := startProbe(t, NewDefaultConfig())
	srv := startHTTPSServer(t)
	secret := randomToken(t)
	const n = 100

	g := startGated(t, bin, "-url", fmt.Sprintf("https://127.0.0.1:%d/go", srv.port), "-ca", srv.cert, "-secret", secret, "-n", fmt.Sprint(n))
	// Discovery after start: the exec event makes the probe attach to the
	// new binary.
	id := fileIDOf(t, bin)
	require.Eventually(t, func() bool { return p.att.isAttached(id) }, 20*time.Second, 10*time.Millisecond,
		"the probe did not attach to the exec'ed Go binary")
	g.release(t)
	pid := g.cmd.Process.Pid

	recs := waitFor(t, sink, pid, "go_tls", func(r []plog.LogRecord) bool {
		return bytes.Count(joined(r, "receive"), []byte("secret="+secret)) == n
	})
	connID := checkConnection(t, recs)
	assert.Regexp(t, fmt.Sprintf("^%d:go_tls:0x[0-9a-f]+:[0-9]+$", pid), connID, "<pid>:go_tls:<*tls.Conn>:<generation>")
	tx := joined(recs, "transmit")
	for i := 0; i < n; i++ {
		assert.Contains(t, string(tx), fmt.Sprintf("GET /go?i=%d HTTP/1.1\r\n", i))
	}
	assert.Equal(t, n, bytes.Count(tx, []byte("X-Secret: "+secret+"\r\n")))
	assert.True(t, bytes.HasPrefix(tx, []byte("GET /go?i=0 HTTP/1.1\r\n")), "first bytes: %q", tx[:min(len(tx), 40)])
	assert.Equal(t, bin, attrStr(recs[0], "payload.library.path"))
	// The Go conn's fd gives the 5-tuple.
	assert.Equal(t, int64(srv.port), attrInt(recs[0], "network.peer.port"))
	assert.Equal(t, "client", attrStr(recs[0], "connection.role"), "tls.Conn.isClient")
}

func TestGoStrippedBinaryIsReported(t *testing.T) {
	bin := buildGoClient(t, true)
	hooks, err := inspectELF(bin)
	require.ErrorIs(t, err, errStrippedGo)
	assert.True(t, hooks.empty())
}

// TestGoClientInChrootAndDetach runs the Go client inside a chroot (as in a
// container: the binary exists only under /proc/<pid>/root), checks it is
// found through the exec event and traced, then that the file is detached
// once no process maps it any more.
func TestGoClientInChrootAndDetach(t *testing.T) {
	requireRoot(t)
	chroot, err := exec.LookPath("chroot")
	if err != nil {
		t.Skip("chroot not found")
	}
	bin := buildGoClient(t, false)
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "bin"), 0o755))
	inRoot := filepath.Join(root, "bin", "goclient")
	data, err := os.ReadFile(bin)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(inRoot, data, 0o755))

	p, sink := startProbe(t, NewDefaultConfig())
	srv := startHTTPSServer(t)
	ca, err := os.ReadFile(srv.cert)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, "ca.pem"), ca, 0o644))
	secret := randomToken(t)

	g := startGated(t, chroot, root, "/bin/goclient", "-url", fmt.Sprintf("https://127.0.0.1:%d/chroot", srv.port),
		"-ca", "/ca.pem", "-secret", secret)
	id := fileIDOf(t, inRoot)
	require.Eventually(t, func() bool { return p.att.isAttached(id) }, 20*time.Second, 10*time.Millisecond,
		"the probe did not attach to the Go binary inside the chroot")
	g.release(t)
	pid := g.cmd.Process.Pid // chroot execs the client: same pid

	recs := waitFor(t, sink, pid, "go_tls", func(r []plog.LogRecord) bool {
		return bytes.Contains(joined(r, "receive"), []byte("hello /chroot?i=0 secret="+secret))
	})
	checkConnection(t, recs)
	// maps shows host paths for a chroot (container paths for a mount namespace).
	assert.Equal(t, inRoot, attrStr(recs[0], "payload.library.path"))

	// The process exited: the file stays attached through one idle rescan
	// (a program run again soon is hooked from its start), then is detached.
	p.att.scanAll()
	assert.True(t, p.att.isAttached(id), "detached at the first idle rescan")
	p.att.scanAll()
	assert.False(t, p.att.isAttached(id), "still attached after two rescans found no process mapping it")
}

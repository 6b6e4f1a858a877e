//go:build linux

// Package podmantest runs real podman containers for the topology
// processor's tests: a podman API service on a private socket and a local
// busybox image built from busybox-static (no registry needed).
package podmantest // import "github.com/otelcol-trace/otelcol-trace/processor/topology/internal/podmantest"

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Image is the local image the tests' containers run.
const Image = "localhost/otelcol-trace-busybox:test"

// Service is a `podman system service` started by a test.
type Service struct {
	// Socket is the path of its unix socket (serving the Docker API).
	Socket string
}

// CgroupRoot returns the cgroup v2 mount (/sys/fs/cgroup or, on a hybrid
// host, /sys/fs/cgroup/unified), or "" when there is none.
func CgroupRoot() string {
	for _, p := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		var st unix.Statfs_t
		if err := unix.Statfs(p, &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			return p
		}
	}
	return ""
}

// Require skips the test when it cannot run real containers here, and
// otherwise makes sure of the image and starts a podman API service that is
// stopped when the test ends.
func Require(t *testing.T) *Service {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run podman containers (rootful cgroups) and read their /proc entries")
	}
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("needs podman (apt-get install -y podman busybox-static; see .ci/setup.d/topology.sh)")
	}
	if CgroupRoot() == "" {
		t.Skip("needs a cgroup v2 hierarchy (unified or hybrid) for cgroup ids")
	}
	ensureImage(t)

	dir, err := os.MkdirTemp("", "topo-podman")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	svc := &Service{Socket: filepath.Join(dir, "podman.sock")}
	cmd := exec.Command("podman", "system", "service", "--time=0", "unix://"+svc.Socket)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", svc.Socket)
	}}}
	defer client.CloseIdleConnections()
	require.Eventually(t, func() bool {
		resp, err := client.Get("http://podman/version")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 60*time.Second, 100*time.Millisecond, "podman system service did not answer: %s", &stderr)
	return svc
}

// ensureImage imports a one-binary busybox rootfs as Image.
func ensureImage(t *testing.T) {
	t.Helper()
	if exec.Command("podman", "image", "exists", Image).Run() == nil {
		return
	}
	bb := ""
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		if _, err := os.Stat(p); err == nil {
			bb = p
			break
		}
	}
	if bb == "" {
		t.Skip("needs busybox-static to build the test image (apt-get install -y busybox-static)")
	}
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "bin"), 0o755))
	data, err := os.ReadFile(bb)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, "bin", "busybox"), data, 0o755))
	for _, applet := range []string{"sh", "sleep", "true", "cat", "echo", "ls"} {
		require.NoError(t, os.Symlink("busybox", filepath.Join(root, "bin", applet)))
	}
	tarCmd := exec.Command("tar", "-C", root, "-c", ".")
	imp := exec.Command("podman", "import", "-", Image)
	pipe, err := tarCmd.StdoutPipe()
	require.NoError(t, err)
	imp.Stdin = pipe
	require.NoError(t, tarCmd.Start())
	out, err := imp.CombinedOutput()
	require.NoError(t, err, "podman import: %s", out)
	require.NoError(t, tarCmd.Wait())
}

// Run runs podman with args and returns its trimmed output; it skips the
// test when crun cannot create containers on this host's cgroup layout.
func Run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("podman", args...).CombinedOutput()
	if err != nil && strings.Contains(string(out), "cgroups in hybrid mode not supported") {
		t.Skip("crun cannot create containers on this hybrid cgroup host until the controllers left in cgroup v2 are bound to v1; run .ci/setup.d/topology.sh: " + string(out))
	}
	require.NoError(t, err, "podman %s: %s", strings.Join(args, " "), out)
	return strings.TrimSpace(string(out))
}

// CgroupOfPID returns the cgroup v2 directory of a live process and its id,
// as bpf_get_current_cgroup_id() reports it: the directory's inode number.
func CgroupOfPID(t *testing.T, pid int) (dir string, id int64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	require.NoError(t, err)
	var v2 string
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			v2 = p
		}
	}
	require.NotEmpty(t, v2, "no cgroup v2 line in /proc/%d/cgroup:\n%s", pid, b)
	dir = filepath.Join(CgroupRoot(), v2)
	var st unix.Stat_t
	require.NoError(t, unix.Stat(dir, &st))
	return dir, int64(st.Ino)
}

// RemoveCgroupTree removes the cgroup directories named top that a
// --cgroup-parent created in every mounted hierarchy, once they are empty
// (conmon leaves its cgroup a moment after the container is removed); it
// gives up after 30s and logs what is left.
func RemoveCgroupTree(t *testing.T, top string) {
	t.Helper()
	roots, _ := filepath.Glob("/sys/fs/cgroup/*")
	roots = append(roots, "/sys/fs/cgroup")
	deadline := time.Now().Add(30 * time.Second)
	for {
		var lastErr error
		for _, root := range roots {
			base := filepath.Join(root, top)
			var dirs []string
			_ = filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					dirs = append(dirs, p)
				}
				return nil
			})
			for i := len(dirs) - 1; i >= 0; i-- {
				if err := os.Remove(dirs[i]); err != nil && !os.IsNotExist(err) {
					lastErr = err
				}
			}
		}
		if lastErr == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Logf("test cgroups left behind: %v", lastErr)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

//go:build linux

package tlsprobe

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// TestGoClientInPodmanContainer runs the Go client in a real container
// (podman, overlay storage, its own mount namespace): the binary is found
// through the exec event and opened from the host although it exists only
// in the container's root file system.
func TestGoClientInPodmanContainer(t *testing.T) {
	requireRoot(t)
	podman, err := exec.LookPath("podman")
	if err != nil {
		t.Skip("podman not found")
	}
	tar, err := exec.LookPath("tar")
	if err != nil {
		t.Skip("tar not found")
	}
	bin := buildGoClient(t, false)
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "bin"), 0o755))
	data, err := os.ReadFile(bin)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, "bin", "goclient"), data, 0o755))
	image := fmt.Sprintf("localhost/tlsprobe-goclient:test-%d", time.Now().UnixNano())
	out, err := exec.Command(tar, "-C", root, "-cf", filepath.Join(dir, "img.tar"), ".").CombinedOutput()
	require.NoError(t, err, string(out))
	out, err = exec.Command(podman, "import", "-q", filepath.Join(dir, "img.tar"), image).CombinedOutput()
	if err != nil {
		t.Skipf("podman cannot import an image here: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command(podman, "rmi", "-f", image).Run() })

	p, sink := startProbe(t, NewDefaultConfig())
	srv := startHTTPSServer(t)
	secret := randomToken(t)
	g := startGated(t, podman, "run", "--rm", "-i", "--network", "host", "-v", srv.cert+":/ca.pem:ro", image,
		"/bin/goclient", "-url", fmt.Sprintf("https://127.0.0.1:%d/container", srv.port), "-ca", "/ca.pem", "-secret", secret)
	require.Eventually(t, func() bool { return slices.Contains(p.att.attached(), "/bin/goclient") }, 60*time.Second, 20*time.Millisecond,
		"the probe did not attach to /bin/goclient inside the container")
	g.release(t)

	var recs []plog.LogRecord
	want := []byte("hello /container?i=0 secret=" + secret)
	require.Eventually(t, func() bool {
		recs = nil
		for _, r := range sink.records(0) {
			if attrStr(r, "payload.source") == "go_tls" && attrStr(r, "payload.library.path") == "/bin/goclient" {
				recs = append(recs, r)
			}
		}
		return bytes.Contains(joined(recs, "receive"), want)
	}, 20*time.Second, 20*time.Millisecond, "the container's payloads did not arrive")
	checkConnection(t, recs)
	assert.True(t, strings.HasPrefix(string(joined(recs, "transmit")), "GET /container?i=0 HTTP/1.1\r\n"))
	assert.Equal(t, "goclient", attrStr(recs[0], "process.executable.name"))
}

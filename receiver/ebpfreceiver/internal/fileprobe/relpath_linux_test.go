//go:build linux && amd64

package fileprobe

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/syscallprobe/probeenv"
)

// dirfdHelperEnv makes the test binary run runDirfdHelper (TestMain).
const dirfdHelperEnv = "FILEPROBE_DIRFD_HELPER_DIR"

// runDirfdHelper renames and deletes files by paths relative to directory
// fds (not the cwd) and exits at once:
//
//	c (created in dir) -renameat-> sub/d -unlinkat-> gone; rmdir sub (unlinkat AT_REMOVEDIR)
//
// then two unlinks that fail with ENOENT: longRelPath relative to dir (too
// long for the event once made absolute) and rootRelName relative to its cwd,
// which must be "/".
func runDirfdHelper(dir string) int {
	die := func(what string, err error) int { fmt.Fprintln(os.Stderr, what, err); return 2 }
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return die("open dir", err)
	}
	fd, err := unix.Openat(dfd, "c", unix.O_WRONLY|unix.O_CREAT|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return die("create c", err)
	}
	unix.Close(fd)
	if err := unix.Mkdirat(dfd, "sub", 0o755); err != nil {
		return die("mkdir sub", err)
	}
	sub, err := unix.Openat(dfd, "sub", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return die("open sub", err)
	}
	if err := unix.Renameat(dfd, "c", sub, "d"); err != nil {
		return die("renameat", err)
	}
	if err := unix.Unlinkat(sub, "d", 0); err != nil {
		return die("unlinkat d", err)
	}
	if err := unix.Unlinkat(dfd, "sub", unix.AT_REMOVEDIR); err != nil {
		return die("unlinkat sub", err)
	}
	if err := unix.Unlinkat(dfd, longRelPath, 0); err != unix.ENOENT {
		return die("unlinkat long", fmt.Errorf("got %v, want ENOENT", err))
	}
	if err := unix.Unlinkat(unix.AT_FDCWD, rootRelName, 0); err != unix.ENOENT {
		return die("unlinkat in /", fmt.Errorf("got %v, want ENOENT", err))
	}
	return 0
}

// longRelPath is a relative path of 604 bytes (more than the 511 an event
// holds): "./" 300 times, then "missing".
var longRelPath = strings.Repeat("./", 300) + "missing"

// rootRelName is a name that does not exist in "/".
const rootRelName = "fileprobe-test-missing-name"

// realTempDir is t.TempDir() without symlinks (the kernel reports the
// dentries' path).
func realTempDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	return dir
}

// succeeded finds the successful records of event name in dir.
func succeeded(sink *probeenv.Sink, dir, name string) []probeenv.Record {
	in := inDir(dir)
	return sink.Find(func(r probeenv.Record) bool {
		return r.EventName == name && r.Attrs["syscall.return"] == int64(0) && in(r)
	})
}

// TestFileProbeRelativeDeleteRenameShortLived: a short-lived shell renames
// and deletes by paths relative to its cwd and exits; with the /proc
// fallback off, the absolute paths can only come from the kernel, which
// resolves them at syscall entry against the task's cwd.
func TestFileProbeRelativeDeleteRenameShortLived(t *testing.T) {
	requireRoot(t)
	dir := realTempDir(t)
	cfg := NewDefaultConfig()
	cfg.Enabled = true
	cfg.Events = []string{EventDelete, EventRename}
	cfg.ResolveRelativePaths = false
	sink := startProbe(t, cfg, bpfheaders.Filter{})
	cmd := exec.Command("sh", "-c", `cd "$1" && touch a && mv a b && rm b && mkdir s && rmdir s`, "sh", dir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "shell: %s", out)

	var renames, deletes []probeenv.Record
	require.Eventually(t, func() bool {
		renames, deletes = succeeded(sink, dir, "fs.rename"), succeeded(sink, dir, "fs.delete")
		return len(renames) >= 1 && len(deletes) >= 2
	}, 10*time.Second, 10*time.Millisecond, "fs.rename and fs.delete with absolute paths under %s", dir)
	require.Len(t, renames, 1, "%+v", renames)
	r := renames[0]
	assert.Equal(t, filepath.Join(dir, "a"), r.Attrs["file.path"])
	assert.Equal(t, "a", r.Attrs["file.name"])
	assert.Equal(t, dir, r.Attrs["file.directory"])
	assert.Equal(t, filepath.Join(dir, "b"), r.Attrs["file.rename.target"])
	assert.Contains(t, []any{"rename", "renameat", "renameat2"}, r.Attrs["syscall.name"])
	assert.Equal(t, "mv", r.Attrs["process.executable.name"])

	require.Len(t, deletes, 2, "%+v", deletes)
	assert.Equal(t, filepath.Join(dir, "b"), deletes[0].Attrs["file.path"])
	assert.Equal(t, "b", deletes[0].Attrs["file.name"])
	assert.Equal(t, dir, deletes[0].Attrs["file.directory"])
	assert.Equal(t, "rm", deletes[0].Attrs["process.executable.name"])
	assert.Equal(t, filepath.Join(dir, "s"), deletes[1].Attrs["file.path"])
	assert.Equal(t, dir, deletes[1].Attrs["file.directory"])
	assert.Equal(t, "rmdir", deletes[1].Attrs["process.executable.name"])
	for _, rec := range append(renames, deletes...) {
		_, cut := rec.Attrs["file.path.truncated"]
		assert.False(t, cut, "%+v", rec)
	}
}

// TestFileProbeRelativeToDirfd: renameat/unlinkat with paths relative to
// two different directory fds (not the cwd), in a process that exits at
// once, are reported with absolute paths under each fd's directory.
func TestFileProbeRelativeToDirfd(t *testing.T) {
	requireRoot(t)
	dir := realTempDir(t)
	cfg := NewDefaultConfig()
	cfg.Enabled = true
	cfg.Events = []string{EventDelete, EventRename}
	cfg.ResolveRelativePaths = false
	sink := startProbe(t, cfg, bpfheaders.Filter{})
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), dirfdHelperEnv+"="+dir)
	cmd.Dir = "/" // the cwd is not the directory the paths are relative to
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "helper: %s", out)

	var renames, deletes []probeenv.Record
	require.Eventually(t, func() bool {
		renames, deletes = succeeded(sink, dir, "fs.rename"), succeeded(sink, dir, "fs.delete")
		return len(renames) >= 1 && len(deletes) >= 2
	}, 10*time.Second, 10*time.Millisecond, "fs.rename and fs.delete with absolute paths under %s", dir)
	require.Len(t, renames, 1, "%+v", renames)
	assert.Equal(t, filepath.Join(dir, "c"), renames[0].Attrs["file.path"])
	assert.Equal(t, dir, renames[0].Attrs["file.directory"])
	assert.Equal(t, filepath.Join(dir, "sub", "d"), renames[0].Attrs["file.rename.target"])
	assert.Equal(t, "renameat", renames[0].Attrs["syscall.name"])
	require.Len(t, deletes, 2, "%+v", deletes)
	assert.Equal(t, filepath.Join(dir, "sub", "d"), deletes[0].Attrs["file.path"])
	assert.Equal(t, filepath.Join(dir, "sub"), deletes[0].Attrs["file.directory"])
	assert.Equal(t, filepath.Join(dir, "sub"), deletes[1].Attrs["file.path"])
	assert.Equal(t, dir, deletes[1].Attrs["file.directory"])
	for _, d := range deletes {
		assert.Equal(t, "unlinkat", d.Attrs["syscall.name"])
	}

	// The failed unlinks: a path cut at 511 bytes (flagged), and a name
	// relative to the root directory.
	var long, root []probeenv.Record
	require.Eventually(t, func() bool {
		long = sink.Find(func(r probeenv.Record) bool {
			p, _ := r.Attrs["file.path"].(string)
			return r.EventName == "fs.delete" && strings.HasPrefix(p, dir+"/./")
		})
		root = sink.Find(func(r probeenv.Record) bool {
			return r.EventName == "fs.delete" && r.Attrs["file.path"] == "/"+rootRelName
		})
		return len(long) >= 1 && len(root) >= 1
	}, 10*time.Second, 10*time.Millisecond, "the failed unlinks")
	require.Len(t, long, 1)
	p := long[0].Attrs["file.path"].(string)
	assert.Len(t, p, pathMax-1, "cut to the event's bound")
	assert.Equal(t, (dir + "/" + longRelPath)[:pathMax-1], p)
	assert.Equal(t, true, long[0].Attrs["file.path.truncated"])
	assert.Equal(t, "ENOENT", long[0].Attrs["error.type"])
	require.Len(t, root, 1)
	assert.Equal(t, "/", root[0].Attrs["file.directory"])
	assert.Equal(t, rootRelName, root[0].Attrs["file.name"])
	assert.Equal(t, "ENOENT", root[0].Attrs["error.type"])
}

//go:build linux

package bpfheaders

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDescendantsCommWithSpacesAndParens runs a child whose comm holds
// spaces and ')' (the name of the link it is executed through) and its own
// child: both are found below this process from the real /proc.
func TestDescendantsCommWithSpacesAndParens(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	require.NoError(t, err)
	sh, err := exec.LookPath("sh")
	require.NoError(t, err)
	dir := t.TempDir()
	name := "a) (b c) 9 9" // a comm holds at most 15 bytes
	require.NoError(t, os.Symlink(sleep, filepath.Join(dir, name)))
	shLink := filepath.Join(dir, "s h)")
	require.NoError(t, os.Symlink(sh, shLink))

	// "s h)" runs "a) (b c) 9 9" in the background and waits for it.
	child := exec.Command(shLink, "-c", `"$0" 30 & wait`, filepath.Join(dir, name))
	require.NoError(t, child.Start())
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	shPID := uint32(child.Process.Pid)

	comm := func(pid uint32) string {
		raw, _ := os.ReadFile("/proc/" + strconv.FormatUint(uint64(pid), 10) + "/comm")
		return strings.TrimSpace(string(raw))
	}
	self := uint32(os.Getpid())
	var got map[uint32]uint8
	var sleepPID uint32
	require.Eventually(t, func() bool {
		got = descendants(map[uint32]uint8{self: pidInclude | pidFollow})
		for pid := range got {
			if comm(pid) == name {
				sleepPID = pid
			}
		}
		return sleepPID != 0
	}, 10*time.Second, 10*time.Millisecond, "the grandchild %q below pid %d", name, self)
	assert.Equal(t, "s h)", comm(shPID))
	assert.Equal(t, pidInclude|pidFollow, got[shPID], "the child")
	assert.Equal(t, pidInclude|pidFollow, got[sleepPID], "the grandchild")
	assert.NotContains(t, got, self, "a root is not its own descendant")
}

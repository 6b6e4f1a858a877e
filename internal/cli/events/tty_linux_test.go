//go:build linux

package events

import (
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// openPTY returns the follower side of a new pseudo-terminal.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	leader, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { _ = leader.Close() })
	require.NoError(t, unix.IoctlSetPointerInt(int(leader.Fd()), unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetInt(int(leader.Fd()), unix.TIOCGPTN)
	require.NoError(t, err)
	follower, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = follower.Close() })
	return follower
}

func TestColorOnlyOnATerminal(t *testing.T) {
	tty := openPTY(t)
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm")
	on, err := colorMode("auto", tty)
	require.NoError(t, err)
	assert.True(t, on, "a terminal gets colour")

	file, err := os.Create(t.TempDir() + "/out")
	require.NoError(t, err)
	defer file.Close()
	on, err = colorMode("auto", file)
	require.NoError(t, err)
	assert.False(t, on, "a file gets none")

	t.Setenv("NO_COLOR", "1")
	on, err = colorMode("auto", tty)
	require.NoError(t, err)
	assert.False(t, on, "NO_COLOR wins over a terminal")
	on, err = colorMode("always", file)
	require.NoError(t, err)
	assert.True(t, on, "--color always forces it")

	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "dumb")
	on, err = colorMode("auto", tty)
	require.NoError(t, err)
	assert.False(t, on, "TERM=dumb gets none")
}

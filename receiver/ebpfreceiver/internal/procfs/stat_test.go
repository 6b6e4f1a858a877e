package procfs

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// statLine is a /proc/<pid>/stat line as the kernel writes it (52 fields:
// 50 after the comm).
func statLine(pid int, comm string, ppid, sid int, flags uint64, start uint64) string {
	return fmt.Sprintf("%d (%s) S %d %d %d 34816 %d %d 2567 0 0 0 3 1 0 0 20 0 1 0 %d 8974336 1013 18446744073709551615 "+
		"94185131601920 94185132316429 140724573440048 0 0 0 65536 3686404 1266761467 1 0 0 17 1 0 0 0 0 0 "+
		"94185132556528 94185132606724 94185155424256 140724573442911 140724573442921 140724573442921 140724573445099 0\n",
		pid, comm, ppid, pid, sid, pid, flags, start)
}

func TestParseStatCommWithSpacesAndParens(t *testing.T) {
	for _, comm := range []string{
		"bash",
		"a b",             // a space
		"a)",              // ')' at the end
		") S 9 9 9",       // what looks like the fields after the comm
		"(sd-pam)",        // parentheses, as systemd names it
		"x) (y",           // both, unbalanced
		"tmux: server",    // a space after ':'
		"  lead ) trail ", // leading and trailing spaces
		"",                // empty
	} {
		t.Run(strconv.Quote(comm), func(t *testing.T) {
			s, err := ParseStat([]byte(statLine(4242, comm, 17, 4200, 0x400040, 123456)))
			require.NoError(t, err)
			assert.Equal(t, Stat{PID: 4242, Comm: comm, State: 'S', PPID: 17, Session: 4200, Flags: 0x400040, StartTime: 123456}, s)
		})
	}
}

func TestParseStatErrors(t *testing.T) {
	for bad, want := range map[string]string{
		"":                                "no (comm)",
		"12 no comm":                      "no (comm)",
		"(c) S 1 2 3":                     "no (comm)",
		"12 ) (c S":                       "no (comm)",
		"x (c) S 1 2 3":                   "pid: ",
		"-1 (c) S 1 2 3":                  "pid: ",
		"4294967296 (c) S 1 2":            "pid: ",
		"5 (c) S 1 2 3 4":                 "5 fields after comm, want at least 20",
		"5 (c)":                           "0 fields after comm, want at least 20",
		statLine(5, "c", 1, 1, 0, 1)[:40]: "fields after comm, want at least 20",
	} {
		_, err := ParseStat([]byte(bad))
		require.Error(t, err, "%q", bad)
		assert.Contains(t, err.Error(), want, "%q", bad)
	}
	long := strings.Replace(statLine(5, "c", 1, 1, 0, 1), " S ", " SS ", 1)
	_, err := ParseStat([]byte(long))
	assert.EqualError(t, err, "50 fields after comm, want at least 20", "a state of two letters")
}

func TestParseStatBadNumberKeepsTheOtherFields(t *testing.T) {
	s, err := ParseStat([]byte(statLine(5, "c d", 1, 1, 0, 1<<63)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "field 22: ")
	assert.Equal(t, Stat{PID: 5, Comm: "c d", State: 'S', PPID: 1, Session: 1, StartTime: 1<<63 - 1}, s,
		"starttime beyond 1<<63 - 1 is out of range")

	raw := strings.Replace(statLine(5, "c", 1, 1, 0, 7), "5 (c) S 1 ", "5 (c) S x ", 1)
	s, err = ParseStat([]byte(raw))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "field 4: ")
	assert.Equal(t, uint32(0), s.PPID)
	assert.Equal(t, uint64(7), s.StartTime)
}

// TestParseStatOfThisProcess parses the real /proc/self/stat.
func TestParseStatOfThisProcess(t *testing.T) {
	raw, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Skipf("needs a Linux procfs: %v", err)
	}
	s, err := ParseStat(raw)
	require.NoError(t, err)
	assert.Equal(t, uint32(os.Getpid()), s.PID)
	assert.Equal(t, uint32(os.Getppid()), s.PPID)
	assert.Equal(t, byte('R'), s.State, "reading its own stat, the process runs")
	assert.NotEmpty(t, s.Comm)
	assert.NotZero(t, s.StartTime)
}

// FuzzParseStat: any input is a Stat or an error, never a panic, and a
// stat line written around any comm parses back whole.
func FuzzParseStat(f *testing.F) {
	f.Add([]byte(statLine(1, "systemd", 0, 1, 0, 1)), "a (b) c")
	f.Add([]byte("5 (c) S 1"), ")")
	f.Add([]byte{}, "")
	f.Fuzz(func(t *testing.T, raw []byte, comm string) {
		_, _ = ParseStat(raw)
		s, err := ParseStat([]byte(statLine(9, comm, 8, 7, 6, 5)))
		require.NoError(t, err)
		assert.Equal(t, Stat{PID: 9, Comm: comm, State: 'S', PPID: 8, Session: 7, Flags: 6, StartTime: 5}, s)
	})
}

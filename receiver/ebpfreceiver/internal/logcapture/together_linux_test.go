//go:build linux && amd64

package logcapture_test

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/fileprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/logcapture"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/netprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/syscallprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/syscallprobe/probeenv"
)

// TestProbesTogether runs the file, network, syscall and logcapture probes
// at once on one set of shared maps (as the receiver does) while a Python
// script writes a log: each probe sees its part, none disturbs another.
func TestProbesTogether(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for eBPF: loading and attaching tp_btf programs requires CAP_BPF and CAP_PERFMON")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("needs python3 for the log-writing helper: " + err.Error())
	}
	dir := t.TempDir()
	cmd := exec.Command(py, "testdata/writer.py", dir, "scenario")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	cmd.Stdout = io.Discard
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })

	sink := probeenv.NewSink()
	env, shared, err := probeenv.New(bpfheaders.Filter{SelfPID: uint32(os.Getpid()), PIDs: []uint32{uint32(cmd.Process.Pid)}}, sink, nil)
	require.NoError(t, err)
	t.Cleanup(func() { shared.Close() })

	fc := fileprobe.NewDefaultConfig()
	fc.Enabled = true
	nc := netprobe.NewDefaultConfig()
	nc.Enabled = true
	sc := syscallprobe.NewDefaultConfig()
	sc.Enabled = true
	sc.Syscalls = []string{"unlinkat", "writev"}
	lc := logcapture.NewDefaultConfig()
	lc.Enabled = true
	probes := []probe.Probe{fileprobe.New(fc), netprobe.New(nc), syscallprobe.New(sc), logcapture.New(lc)}
	for _, p := range probes {
		require.NoError(t, p.Start(t.Context(), env), p.Name())
		t.Cleanup(func() { assert.NoError(t, p.Close(), p.Name()) })
	}
	_, err = stdin.Write([]byte("go\n"))
	require.NoError(t, err)
	require.NoError(t, cmd.Wait())

	logPath := filepath.Join(dir, "willsee.log")
	lines := func() []string {
		var out []string
		for _, r := range sink.Find(func(r probeenv.Record) bool { return r.Attrs["log.file.path"] == logPath }) {
			out = append(out, r.Body)
		}
		return out
	}
	want := []string{"first line", "second line", "third line", "through a dup", "vectored", "ünïcode", "no newline at end"}
	require.Eventually(t, func() bool { return len(lines()) >= len(want) }, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, want, lines(), "logcapture")
	// Each probe drains its own ring on its own poll timer: wait until the
	// other probes' records of the (finished) writer are in too.
	writevs := func() []probeenv.Record {
		return sink.Find(func(r probeenv.Record) bool {
			return r.EventName == "syscall" && r.Attrs["syscall.name"] == "writev"
		})
	}
	closesOf := func() []probeenv.Record {
		return sink.Find(func(r probeenv.Record) bool { return r.EventName == "fs.close" && r.Attrs["file.path"] == logPath })
	}
	require.Eventually(t, func() bool { return len(writevs()) > 0 && len(closesOf()) >= 3 },
		10*time.Second, 10*time.Millisecond, "syscall probe: the writev; file probe: three closes of willsee.log")
	opens := sink.Find(func(r probeenv.Record) bool { return r.EventName == "fs.open" && r.Attrs["file.path"] == logPath })
	assert.Len(t, opens, 3, "file probe: willsee.log opened three times")
	closes := closesOf()
	var written int64
	for _, c := range closes {
		written += c.Attrs["fs.write.bytes"].(int64)
	}
	// "first line\n" + "second " + "line\nthird line\n" (34) and the binary
	// line (10) through the first two opens; the third fd was only dup'd and
	// closed (0): writes through the dup are not counted (docs/events.md).
	assert.Equal(t, int64(34+10), written, "file probe: bytes written through the opened fds")
	assert.NotEmpty(t, writevs(), "syscall probe: the writev")
	for _, r := range sink.Records() {
		assert.Equal(t, int64(cmd.Process.Pid), r.Attrs["process.pid"])
	}
}

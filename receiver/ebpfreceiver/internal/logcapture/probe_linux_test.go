//go:build linux && amd64

package logcapture

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/syscallprobe/probeenv"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for eBPF: loading and attaching tp_btf programs requires CAP_BPF and CAP_PERFMON")
	}
}

// writer is testdata/writer.py, started and blocked until release.
type writer struct {
	cmd   *exec.Cmd
	stdin *os.File
}

func startWriter(t *testing.T, args ...string) *writer {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("needs python3 for the log-writing helper: " + err.Error())
	}
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	w := &writer{stdin: pw}
	w.cmd = exec.Command(py, append([]string{"testdata/writer.py"}, args...)...)
	w.cmd.Stdin = pr
	w.cmd.Stdout = io.Discard
	w.cmd.Stderr = os.Stderr
	require.NoError(t, w.cmd.Start())
	pr.Close()
	t.Cleanup(func() { pw.Close(); _ = w.cmd.Process.Kill(); _ = w.cmd.Wait() })
	return w
}

func (w *writer) run(t *testing.T) {
	t.Helper()
	_, err := w.stdin.WriteString("go\n")
	require.NoError(t, err)
	require.NoError(t, w.cmd.Wait())
}

type started struct {
	sink   *probeenv.Sink
	shared *bpfheaders.SharedMaps
	probe  interface{ Close() error }
}

func startProbe(t *testing.T, cfg Config, pids ...int) started {
	t.Helper()
	sink := probeenv.NewSink()
	f := bpfheaders.Filter{SelfPID: uint32(os.Getpid())}
	for _, pid := range pids {
		f.PIDs = append(f.PIDs, uint32(pid))
	}
	env, shared, err := probeenv.New(f, sink, nil)
	require.NoError(t, err)
	t.Cleanup(func() { shared.Close() })
	p := New(cfg)
	require.NoError(t, p.Start(t.Context(), env))
	t.Cleanup(func() { _ = p.Close() })
	return started{sink: sink, shared: shared, probe: p}
}

func bodiesOf(recs []probeenv.Record, match func(probeenv.Record) bool) []string {
	var out []string
	for _, r := range recs {
		if match(r) {
			out = append(out, r.Body)
		}
	}
	return out
}

func TestLogCaptureScenario(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	w := startWriter(t, dir, "scenario")
	cfg := NewDefaultConfig()
	cfg.Enabled = true
	s := startProbe(t, cfg, w.cmd.Process.Pid)
	w.run(t)

	logPath := filepath.Join(dir, "willsee.log")
	want := []string{"first line", "second line", "third line", "through a dup", "vectored", "ünïcode", "no newline at end"}
	inLog := func(r probeenv.Record) bool { return r.Attrs["log.file.path"] == logPath }
	require.Eventually(t, func() bool {
		return len(bodiesOf(s.sink.Records(), inLog)) >= len(want)
	}, 10*time.Second, 10*time.Millisecond)
	recs := s.sink.Records()
	assert.Equal(t, want, bodiesOf(recs, inLog), "exactly the lines written to willsee.log, in order")
	for _, r := range recs {
		assert.Equal(t, int64(w.cmd.Process.Pid), r.Attrs["process.pid"], "the in-kernel pid filter keeps only the writer")
		assert.NotContains(t, r.Body, "nobody", "wontsee.txt does not match the patterns")
		assert.Empty(t, r.EventName, "captured lines are plain logs")
		if inLog(r) {
			assert.Equal(t, "willsee.log", r.Attrs["log.file.name"])
			assert.Equal(t, int64(w.cmd.Process.Pid), r.Attrs["process.pid"])
			assert.Equal(t, "python3", r.Attrs["process.executable.name"])
			assert.NotContains(t, r.Attrs, "log.record.truncated")
		}
	}
	assert.Equal(t, int64(1), s.sink.Losses()["logcapture/binary"], "the binary line is counted, not emitted")
}

func TestLogCaptureBurst(t *testing.T) {
	requireRoot(t)
	runBurst(t, 0) // the default ring: no loss expected
}

// TestLogCaptureBurstSmallRing: with a 64 KiB ring the reader may fall
// behind; whatever is lost is counted, and the lines that arrive are intact
// and in order, a line broken by a lost write being flagged truncated.
func TestLogCaptureBurstSmallRing(t *testing.T) {
	requireRoot(t)
	runBurst(t, 64<<10)
}

func runBurst(t *testing.T, ring int) {
	dir := t.TempDir()
	const lines = 20000 // 20000 * 58 bytes = 1.1 MiB
	w := startWriter(t, dir, "burst", fmt.Sprint(lines))
	cfg := NewDefaultConfig()
	cfg.Enabled = true
	cfg.RingBufferSize = ring
	s := startProbe(t, cfg, w.cmd.Process.Pid)
	w.run(t)

	logPath := filepath.Join(dir, "burst.log")
	inLog := func(r probeenv.Record) bool { return r.Attrs["log.file.path"] == logPath }
	kernelLost := func() uint64 {
		l, err := s.shared.ReadLosses()
		require.NoError(t, err)
		return l[bpfheaders.LossKey{Probe: bpfheaders.ProbeLogcapture, Reason: bpfheaders.LossRingbufFull}]
	}
	// The file is closed: every line that was not lost is in the ring now.
	require.Eventually(t, func() bool {
		return len(bodiesOf(s.sink.Records(), inLog)) >= lines || kernelLost() > 0
	}, 30*time.Second, 20*time.Millisecond)
	require.NoError(t, s.probe.Close()) // drains the ring
	lost := kernelLost()
	var intact []string
	truncated := 0
	for _, r := range s.sink.Find(inLog) {
		if r.Attrs["log.record.truncated"] == true {
			truncated++
			continue
		}
		intact = append(intact, r.Body)
	}
	if lost == 0 {
		require.Zero(t, truncated)
		require.Len(t, intact, lines, "every line once")
	} else {
		// Python writes in 8 KiB chunks of 58-byte lines: a lost write
		// takes at most 8192/58+1 lines and breaks one more in two.
		t.Logf("ring buffer lost %d writes: %d intact lines, %d flagged truncated", lost, len(intact), truncated)
		assert.LessOrEqual(t, lines-len(intact), int(lost)*(8192/58+3), "the loss counter accounts for the missing lines")
		assert.LessOrEqual(t, truncated, int(lost)*2, "at most the two ends of each gap are flagged")
	}
	// In order, each at most once, each intact.
	next := 0
	for _, b := range intact {
		var i int
		_, err := fmt.Sscanf(b, "burst line %07d", &i)
		require.NoError(t, err, "line %q", b)
		require.Equal(t, fmt.Sprintf("burst line %07d %s", i, strings.Repeat("x", 40)), b)
		require.GreaterOrEqual(t, i, next, "in order, no duplicates")
		next = i + 1
	}
}

func TestLogCaptureConsole(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	w := startWriter(t, dir, "console")
	cfg := NewDefaultConfig()
	cfg.Enabled = true
	cfg.Console.Streams = []string{"stdout"}
	s := startProbe(t, cfg, w.cmd.Process.Pid)
	w.run(t)
	stream := func(name string) func(probeenv.Record) bool {
		return func(r probeenv.Record) bool { return r.Attrs["log.iostream"] == name }
	}
	require.Eventually(t, func() bool { return len(bodiesOf(s.sink.Records(), stream("stdout"))) >= 2 }, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, []string{"to stdout 1", "to stdout 2"}, bodiesOf(s.sink.Records(), stream("stdout")))
	assert.Empty(t, bodiesOf(s.sink.Records(), stream("stderr")), "stderr is not configured")
}

func TestLogCaptureBoundedWrite(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	w := startWriter(t, dir, "big")
	cfg := NewDefaultConfig()
	cfg.Enabled = true
	cfg.MaxBytesPerWrite = 40
	s := startProbe(t, cfg, w.cmd.Process.Pid)
	w.run(t)
	inLog := func(r probeenv.Record) bool { return r.Attrs["log.file.path"] == filepath.Join(dir, "big.log") }
	var recs []probeenv.Record
	require.Eventually(t, func() bool { recs = s.sink.Find(inLog); return len(recs) >= 3 }, 10*time.Second, 10*time.Millisecond)
	require.Len(t, recs, 3, "%+v", recs)
	assert.Equal(t, strings.Repeat("A", 40), recs[0].Body, "the write is captured up to max_bytes_per_write")
	assert.Equal(t, true, recs[0].Attrs["log.record.truncated"])
	// What followed the cut is unknown: the next write's first line could be
	// the rest of a line, so it is flagged too; the one after is clean.
	assert.Equal(t, "next", recs[1].Body)
	assert.Equal(t, true, recs[1].Attrs["log.record.truncated"])
	assert.Equal(t, "last", recs[2].Body)
	assert.NotContains(t, recs[2].Attrs, "log.record.truncated")
}

func TestLogCaptureFileOpenBeforeStart(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("needs python3 for the log-writing helper: " + err.Error())
	}
	cmd := exec.Command(py, "testdata/writer.py", dir, "preopened")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	buf := make([]byte, 6)
	_, err = io.ReadFull(stdout, buf)
	require.NoError(t, err)
	require.Equal(t, "ready\n", string(buf), "the log file is open")

	cfg := NewDefaultConfig()
	cfg.Enabled = true
	s := startProbe(t, cfg, cmd.Process.Pid)
	_, err = stdin.Write([]byte("go\n"))
	require.NoError(t, err)
	require.NoError(t, cmd.Wait())
	inLog := func(r probeenv.Record) bool { return r.Attrs["log.file.path"] == filepath.Join(dir, "early.log") }
	require.Eventually(t, func() bool { return len(bodiesOf(s.sink.Records(), inLog)) >= 2 }, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, []string{"written after the probe started", "second"}, bodiesOf(s.sink.Records(), inLog))
}

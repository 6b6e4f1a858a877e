//go:build linux

package events

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-trace/otelcol-trace/exporter/localstoreexporter/store"
)

// execArgsFilter prints the argv of the process.exec events whose arguments
// contain $MARK. The marker comes from the environment so that neither the
// shell's nor jq's own command line contains it.
const execArgsFilter = `select((.attributes["process.command_args"] // []) | any(contains($ENV.MARK))) | .attributes["process.command_args"] | join(" ")`

// TestEndToEndDefaultConfig runs the built otelcol-trace on the default
// config as root, runs known commands, and finds exactly those with
// `otelcol-trace events -s process.exec --json | jq -r ...` — the real
// binary, a real pipe, a real jq.
func TestEndToEndDefaultConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: builds the distribution")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root for eBPF: the default config runs the ebpf receiver")
	}
	jq, err := exec.LookPath("jq")
	if err != nil {
		t.Skip("needs jq on PATH (installed by .ci/run)")
	}
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err)
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "otelcol-trace")

	config := filepath.Join(root, "config", "default.yaml")
	pkg := "./cmd/otelcol-trace"
	build := exec.Command("go", "build", "-o", bin, pkg)
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build %s: %s", pkg, out)

	out, err = exec.Command(bin, "components").CombinedOutput()
	require.NoError(t, err, "otelcol-trace components: %s", out)
	require.Contains(t, string(out), "localstore", "otelcol-trace components lists the localstore exporter")
	help := exec.Command(bin, "events", "--help")
	var helpErr bytes.Buffer
	help.Stderr = &helpErr
	require.NoError(t, help.Run(), "otelcol-trace events --help: %s", helpErr.String())
	require.Contains(t, helpErr.String(), "otelcol-trace events summary")

	dataDir := filepath.Join(tmp, "data")
	env := append(os.Environ(), store.EnvDataDir+"="+dataDir)
	// The collector's own metrics endpoint (:8888) is switched off so that
	// tests running in parallel do not compete for the port.
	collector := exec.Command(bin, "--config", config, "--config", "yaml:service::telemetry::metrics::level: none")
	collector.Dir = root
	collector.Env = env
	var logs lockedOutput
	collector.Stdout, collector.Stderr = &logs, &logs
	require.NoError(t, collector.Start())
	exited := make(chan error, 1)
	go func() { exited <- collector.Wait() }()
	defer func() {
		_ = collector.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = collector.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("collector output:\n%s", logs.String())
		}
	}()

	// query runs `otelcol-trace events -s <eventName> --all --json | jq -r
	// <filter>` and returns its lines, sorted.
	query := func(eventName, filter, mark string) []string {
		sh := exec.Command("bash", "-o", "pipefail", "-c", `"$BIN" events -s "$EVENT" --all --json | "$JQ" -r "$FILTER"`)
		sh.Env = append(env, "BIN="+bin, "JQ="+jq, "EVENT="+eventName, "FILTER="+filter, "MARK="+mark)
		var stdout, stderr bytes.Buffer
		sh.Stdout, sh.Stderr = &stdout, &stderr
		if err := sh.Run(); err != nil {
			t.Logf("pipeline: %v: %s", err, stderr.String())
			return nil
		}
		text := strings.TrimSpace(stdout.String())
		if text == "" {
			return nil
		}
		lines := strings.Split(text, "\n")
		sort.Strings(lines)
		return lines
	}
	execArgs := func(mark string) []string { return query("process.exec", execArgsFilter, mark) }

	// Wait until the receiver sees execs: run a readiness command until it
	// shows up in the store.
	ready := "ready-" + randomHex(t)
	deadline := time.Now().Add(90 * time.Second)
	for len(execArgs(ready)) == 0 {
		select {
		case err := <-exited:
			t.Fatalf("collector exited: %v", err)
		default:
		}
		require.True(t, time.Now().Before(deadline), "no process.exec event reached the store within 90s")
		require.NoError(t, exec.Command("/bin/true", ready).Run())
		time.Sleep(200 * time.Millisecond) // pacing of the readiness probe, not an assertion
	}

	mark := "e2e-" + randomHex(t) + "-"
	workload := [][]string{
		{"/bin/true", mark + "1"},
		{"/bin/echo", mark + "2"},
		{"/usr/bin/printf", "%s", mark + "3"},
		{"/bin/sh", "-c", ":", mark + "4"},
	}
	var want []string
	for _, argv := range workload {
		require.NoError(t, exec.Command(argv[0], argv[1:]...).Run(), "workload %q", argv)
		want = append(want, strings.Join(argv, " "))
	}
	sort.Strings(want)

	var got []string
	require.Eventually(t, func() bool {
		got = execArgs(mark)
		return len(got) >= len(want)
	}, 60*time.Second, 250*time.Millisecond, "the workload's execs did not all reach the store")
	require.Equal(t, want, got, "exactly the workload's commands, each once")
	t.Logf("found with events -s process.exec --json | jq: %q", got)

	// The default config's ebpf/activity receiver stores what processes do
	// with files: a shell writes two known files and cat reads one back.
	dir := t.TempDir()
	written := []string{filepath.Join(dir, mark+"written.txt"), filepath.Join(dir, mark+"also-written.log")}
	script := `echo one > "$1" && echo two > "$2" && cat "$1" > /dev/null`
	require.NoError(t, exec.Command("/bin/sh", "-c", script, "sh", written[0], written[1]).Run())
	wantPaths := append([]string(nil), written...)
	sort.Strings(wantPaths)
	var gotPaths []string
	require.Eventually(t, func() bool {
		gotPaths = query("fs.open", openedPathsFilter, mark)
		return len(gotPaths) >= len(wantPaths)
	}, 60*time.Second, 250*time.Millisecond, "the workload's fs.open events did not reach the store")
	require.Equal(t, wantPaths, uniqueSorted(gotPaths), "exactly the files the workload opened")
	reads := query("fs.open", `select((.attributes["file.path"] // "") | contains($ENV.MARK)) | select(.attributes["process.executable.name"] == "cat") | .attributes["file.path"]`, mark)
	require.Equal(t, []string{written[0]}, reads, "cat opened the first file once")
	t.Logf("found with events -s fs.open --json | jq: %q", gotPaths)
}

// openedPathsFilter prints the file.path of fs.open events whose path
// contains $MARK.
const openedPathsFilter = `select((.attributes["file.path"] // "") | contains($ENV.MARK)) | .attributes["file.path"]`

// uniqueSorted returns the distinct lines of sorted lines.
func uniqueSorted(lines []string) []string {
	var out []string
	for i, l := range lines {
		if i == 0 || l != lines[i-1] {
			out = append(out, l)
		}
	}
	return out
}

func randomHex(t *testing.T) string {
	b := make([]byte, 6)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// lockedOutput collects a process's output for the failure log.
type lockedOutput struct{ syncBuffer }

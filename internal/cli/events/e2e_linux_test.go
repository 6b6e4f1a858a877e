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
	config := filepath.Join(root, "config", "default.yaml")
	if _, err := os.Stat(config); err != nil {
		t.Skipf("no default config yet (%s): the lead has not wired the localstore exporter", config)
	}
	// Cheap check before the long build: the distribution must import the
	// exporter.
	comps, err := os.ReadFile(filepath.Join(root, "cmd", "otelcol-trace", "components.go"))
	require.NoError(t, err)
	if !bytes.Contains(comps, []byte("localstoreexporter")) {
		t.Skip("the distribution has no localstore exporter yet (cmd/otelcol-trace/components.go)")
	}

	tmp := t.TempDir()
	bin := filepath.Join(tmp, "otelcol-trace")
	build := exec.Command("go", "build", "-o", bin, "./cmd/otelcol-trace")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	out, err = exec.Command(bin, "components").CombinedOutput()
	require.NoError(t, err, "otelcol-trace components: %s", out)
	if !bytes.Contains(out, []byte("localstore")) {
		t.Skipf("otelcol-trace components lists no localstore exporter yet:\n%s", out)
	}
	help := exec.Command(bin, "events", "--help")
	var helpErr bytes.Buffer
	help.Stderr = &helpErr
	if err := help.Run(); err != nil || !strings.Contains(helpErr.String(), "otelcol-trace events summary") {
		t.Skipf("otelcol-trace has no events sub-command yet (%v): %s", err, helpErr.String())
	}

	dataDir := filepath.Join(tmp, "data")
	env := append(os.Environ(), store.EnvDataDir+"="+dataDir)
	collector := exec.Command(bin, "--config", config)
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

	// execArgs runs the pipeline and returns its lines, sorted.
	execArgs := func(mark string) []string {
		sh := exec.Command("bash", "-o", "pipefail", "-c", `"$BIN" events -s process.exec --all --json | "$JQ" -r "$FILTER"`)
		sh.Env = append(env, "BIN="+bin, "JQ="+jq, "FILTER="+execArgsFilter, "MARK="+mark)
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
}

func randomHex(t *testing.T) string {
	b := make([]byte, 6)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// lockedOutput collects a process's output for the failure log.
type lockedOutput struct{ syncBuffer }

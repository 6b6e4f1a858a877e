package snapshotreceiver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-trace/otelcol-trace/snapshot"
)

const testToken = "test-token-0123456789abcdef"

// demoDir holds the demo binary; TestMain removes it.
var demoDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if demoDir != "" {
		_ = os.RemoveAll(demoDir)
	}
	os.Exit(code)
}

// demoBinary is built once for all tests of the package.
var demoBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "snapshotdemo-*")
	if err != nil {
		return "", err
	}
	demoDir = dir
	bin := filepath.Join(dir, "snapshotdemo")
	out, err := exec.Command("go", "build", "-o", bin, "../../examples/snapshotdemo").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build snapshotdemo: %v: %s", err, out)
	}
	return bin, nil
})

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

type testReceiver struct {
	r    *snapshotReceiver
	sink *consumertest.LogsSink
	logs *observer.ObservedLogs
	base string
}

func startReceiver(t *testing.T, addr string) *testReceiver {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = addr
	cfg.Tokens = []configopaque.String{testToken}
	cfg.HeartbeatInterval = time.Second
	cfg.SnapshotTimeout = 20 * time.Second
	require.NoError(t, cfg.Validate())
	core, logs := observer.New(zap.InfoLevel)
	set := receivertest.NewNopSettings(component.MustNewType(typeStr))
	set.Logger = zap.New(core)
	sink := new(consumertest.LogsSink)
	r, err := newSnapshotReceiver(cfg, set, sink)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, r.Shutdown(context.Background())) })
	return &testReceiver{r: r, sink: sink, logs: logs, base: "http://" + addr}
}

func (tr *testReceiver) stop(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, tr.r.Shutdown(ctx))
}

type demoProcess struct {
	cmd      *exec.Cmd
	stderr   *syncBuffer
	pageAddr string
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startDemo runs examples/snapshotdemo as a separate process and waits for
// its "ready" line.
func startDemo(t *testing.T, env map[string]string, args ...string) *demoProcess {
	t.Helper()
	bin, err := demoBinary()
	require.NoError(t, err)
	cmd := exec.Command(bin, append([]string{"-max-backoff", "300ms"}, args...)...)
	cmd.Env = append(os.Environ(), "OTELCOL_TRACE_ENDPOINT=", "OTELCOL_TRACE_TOKEN=", "OTELCOL_TRACE_ENVIRONMENT=")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	d := &demoProcess{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = d.stderr
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
		if t.Failed() {
			t.Logf("snapshotdemo stderr:\n%s", d.stderr.String())
		}
	})
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "snapshotdemo exited before it was ready: %s", d.stderr.String())
			if p, ok := strings.CutPrefix(l, "config page: "); ok {
				u, err := url.Parse(p)
				require.NoError(t, err)
				d.pageAddr = u.Host
			}
			if strings.HasPrefix(l, "ready ") {
				go func() {
					for range lines {
					}
				}()
				return d
			}
		case <-deadline:
			t.Fatalf("snapshotdemo not ready within 30s: %s", d.stderr.String())
		}
	}
}

func (d *demoProcess) running() bool {
	return d.cmd.ProcessState == nil && d.cmd.Process.Signal(syscall.Signal(0)) == nil
}

func apiCall(t *testing.T, method, u, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}

func (tr *testReceiver) processes(t *testing.T) []ProcessInfo {
	code, body := apiCall(t, http.MethodGet, tr.base+"/v1/processes", testToken, nil)
	require.Equal(t, http.StatusOK, code, string(body))
	var out struct {
		Processes []ProcessInfo `json:"processes"`
	}
	require.NoError(t, json.Unmarshal(body, &out))
	return out.Processes
}

func (tr *testReceiver) waitConnected(t *testing.T, pid int) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, p := range tr.processes(t) {
			if p.PID == pid {
				return true
			}
		}
		return false
	}, 30*time.Second, 50*time.Millisecond, "process %d never connected", pid)
}

func (tr *testReceiver) trigger(t *testing.T, req TriggerRequest) []TriggerResult {
	t.Helper()
	code, body := apiCall(t, http.MethodPost, tr.base+"/v1/snapshots", testToken, req)
	require.Equal(t, http.StatusOK, code, string(body))
	var out struct {
		Snapshots []TriggerResult `json:"snapshots"`
	}
	require.NoError(t, json.Unmarshal(body, &out))
	return out.Snapshots
}

// records returns the log records of one snapshot with their resources.
type record struct {
	res pcommon.Map
	lr  plog.LogRecord
}

func (tr *testReceiver) records(id string) []record {
	var out []record
	for _, l := range tr.sink.AllLogs() {
		for i := 0; i < l.ResourceLogs().Len(); i++ {
			rl := l.ResourceLogs().At(i)
			for j := 0; j < rl.ScopeLogs().Len(); j++ {
				lrs := rl.ScopeLogs().At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					lr := lrs.At(k)
					if v, ok := lr.Attributes().Get("snapshot.id"); ok && v.Str() == id {
						out = append(out, record{res: rl.Resource().Attributes(), lr: lr})
					}
				}
			}
		}
	}
	return out
}

func attrStr(m pcommon.Map, k string) string {
	v, ok := m.Get(k)
	if !ok {
		return ""
	}
	return v.AsString()
}

// assertDemoSnapshot checks a snapshot of snapshotdemo in the sink.
func assertDemoSnapshot(t *testing.T, tr *testReceiver, res TriggerResult, pid int, env string) {
	t.Helper()
	require.Equal(t, "ok", res.Status, res.Error)
	recs := tr.records(res.SnapshotID)
	require.NotEmpty(t, recs)
	byEvent := map[string][]record{}
	for _, r := range recs {
		byEvent[r.lr.EventName()] = append(byEvent[r.lr.EventName()], r)
		assert.Equal(t, "snapshotdemo", attrStr(r.res, "service.name"))
		assert.Equal(t, env, attrStr(r.res, "deployment.environment.name"))
		assert.Equal(t, fmt.Sprint(pid), attrStr(r.res, "process.pid"))
		assert.NotEmpty(t, attrStr(r.res, "host.name"))
	}
	require.Len(t, byEvent[eventSummary], 1)
	sum := byEvent[eventSummary][0].lr.Attributes()
	pause, _ := sum.Get("snapshot.pause.duration")
	assert.Positive(t, pause.Double())
	count, _ := sum.Get("snapshot.goroutine.count")
	assert.Equal(t, int64(len(byEvent[eventGoroutine])), count.Int())
	assert.Equal(t, res.Goroutines, len(byEvent[eventGoroutine]))

	type seen struct{ state, reason, labels, body string }
	byFunc := map[string][]seen{}
	for _, r := range byEvent[eventGoroutine] {
		a := r.lr.Attributes()
		var labels []string
		a.Range(func(k string, v pcommon.Value) bool {
			if strings.HasPrefix(k, "goroutine.labels.") {
				labels = append(labels, strings.TrimPrefix(k, "goroutine.labels.")+"="+v.Str())
			}
			return true
		})
		fn := attrStr(a, "code.function.name")
		byFunc[fn] = append(byFunc[fn], seen{attrStr(a, "goroutine.state"), attrStr(a, "goroutine.wait_reason"), strings.Join(labels, ","), r.lr.Body().AsString()})
		assert.NotEmpty(t, attrStr(a, "goroutine.id"))
	}
	// The first frame shown is the demo's function (runtime internals are
	// hidden by the traceback).
	workers := byFunc["main.waitForJob"]
	require.Len(t, workers, 2, "goroutines by top function: %v", byFunc)
	var workerLabels []string
	for _, w := range workers {
		assert.Equal(t, "waiting", w.state)
		assert.Equal(t, "chan receive", w.reason)
		assert.Contains(t, w.body, "main.waitForJob")
		assert.Contains(t, w.body, "examples/snapshotdemo/main.go:")
		workerLabels = append(workerLabels, w.labels)
	}
	assert.ElementsMatch(t, []string{"role=worker,worker=1", "role=worker,worker=2"}, workerLabels)

	var db []seen
	for _, list := range byFunc {
		for _, g := range list {
			if strings.Contains(g.body, "main.acquireConnection") {
				db = append(db, g)
			}
		}
	}
	require.Len(t, db, 1, "db goroutine: %v", byFunc)
	assert.Equal(t, "sync.Mutex.Lock", db[0].reason)
	assert.Equal(t, "role=db", db[0].labels)
	assert.Contains(t, db[0].body, "sync.(*Mutex).Lock")
	require.Len(t, byFunc["main.pollUpstream"], 1)
	assert.Equal(t, "select", byFunc["main.pollUpstream"][0].reason)
	assert.Equal(t, "role=poller", byFunc["main.pollUpstream"][0].labels)

	vars := map[string]record{}
	for _, r := range byEvent[eventVariable] {
		vars[attrStr(r.lr.Attributes(), "variable.name")] = r
	}
	q := vars["queue"]
	require.NotNil(t, q.res, "registered value missing: %v", vars)
	assert.Equal(t, "registered", attrStr(q.lr.Attributes(), "variable.source"))
	assert.Equal(t, `{"depth":3,"names":["alpha","beta","gamma"]}`, q.lr.Body().AsString())

	cfg := vars["main.config"]
	require.NotNil(t, cfg.res, "DWARF variable missing: %v", vars)
	assert.Equal(t, "dwarf", attrStr(cfg.lr.Attributes(), "variable.source"))
	assert.Equal(t, "main.serviceConfig", attrStr(cfg.lr.Attributes(), "variable.type"))
	body := cfg.lr.Body().Map()
	name, _ := body.Get("Name")
	assert.Equal(t, "checkout", name.Str())
	port, _ := body.Get("Port")
	assert.Equal(t, int64(8443), port.Int())
	limits, _ := body.Get("Limits")
	assert.Equal(t, "[10,20,30]", limits.AsString())
	owner, _ := body.Get("Owner")
	team, _ := owner.Map().Get("Team")
	assert.Equal(t, "payments", team.Str())
	assert.Equal(t, "42", vars["main.requestCount"].lr.Body().AsString())
	assert.Equal(t, "hello from snapshotdemo", vars["main.greeting"].lr.Body().AsString())
	assert.Equal(t, `["db-1","db-2"]`, vars["main.backends"].lr.Body().AsString())
}

func TestEndToEndSnapshotOfDemo(t *testing.T) {
	addr := freeAddr(t)
	tr := startReceiver(t, addr)
	d := startDemo(t, map[string]string{
		"OTELCOL_TRACE_ENDPOINT": "http://" + addr, "OTELCOL_TRACE_TOKEN": testToken, "OTELCOL_TRACE_ENVIRONMENT": "prod",
	})
	pid := d.cmd.Process.Pid
	tr.waitConnected(t, pid)

	procs := tr.processes(t)
	require.Len(t, procs, 1)
	assert.Equal(t, "snapshotdemo", procs[0].Program)
	assert.Equal(t, "prod", procs[0].Environment)
	assert.NotEmpty(t, procs[0].GoVersion)
	assert.False(t, procs[0].ConnectedSince.IsZero())

	// A filter that matches nothing is a clear 404.
	code, body := apiCall(t, http.MethodPost, tr.base+"/v1/snapshots", testToken, TriggerRequest{Environment: "staging"})
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, string(body), "no connected process")

	res := tr.trigger(t, TriggerRequest{Environment: "prod"})
	require.Len(t, res, 1)
	assertDemoSnapshot(t, tr, res[0], pid, "prod")

	// By program, with an extra variable read on request.
	res = tr.trigger(t, TriggerRequest{Program: "snapshotdemo", Variables: []string{"main.dbMu", "main.nosuch"}})
	require.Len(t, res, 1)
	require.Equal(t, "ok", res[0].Status)
	var sawMissing bool
	for _, r := range tr.records(res[0].SnapshotID) {
		if attrStr(r.lr.Attributes(), "variable.name") == "main.nosuch" {
			sawMissing = true
			assert.Contains(t, attrStr(r.lr.Attributes(), "variable.error"), "unavailable")
			assert.Equal(t, plog.SeverityNumberWarn, r.lr.SeverityNumber())
		}
	}
	assert.True(t, sawMissing)
}

func TestAuthentication(t *testing.T) {
	addr := freeAddr(t)
	tr := startReceiver(t, addr)
	hello := map[string]any{"program": "x", "pid": 1}

	code, body := apiCall(t, http.MethodPost, tr.base+"/v1/agent/connect", "", hello)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Contains(t, string(body), "missing token")

	const wrong = "wrong-token-that-must-not-be-logged"
	code, body = apiCall(t, http.MethodPost, tr.base+"/v1/agent/connect", wrong, hello)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Contains(t, string(body), "invalid token")
	assert.NotContains(t, string(body), wrong)

	code, _ = apiCall(t, http.MethodGet, tr.base+"/v1/processes", wrong, nil)
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = apiCall(t, http.MethodPost, tr.base+"/v1/snapshots", "", nil)
	assert.Equal(t, http.StatusUnauthorized, code)

	warnings := tr.logs.FilterMessageSnippet("invalid token").All()
	require.NotEmpty(t, warnings)
	for _, e := range tr.logs.All() {
		assert.NotContains(t, fmt.Sprint(e.Message, e.ContextMap()), wrong)
	}

	// Upload over the size limit.
	tr.r.cfg.MaxSnapshotBytes = 1024
	code, body = apiCall(t, http.MethodPost, tr.base+"/v1/agent/snapshots", testToken, map[string]string{"session": strings.Repeat("x", 4096)})
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.Contains(t, string(body), "limit")
	// Upload for a session that is not connected.
	code, body = apiCall(t, http.MethodPost, tr.base+"/v1/agent/snapshots", testToken, map[string]any{"session": "nope", "snapshot": map[string]any{"id": "abc"}})
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, string(body), "unknown session")
	// Malformed JSON.
	req, _ := http.NewRequest(http.MethodPost, tr.base+"/v1/agent/connect", strings.NewReader("{not json"))
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func TestReceiverDownAtInitThenUp(t *testing.T) {
	addr := freeAddr(t)
	d := startDemo(t, map[string]string{
		"OTELCOL_TRACE_ENDPOINT": "http://" + addr, "OTELCOL_TRACE_TOKEN": testToken, "OTELCOL_TRACE_ENVIRONMENT": "dev",
	})
	// The program runs and reports the failed attempts.
	require.Eventually(t, func() bool {
		return strings.Contains(d.stderr.String(), "connection refused")
	}, 20*time.Second, 50*time.Millisecond)
	require.True(t, d.running())

	tr := startReceiver(t, addr)
	tr.waitConnected(t, d.cmd.Process.Pid)
	res := tr.trigger(t, TriggerRequest{Environment: "dev"})
	require.Len(t, res, 1)
	assertDemoSnapshot(t, tr, res[0], d.cmd.Process.Pid, "dev")
}

func TestReceiverRestartWhileConnected(t *testing.T) {
	addr := freeAddr(t)
	tr := startReceiver(t, addr)
	d := startDemo(t, map[string]string{
		"OTELCOL_TRACE_ENDPOINT": "http://" + addr, "OTELCOL_TRACE_TOKEN": testToken, "OTELCOL_TRACE_ENVIRONMENT": "prod",
	})
	pid := d.cmd.Process.Pid
	tr.waitConnected(t, pid)
	tr.stop(t)
	require.Eventually(t, func() bool {
		return strings.Contains(d.stderr.String(), "closed the connection") || strings.Contains(d.stderr.String(), "connection refused")
	}, 20*time.Second, 50*time.Millisecond)
	require.True(t, d.running())

	tr2 := startReceiver(t, addr)
	tr2.waitConnected(t, pid)
	require.True(t, d.running())
	res := tr2.trigger(t, TriggerRequest{Program: "snapshotdemo"})
	require.Len(t, res, 1)
	assertDemoSnapshot(t, tr2, res[0], pid, "prod")
}

func TestWrongTokenKeepsRunningAndRecoversFromConfigPage(t *testing.T) {
	addr := freeAddr(t)
	tr := startReceiver(t, addr)
	d := startDemo(t, map[string]string{
		"OTELCOL_TRACE_ENDPOINT": "http://" + addr, "OTELCOL_TRACE_TOKEN": "not-the-right-token-at-all", "OTELCOL_TRACE_ENVIRONMENT": "prod",
	}, "-listen", "127.0.0.1:0")
	require.Eventually(t, func() bool {
		return strings.Contains(d.stderr.String(), "invalid token")
	}, 20*time.Second, 50*time.Millisecond)
	// It keeps retrying: several refusals, and the process is alive.
	require.Eventually(t, func() bool {
		return len(tr.logs.FilterMessageSnippet("invalid token").All()) >= 1 && strings.Count(d.stderr.String(), "invalid token") >= 2
	}, 20*time.Second, 50*time.Millisecond)
	assert.True(t, d.running())
	assert.Empty(t, tr.processes(t))
	assert.NotContains(t, fmt.Sprint(tr.logs.All()), "not-the-right-token-at-all")

	// Fix the token through the program's configuration page.
	require.NotEmpty(t, d.pageAddr)
	page := "http://" + d.pageAddr + "/debug/snapshot/"
	resp, err := http.PostForm(page, url.Values{"action": {"connect"}, "endpoint": {"http://" + addr}, "environment": {"prod"}, "program": {"snapshotdemo"}, "token": {testToken}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	tr.waitConnected(t, d.cmd.Process.Pid)
	res := tr.trigger(t, TriggerRequest{Environment: "prod"})
	require.Len(t, res, 1)
	assertDemoSnapshot(t, tr, res[0], d.cmd.Process.Pid, "prod")

	// The page never shows the token.
	resp, err = http.Get(page)
	require.NoError(t, err)
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.NotContains(t, string(html), testToken)
	assert.Contains(t, string(html), `<dd id="token">set</dd>`)
}

// silentClient connects like the library but never answers orders.
func silentClient(t *testing.T, base string, hello snapshot.Hello) (cancel func(), orders <-chan snapshot.Message) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	body, err := json.Marshal(hello)
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+snapshot.PathConnect, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	ch := make(chan snapshot.Message, 16)
	go func() {
		defer resp.Body.Close()
		dec := json.NewDecoder(resp.Body)
		for {
			var m snapshot.Message
			if dec.Decode(&m) != nil {
				close(ch)
				return
			}
			ch <- m
		}
	}()
	welcome := <-ch
	require.Equal(t, "welcome", welcome.Type)
	return cancel, ch
}

func TestOrderTimeoutAndDisconnect(t *testing.T) {
	addr := freeAddr(t)
	tr := startReceiver(t, addr)
	stop, orders := silentClient(t, tr.base, snapshot.Hello{Program: "silent", Environment: "qa", PID: 4242, Host: "h"})
	defer stop()

	res := tr.trigger(t, TriggerRequest{Program: "silent", TimeoutSeconds: 0.3})
	require.Len(t, res, 1)
	assert.Equal(t, "timeout", res[0].Status)
	assert.Contains(t, res[0].Error, "no snapshot within")

	require.Len(t, tr.logs.FilterMessageSnippet("snapshot order failed").All(), 1)

	// The process goes away while the trigger waits: when the second order
	// reaches it.
	go func() {
		n := 0
		for m := range orders {
			if m.Type == "snapshot" {
				if n++; n == 2 {
					stop()
				}
			}
		}
	}()
	res = tr.trigger(t, TriggerRequest{Program: "silent"})
	require.Len(t, res, 1)
	assert.Equal(t, "disconnected", res[0].Status)
	assert.Empty(t, tr.processes(t))
}

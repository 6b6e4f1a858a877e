package events

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-trace/otelcol-trace/exporter/localstoreexporter"
	"github.com/otelcol-trace/otelcol-trace/exporter/localstoreexporter/store"
)

type ev struct {
	name      string
	at        time.Time
	pid       int64
	comm      string
	container string
	attrs     map[string]any
}

func logsOf(evs ...ev) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("host.name", "testhost")
	rl.Resource().Attributes().PutStr("otelcol.trace.source", "ebpf")
	sl := rl.ScopeLogs().AppendEmpty()
	for _, e := range evs {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetEventName(e.name)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(e.at))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(e.at.Add(time.Millisecond)))
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
		if err := lr.Attributes().FromRaw(e.attrs); err != nil {
			panic(err)
		}
		lr.Attributes().PutInt("process.pid", e.pid)
		lr.Attributes().PutStr("process.executable.name", e.comm)
		if e.container != "" {
			lr.Attributes().PutStr("container.id", e.container)
		}
	}
	return ld
}

// storeEnv is a running localstore exporter (logs and traces) on a temp dir.
type storeEnv struct {
	dir    string
	logs   exporter.Logs
	traces exporter.Traces
}

func startStore(t *testing.T, mutate func(*localstoreexporter.Config)) *storeEnv {
	t.Helper()
	ctx := context.Background()
	f := localstoreexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*localstoreexporter.Config)
	cfg.Directory = t.TempDir()
	cfg.Batch.FlushInterval = 10 * time.Millisecond
	if mutate != nil {
		mutate(cfg)
	}
	set := exportertest.NewNopSettings(f.Type())
	le, err := f.CreateLogs(ctx, set, cfg)
	require.NoError(t, err)
	te, err := f.CreateTraces(ctx, set, cfg)
	require.NoError(t, err)
	require.NoError(t, le.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, te.Start(ctx, componenttest.NewNopHost()))
	t.Cleanup(func() {
		assert.NoError(t, le.Shutdown(ctx))
		assert.NoError(t, te.Shutdown(ctx))
	})
	return &storeEnv{dir: cfg.Directory, logs: le, traces: te}
}

// send writes events and waits until the store holds want rows in total.
func (s *storeEnv) send(t *testing.T, want int64, evs ...ev) {
	t.Helper()
	require.NoError(t, s.logs.ConsumeLogs(context.Background(), logsOf(evs...)))
	s.waitRows(t, want)
}

func (s *storeEnv) waitRows(t *testing.T, want int64) {
	t.Helper()
	r, err := store.OpenReader(context.Background(), s.dir, time.Second)
	require.NoError(t, err)
	defer r.Close()
	require.Eventually(t, func() bool {
		n, err := r.Count(context.Background(), store.Filter{})
		return err == nil && n == want
	}, 10*time.Second, 5*time.Millisecond, "store never held %d rows", want)
}

// run runs the command and returns exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// runJSON runs the command with --json and parses every output line.
func runJSON(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	code, out, errOut := run(t, append(args, "--json")...)
	require.Equal(t, 0, code, "stderr: %s", errOut)
	var objs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), "line %q is one JSON object", sc.Text())
		objs = append(objs, m)
	}
	return objs
}

func field(objs []map[string]any, path ...string) []any {
	var out []any
	for _, o := range objs {
		var v any = o
		for _, p := range path {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		out = append(out, v)
	}
	return out
}

// fixture writes a known history: nginx in a container opens files, curl on
// the host connects, with times one second apart.
func fixture(t *testing.T) (*storeEnv, time.Time) {
	s := startStore(t, nil)
	base := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	var evs []ev
	for i := range 30 {
		evs = append(evs, ev{"fs.open", base.Add(time.Duration(i) * time.Second), 100, "nginx", "c0ffee0011223344",
			map[string]any{"file.path": fmt.Sprintf("/var/www/page%02d.html", i), "fs.fd": int64(i + 3)}})
	}
	evs = append(evs,
		ev{"net.connect", base.Add(40 * time.Second), 200, "curl", "", map[string]any{
			"network.peer.address": "93.184.215.14", "network.peer.port": int64(443), "network.transport": "tcp"}},
		ev{"fs.open", base.Add(41 * time.Second), 200, "curl", "", map[string]any{
			"file.path": "/etc/ssl/certs/ca-certificates.crt", "error.type": "ENOENT"}},
		ev{"fs.close", base.Add(42 * time.Second), 100, "nginx", "c0ffee0011223344", map[string]any{
			"file.path": "/var/www/page00.html", "fs.read.bytes": int64(4096)}},
		ev{"process.exec", base.Add(43 * time.Second), 300, "ls", "", map[string]any{
			"process.command_args": []any{"ls", "-l", "/tmp"}, "process.executable.path": "/usr/bin/ls"}},
	)
	// Two requests, to check that rows from both arrive.
	require.NoError(t, s.logs.ConsumeLogs(context.Background(), logsOf(evs[:20]...)))
	s.send(t, int64(len(evs)), evs[20:]...)
	return s, base
}

func TestQueryFiltersAndOrder(t *testing.T) {
	s, base := fixture(t)
	dd := "--data-dir=" + s.dir

	// Default: the last 20, oldest first.
	objs := runJSON(t, dd)
	require.Len(t, objs, 20)
	times := field(objs, "time")
	for i := 1; i < len(times); i++ {
		assert.LessOrEqual(t, times[i-1].(string), times[i].(string), "ascending time")
	}
	assert.Equal(t, "process.exec", objs[19]["event_name"], "the newest is last")

	// -s, -n: the last 3 fs.open.
	objs = runJSON(t, dd, "-s", "fs.open", "-n", "3")
	assert.Equal(t, []any{"/var/www/page28.html", "/var/www/page29.html", "/etc/ssl/certs/ca-certificates.crt"},
		field(objs, "attributes", "file.path"))

	// --all, by process name and container prefix.
	objs = runJSON(t, dd, "-s", "fs.open", "--name", "nginx", "--container", "c0ffee", "--all")
	assert.Len(t, objs, 30)
	assert.Equal(t, "/var/www/page00.html", objs[0]["attributes"].(map[string]any)["file.path"])
	// By pid, glob on the EventName.
	objs = runJSON(t, dd, "--pid", "200", "-s", "fs.*,net.*")
	assert.Equal(t, []any{"net.connect", "fs.open"}, field(objs, "event_name"))
	// By receiver (otelcol.trace.source).
	objs = runJSON(t, dd, "--receiver", "ebpf", "-n", "100")
	assert.Len(t, objs, 34)
	objs = runJSON(t, dd, "--receiver", "ebpf/tls")
	assert.Empty(t, objs)
	// Time range.
	objs = runJSON(t, dd, "--all", "--since", base.Add(40*time.Second).Format(time.RFC3339), "--until", base.Add(42*time.Second).Format(time.RFC3339))
	assert.Equal(t, []any{"net.connect", "fs.open"}, field(objs, "event_name"))
	objs = runJSON(t, dd, "--all", "--since", "1h", "-s", "process.exec")
	assert.Len(t, objs, 1)
	// Regex on any field, and on one attribute.
	objs = runJSON(t, dd, "--match", "ENOENT")
	assert.Equal(t, []any{"/etc/ssl/certs/ca-certificates.crt"}, field(objs, "attributes", "file.path"))
	objs = runJSON(t, dd, "--all", "--attr", `file.path=page1\d`)
	assert.Len(t, objs, 10)
	objs = runJSON(t, dd, "--match", `network.peer.port=443$`)
	assert.Equal(t, []any{"curl"}, field(objs, "process"))
	// --match on the container id column.
	objs = runJSON(t, dd, "--match", "^c0ffee", "-n", "100")
	assert.Len(t, objs, 31)

	// JSON shape: everything a record had.
	objs = runJSON(t, dd, "-s", "process.exec")
	require.Len(t, objs, 1)
	o := objs[0]
	assert.Equal(t, "log", o["kind"])
	assert.Equal(t, "INFO", o["severity_text"])
	assert.EqualValues(t, 9, o["severity_number"])
	assert.EqualValues(t, 300, o["pid"])
	assert.Equal(t, "ls", o["process"])
	assert.Equal(t, "ebpf", o["source"])
	assert.Equal(t, []any{"ls", "-l", "/tmp"}, o["attributes"].(map[string]any)["process.command_args"])
	assert.EqualValues(t, 300, o["attributes"].(map[string]any)["process.pid"])
	assert.Equal(t, "testhost", o["resource"].(map[string]any)["host.name"])
	ts, err := time.Parse(time.RFC3339Nano, o["time"].(string))
	require.NoError(t, err)
	assert.True(t, ts.Equal(base.Add(43*time.Second)), "time %s", ts)
}

func TestTableOutput(t *testing.T) {
	s, _ := fixture(t)
	code, out, errOut := run(t, "--data-dir", s.dir, "-n", "5")
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.Len(t, lines, 6, "header and 5 rows:\n%s", out)
	assert.NotContains(t, out, "\x1b[", "no colour when stdout is not a terminal")
	for _, col := range []string{"TIME", "EVENT", "PID", "PROCESS", "CONTAINER", "DETAILS"} {
		assert.Contains(t, lines[0], col)
	}
	// Aligned: every row has its EVENT and PROCESS where the header has them.
	ev, proc := strings.Index(lines[0], "EVENT"), strings.Index(lines[0], "PROCESS")
	for _, l := range lines[1:] {
		assert.NotEqual(t, ' ', rune(l[ev]), "row %q", l)
		assert.Equal(t, ' ', rune(l[ev-1]), "row %q", l)
		assert.NotEqual(t, ' ', rune(l[proc]), "row %q", l)
	}
	assert.Contains(t, lines[5], "ls -l /tmp")
	assert.Contains(t, out, "error=ENOENT")
	assert.Contains(t, out, "c0ffee001122 ")
	assert.Contains(t, out, "tcp -> 93.184.215.14:443")

	code, out, _ = run(t, "--data-dir", s.dir, "-n", "5", "--color", "always")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "\x1b[32mprocess.exec")
}

func TestFollow(t *testing.T) {
	s, base := fixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	var errOut bytes.Buffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"--data-dir", s.dir, "-s", "process.exec", "--follow", "--interval", "10ms", "--json"}, &out, &errOut)
	}()
	require.Eventually(t, func() bool { return strings.Count(out.String(), "\n") == 1 }, 10*time.Second, 5*time.Millisecond)
	// An older timestamp still shows: --follow goes by insertion order.
	s.send(t, 35, ev{"process.exec", base, 400, "late", "", map[string]any{"process.command_args": []any{"late"}}})
	s.send(t, 36, ev{"fs.open", base, 400, "late", "", nil})
	s.send(t, 37, ev{"process.exec", time.Now(), 401, "new", "", nil})
	require.Eventually(t, func() bool { return strings.Count(out.String(), "\n") == 3 }, 10*time.Second, 5*time.Millisecond)
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, errOut.String())
	case <-time.After(10 * time.Second):
		t.Fatal("--follow did not stop on cancel")
	}
	var procs []string
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		procs = append(procs, m["process"].(string))
	}
	assert.Equal(t, []string{"ls", "late", "new"}, procs)
}

// TestFollowTableWidths checks that --follow's table does not take its
// column widths from the first rows: a longer process name or EventName that
// arrives later is printed whole and aligned, with the colours of a
// non-follow table.
func TestFollowTableWidths(t *testing.T) {
	s, base := fixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	var errOut bytes.Buffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"--data-dir", s.dir, "-s", "process.exec,http.exchange.incomplete", "--follow", "--interval", "10ms", "--color", "always"}, &out, &errOut)
	}()
	require.Eventually(t, func() bool { return strings.Count(out.String(), "\n") == 2 }, 10*time.Second, 5*time.Millisecond, "header and the ls row")
	s.send(t, 35, ev{"process.exec", base, 400, "otelcol-contrib", "", nil})
	s.send(t, 36, ev{"http.exchange.incomplete", base, 401, "python3.12-slim", "", nil})
	require.Eventually(t, func() bool { return strings.Count(out.String(), "\n") == 4 }, 10*time.Second, 5*time.Millisecond)
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, errOut.String())
	case <-time.After(10 * time.Second):
		t.Fatal("--follow did not stop on cancel")
	}
	text := out.String()
	assert.Contains(t, text, " otelcol-contrib ")
	assert.Contains(t, text, " python3.12-slim ")
	assert.Contains(t, text, "http.exchange.incomplete")
	assert.NotContains(t, text, "…", "nothing cut")
	assert.Contains(t, text, "\x1b[32mprocess.exec", "colours as without --follow")

	plain := regexp.MustCompile("\x1b\\[[0-9;]*m")
	lines := strings.Split(strings.TrimRight(plain.ReplaceAllString(text, ""), "\n"), "\n")
	require.Len(t, lines, 4)
	proc := strings.Index(lines[0], "PROCESS")
	details := strings.Index(lines[0], "DETAILS")
	require.Positive(t, proc)
	for _, l := range lines[1:] {
		r := []rune(l)
		assert.NotEqual(t, ' ', r[proc], "row %q", l)
		assert.Equal(t, ' ', r[proc-1], "row %q", l)
		assert.Equal(t, ' ', r[details-1], "row %q: DETAILS column aligned", l)
	}
}

// TestSummaryAfterFlags checks that flags may come before the sub-command.
func TestSummaryAfterFlags(t *testing.T) {
	s, _ := fixture(t)
	before := runJSON(t, "summary", "--data-dir", s.dir, "--name", "curl")
	after := runJSON(t, "--data-dir", s.dir, "--name", "curl", "summary")
	require.Len(t, before, 2)
	assert.Equal(t, before, after)

	// A query-only flag before "summary" is a usage error naming the flag.
	code, _, errOut := run(t, "--data-dir", s.dir, "-n", "5", "summary")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "-n")

	code, _, errOut = run(t, "--data-dir", s.dir, "stray")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unexpected argument "stray"`)
	assert.Contains(t, errOut, "otelcol-trace events summary [flags]")

	code, _, errOut = run(t, "--help")
	assert.Equal(t, 0, code)
	assert.Contains(t, errOut, "events --data-dir X summary")
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSummaryFromRollups(t *testing.T) {
	s, _ := fixture(t)
	// A span lands in the roll-ups as "span" for its process.
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("process.executable.name", "ls")
	rs.Resource().Attributes().PutInt("process.pid", 300)
	sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetName("ls")
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(time.Now()))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(time.Now()))
	require.NoError(t, s.traces.ConsumeTraces(context.Background(), td))
	s.waitRows(t, 35)

	rows := runJSON(t, "summary", "--data-dir", s.dir)
	type key struct{ c, p, e string }
	got := map[key][2]float64{}
	for _, r := range rows {
		got[key{r["container_id"].(string), r["process"].(string), r["event_name"].(string)}] = [2]float64{r["count"].(float64), r["bytes"].(float64)}
		assert.Equal(t, "hour", r["resolution"])
	}
	assert.Equal(t, map[key][2]float64{
		{"c0ffee0011223344", "nginx", "fs.open"}:  {30, 0},
		{"c0ffee0011223344", "nginx", "fs.close"}: {1, 4096},
		{"", "curl", "net.connect"}:               {1, 0},
		{"", "curl", "fs.open"}:                   {1, 0},
		{"", "ls", "process.exec"}:                {1, 0},
		{"", "ls", "span"}:                        {1, 0},
	}, got)

	// Recent window: minute roll-ups.
	rows = runJSON(t, "summary", "--data-dir", s.dir, "--since", "30m", "--container", "c0ffee")
	require.Len(t, rows, 2)
	assert.Equal(t, "minute", rows[0]["resolution"])
	assert.EqualValues(t, 30, rows[0]["count"], "sorted by count within a process")

	code, out, errOut := run(t, "summary", "--data-dir", s.dir)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "CONTAINER")
	assert.Contains(t, out, "(host)")
	assert.Regexp(t, `TOTAL\s+35\s+4096`, out)
	assert.Contains(t, errOut, "per-hour roll-ups")
}

func TestRetentionSeenByQuery(t *testing.T) {
	s := startStore(t, func(c *localstoreexporter.Config) {
		c.Retention.MaxAge = time.Hour
		c.Retention.CheckInterval = 20 * time.Millisecond
	})
	old := time.Now().Add(-3 * time.Hour)
	require.NoError(t, s.logs.ConsumeLogs(context.Background(), logsOf(
		ev{"fs.open", old, 1, "old", "", nil}, ev{"fs.open", old.Add(time.Second), 1, "old", "", nil})))
	s.send(t, 1, ev{"fs.open", time.Now(), 2, "recent", "", nil}) // waits until the old ones are gone
	objs := runJSON(t, "--data-dir", s.dir, "--all")
	assert.Equal(t, []any{"recent"}, field(objs, "process"))
	// The hour roll-ups keep the deleted rows' counts.
	rows := runJSON(t, "summary", "--data-dir", s.dir, "--name", "old")
	require.Len(t, rows, 1)
	assert.EqualValues(t, 2, rows[0]["count"])
}

func TestErrors(t *testing.T) {
	t.Run("store missing", func(t *testing.T) {
		dir := t.TempDir()
		code, _, errOut := run(t, "--data-dir", dir)
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "event store not found")
		assert.Contains(t, errOut, dir)
		t.Setenv(store.EnvDataDir, dir)
		code, _, errOut = run(t, "summary")
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "$"+store.EnvDataDir)
	})
	t.Run("newer schema", func(t *testing.T) {
		dir := t.TempDir()
		w, err := store.OpenWriter(context.Background(), dir, store.WriterOptions{})
		require.NoError(t, err)
		require.NoError(t, w.Close())
		db, err := sql.Open("sqlite", "file:"+store.Path(dir))
		require.NoError(t, err)
		_, err = db.Exec(`INSERT INTO schema_version VALUES (7, 0, 'otelcol-trace 9.0')`)
		require.NoError(t, err)
		require.NoError(t, db.Close())
		code, _, errOut := run(t, "--data-dir", dir)
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "schema version 7")
		assert.Contains(t, errOut, "newer otelcol-trace")
	})
	t.Run("locked", func(t *testing.T) {
		dir := t.TempDir()
		w, err := store.OpenWriter(context.Background(), dir, store.WriterOptions{})
		require.NoError(t, err)
		require.NoError(t, w.Close())
		db, err := sql.Open("sqlite", "file:"+store.Path(dir))
		require.NoError(t, err)
		defer db.Close()
		db.SetMaxOpenConns(1)
		_, err = db.Exec(`PRAGMA locking_mode=EXCLUSIVE`)
		require.NoError(t, err)
		_, err = db.Exec(`BEGIN EXCLUSIVE`)
		require.NoError(t, err)
		defer func() { _, _ = db.Exec(`COMMIT`) }()
		code, _, errOut := run(t, "--data-dir", dir, "--lock-timeout", "50ms")
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "locked by another process")
		assert.Contains(t, errOut, "--lock-timeout")
	})
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"--no-such-flag"}, {"-n", "0"}, {"--since", "yesterday"}, {"--match", "("}, {"--attr", "novalue"},
			{"--pid", "abc"}, {"--color", "pink"}, {"stray"}, {"summary", "--until", "x"},
		} {
			code, _, errOut := run(t, args...)
			assert.Equal(t, 2, code, "args %q", args)
			assert.NotEmpty(t, errOut, "args %q", args)
		}
		code, _, errOut := run(t, "--help")
		assert.Equal(t, 0, code)
		assert.Contains(t, errOut, "otelcol-trace events summary")
	})
}

func TestRequiredLiteral(t *testing.T) {
	for expr, want := range map[string]string{
		"ENOENT":                  "ENOENT",
		"page12345":               "page12345",
		`network.peer.port=443$`:  "network", // . is any character
		`^c0ffee`:                 "c0ffee",
		`(?i)enoent`:              "",
		`foo|barbaz`:              "",
		`a.b`:                     "",
		`file.path=/etc/.*\.conf`: "/etc/",
		`say "hello"`:             "",
		`x\\y`:                    "",
	} {
		assert.Equal(t, want, requiredLiteral(expr), "expr %q", expr)
	}
}

// TestMatchBytesBody checks that --match sees a bytes body decoded, which the
// raw-column pre-check cannot.
func TestMatchBytesBody(t *testing.T) {
	s := startStore(t, nil)
	ld := logsOf(ev{"net.payload", time.Now(), 7, "curl", "", map[string]any{"payload.length": int64(22)}})
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().SetEmptyBytes().FromRaw([]byte("GET /secret HTTP/1.1\r\n"))
	require.NoError(t, s.logs.ConsumeLogs(context.Background(), ld))
	s.waitRows(t, 1)
	objs := runJSON(t, "--data-dir", s.dir, "--match", "GET /secret")
	require.Len(t, objs, 1)
	assert.Equal(t, "Bytes", objs[0]["body_type"])
	assert.EqualValues(t, 22, objs[0]["bytes"])
	code, out, _ := run(t, "--data-dir", s.dir, "-s", "net.payload")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "len=22")
	assert.Empty(t, runJSON(t, "--data-dir", s.dir, "--match", "POST"))
}

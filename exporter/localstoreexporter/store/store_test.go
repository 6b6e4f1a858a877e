package store

import (
	"context"
	"database/sql"
	"fmt"
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

func rec(t time.Time, name, proc string, pid int64, container string, bytes int64) Record {
	return Record{
		Kind: KindLog, TimeUnixNano: t.UnixNano(), ObservedUnixNano: t.UnixNano(), EventName: name,
		ProcessName: proc, PID: pid, ContainerID: container, Bytes: bytes, SeverityNumber: 9, SeverityText: "INFO",
		Attributes: fmt.Sprintf(`{"process.pid":%d,"process.executable.name":%q}`, pid, proc), Resource: `{}`,
	}
}

func openWriter(t *testing.T, dir string, opts WriterOptions) *Writer {
	t.Helper()
	w, err := OpenWriter(context.Background(), dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = w.Close() })
	return w
}

func TestWriteAndQuery(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openWriter(t, dir, WriterOptions{WrittenBy: "test"})
	base := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	require.NoError(t, w.Insert(ctx, []Record{
		rec(base, "fs.open", "nginx", 10, "aaaa1111", 0),
		rec(base.Add(time.Second), "net.connect", "curl", 11, "", 0),
		rec(base.Add(2*time.Second), "fs.open", "nginx", 10, "aaaa1111", 0),
		rec(base.Add(3*time.Second), "fs.close", "nginx", 10, "aaaa1111", 300),
	}))

	// The reader opens while the writer is open (WAL mode).
	r, err := OpenReader(ctx, dir, time.Second)
	require.NoError(t, err)
	defer r.Close()

	got, err := r.Last(ctx, Filter{EventNames: []string{"fs.open"}}, 20, nil)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, base.UnixNano(), got[0].TimeUnixNano, "oldest first")
	assert.Equal(t, "nginx", got[1].ProcessName)
	assert.Equal(t, "aaaa1111", got[1].ContainerID)

	got, err = r.Last(ctx, Filter{EventNames: []string{"fs.*"}}, 2, nil)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, []string{"fs.open", "fs.close"}, []string{got[0].EventName, got[1].EventName})

	got, err = r.Last(ctx, Filter{Containers: []string{"aaaa"}, PIDs: []int64{10}}, 0, nil)
	require.NoError(t, err)
	assert.Len(t, got, 3)
	got, err = r.Last(ctx, Filter{ProcessNames: []string{"curl"}}, 0, nil)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "net.connect", got[0].EventName)

	got, err = r.Last(ctx, Filter{Since: base.Add(time.Second), Until: base.Add(3 * time.Second)}, 0, nil)
	require.NoError(t, err)
	assert.Len(t, got, 2)

	sum, err := r.Summary(ctx, SummaryFilter{})
	require.NoError(t, err)
	assert.Equal(t, "hour", sum.Resolution)
	assert.Equal(t, []SummaryRow{
		{ContainerID: "", ProcessName: "curl", EventName: "net.connect", Count: 1},
		{ContainerID: "aaaa1111", ProcessName: "nginx", EventName: "fs.open", Count: 2},
		{ContainerID: "aaaa1111", ProcessName: "nginx", EventName: "fs.close", Count: 1, Bytes: 300},
	}, sum.Rows)
}

func TestStoreIsNotWorldReadable(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, dir, WriterOptions{})
	require.NoError(t, w.Insert(context.Background(), []Record{rec(time.Now(), "process.exec", "a", 1, "", 0)}))
	for _, p := range []string{Path(dir), Path(dir) + "-wal"} {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		assert.Zero(t, fi.Mode().Perm()&0o007, "%s is %v", p, fi.Mode())
	}
	// A directory the writer creates is not open to others either.
	sub := filepath.Join(dir, "new")
	openWriter(t, sub, WriterOptions{})
	fi, err := os.Stat(sub)
	require.NoError(t, err)
	assert.Zero(t, fi.Mode().Perm()&0o007, "%s is %v", sub, fi.Mode())

	// A store made world-readable before is fixed on open.
	old := t.TempDir()
	w2, err := OpenWriter(context.Background(), old, WriterOptions{})
	require.NoError(t, err)
	require.NoError(t, w2.Close())
	require.NoError(t, os.Chmod(Path(old), 0o644))
	openWriter(t, old, WriterOptions{})
	fi, err = os.Stat(Path(old))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
}

func TestEmptyFileIsNotYetAStore(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(Path(dir), nil, 0o600))
	_, err := OpenReader(context.Background(), dir, time.Second)
	require.ErrorIs(t, err, ErrStoreMissing)
	assert.Contains(t, err.Error(), "just starting")
}

func TestReaderAfterWriterClosed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w, err := OpenWriter(ctx, dir, WriterOptions{})
	require.NoError(t, err)
	require.NoError(t, w.Insert(ctx, []Record{rec(time.Now(), "fs.open", "a", 1, "", 0)}))
	require.NoError(t, w.Close())
	r, err := OpenReader(ctx, dir, time.Second)
	require.NoError(t, err)
	defer r.Close()
	n, err := r.Count(ctx, Filter{})
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()

	t.Run("missing", func(t *testing.T) {
		dir := t.TempDir()
		_, err := OpenReader(ctx, dir, time.Second)
		require.ErrorIs(t, err, ErrStoreMissing)
		assert.Contains(t, err.Error(), dir)
	})

	t.Run("newer schema", func(t *testing.T) {
		dir := t.TempDir()
		w, err := OpenWriter(ctx, dir, WriterOptions{})
		require.NoError(t, err)
		_, err = w.db.Exec(`INSERT INTO schema_version(version, created_unix_nano, written_by) VALUES (99, 0, 'future')`)
		require.NoError(t, err)
		require.NoError(t, w.Close())

		_, err = OpenReader(ctx, dir, time.Second)
		require.ErrorIs(t, err, ErrNewerSchema)
		assert.Contains(t, err.Error(), "schema version 99")
		_, err = OpenWriter(ctx, dir, WriterOptions{})
		require.ErrorIs(t, err, ErrNewerSchema)
	})

	t.Run("not a store", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(Path(dir), []byte("this is not sqlite, just some text of enough length to look like a header......................................................"), 0o600))
		_, err := OpenReader(ctx, dir, time.Second)
		require.ErrorIs(t, err, ErrNotAStore)
	})

	t.Run("second writer", func(t *testing.T) {
		dir := t.TempDir()
		openWriter(t, dir, WriterOptions{})
		_, err := OpenWriter(ctx, dir, WriterOptions{})
		require.ErrorIs(t, err, ErrLocked)
		assert.Contains(t, err.Error(), "another collector")
	})

	t.Run("locked exclusively", func(t *testing.T) {
		dir := t.TempDir()
		w, err := OpenWriter(ctx, dir, WriterOptions{})
		require.NoError(t, err)
		require.NoError(t, w.Close())
		// Another process-like connection takes the database in exclusive
		// locking mode, which shuts out readers even in WAL mode.
		db, err := sql.Open("sqlite", "file:"+Path(dir))
		require.NoError(t, err)
		defer db.Close()
		db.SetMaxOpenConns(1)
		_, err = db.Exec(`PRAGMA locking_mode=EXCLUSIVE`)
		require.NoError(t, err)
		_, err = db.Exec(`BEGIN EXCLUSIVE`)
		require.NoError(t, err)
		_, err = OpenReader(ctx, dir, 100*time.Millisecond)
		require.ErrorIs(t, err, ErrLocked)
		_, err = db.Exec(`COMMIT`)
		require.NoError(t, err)
	})
}

func TestRetentionByAge(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openWriter(t, dir, WriterOptions{})
	now := time.Now()
	var recs []Record
	for i := range 100 {
		recs = append(recs, rec(now.Add(-48*time.Hour).Add(time.Duration(i)*time.Second), "fs.open", "old", 1, "", 1))
		recs = append(recs, rec(now.Add(-time.Duration(i)*time.Second), "fs.open", "new", 2, "", 1))
	}
	require.NoError(t, w.Insert(ctx, recs))
	res, err := w.ApplyRetention(ctx, now, Retention{MaxAge: 24 * time.Hour, MinuteRollupAge: 24 * time.Hour})
	require.NoError(t, err)
	assert.EqualValues(t, 100, res.DeletedByAge)

	r, err := OpenReader(ctx, dir, time.Second)
	require.NoError(t, err)
	defer r.Close()
	n, err := r.Count(ctx, Filter{ProcessNames: []string{"old"}})
	require.NoError(t, err)
	assert.Zero(t, n)
	n, err = r.Count(ctx, Filter{ProcessNames: []string{"new"}})
	require.NoError(t, err)
	assert.EqualValues(t, 100, n)

	// Hour roll-ups outlive the events; minute roll-ups older than a day
	// are gone.
	sum, err := r.Summary(ctx, SummaryFilter{ProcessNames: []string{"old"}})
	require.NoError(t, err)
	require.Len(t, sum.Rows, 1)
	assert.EqualValues(t, 100, sum.Rows[0].Count)
	var minuteOld int
	require.NoError(t, r.db.QueryRow(`SELECT count(*) FROM rollup_minute WHERE process_name='old'`).Scan(&minuteOld))
	assert.Zero(t, minuteOld)

	// Summary picks the minute roll-ups only where retention left them
	// complete.
	sum, err = r.Summary(ctx, SummaryFilter{Since: now.Add(-time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, "minute", sum.Resolution)
	require.Len(t, sum.Rows, 1)
	assert.Equal(t, SummaryRow{ProcessName: "new", EventName: "fs.open", Count: 100, Bytes: 100}, sum.Rows[0])
	sum, err = r.Summary(ctx, SummaryFilter{Since: now.Add(-72 * time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, "hour", sum.Resolution)
	assert.Len(t, sum.Rows, 2)
}

func TestRetentionBySize(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openWriter(t, dir, WriterOptions{})
	now := time.Now()
	pad := strings.Repeat("x", 400)
	for b := range 20 {
		var recs []Record
		for i := range 500 {
			r := rec(now.Add(time.Duration(b*500+i)*time.Millisecond), "fs.open", "p", int64(b*500+i), "", 0)
			r.Body = strconv.Quote(pad)
			recs = append(recs, r)
		}
		require.NoError(t, w.Insert(ctx, recs))
	}
	before, err := w.UsedBytes(ctx)
	require.NoError(t, err)
	limit := before / 4
	res, err := w.ApplyRetention(ctx, now, Retention{MaxSizeBytes: limit})
	require.NoError(t, err)
	assert.Positive(t, res.DeletedBySize)
	assert.LessOrEqual(t, res.SizeBytes, limit)
	fi, err := os.Stat(Path(dir))
	require.NoError(t, err)
	assert.Less(t, fi.Size(), before, "incremental vacuum gave pages back")

	r, err := OpenReader(ctx, dir, time.Second)
	require.NoError(t, err)
	defer r.Close()
	left, err := r.Count(ctx, Filter{})
	require.NoError(t, err)
	assert.EqualValues(t, 10000-res.DeletedBySize, left)
	// The newest record is kept, the oldest went first.
	last, err := r.Last(ctx, Filter{}, 1, nil)
	require.NoError(t, err)
	require.Len(t, last, 1)
	assert.EqualValues(t, 9999, last[0].PID)
	first := int64(-1)
	require.NoError(t, r.Scan(ctx, Filter{}, false, func(rec *Record) error {
		if first < 0 {
			first = rec.PID
		}
		return nil
	}))
	assert.Equal(t, res.DeletedBySize, first, "exactly the oldest rows were deleted")
}

func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openWriter(t, dir, WriterOptions{MaxPageCount: 64})
	pad := strconv.Quote(strings.Repeat("y", 1000))
	var full error
	for i := 0; i < 1000 && full == nil; i++ {
		r := rec(time.Now(), "fs.open", "p", int64(i), "", 0)
		r.Body = pad
		full = w.Insert(ctx, []Record{r})
	}
	require.ErrorIs(t, full, ErrDiskFull)
	// The store is still usable: after retention frees space, writes work.
	_, err := w.ApplyRetention(ctx, time.Now(), Retention{MaxSizeBytes: 64 * 4096 / 2})
	require.NoError(t, err)
	require.NoError(t, w.Insert(ctx, []Record{rec(time.Now(), "fs.open", "after", 1, "", 0)}))
}

// TestCrashLosesOnlyTheBatchInFlight kills (SIGKILL) a process that writes
// batches and checks that every batch it reported committed is there.
func TestCrashLosesOnlyTheBatchInFlight(t *testing.T) {
	if os.Getenv("LOCALSTORE_CRASH_CHILD") != "" {
		crashChild()
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashLosesOnlyTheBatchInFlight$")
	cmd.Env = append(os.Environ(), "LOCALSTORE_CRASH_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	buf := make([]byte, 0, 4096)
	committed := 0
	deadline := time.Now().Add(30 * time.Second)
	tmp := make([]byte, 512)
	for committed < 5 && time.Now().Before(deadline) {
		n, err := out.Read(tmp)
		require.NoError(t, err)
		buf = append(buf, tmp[:n]...)
		committed = strings.Count(string(buf), "committed\n")
	}
	require.GreaterOrEqual(t, committed, 5, "child did not commit batches in time")

	// Another process reads while the child writes (WAL mode).
	ctx := context.Background()
	live, err := OpenReader(ctx, dir, time.Second)
	require.NoError(t, err)
	liveCount, err := live.Count(ctx, Filter{})
	require.NoError(t, err)
	require.NoError(t, live.Close())
	assert.GreaterOrEqual(t, liveCount, int64(committed*100))
	assert.Zero(t, liveCount%100, "a reader sees whole batches only")

	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no chance to clean up
	_ = cmd.Wait()
	n, _ := out.Read(tmp) // anything printed between our read and the kill
	committed = strings.Count(string(append(buf, tmp[:max(n, 0)]...)), "committed\n")

	r, err := OpenReader(ctx, dir, time.Second)
	require.NoError(t, err)
	defer r.Close()
	var check string
	require.NoError(t, r.db.QueryRow(`PRAGMA quick_check`).Scan(&check))
	assert.Equal(t, "ok", check)
	count, err := r.Count(ctx, Filter{})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, count, int64(committed*100))
	assert.Zero(t, count%100, "batches are all or nothing")
	// A new writer can take over the crashed one's directory.
	w, err := OpenWriter(ctx, dir, WriterOptions{})
	require.NoError(t, err)
	require.NoError(t, w.Close())
}

func crashChild() {
	dir := os.Getenv("LOCALSTORE_CRASH_CHILD")
	ctx := context.Background()
	w, err := OpenWriter(ctx, dir, WriterOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for b := 0; ; b++ {
		recs := make([]Record, 100)
		for i := range recs {
			recs[i] = rec(time.Now(), "fs.open", "child", int64(b*100+i), "", 0)
		}
		if err := w.Insert(ctx, recs); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println("committed")
	}
}

func TestDefaultDir(t *testing.T) {
	env := func(m map[string]string, euid int) Env {
		return Env{Getenv: func(k string) string { return m[k] }, Euid: euid}
	}
	d, why := DefaultDir(env(map[string]string{EnvDataDir: "/x"}, 0))
	assert.Equal(t, "/x", d)
	assert.Contains(t, why, EnvDataDir)
	d, _ = DefaultDir(env(nil, 0))
	assert.Equal(t, SystemDataDir, d)
	d, _ = DefaultDir(env(map[string]string{"HOME": "/home/u"}, 1000))
	assert.Equal(t, filepath.Join("/home/u", ".local", "state", "otelcol-trace"), d)
	d, _ = DefaultDir(env(map[string]string{"HOME": "/home/u", "XDG_STATE_HOME": "/s"}, 1000))
	assert.Equal(t, "/s/otelcol-trace", d)
	assert.Equal(t, []string{"/s/otelcol-trace", SystemDataDir}, ReadDirs(env(map[string]string{"XDG_STATE_HOME": "/s"}, 1000)))
	assert.Equal(t, []string{SystemDataDir}, ReadDirs(env(nil, 0)))
}

// TestQueriesUseIndexes checks SQLite's plan for each filter the events
// command offers: the issue asks for indexes on time, EventName, process,
// container and service, and they only help if the queries use them.
func TestQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openWriter(t, dir, WriterOptions{})
	require.NoError(t, w.Insert(ctx, []Record{rec(time.Now(), "fs.open", "nginx", 1, "abc", 0)}))
	r, err := OpenReader(ctx, dir, time.Second)
	require.NoError(t, err)
	defer r.Close()
	for index, f := range map[string]Filter{
		"events_time":                {UpToID: 1},
		"events_event_name_time":     {EventNames: []string{"fs.open"}, UpToID: 1},
		"events_pid_time":            {PIDs: []int64{1, 2}, UpToID: 1},
		"events_process_time":        {ProcessNames: []string{"nginx"}, UpToID: 1},
		"events_container_time":      {Containers: []string{"ab"}, UpToID: 1},
		"events_container_name_time": {Containers: []string{"web"}, UpToID: 1},
		"events_service_time":        {Services: []string{"web"}, UpToID: 1},
	} {
		plan, err := r.explain(ctx, f)
		require.NoError(t, err)
		assert.Contains(t, plan, index, "filter %+v", f)
	}
	got, err := r.Last(ctx, Filter{Containers: []string{"ab"}}, 0, nil)
	require.NoError(t, err)
	assert.Len(t, got, 1, "a prefix finds the container")
	got, err = r.Last(ctx, Filter{Containers: []string{"abd"}}, 0, nil)
	require.NoError(t, err)
	assert.Empty(t, got)

	named := rec(time.Now(), "fs.open", "nginx", 2, "fff0", 0)
	named.ContainerName = "web"
	require.NoError(t, w.Insert(ctx, []Record{named}))
	got, err = r.Last(ctx, Filter{Containers: []string{"web"}}, 20, nil)
	require.NoError(t, err)
	require.Len(t, got, 1, "a name finds the container")
	assert.EqualValues(t, 2, got[0].PID)
	got, err = r.Last(ctx, Filter{Containers: []string{"web", "ab"}}, 20, nil)
	require.NoError(t, err)
	assert.Len(t, got, 2)
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// WriterOptions tune OpenWriter.
type WriterOptions struct {
	// BusyTimeout is how long a statement waits for a lock held by a reader
	// before failing. Readers in WAL mode rarely block a writer.
	BusyTimeout time.Duration
	// WrittenBy is recorded in the schema_version table.
	WrittenBy string
	// MaxPageCount, when > 0, caps the database at that many pages (PRAGMA
	// max_page_count); a write beyond it fails like a full disk. Tests use it.
	MaxPageCount int64
}

// Writer appends records to a store. It is safe for concurrent use; writes
// are serialized on one connection.
type Writer struct {
	dir  string
	path string
	db   *sql.DB
	lock *dirLock
}

// OpenWriter opens (creating when needed) the store in dir for writing. It
// takes an exclusive lock on the directory, so a second writer fails with
// ErrLocked, and refuses stores of a newer schema version (ErrNewerSchema).
func OpenWriter(ctx context.Context, dir string, opts WriterOptions) (*Writer, error) {
	if dir == "" {
		return nil, errors.New("open event store: empty directory")
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open event store in %s: %w", dir, err)
	}
	path := Path(dir)
	// SQLite gives the WAL and shared-memory files the database file's
	// mode: create it 0640 so that none of them is world-readable.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640); err == nil {
		_ = f.Close()
	} else {
		_ = lock.unlock()
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	d := dsn(path, false, opts.BusyTimeout)
	// A 64 MiB page cache keeps the indexes' hot pages in memory as the
	// store grows; the WAL is truncated to 64 MiB after checkpoints.
	d += "&_pragma=cache_size(-65536)&_pragma=journal_size_limit(67108864)"
	if opts.MaxPageCount > 0 {
		d += fmt.Sprintf("&_pragma=max_page_count(%d)", opts.MaxPageCount)
	}
	db, err := sql.Open("sqlite", d)
	if err != nil {
		_ = lock.unlock()
		return nil, fmt.Errorf("open event store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	w := &Writer{dir: dir, path: path, db: db, lock: lock}
	if err := w.init(ctx, opts.WrittenBy); err != nil {
		_ = w.Close()
		return nil, err
	}
	// Events hold command lines and payloads: no access for others. (A new
	// file is created 0640 below; this fixes stores made before.)
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o007 != 0 {
			if err := os.Chmod(p, fi.Mode().Perm()&^0o007); err != nil {
				_ = w.Close()
				return nil, fmt.Errorf("restrict permissions of %s: %w", p, err)
			}
		}
	}
	return w, nil
}

func (w *Writer) init(ctx context.Context, writtenBy string) error {
	var mode string
	if err := w.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return classify(w.path, fmt.Errorf("open event store %s: %w", w.path, err))
	}
	if mode != "wal" {
		return fmt.Errorf("open event store %s: journal mode is %q, want wal", w.path, mode)
	}
	var tables int
	if err := w.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table'`).Scan(&tables); err != nil {
		return classify(w.path, fmt.Errorf("read schema of %s: %w", w.path, err))
	}
	if tables > 0 {
		if _, err := checkSchema(w.db, w.path); err != nil {
			return err
		}
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return classify(w.path, fmt.Errorf("create schema in %s: %w", w.path, err))
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, schemaDDL); err != nil {
		return classify(w.path, fmt.Errorf("create schema in %s: %w", w.path, err))
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_version`).Scan(&n); err != nil {
		return classify(w.path, fmt.Errorf("read schema version of %s: %w", w.path, err))
	}
	if n == 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version(version, created_unix_nano, written_by) VALUES (?, ?, ?)`,
			SchemaVersion, time.Now().UnixNano(), writtenBy); err != nil {
			return classify(w.path, fmt.Errorf("write schema version of %s: %w", w.path, err))
		}
	}
	if err := tx.Commit(); err != nil {
		return classify(w.path, fmt.Errorf("create schema in %s: %w", w.path, err))
	}
	return nil
}

// Dir returns the data directory.
func (w *Writer) Dir() string { return w.dir }

// Path returns the database file.
func (w *Writer) Path() string { return w.path }

const insertEventSQL = `INSERT INTO events (
	kind, time_unix_nano, observed_unix_nano, end_unix_nano, event_name, name, source,
	severity_number, severity_text, process_pid, process_name, container_id, container_name,
	service_name, bytes, trace_id, span_id, parent_span_id, body_type, body, attributes, resource, extra
) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`

const upsertRollupSQL = `INSERT INTO %s (bucket_unix, container_id, process_name, event_name, count, bytes)
VALUES (?,?,?,?,?,?)
ON CONFLICT (bucket_unix, container_id, process_name, event_name)
DO UPDATE SET count = count + excluded.count, bytes = bytes + excluded.bytes`

type rollupKey struct {
	bucket                              int64
	containerID, processName, eventName string
}

type rollupValue struct{ count, bytes int64 }

// Insert writes recs and their roll-ups in one transaction: either all of
// them are stored or none. A full disk returns an error wrapping ErrDiskFull.
func (w *Writer) Insert(ctx context.Context, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return classify(w.path, fmt.Errorf("begin batch: %w", err))
	}
	defer func() { _ = tx.Rollback() }()
	stmt, err := tx.PrepareContext(ctx, insertEventSQL)
	if err != nil {
		return classify(w.path, fmt.Errorf("prepare insert: %w", err))
	}
	defer stmt.Close()
	minutes := map[rollupKey]rollupValue{}
	hours := map[rollupKey]rollupValue{}
	for i := range recs {
		r := &recs[i]
		if _, err := stmt.ExecContext(ctx,
			r.Kind, r.TimeUnixNano, r.ObservedUnixNano, nullInt(r.EndUnixNano), r.EventName, nullStr(r.Name), nullStr(r.Source),
			nullInt(int64(r.SeverityNumber)), nullStr(r.SeverityText), nullInt(r.PID), nullStr(r.ProcessName), nullStr(r.ContainerID), nullStr(r.ContainerName),
			nullStr(r.ServiceName), r.Bytes, nullStr(r.TraceID), nullStr(r.SpanID), nullStr(r.ParentSpanID), nullStr(r.BodyType), nullStr(r.Body),
			jsonOrEmpty(r.Attributes), jsonOrEmpty(r.Resource), nullStr(r.Extra),
		); err != nil {
			return classify(w.path, fmt.Errorf("insert record: %w", err))
		}
		sec := r.TimeUnixNano / int64(time.Second)
		mk := rollupKey{bucket: floorDiv(sec, 60) * 60, containerID: r.ContainerID, processName: r.ProcessName, eventName: r.EventName}
		mv := minutes[mk]
		minutes[mk] = rollupValue{count: mv.count + 1, bytes: mv.bytes + r.Bytes}
		hk := mk
		hk.bucket = floorDiv(sec, 3600) * 3600
		hv := hours[hk]
		hours[hk] = rollupValue{count: hv.count + 1, bytes: hv.bytes + r.Bytes}
	}
	for table, m := range map[string]map[rollupKey]rollupValue{"rollup_minute": minutes, "rollup_hour": hours} {
		up, err := tx.PrepareContext(ctx, fmt.Sprintf(upsertRollupSQL, table))
		if err != nil {
			return classify(w.path, fmt.Errorf("prepare %s: %w", table, err))
		}
		for k, v := range m {
			if _, err := up.ExecContext(ctx, k.bucket, k.containerID, k.processName, k.eventName, v.count, v.bytes); err != nil {
				_ = up.Close()
				return classify(w.path, fmt.Errorf("update %s: %w", table, err))
			}
		}
		_ = up.Close()
	}
	if err := tx.Commit(); err != nil {
		return classify(w.path, fmt.Errorf("commit batch: %w", err))
	}
	return nil
}

// Retention says what ApplyRetention removes. Zero fields disable a rule.
type Retention struct {
	// MaxAge removes events whose time is older than now - MaxAge.
	MaxAge time.Duration
	// MaxSizeBytes removes the oldest events while the database uses more
	// than this many bytes, down to 90% of it.
	MaxSizeBytes int64
	// MinuteRollupAge and HourRollupAge remove roll-up buckets older than
	// that.
	MinuteRollupAge time.Duration
	HourRollupAge   time.Duration
}

// RetentionResult reports what ApplyRetention did.
type RetentionResult struct {
	DeletedByAge  int64
	DeletedBySize int64
	// SizeBytes is the space the database uses afterwards.
	SizeBytes int64
}

const deleteChunk = 5000

// ApplyRetention deletes what r says is too old or too much, in chunks so
// that inserts interleave, and gives the freed pages back to the file system.
func (w *Writer) ApplyRetention(ctx context.Context, now time.Time, r Retention) (RetentionResult, error) {
	var res RetentionResult
	if r.MaxAge > 0 {
		cutoff := now.Add(-r.MaxAge).UnixNano()
		for {
			out, err := w.db.ExecContext(ctx, `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time_unix_nano < ? LIMIT ?)`, cutoff, deleteChunk)
			if err != nil {
				return res, classify(w.path, fmt.Errorf("delete events older than %s: %w", r.MaxAge, err))
			}
			n, _ := out.RowsAffected()
			res.DeletedByAge += n
			if n < deleteChunk {
				break
			}
		}
	}
	for table, age := range map[string]time.Duration{"rollup_minute": r.MinuteRollupAge, "rollup_hour": r.HourRollupAge} {
		if age <= 0 {
			continue
		}
		cutoff := now.Add(-age).Unix()
		if _, err := w.db.ExecContext(ctx, `DELETE FROM `+table+` WHERE bucket_unix < ?`, cutoff); err != nil {
			return res, classify(w.path, fmt.Errorf("delete old %s rows: %w", table, err))
		}
		// The horizon tells readers from when on the table is complete.
		if _, err := w.db.ExecContext(ctx, `INSERT INTO rollup_horizon(table_name, complete_since_unix) VALUES (?, ?)
			ON CONFLICT(table_name) DO UPDATE SET complete_since_unix = max(complete_since_unix, excluded.complete_since_unix)`,
			table, cutoff); err != nil {
			return res, classify(w.path, fmt.Errorf("update roll-up horizon: %w", err))
		}
	}
	if err := w.vacuum(ctx); err != nil {
		return res, err
	}
	used, err := w.UsedBytes(ctx)
	if err != nil {
		return res, err
	}
	if r.MaxSizeBytes > 0 {
		target := r.MaxSizeBytes / 10 * 9
		for i := 0; used > r.MaxSizeBytes && i < 50; i++ {
			var count int64
			if err := w.db.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&count); err != nil {
				return res, classify(w.path, fmt.Errorf("count events: %w", err))
			}
			if count == 0 {
				break
			}
			n := int64(math.Ceil(float64(count) * float64(used-target) / float64(used)))
			n = max(1, min(n, count))
			for n > 0 {
				chunk := min(n, deleteChunk)
				out, err := w.db.ExecContext(ctx, `DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY time_unix_nano, id LIMIT ?)`, chunk)
				if err != nil {
					return res, classify(w.path, fmt.Errorf("delete oldest events over max size: %w", err))
				}
				k, _ := out.RowsAffected()
				res.DeletedBySize += k
				n -= chunk
				if k < chunk {
					break
				}
			}
			if err := w.vacuum(ctx); err != nil {
				return res, err
			}
			if used, err = w.UsedBytes(ctx); err != nil {
				return res, err
			}
		}
	}
	res.SizeBytes = used
	return res, nil
}

// vacuum returns free pages to the file system and checkpoints the WAL.
func (w *Writer) vacuum(ctx context.Context) error {
	if _, err := w.db.ExecContext(ctx, `PRAGMA incremental_vacuum`); err != nil {
		return classify(w.path, fmt.Errorf("incremental vacuum: %w", err))
	}
	if _, err := w.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
		return classify(w.path, fmt.Errorf("checkpoint: %w", err))
	}
	return nil
}

// UsedBytes returns the bytes the database's pages in use take (free pages
// excluded; the WAL excluded).
func (w *Writer) UsedBytes(ctx context.Context) (int64, error) {
	var pages, free, size int64
	if err := w.db.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return 0, classify(w.path, fmt.Errorf("page count: %w", err))
	}
	if err := w.db.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free); err != nil {
		return 0, classify(w.path, fmt.Errorf("freelist count: %w", err))
	}
	if err := w.db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size); err != nil {
		return 0, classify(w.path, fmt.Errorf("page size: %w", err))
	}
	return (pages - free) * size, nil
}

// FileBytes returns the size of the database file plus its WAL on disk.
func (w *Writer) FileBytes() int64 {
	var total int64
	for _, p := range []string{w.path, w.path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			total += fi.Size()
		}
	}
	return total
}

// Close closes the database (checkpointing the WAL) and releases the lock.
func (w *Writer) Close() error {
	var errs []error
	if w.db != nil {
		if err := w.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close event store %s: %w", w.path, err))
		}
		w.db = nil
	}
	if err := w.lock.unlock(); err != nil {
		errs = append(errs, fmt.Errorf("release lock: %w", err))
	}
	return errors.Join(errs...)
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(i int64) any {
	if i == 0 {
		return nil
	}
	return i
}

func jsonOrEmpty(s string) string {
	if s == "" {
		return "{}"
	}
	return s
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

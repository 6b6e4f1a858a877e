// Package store is the on-disk format of the localstore exporter: an embedded
// SQLite database (modernc.org/sqlite, pure Go, so the binary stays cgo-free)
// in WAL mode, written by the exporter and read, while the collector runs, by
// the `otelcol-trace events` command.
//
// One row per log record, span or metric data point goes into the `events`
// table, with the columns the query command filters on (time, EventName,
// process, container, service) extracted and indexed and everything else kept
// as JSON. Per-minute and per-hour roll-ups of counts and bytes per container,
// process and EventName are updated in the same transaction as the rows, so
// they outlive the rows' retention.
package store

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SchemaVersion is the version of the database layout this package writes
// and reads. A store with a higher version was written by a newer
// otelcol-trace and is refused.
const SchemaVersion = 1

// FileName is the name of the database file inside the data directory.
const FileName = "events.db"

// Kind values of the `kind` column.
const (
	KindLog    = "log"
	KindSpan   = "span"
	KindMetric = "metric"
)

// Synthetic event names for records that carry no EventName.
const (
	// EventNameLogLine is stored for log records without an EventName
	// (captured application log lines, see docs/events.md).
	EventNameLogLine = "log.line"
	// EventNameSpan is stored for spans; the span's name is in Record.Name.
	EventNameSpan = "span"
	// EventNameMetric is stored for metric data points; the metric's name is
	// in Record.Name.
	EventNameMetric = "metric"
)

// Errors a caller can test with errors.Is.
var (
	// ErrStoreMissing means there is no database file in the directory.
	ErrStoreMissing = errors.New("event store not found")
	// ErrLocked means another process holds a lock on the store.
	ErrLocked = errors.New("event store is locked by another process")
	// ErrNewerSchema means the store was written by a newer otelcol-trace.
	ErrNewerSchema = errors.New("event store has a newer schema version")
	// ErrNotAStore means the file is not an otelcol-trace event store.
	ErrNotAStore = errors.New("not an otelcol-trace event store")
	// ErrDiskFull means a write failed because the disk (or the database's
	// configured maximum) is full.
	ErrDiskFull = errors.New("disk full")
)

// Record is one stored row: a log record, a span or a metric data point.
type Record struct {
	ID               int64
	Kind             string
	TimeUnixNano     int64
	ObservedUnixNano int64
	// EndUnixNano is the end of a span; 0 otherwise.
	EndUnixNano int64
	// EventName is the LogRecord's EventName, or one of the synthetic
	// EventName* constants.
	EventName      string
	Name           string // span name or metric name
	Source         string // resource attribute otelcol.trace.source
	SeverityNumber int32
	SeverityText   string
	PID            int64 // 0 when absent
	ProcessName    string
	ContainerID    string
	ContainerName  string
	ServiceName    string
	// Bytes is the sum of the byte-count attributes of the record (file and
	// network bytes, payload length, HTTP body sizes).
	Bytes        int64
	TraceID      string // hex
	SpanID       string // hex
	ParentSpanID string // hex
	// BodyType is the pcommon value type of the body ("Str", "Bytes", ...)
	// or "" when the body is empty.
	BodyType string
	// Body is the body as JSON (bytes are base64), "" when empty.
	Body string
	// Attributes, Resource and Extra are JSON objects. Extra holds
	// kind-specific fields (span kind and status, metric type and unit,
	// scope name).
	Attributes string
	Resource   string
	Extra      string
}

const schemaDDL = `
CREATE TABLE IF NOT EXISTS schema_version (
	version INTEGER NOT NULL,
	created_unix_nano INTEGER NOT NULL,
	written_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL,
	time_unix_nano INTEGER NOT NULL,
	observed_unix_nano INTEGER NOT NULL,
	end_unix_nano INTEGER,
	event_name TEXT NOT NULL,
	name TEXT,
	source TEXT,
	severity_number INTEGER,
	severity_text TEXT,
	process_pid INTEGER,
	process_name TEXT,
	container_id TEXT,
	container_name TEXT,
	service_name TEXT,
	bytes INTEGER NOT NULL DEFAULT 0,
	trace_id TEXT,
	span_id TEXT,
	parent_span_id TEXT,
	body_type TEXT,
	body TEXT,
	attributes TEXT NOT NULL,
	resource TEXT NOT NULL,
	extra TEXT
);
-- Partial indexes: most records have no container or service (and spans
-- or metrics no pid), and an index entry that is never looked up only costs
-- write time.
CREATE INDEX IF NOT EXISTS events_time ON events(time_unix_nano);
CREATE INDEX IF NOT EXISTS events_event_name_time ON events(event_name, time_unix_nano);
CREATE INDEX IF NOT EXISTS events_pid_time ON events(process_pid, time_unix_nano) WHERE process_pid IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_process_time ON events(process_name, time_unix_nano) WHERE process_name IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_container_time ON events(container_id, time_unix_nano) WHERE container_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_container_name_time ON events(container_name, time_unix_nano) WHERE container_name IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_service_time ON events(service_name, time_unix_nano) WHERE service_name IS NOT NULL;
CREATE TABLE IF NOT EXISTS rollup_minute (
	bucket_unix INTEGER NOT NULL,
	container_id TEXT NOT NULL,
	process_name TEXT NOT NULL,
	event_name TEXT NOT NULL,
	count INTEGER NOT NULL,
	bytes INTEGER NOT NULL,
	PRIMARY KEY (bucket_unix, container_id, process_name, event_name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_horizon (
	table_name TEXT PRIMARY KEY,
	complete_since_unix INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rollup_hour (
	bucket_unix INTEGER NOT NULL,
	container_id TEXT NOT NULL,
	process_name TEXT NOT NULL,
	event_name TEXT NOT NULL,
	count INTEGER NOT NULL,
	bytes INTEGER NOT NULL,
	PRIMARY KEY (bucket_unix, container_id, process_name, event_name)
) WITHOUT ROWID;
`

// Path returns the database file's path inside dir.
func Path(dir string) string { return filepath.Join(dir, FileName) }

// dsn builds the modernc.org/sqlite data source name for the file.
func dsn(path string, readOnly bool, busyTimeout time.Duration) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	if readOnly {
		q.Set("mode", "ro")
		q.Add("_pragma", "query_only(1)")
	} else {
		// auto_vacuum only takes effect on a new file; incremental lets the
		// retention loop give freed pages back to the file system.
		q.Set("_auto_vacuum", "INCREMENTAL")
		q.Set("_journal_mode", "WAL")
		// NORMAL in WAL mode: a committed transaction survives a crash of
		// the process (not necessarily a power loss), which is what "a
		// crash loses at most the batch in flight" needs.
		q.Set("_synchronous", "NORMAL")
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// sqliteCode returns the primary SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

// classify maps SQLite errors to this package's sentinel errors, keeping the
// original in the chain.
func classify(path string, err error) error {
	if err == nil {
		return nil
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("%w (%s): %w", ErrLocked, path, err)
	case sqlite3.SQLITE_FULL:
		return fmt.Errorf("%w writing %s: %w", ErrDiskFull, path, err)
	case sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("%s: %w: %w", path, ErrNotAStore, err)
	}
	return err
}

// checkSchema reads the schema version and refuses stores it cannot read.
// It returns the version found, or 0 when the table is empty.
func checkSchema(db *sql.DB, path string) (int, error) {
	var n int
	err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_version'`).Scan(&n)
	if err != nil {
		return 0, classify(path, fmt.Errorf("read schema of %s: %w", path, err))
	}
	if n == 0 {
		var tables int
		if err := db.QueryRow(`SELECT count(*) FROM sqlite_master`).Scan(&tables); err == nil && tables == 0 {
			return 0, fmt.Errorf("%w: %s is empty (is the collector just starting?)", ErrStoreMissing, path)
		}
		return 0, fmt.Errorf("%s: %w (no schema_version table)", path, ErrNotAStore)
	}
	var v sql.NullInt64
	if err := db.QueryRow(`SELECT max(version) FROM schema_version`).Scan(&v); err != nil {
		return 0, classify(path, fmt.Errorf("read schema version of %s: %w", path, err))
	}
	if !v.Valid {
		return 0, nil
	}
	if v.Int64 > SchemaVersion {
		return int(v.Int64), fmt.Errorf("%w: %s has schema version %d, this otelcol-trace reads up to %d; use a newer otelcol-trace or another data directory",
			ErrNewerSchema, path, v.Int64, SchemaVersion)
	}
	return int(v.Int64), nil
}

// fileExists reports whether path is an existing regular file.
func fileExists(path string) (bool, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("%s is not a regular file", path)
	}
	return true, nil
}

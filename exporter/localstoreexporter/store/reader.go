package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Reader queries a store, also while a Writer (another process) writes it.
type Reader struct {
	path string
	db   *sql.DB
}

// OpenReader opens the store in dir read-only. It fails with ErrStoreMissing
// when there is none, ErrLocked when another process holds an exclusive lock
// for longer than busyTimeout, and ErrNewerSchema for a store written by a
// newer otelcol-trace.
func OpenReader(ctx context.Context, dir string, busyTimeout time.Duration) (*Reader, error) {
	path := Path(dir)
	ok, err := fileExists(path)
	if err != nil {
		return nil, fmt.Errorf("open event store: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: no %s in %s", ErrStoreMissing, FileName, dir)
	}
	if busyTimeout <= 0 {
		busyTimeout = 5 * time.Second
	}
	db, err := sql.Open("sqlite", dsn(path, true, busyTimeout))
	if err != nil {
		return nil, fmt.Errorf("open event store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	r := &Reader{path: path, db: db}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, classify(path, fmt.Errorf("open event store %s: %w", path, err))
	}
	if _, err := checkSchema(db, path); err != nil {
		_ = db.Close()
		return nil, err
	}
	return r, nil
}

// Path returns the database file.
func (r *Reader) Path() string { return r.path }

// Close closes the database.
func (r *Reader) Close() error { return r.db.Close() }

// Filter selects events. Empty fields do not filter. Within a field the
// values are alternatives (OR); fields combine with AND.
type Filter struct {
	// EventNames match the event_name column exactly, or as a glob when
	// they contain *, ? or [.
	EventNames []string
	Kinds      []string
	PIDs       []int64
	// ProcessNames match process.executable.name exactly or as a glob.
	ProcessNames []string
	// Containers match a container.id prefix when they are lower-case hex,
	// a container.name otherwise.
	Containers []string
	// Services match service.name exactly or as a glob.
	Services []string
	// Receivers match the resource's otelcol.trace.source (the receiver's
	// component id, e.g. ebpf/tls) exactly or as a glob.
	Receivers []string
	// Since (inclusive) and Until (exclusive) bound the event time.
	Since, Until time.Time
	// AfterID and UpToID bound the row id (insertion order): id > AfterID,
	// and id <= UpToID when UpToID > 0.
	AfterID, UpToID int64
}

func isGlob(s string) bool { return strings.ContainsAny(s, "*?[") }

func isHex(s string) bool {
	return s != "" && strings.Trim(s, "0123456789abcdef") == ""
}

// prefixEnd appended to a prefix gives an upper bound of the strings that
// start with it (U+10FFFF sorts after every other character in UTF-8).
const prefixEnd = "\U0010FFFF"

// explain returns SQLite's query plan for the query Last runs (tests).
func (r *Reader) explain(ctx context.Context, f Filter) (string, error) {
	where, args := f.sql()
	rows, err := r.db.QueryContext(ctx, "EXPLAIN QUERY PLAN SELECT id FROM events"+where+" ORDER BY time_unix_nano DESC, id DESC LIMIT 20", args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", err
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; "), rows.Err()
}

func matchText(col string, values []string, where *[]string, args *[]any) {
	if len(values) == 0 {
		return
	}
	// "col IS NOT NULL" lets the planner use the column's partial index.
	*where = append(*where, col+" IS NOT NULL")
	var ors []string
	for _, v := range values {
		if isGlob(v) {
			ors = append(ors, col+" GLOB ?")
		} else {
			ors = append(ors, col+" = ?")
		}
		*args = append(*args, v)
	}
	*where = append(*where, "("+strings.Join(ors, " OR ")+")")
}

func (f Filter) sql() (string, []any) {
	var where []string
	var args []any
	matchText("event_name", f.EventNames, &where, &args)
	matchText("kind", f.Kinds, &where, &args)
	matchText("process_name", f.ProcessNames, &where, &args)
	matchText("service_name", f.Services, &where, &args)
	matchText("source", f.Receivers, &where, &args)
	if len(f.PIDs) > 0 {
		ph := make([]string, len(f.PIDs))
		for i, p := range f.PIDs {
			ph[i] = "?"
			args = append(args, p)
		}
		where = append(where, "process_pid IS NOT NULL", "process_pid IN ("+strings.Join(ph, ",")+")")
	}
	if len(f.Containers) > 0 {
		// A hex string is an id prefix, a range of the container index;
		// anything else a container.name.
		var ors []string
		for _, c := range f.Containers {
			if isHex(c) {
				ors = append(ors, "(container_id IS NOT NULL AND container_id >= ? AND container_id < ?)")
				args = append(args, c, c+prefixEnd)
			} else {
				ors = append(ors, "(container_name IS NOT NULL AND container_name = ?)")
				args = append(args, c)
			}
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
	}
	if !f.Since.IsZero() {
		where = append(where, "time_unix_nano >= ?")
		args = append(args, f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		where = append(where, "time_unix_nano < ?")
		args = append(args, f.Until.UnixNano())
	}
	if f.AfterID > 0 {
		where = append(where, "id > ?")
		args = append(args, f.AfterID)
	}
	if f.UpToID > 0 {
		// "+id" keeps the planner from scanning the table by rowid for
		// this bound instead of using the index of the real filter.
		where = append(where, "+id <= ?")
		args = append(args, f.UpToID)
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

const selectColumns = `SELECT id, kind, time_unix_nano, observed_unix_nano, coalesce(end_unix_nano, 0), event_name,
	coalesce(name, ''), coalesce(source, ''), coalesce(severity_number, 0), coalesce(severity_text, ''),
	coalesce(process_pid, 0), coalesce(process_name, ''), coalesce(container_id, ''), coalesce(container_name, ''),
	coalesce(service_name, ''), bytes, coalesce(trace_id, ''), coalesce(span_id, ''), coalesce(parent_span_id, ''),
	coalesce(body_type, ''), coalesce(body, ''), attributes, resource, coalesce(extra, '')
	FROM events`

func scanRecord(rows *sql.Rows, r *Record) error {
	return rows.Scan(&r.ID, &r.Kind, &r.TimeUnixNano, &r.ObservedUnixNano, &r.EndUnixNano, &r.EventName,
		&r.Name, &r.Source, &r.SeverityNumber, &r.SeverityText,
		&r.PID, &r.ProcessName, &r.ContainerID, &r.ContainerName,
		&r.ServiceName, &r.Bytes, &r.TraceID, &r.SpanID, &r.ParentSpanID,
		&r.BodyType, &r.Body, &r.Attributes, &r.Resource, &r.Extra)
}

// Last returns the n most recent events (by time, then id) that match f and
// keep (nil keeps all), oldest first. n <= 0 means all of them.
func (r *Reader) Last(ctx context.Context, f Filter, n int, keep func(*Record) bool) ([]Record, error) {
	where, args := f.sql()
	query := selectColumns + where + " ORDER BY time_unix_nano DESC, id DESC"
	if keep == nil && n > 0 {
		// Pick the ids from the index first, then read only those rows:
		// when the index does not give time order (a container prefix,
		// several pids) the sort then handles (time, id) pairs, not rows.
		query = selectColumns + " WHERE id IN (SELECT id FROM events" + where +
			" ORDER BY time_unix_nano DESC, id DESC LIMIT ?) ORDER BY time_unix_nano DESC, id DESC"
		args = append(args, n)
	}
	rows, err := r.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, classify(r.path, fmt.Errorf("query %s: %w", r.path, err))
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var rec Record
		if err := scanRecord(rows, &rec); err != nil {
			return nil, classify(r.path, fmt.Errorf("read event: %w", err))
		}
		if keep != nil && !keep(&rec) {
			continue
		}
		out = append(out, rec)
		if n > 0 && len(out) >= n {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return nil, classify(r.path, fmt.Errorf("query %s: %w", r.path, err))
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// Scan calls fn for every event that matches f, in insertion (id) order
// when byID, else by time. It streams: nothing is held in memory.
func (r *Reader) Scan(ctx context.Context, f Filter, byID bool, fn func(*Record) error) error {
	where, args := f.sql()
	order := " ORDER BY time_unix_nano, id"
	if byID {
		order = " ORDER BY id"
	}
	rows, err := r.db.QueryContext(ctx, selectColumns+where+order, args...)
	if err != nil {
		return classify(r.path, fmt.Errorf("query %s: %w", r.path, err))
	}
	defer rows.Close()
	for rows.Next() {
		var rec Record
		if err := scanRecord(rows, &rec); err != nil {
			return classify(r.path, fmt.Errorf("read event: %w", err))
		}
		if err := fn(&rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return classify(r.path, fmt.Errorf("query %s: %w", r.path, err))
	}
	return nil
}

// MaxID returns the highest row id, 0 for an empty store.
func (r *Reader) MaxID(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	if err := r.db.QueryRowContext(ctx, `SELECT max(id) FROM events`).Scan(&id); err != nil {
		return 0, classify(r.path, fmt.Errorf("query %s: %w", r.path, err))
	}
	return id.Int64, nil
}

// Count returns the number of events that match f.
func (r *Reader) Count(ctx context.Context, f Filter) (int64, error) {
	where, args := f.sql()
	var n int64
	if err := r.db.QueryRowContext(ctx, `SELECT count(*) FROM events`+where, args...).Scan(&n); err != nil {
		return 0, classify(r.path, fmt.Errorf("count events in %s: %w", r.path, err))
	}
	return n, nil
}

// SummaryFilter selects roll-up rows.
type SummaryFilter struct {
	// Since and Until bound the buckets; zero means unbounded. A bucket is
	// included when it starts at or after Since (rounded down to the
	// bucket) and before Until.
	Since, Until time.Time
	// Containers match a container.id prefix; ProcessNames and EventNames
	// match exactly or as globs.
	Containers   []string
	ProcessNames []string
	EventNames   []string
}

// SummaryRow is the total for one container, process and EventName.
type SummaryRow struct {
	ContainerID string
	ProcessName string
	EventName   string
	Count       int64
	Bytes       int64
}

// Summary is the answer of Reader.Summary.
type Summary struct {
	// Resolution is "minute" or "hour": the roll-up table used.
	Resolution string
	// From and To span the buckets that had data (To is the end of the last
	// bucket); zero when there were none.
	From, To time.Time
	Rows     []SummaryRow
}

// Summary totals the roll-ups. It reads the per-minute roll-ups when they
// cover f.Since, the per-hour ones otherwise.
func (r *Reader) Summary(ctx context.Context, f SummaryFilter) (Summary, error) {
	table, res, width := "rollup_hour", "hour", int64(3600)
	if !f.Since.IsZero() {
		// The minute roll-ups answer when retention has not yet deleted
		// any of them after Since.
		var horizon sql.NullInt64
		err := r.db.QueryRowContext(ctx, `SELECT complete_since_unix FROM rollup_horizon WHERE table_name = 'rollup_minute'`).Scan(&horizon)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return Summary{}, classify(r.path, fmt.Errorf("read roll-ups of %s: %w", r.path, err))
		}
		if !horizon.Valid || floorDiv(f.Since.Unix(), 60)*60 >= horizon.Int64 {
			table, res, width = "rollup_minute", "minute", 60
		}
	}
	var where []string
	var args []any
	if !f.Since.IsZero() {
		where = append(where, "bucket_unix >= ?")
		args = append(args, floorDiv(f.Since.Unix(), width)*width)
	}
	if !f.Until.IsZero() {
		where = append(where, "bucket_unix < ?")
		args = append(args, f.Until.Unix())
	}
	matchText("process_name", f.ProcessNames, &where, &args)
	matchText("event_name", f.EventNames, &where, &args)
	if len(f.Containers) > 0 {
		var ors []string
		for _, c := range f.Containers {
			ors = append(ors, "(container_id >= ? AND container_id < ?)")
			args = append(args, c, c+prefixEnd)
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
	}
	w := ""
	if len(where) > 0 {
		w = " WHERE " + strings.Join(where, " AND ")
	}
	out := Summary{Resolution: res}
	var lo, hi sql.NullInt64
	if err := r.db.QueryRowContext(ctx, `SELECT min(bucket_unix), max(bucket_unix) FROM `+table+w, args...).Scan(&lo, &hi); err != nil {
		return Summary{}, classify(r.path, fmt.Errorf("read roll-ups of %s: %w", r.path, err))
	}
	if lo.Valid {
		out.From = time.Unix(lo.Int64, 0)
		out.To = time.Unix(hi.Int64+width, 0)
	}
	rows, err := r.db.QueryContext(ctx, `SELECT container_id, process_name, event_name, sum(count), sum(bytes) FROM `+table+w+
		` GROUP BY container_id, process_name, event_name ORDER BY container_id, process_name, sum(count) DESC, event_name`, args...)
	if err != nil {
		return Summary{}, classify(r.path, fmt.Errorf("read roll-ups of %s: %w", r.path, err))
	}
	defer rows.Close()
	for rows.Next() {
		var s SummaryRow
		if err := rows.Scan(&s.ContainerID, &s.ProcessName, &s.EventName, &s.Count, &s.Bytes); err != nil {
			return Summary{}, classify(r.path, fmt.Errorf("read roll-up: %w", err))
		}
		out.Rows = append(out.Rows, s)
	}
	if err := rows.Err(); err != nil {
		return Summary{}, classify(r.path, fmt.Errorf("read roll-ups of %s: %w", r.path, err))
	}
	return out, nil
}

// Package events implements `otelcol-trace events`: it queries the local
// event store written by the localstore exporter, also while the collector
// runs, and prints the last events as an aligned table or as NDJSON.
// `otelcol-trace events summary` prints the per-container and per-process
// totals from the store's roll-ups.
package events

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/otelcol-trace/otelcol-trace/exporter/localstoreexporter/store"
)

// Exit codes of Run.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

const usageText = `Usage:
  otelcol-trace events [flags]          the last events (default 20), oldest first
  otelcol-trace events summary [flags]  counts and bytes per container, process and EventName

Examples:
  otelcol-trace events -s fs.open --name nginx      which files did nginx open
  otelcol-trace events -s 'net.*' --container web   what did this container connect to
  otelcol-trace events -s http.exchange -n 5 --json the last HTTP exchanges as NDJSON
  otelcol-trace events -s process.exec --json | jq -r '.attributes["process.command_args"] | join(" ")'
  otelcol-trace events --follow --match 'ENOENT'

The sub-command may come before or after the flags ("events summary --data-dir X" and
"events --data-dir X summary" are the same); flags before "summary" must be summary flags.

Flags:
`

// Run runs the events command with args (without the leading "events") and
// returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "summary" {
		return runSummary(ctx, args[1:], stdout, stderr)
	}
	return runQuery(ctx, args, stdout, stderr)
}

// listFlag is a repeatable flag whose values may also be comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// commonFlags are the flags of both sub-commands.
type commonFlags struct {
	dataDir     string
	lockTimeout time.Duration
	since       string
	until       string
	sources     listFlag
	names       listFlag
	containers  listFlag
	jsonOut     bool
	color       string
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.dataDir, "data-dir", "", "data directory of the store (default: $"+store.EnvDataDir+", else "+store.SystemDataDir+" as root, else ~/.local/state/otelcol-trace)")
	fs.DurationVar(&c.lockTimeout, "lock-timeout", 5*time.Second, "how long to wait for a store locked by another process")
	fs.StringVar(&c.since, "since", "", "only events at or after this time: a duration ago (10m, 2h) or an RFC 3339 time")
	fs.StringVar(&c.until, "until", "", "only events before this time: a duration ago or an RFC 3339 time")
	fs.Var(&c.sources, "s", "EventName to show (repeatable, comma-separated, globs like 'fs.*'); spans are 'span', metrics 'metric', plain log lines 'log.line'")
	fs.Var(&c.sources, "source", "same as -s")
	fs.Var(&c.names, "name", "process.executable.name (repeatable, globs)")
	fs.Var(&c.containers, "container", "container.id prefix (lower-case hex) or container.name (repeatable; summary: id prefixes)")
	fs.BoolVar(&c.jsonOut, "json", false, "print NDJSON, one object per line")
	fs.StringVar(&c.color, "color", "auto", "colour the table: auto (on a terminal, unless $NO_COLOR is set), always, never")
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	return fs
}

// parseTime accepts a duration before now or an RFC 3339 time.
func parseTime(flagName, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			d = -d
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--%s %q: want a duration (10m, 2h) or a time (2006-01-02T15:04:05Z07:00)", flagName, s)
}

// timeRange parses --since and --until against now.
func (c *commonFlags) timeRange(now time.Time) (since, until time.Time, err error) {
	if since, err = parseTime("since", c.since, now); err != nil {
		return since, until, err
	}
	until, err = parseTime("until", c.until, now)
	return since, until, err
}

// openStore finds and opens the store.
func (c *commonFlags) openStore(ctx context.Context) (*store.Reader, error) {
	if c.dataDir != "" {
		return store.OpenReader(ctx, c.dataDir, c.lockTimeout)
	}
	dirs := store.ReadDirs(store.ProcessEnv())
	for _, d := range dirs {
		if _, err := os.Stat(store.Path(d)); err == nil {
			return store.OpenReader(ctx, d, c.lockTimeout)
		}
	}
	return nil, fmt.Errorf("%w in %s: is the collector running with the localstore exporter? Use --data-dir or set $%s",
		store.ErrStoreMissing, strings.Join(dirs, " or "), store.EnvDataDir)
}

// explain adds advice to the store's errors.
func explain(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, store.ErrLocked):
		msg += " (try again, or raise --lock-timeout)"
	case errors.Is(err, store.ErrNewerSchema):
		// the message says what to do
	case errors.Is(err, os.ErrPermission):
		msg += " (the collector's store is usually readable by root only: run as root)"
	}
	return "otelcol-trace events: " + msg
}

// queryFlags are the flags of the query sub-command.
type queryFlags struct {
	commonFlags
	kinds    listFlag
	pids     listFlag
	services listFlag
	recvs    listFlag
	match    string
	attrs    listFlag
	n        int
	all      bool
	follow   bool
	interval time.Duration
}

func runQuery(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var q queryFlags
	fs := newFlagSet("events", stderr)
	q.register(fs)
	fs.Var(&q.kinds, "kind", "log, span or metric (repeatable)")
	fs.Var(&q.pids, "pid", "process.pid (repeatable)")
	fs.Var(&q.services, "service", "service.name (repeatable, globs)")
	fs.Var(&q.recvs, "receiver", "the receiver that produced the record, otelcol.trace.source (e.g. ebpf/tls; repeatable, globs)")
	fs.StringVar(&q.match, "match", "", "regular expression that some field must match (any attribute as key=value or value, the body, names)")
	fs.Var(&q.attrs, "attr", "KEY=REGEX: attribute KEY must match REGEX (repeatable)")
	fs.IntVar(&q.n, "n", 20, "how many of the most recent events to print")
	fs.BoolVar(&q.all, "all", false, "print all matching events instead of the last -n")
	fs.BoolVar(&q.follow, "follow", false, "after the last events, keep printing new ones until interrupted")
	fs.BoolVar(&q.follow, "f", false, "same as --follow")
	fs.DurationVar(&q.interval, "interval", 500*time.Millisecond, "how often --follow polls the store")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		if fs.Arg(0) == "summary" {
			// Flags before the sub-command: run summary with the same
			// arguments minus the sub-command's name.
			i := len(args) - fs.NArg()
			rest := append(append([]string{}, args[:i]...), args[i+1:]...)
			return runSummary(ctx, rest, stdout, stderr)
		}
		fmt.Fprintf(stderr, "otelcol-trace events: unexpected argument %q (the only sub-command is summary: otelcol-trace events summary [flags])\n", fs.Arg(0))
		return exitUsage
	}
	if q.n <= 0 && !q.all {
		fmt.Fprintln(stderr, "otelcol-trace events: -n must be positive (or use --all)")
		return exitUsage
	}
	if q.interval <= 0 {
		fmt.Fprintln(stderr, "otelcol-trace events: --interval must be positive")
		return exitUsage
	}
	now := time.Now()
	filter := store.Filter{
		EventNames:   q.sources,
		Kinds:        q.kinds,
		ProcessNames: q.names,
		Containers:   q.containers,
		Services:     q.services,
		Receivers:    q.recvs,
	}
	var err error
	if filter.Since, filter.Until, err = q.timeRange(now); err != nil {
		fmt.Fprintln(stderr, "otelcol-trace events:", err)
		return exitUsage
	}
	for _, p := range q.pids {
		pid, err := strconv.ParseInt(p, 10, 64)
		if err != nil || pid <= 0 {
			fmt.Fprintf(stderr, "otelcol-trace events: --pid %q is not a process id\n", p)
			return exitUsage
		}
		filter.PIDs = append(filter.PIDs, pid)
	}
	m, err := newMatcher(q.match, q.attrs)
	if err != nil {
		fmt.Fprintln(stderr, "otelcol-trace events:", err)
		return exitUsage
	}
	mode, err := colorMode(q.color, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "otelcol-trace events:", err)
		return exitUsage
	}

	r, err := q.openStore(ctx)
	if err != nil {
		fmt.Fprintln(stderr, explain(err))
		return exitError
	}
	defer r.Close()

	var out recordPrinter
	if q.jsonOut {
		out = newJSONPrinter(stdout)
	} else {
		out = newTablePrinter(stdout, mode, q.follow || q.all)
	}
	lastID, err := r.MaxID(ctx)
	if err != nil {
		fmt.Fprintln(stderr, explain(err))
		return exitError
	}
	filter.UpToID = lastID
	if lastID > 0 {
		if q.all {
			err = r.Scan(ctx, filter, false, func(rec *store.Record) error {
				if m.keep(rec) {
					return out.print([]store.Record{*rec})
				}
				return nil
			})
		} else {
			var recs []store.Record
			var keep func(*store.Record) bool
			if !m.empty() {
				keep = m.keep
			}
			recs, err = r.Last(ctx, filter, q.n, keep)
			if err == nil {
				err = out.print(recs)
			}
		}
		if err != nil {
			fmt.Fprintln(stderr, explain(err))
			return exitError
		}
	}
	if err := out.flush(); err != nil {
		fmt.Fprintln(stderr, "otelcol-trace events: write output:", err)
		return exitError
	}
	if !q.follow {
		return exitOK
	}
	filter.UpToID = 0
	ticker := time.NewTicker(q.interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return exitOK
		case <-ticker.C:
		}
		filter.AfterID = lastID
		err := r.Scan(ctx, filter, true, func(rec *store.Record) error {
			lastID = max(lastID, rec.ID)
			if m.keep(rec) {
				return out.print([]store.Record{*rec})
			}
			return nil
		})
		if err == nil {
			err = out.flush()
		}
		if err != nil {
			if ctx.Err() != nil {
				return exitOK
			}
			fmt.Fprintln(stderr, explain(err))
			return exitError
		}
	}
}

// matcher applies --match and --attr, which SQL cannot.
type matcher struct {
	any   *regexp.Regexp
	attrs map[string]*regexp.Regexp
	// lit is a literal that every text --match can match must contain, and
	// that appears unchanged in the stored JSON; rows whose raw columns lack
	// it are skipped without decoding them. Empty when there is none.
	lit string
}

// requiredLiteral returns the longest literal of a regular expression's
// top-level concatenation (so every match contains it), cut at '=' (a
// key=value match is stored as "key":value), or "" when it may be escaped
// in JSON, folds case, or is short.
func requiredLiteral(expr string) string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return ""
	}
	re = re.Simplify()
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	var lits []*syntax.Regexp
	switch re.Op {
	case syntax.OpLiteral:
		lits = []*syntax.Regexp{re}
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if s.Op == syntax.OpLiteral {
				lits = append(lits, s)
			}
		}
	}
	best := ""
	for _, l := range lits {
		if l.Flags&syntax.FoldCase != 0 {
			continue
		}
		for _, part := range strings.Split(string(l.Rune), "=") {
			if len(part) > len(best) && !strings.ContainsFunc(part, func(r rune) bool { return r == '"' || r == '\\' || r < 0x20 || r == 0x7f || r == utf8.RuneError }) {
				best = part
			}
		}
	}
	if len(best) < 3 {
		return ""
	}
	return best
}

// mayMatch is the cheap pre-check of --match on the raw columns.
func (m *matcher) mayMatch(rec *store.Record) bool {
	if m.lit == "" || rec.BodyType == "Bytes" {
		return true
	}
	for _, s := range []string{rec.Attributes, rec.Resource, rec.Body, rec.EventName, rec.Name, rec.ProcessName, rec.ContainerID, rec.ContainerName, rec.ServiceName} {
		if strings.Contains(s, m.lit) {
			return true
		}
	}
	return false
}

func newMatcher(match string, attrs []string) (*matcher, error) {
	m := &matcher{attrs: map[string]*regexp.Regexp{}}
	if match != "" {
		re, err := regexp.Compile(match)
		if err != nil {
			return nil, fmt.Errorf("--match: %w", err)
		}
		m.any = re
		m.lit = requiredLiteral(match)
	}
	for _, a := range attrs {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--attr %q: want KEY=REGEX", a)
		}
		re, err := regexp.Compile(v)
		if err != nil {
			return nil, fmt.Errorf("--attr %s: %w", k, err)
		}
		m.attrs[k] = re
	}
	return m, nil
}

func (m *matcher) empty() bool { return m.any == nil && len(m.attrs) == 0 }

func (m *matcher) keep(rec *store.Record) bool {
	if m.any == nil && len(m.attrs) == 0 {
		return true
	}
	if m.any != nil && !m.mayMatch(rec) {
		return false
	}
	attrs := decodeObject(rec.Attributes)
	var res map[string]any
	resource := func() map[string]any {
		if res == nil {
			res = decodeObject(rec.Resource)
		}
		return res
	}
	for k, re := range m.attrs {
		v, ok := attrs[k]
		if !ok {
			v, ok = resource()[k]
		}
		if !ok || !re.MatchString(valueText(v)) {
			return false
		}
	}
	if m.any == nil {
		return true
	}
	for _, s := range []string{rec.EventName, rec.Name, rec.ProcessName, rec.ContainerID, rec.ContainerName, rec.ServiceName, bodyText(rec)} {
		if s != "" && m.any.MatchString(s) {
			return true
		}
	}
	for _, obj := range []map[string]any{attrs, resource()} {
		for k, v := range obj {
			t := valueText(v)
			if m.any.MatchString(t) || m.any.MatchString(k+"="+t) {
				return true
			}
		}
	}
	return false
}

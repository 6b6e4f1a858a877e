// Command localstore benchmarks the localstore exporter and the events
// command: rows/s written through the exporter (with its batching) and with
// different transaction sizes, and the latency of "the last 20 events of one
// EventName" over a large store. See docs/benchmarks.md.
//
//	go run ./bench/localstore -rows 1000000
//	go run ./bench/localstore -rows 100000 -dir /tmp/store && go run ./bench/localstore events --data-dir /tmp/store -s fs.open
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-trace/otelcol-trace/exporter/localstoreexporter"
	"github.com/otelcol-trace/otelcol-trace/exporter/localstoreexporter/store"
	"github.com/otelcol-trace/otelcol-trace/internal/cli/events"
)

// eventNames are spread over the rows with these weights (per 1000 rows).
var eventNames = []struct {
	name   string
	weight int
}{
	{"fs.open", 400}, {"fs.close", 300}, {"net.connect", 100}, {"net.close", 100},
	{"syscall", 90}, {"process.exec", 9}, {"process.exit", 1},
}

func main() {
	// `localstore events ...` is the events command, for queries by hand
	// against a store the benchmark left (-dir).
	if len(os.Args) > 1 && os.Args[1] == "events" {
		os.Exit(events.Run(context.Background(), os.Args[2:], os.Stdout, os.Stderr))
	}
	dir := flag.String("dir", "", "data directory (default: a new temporary directory, removed at the end)")
	rows := flag.Int("rows", 1_000_000, "rows to write through the exporter")
	perRequest := flag.Int("per-request", 1000, "log records per ConsumeLogs call")
	maxRecords := flag.Int("max-records", 2000, "the exporter's batch.max_records")
	queries := flag.Int("queries", 30, "repetitions of each query")
	sweep := flag.Int("sweep-rows", 20_000, "rows per transaction-size sweep point (0 skips the sweep)")
	queryOnly := flag.Bool("query-only", false, "only time the queries, on the store a previous run left in -dir (-rows must match)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if *queryOnly && *dir == "" {
		fmt.Fprintln(os.Stderr, "bench: -query-only needs -dir")
		os.Exit(2)
	}
	if *queryOnly {
		*sweep = 0
	}
	if err := run(*dir, *rows, *perRequest, *maxRecords, *queries, *sweep, *queryOnly); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(dir string, rows, perRequest, maxRecords, queries, sweep int, queryOnly bool) error {
	ctx := context.Background()
	if dir == "" {
		tmp, err := os.MkdirTemp("", "localstore-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	fmt.Printf("# localstore benchmark, %s\n\n", time.Now().UTC().Format(time.RFC3339))

	if sweep > 0 {
		fmt.Println("## store.Writer.Insert, rows/s by transaction size")
		fmt.Println()
		fmt.Println("| rows per transaction | rows | seconds | rows/s |")
		fmt.Println("|---:|---:|---:|---:|")
		for _, size := range []int{1, 10, 100, 1000, 5000} {
			n := sweep
			if size == 1 {
				n = min(sweep, 2000) // one commit per row is slow
			}
			d, err := insertSweep(ctx, filepath.Join(dir, fmt.Sprintf("sweep-%d", size)), n, size)
			if err != nil {
				return err
			}
			fmt.Printf("| %d | %d | %.2f | %.0f |\n", size, n, d.Seconds(), float64(n)/d.Seconds())
		}
		fmt.Println()
	}

	storeDir := filepath.Join(dir, "main")
	if !queryOnly {
		d, err := fillThroughExporter(ctx, storeDir, rows, perRequest, maxRecords)
		if err != nil {
			return err
		}
		var size int64
		for _, p := range []string{store.Path(storeDir), store.Path(storeDir) + "-wal"} {
			if fi, err := os.Stat(p); err == nil {
				size += fi.Size()
			}
		}
		fmt.Println("## Exporter write throughput (ConsumeLogs -> committed)")
		fmt.Println()
		fmt.Printf("| rows | records per request | batch.max_records | seconds | rows/s | store size |\n|---:|---:|---:|---:|---:|---:|\n")
		fmt.Printf("| %d | %d | %d | %.1f | %.0f | %.0f MiB (%.0f B/row) |\n\n", rows, perRequest, maxRecords,
			d.Seconds(), float64(rows)/d.Seconds(), float64(size)/(1<<20), float64(size)/float64(rows))
	}

	fmt.Printf("## Query latency over %d rows (events.Run, output discarded)\n\n", rows)
	fmt.Println("| query | runs | min | median | p95 | max |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	for _, q := range []struct {
		label string
		args  []string
		runs  int
	}{
		{"last 20 fs.open (40% of rows), --json", []string{"-s", "fs.open", "-n", "20", "--json"}, 0},
		{"last 20 process.exit (0.1% of rows), --json", []string{"-s", "process.exit", "-n", "20", "--json"}, 0},
		{"last 20 process.exit, table", []string{"-s", "process.exit", "-n", "20"}, 0},
		{"last 20 of one pid", []string{"--pid", "4242", "-n", "20", "--json"}, 0},
		{"last 20 of one container (id prefix)", []string{"--container", "000000000000000000000000000000000000000000000000000000000000000a", "-n", "20", "--json"}, 0},
		{"last 20 of all events", []string{"-n", "20", "--json"}, 0},
		{"last 20 with --match on any field (regex in Go, scans until 20 match)", []string{"-n", "20", "--match", "page12345", "--json"}, 3},
		{"summary (hour roll-ups)", []string{"summary", "--json"}, 0},
	} {
		runs := queries
		if q.runs > 0 {
			runs = min(q.runs, queries)
		}
		if err := timeQuery(ctx, storeDir, q.label, q.args, runs); err != nil {
			return err
		}
	}
	return nil
}

func insertSweep(ctx context.Context, dir string, n, size int) (time.Duration, error) {
	w, err := store.OpenWriter(ctx, dir, store.WriterOptions{})
	if err != nil {
		return 0, err
	}
	defer w.Close()
	recs := make([]store.Record, n)
	now := time.Now()
	for i := range recs {
		recs[i] = store.Record{
			Kind: store.KindLog, TimeUnixNano: now.Add(time.Duration(i) * time.Microsecond).UnixNano(),
			EventName: "fs.open", PID: int64(1000 + i%50), ProcessName: "nginx", SeverityNumber: 9,
			Attributes: fmt.Sprintf(`{"process.pid":%d,"process.executable.name":"nginx","file.path":"/var/www/page%d.html","fs.fd":5}`, 1000+i%50, i),
			Resource:   `{"host.name":"bench","otelcol.trace.source":"ebpf"}`,
		}
	}
	start := time.Now()
	for i := 0; i < n; i += size {
		if err := w.Insert(ctx, recs[i:min(i+size, n)]); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// fillThroughExporter writes rows records shaped like the ebpf receiver's
// through the real exporter and returns the time until all are committed
// (Shutdown flushes).
func fillThroughExporter(ctx context.Context, dir string, rows, perRequest, maxRecords int) (time.Duration, error) {
	f := localstoreexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*localstoreexporter.Config)
	cfg.Directory = dir
	cfg.Batch.MaxRecords = maxRecords
	cfg.Retention.MaxSizeMiB = 0
	cfg.Retention.MaxAge = 0
	exp, err := f.CreateLogs(ctx, exportertest.NewNopSettings(f.Type()), cfg)
	if err != nil {
		return 0, err
	}
	if err := exp.Start(ctx, componenttest.NewNopHost()); err != nil {
		return 0, err
	}
	var wheel []string
	for _, e := range eventNames {
		for range e.weight {
			wheel = append(wheel, e.name)
		}
	}
	// Build the requests first so that only the exporter is timed.
	base := time.Now().Add(-time.Hour)
	var reqs []plog.Logs
	for i := 0; i < rows; i += perRequest {
		ld := plog.NewLogs()
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("host.name", "bench")
		rl.Resource().Attributes().PutStr("otelcol.trace.source", "ebpf")
		lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
		for j := i; j < min(i+perRequest, rows); j++ {
			lr := lrs.AppendEmpty()
			lr.SetEventName(wheel[(j*7919)%len(wheel)])
			ts := pcommon.NewTimestampFromTime(base.Add(time.Duration(j) * time.Millisecond))
			lr.SetTimestamp(ts)
			lr.SetObservedTimestamp(ts)
			lr.SetSeverityNumber(plog.SeverityNumberInfo)
			a := lr.Attributes()
			a.PutInt("process.pid", int64(1000+j%5000))
			a.PutInt("thread.id", int64(1000+j%5000))
			a.PutStr("process.executable.name", fmt.Sprintf("proc%d", j%50))
			a.PutInt("process.user.id", 0)
			a.PutInt("linux.cgroup.id", int64(5000+j%20))
			a.PutStr("file.path", fmt.Sprintf("/var/www/page%d.html", j))
			a.PutStr("syscall.name", "openat")
			a.PutInt("syscall.return", 3)
			a.PutDouble("fs.open.duration", 0.000012)
			if j%10 == 0 {
				a.PutStr("container.id", fmt.Sprintf("%064x", j%20))
			}
		}
		reqs = append(reqs, ld)
	}
	start := time.Now()
	for _, ld := range reqs {
		if err := exp.ConsumeLogs(ctx, ld); err != nil {
			return 0, err
		}
	}
	if err := exp.Shutdown(ctx); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func timeQuery(ctx context.Context, dir, label string, args []string, n int) error {
	var ds []time.Duration
	for range n {
		all := append([]string{}, args...)
		if len(all) > 0 && all[0] == "summary" {
			all = append(all, "--data-dir", dir)
		} else {
			all = append([]string{"--data-dir", dir}, all...)
		}
		start := time.Now()
		if code := events.Run(ctx, all, io.Discard, os.Stderr); code != 0 {
			return fmt.Errorf("events %q exited %d", all, code)
		}
		ds = append(ds, time.Since(start))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
	fmt.Printf("| %s | %d | %s | %s | %s | %s |\n", label, n, ms(ds[0]), ms(ds[len(ds)/2]), ms(ds[len(ds)*95/100]), ms(ds[len(ds)-1]))
	return nil
}

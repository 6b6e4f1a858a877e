package events

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/otelcol-trace/otelcol-trace/exporter/localstoreexporter/store"
)

// summaryJSON is the NDJSON shape of one summary row.
type summaryJSON struct {
	ContainerID string `json:"container_id"`
	Process     string `json:"process"`
	EventName   string `json:"event_name"`
	Count       int64  `json:"count"`
	Bytes       int64  `json:"bytes"`
	Resolution  string `json:"resolution"`
	From        string `json:"from"`
	To          string `json:"to"`
}

func runSummary(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var c commonFlags
	fs := newFlagSet("events summary", stderr)
	c.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "otelcol-trace events summary: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	now := time.Now()
	f := store.SummaryFilter{Containers: c.containers, ProcessNames: c.names, EventNames: c.sources}
	var err error
	if f.Since, f.Until, err = c.timeRange(now); err != nil {
		fmt.Fprintln(stderr, "otelcol-trace events summary:", err)
		return exitUsage
	}
	color, err := colorMode(c.color, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "otelcol-trace events summary:", err)
		return exitUsage
	}
	r, err := c.openStore(ctx)
	if err != nil {
		fmt.Fprintln(stderr, explain(err))
		return exitError
	}
	defer r.Close()
	sum, err := r.Summary(ctx, f)
	if err != nil {
		fmt.Fprintln(stderr, explain(err))
		return exitError
	}
	w := bufio.NewWriter(stdout)
	from, to := "", ""
	if !sum.From.IsZero() {
		from, to = sum.From.UTC().Format(time.RFC3339), sum.To.UTC().Format(time.RFC3339)
	}
	if c.jsonOut {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, row := range sum.Rows {
			if err := enc.Encode(summaryJSON{
				ContainerID: row.ContainerID, Process: row.ProcessName, EventName: row.EventName,
				Count: row.Count, Bytes: row.Bytes, Resolution: sum.Resolution, From: from, To: to,
			}); err != nil {
				fmt.Fprintln(stderr, "otelcol-trace events summary: encode:", err)
				return exitError
			}
		}
	} else {
		printSummaryTable(w, sum, color)
		if len(sum.Rows) == 0 {
			fmt.Fprintln(stderr, "no events in the roll-ups for this selection")
		} else {
			fmt.Fprintf(stderr, "from the per-%s roll-ups, %s to %s\n", sum.Resolution,
				sum.From.Local().Format("2006-01-02 15:04"), sum.To.Local().Format("2006-01-02 15:04"))
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(stderr, "otelcol-trace events summary: write output:", err)
		return exitError
	}
	return exitOK
}

func printSummaryTable(w io.Writer, sum store.Summary, color bool) {
	tp := &tablePrinter{color: color}
	cw, pw, ew := len("CONTAINER"), len("PROCESS"), len("EVENT")
	nw, bw := len("COUNT"), len("BYTES")
	var totalN, totalB int64
	for _, r := range sum.Rows {
		totalN += r.Count
		totalB += r.Bytes
		cw = max(cw, min(len(containerLabel(r.ContainerID)), 12))
		pw = max(pw, min(len(r.ProcessName), 16))
		ew = max(ew, min(len(r.EventName), 24))
		nw = max(nw, len(strconv.FormatInt(r.Count, 10)))
		bw = max(bw, len(strconv.FormatInt(r.Bytes, 10)))
	}
	nw = max(nw, len(strconv.FormatInt(totalN, 10)))
	bw = max(bw, len(strconv.FormatInt(totalB, 10)))
	fmt.Fprintln(w, tp.paint(fmt.Sprintf("%s  %s  %s  %*s  %*s", pad("CONTAINER", cw), pad("PROCESS", pw), pad("EVENT", ew), nw, "COUNT", bw, "BYTES"), ansiBold))
	prevC, prevP := "\x00", "\x00"
	for _, r := range sum.Rows {
		c, p := containerLabel(r.ContainerID), r.ProcessName
		if p == "" {
			p = "-"
		}
		// Repeat the container and process only when they change.
		cs, ps := c, p
		if c == prevC {
			cs = ""
			if p == prevP {
				ps = ""
			}
		}
		prevC, prevP = c, p
		fmt.Fprintf(w, "%s  %s  %s  %*d  %*d\n", pad(cs, cw), pad(ps, pw),
			tp.paint(pad(r.EventName, ew), eventColor(&store.Record{EventName: r.EventName})), nw, r.Count, bw, r.Bytes)
	}
	if len(sum.Rows) > 0 {
		fmt.Fprintf(w, "%s  %s  %s  %*d  %*d\n", pad("TOTAL", cw), pad("", pw), pad("", ew), nw, totalN, bw, totalB)
	}
}

func containerLabel(id string) string {
	if id == "" {
		return "(host)"
	}
	return id[:min(12, len(id))]
}

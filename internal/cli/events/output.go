package events

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/otelcol-trace/otelcol-trace/exporter/localstoreexporter/store"
)

// recordPrinter prints records in one format.
type recordPrinter interface {
	print(recs []store.Record) error
	flush() error
}

// colorMode decides whether to colour: "auto" colours only a terminal, and
// never when $NO_COLOR is set (https://no-color.org) or TERM=dumb.
func colorMode(mode string, w io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto", "":
		if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
			return false, nil
		}
		f, ok := w.(*os.File)
		return ok && term.IsTerminal(int(f.Fd())), nil
	}
	return false, fmt.Errorf("--color %q: want auto, always or never", mode)
}

// jsonRecord is the NDJSON shape of one record; see the README.
type jsonRecord struct {
	Time          string          `json:"time"`
	ObservedTime  string          `json:"observed_time,omitempty"`
	EndTime       string          `json:"end_time,omitempty"`
	Duration      *float64        `json:"duration,omitempty"`
	Kind          string          `json:"kind"`
	EventName     string          `json:"event_name"`
	Name          string          `json:"name,omitempty"`
	SeverityText  string          `json:"severity_text,omitempty"`
	Severity      int32           `json:"severity_number,omitempty"`
	PID           int64           `json:"pid,omitempty"`
	Process       string          `json:"process,omitempty"`
	ContainerID   string          `json:"container_id,omitempty"`
	ContainerName string          `json:"container_name,omitempty"`
	Service       string          `json:"service,omitempty"`
	Source        string          `json:"source,omitempty"`
	Bytes         int64           `json:"bytes,omitempty"`
	TraceID       string          `json:"trace_id,omitempty"`
	SpanID        string          `json:"span_id,omitempty"`
	ParentSpanID  string          `json:"parent_span_id,omitempty"`
	BodyType      string          `json:"body_type,omitempty"`
	Body          json.RawMessage `json:"body,omitempty"`
	Attributes    json.RawMessage `json:"attributes"`
	Resource      json.RawMessage `json:"resource"`
	Meta          json.RawMessage `json:"meta,omitempty"`
}

func formatTime(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}

func toJSONRecord(r *store.Record) jsonRecord {
	j := jsonRecord{
		Time: formatTime(r.TimeUnixNano), ObservedTime: formatTime(r.ObservedUnixNano), EndTime: formatTime(r.EndUnixNano),
		Kind: r.Kind, EventName: r.EventName, Name: r.Name, SeverityText: r.SeverityText, Severity: r.SeverityNumber,
		PID: r.PID, Process: r.ProcessName, ContainerID: r.ContainerID, ContainerName: r.ContainerName,
		Service: r.ServiceName, Source: r.Source, Bytes: r.Bytes, TraceID: r.TraceID, SpanID: r.SpanID,
		ParentSpanID: r.ParentSpanID, BodyType: r.BodyType,
		Attributes: json.RawMessage(r.Attributes), Resource: json.RawMessage(r.Resource),
	}
	if r.EndUnixNano != 0 {
		d := float64(r.EndUnixNano-r.TimeUnixNano) / 1e9
		j.Duration = &d
	}
	if r.Body != "" {
		j.Body = json.RawMessage(r.Body)
	}
	if r.Extra != "" {
		j.Meta = json.RawMessage(r.Extra)
	}
	return j
}

type jsonPrinter struct {
	w   *bufio.Writer
	enc *json.Encoder
}

func newJSONPrinter(w io.Writer) *jsonPrinter {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &jsonPrinter{w: bw, enc: enc}
}

func (p *jsonPrinter) print(recs []store.Record) error {
	for i := range recs {
		if err := p.enc.Encode(toJSONRecord(&recs[i])); err != nil {
			return fmt.Errorf("encode event %d: %w", recs[i].ID, err)
		}
	}
	return nil
}

func (p *jsonPrinter) flush() error { return p.w.Flush() }

// tablePrinter prints an aligned table. Column widths are fixed by the
// first rows printed, so --follow output stays aligned; when streaming
// (--follow, --all) the first rows say little about the later ones, so the
// EVENT and PROCESS columns get their full widths from the start.
type tablePrinter struct {
	w         *bufio.Writer
	color     bool
	stream    bool
	header    bool
	eventW    int
	processW  int
	pidW      int
	container bool
}

// Widest EVENT and PROCESS cells; longer values are cut with "…". A Linux
// process name (comm) has at most 15 characters.
const (
	maxEventW   = 24
	maxProcessW = 16
)

// newTablePrinter returns a table printer; stream gives the EVENT and PROCESS
// columns their full widths instead of the widths of the first rows.
func newTablePrinter(w io.Writer, color, stream bool) *tablePrinter {
	return &tablePrinter{w: bufio.NewWriter(w), color: color, stream: stream}
}

const (
	ansiReset  = "\x1b[0m"
	ansiDim    = "\x1b[2m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiMag    = "\x1b[35m"
	ansiCyan   = "\x1b[36m"
)

func eventColor(r *store.Record) string {
	if r.SeverityNumber >= 13 {
		return ansiRed
	}
	switch {
	case strings.HasPrefix(r.EventName, "process."):
		return ansiGreen
	case strings.HasPrefix(r.EventName, "fs."):
		return ansiCyan
	case strings.HasPrefix(r.EventName, "net."):
		return ansiMag
	case strings.HasPrefix(r.EventName, "http."):
		return ansiBlue
	case r.Kind == store.KindSpan:
		return ansiYellow
	}
	return ""
}

func (p *tablePrinter) paint(s, code string) string {
	if !p.color || code == "" {
		return s
	}
	return code + s + ansiReset
}

// pad cuts s to w runes (marking the cut with …) and pads it to w.
func pad(s string, w int) string {
	n := utf8.RuneCountInString(s)
	if n > w {
		r := []rune(s)
		return string(r[:w-1]) + "…"
	}
	return s + strings.Repeat(" ", w-n)
}

func (p *tablePrinter) print(recs []store.Record) error {
	if len(recs) == 0 {
		return nil
	}
	if !p.header {
		p.eventW, p.processW, p.pidW = len("EVENT"), len("PROCESS"), len("PID")
		for i := range recs {
			p.eventW = max(p.eventW, min(utf8.RuneCountInString(recs[i].EventName), maxEventW))
			p.processW = max(p.processW, min(utf8.RuneCountInString(recs[i].ProcessName), maxProcessW))
			p.pidW = max(p.pidW, len(strconv.FormatInt(recs[i].PID, 10)))
			p.container = p.container || recs[i].ContainerID != "" || recs[i].ContainerName != ""
		}
		p.pidW = max(p.pidW, 7)
		p.eventW = max(p.eventW, 13)
		if p.stream {
			p.eventW, p.processW = maxEventW, maxProcessW
		}
		hdr := pad("TIME", 23) + "  " + pad("EVENT", p.eventW) + "  " + fmt.Sprintf("%*s", p.pidW, "PID") + "  " + pad("PROCESS", p.processW) + "  "
		if p.container {
			hdr += pad("CONTAINER", 12) + "  "
		}
		hdr += "DETAILS"
		fmt.Fprintln(p.w, p.paint(hdr, ansiBold))
		p.header = true
	}
	for i := range recs {
		r := &recs[i]
		ts := time.Unix(0, r.TimeUnixNano).Local().Format("2006-01-02 15:04:05.000")
		pid := ""
		if r.PID != 0 {
			pid = strconv.FormatInt(r.PID, 10)
		}
		line := p.paint(ts, ansiDim) + "  " + p.paint(pad(r.EventName, p.eventW), eventColor(r)) + "  " +
			fmt.Sprintf("%*s", p.pidW, pid) + "  " + pad(r.ProcessName, p.processW) + "  "
		if p.container {
			c := r.ContainerName
			if c == "" && r.ContainerID != "" {
				c = r.ContainerID[:min(12, len(r.ContainerID))]
			}
			if c == "" {
				c = "-"
			}
			line += pad(c, 12) + "  "
		}
		line += sanitize(details(r))
		if _, err := fmt.Fprintln(p.w, line); err != nil {
			return err
		}
	}
	return nil
}

func (p *tablePrinter) flush() error { return p.w.Flush() }

// sanitize keeps a table cell on one line and free of terminal escapes.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return '.'
		}
		return r
	}, s)
}

// decodeObject parses a JSON object, keeping numbers exact.
func decodeObject(s string) map[string]any {
	if s == "" || s == "{}" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil
	}
	return m
}

// valueText renders a decoded JSON value as text.
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = valueText(e)
		}
		return strings.Join(parts, " ")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// bodyText is the body as text: strings as they are, bytes decoded and shown
// with non-printable bytes as dots, anything else as JSON.
func bodyText(r *store.Record) string {
	if r.Body == "" {
		return ""
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return r.Body
	}
	if s, ok := v.(string); ok && r.BodyType == "Bytes" {
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return s
		}
		return string(bytes.Map(func(r rune) rune {
			if r < 0x20 || r >= 0x7f {
				return '.'
			}
			return r
		}, raw))
	}
	return valueText(v)
}

// details is the DETAILS column: the attributes that say most about the
// event, by EventName.
func details(r *store.Record) string {
	a := decodeObject(r.Attributes)
	get := func(k string) string { return valueText(a[k]) }
	var parts []string
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	kv := func(label, k string) {
		if v := get(k); v != "" {
			parts = append(parts, label+"="+v)
		}
	}
	addr := func(hostKey, portKey string) string {
		h, p := get(hostKey), get(portKey)
		if h == "" {
			return p
		}
		if p == "" {
			return h
		}
		if strings.Contains(h, ":") {
			h = "[" + h + "]"
		}
		return h + ":" + p
	}
	switch r.EventName {
	case "process.exec":
		if args := get("process.command_args"); args != "" {
			add(args)
		} else {
			add(get("process.executable.path"))
		}
		kv("ppid", "process.parent_pid")
	case "process.fork":
		kv("ppid", "process.parent_pid")
	case "process.exit":
		kv("code", "process.exit.code")
		kv("signal", "process.exit.signal")
	case "fs.open":
		add(get("file.path"))
		add(get("fs.open.flags"))
		kv("fd", "fs.fd")
	case "fs.close":
		add(get("file.path"))
		kv("read", "fs.read.bytes")
		kv("written", "fs.write.bytes")
	case "fs.delete":
		add(get("file.path"))
	case "fs.rename":
		if t := get("file.rename.target"); t != "" {
			add(get("file.path") + " -> " + t)
		} else {
			add(get("file.path"))
		}
	case "net.connect", "net.accept", "net.close":
		add(get("network.transport"))
		if l := addr("network.local.address", "network.local.port"); l != "" {
			add(l)
		}
		add("-> " + addr("network.peer.address", "network.peer.port"))
		kv("sent", "net.sent.bytes")
		kv("received", "net.received.bytes")
	case "net.payload":
		add(get("network.io.direction"))
		add(get("payload.source"))
		kv("len", "payload.length")
		kv("conn", "connection.id")
	case "http.exchange":
		add(get("http.request.method"))
		if u := get("url.full"); u != "" {
			add(u)
		} else {
			add(get("url.path"))
		}
		if s := get("http.response.status_code"); s != "" {
			add("-> " + s)
		}
		kv("duration", "http.exchange.duration")
	case "syscall":
		add(get("syscall.name"))
		kv("ret", "syscall.return")
	case store.EventNameSpan:
		add(r.Name)
		if r.EndUnixNano != 0 {
			add(time.Duration(r.EndUnixNano - r.TimeUnixNano).String())
		}
		if m := decodeObject(r.Extra); m != nil && valueText(m["status.code"]) == "Error" {
			add("status=Error")
		}
	case store.EventNameMetric:
		add(r.Name + " = " + bodyText(r))
	default:
		if b := bodyText(r); b != "" {
			add(b)
		} else {
			keys := make([]string, 0, len(a))
			for k := range a {
				if k != "process.pid" && k != "process.executable.name" && k != "thread.id" && k != "process.user.id" && k != "linux.cgroup.id" && k != "error.type" {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			for _, k := range keys[:min(len(keys), 6)] {
				kv(k, k)
			}
		}
	}
	if r.EventName != "process.exit" {
		kv("error", "error.type")
	}
	return strings.Join(parts, " ")
}

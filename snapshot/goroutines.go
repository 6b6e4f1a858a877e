package snapshot

import (
	"bufio"
	"bytes"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

// isGoroutineState reports whether status is one of the runtime's status
// strings that are a state rather than a wait reason.
func isGoroutineState(status string) bool {
	switch status {
	case "idle", "runnable", "running", "syscall", "waiting", "dead", "copystack", "preempted":
		return true
	}
	return false
}

// dumpStacks runs runtime.Stack(all) into a buffer large enough for all
// goroutines (up to maxBytes). It returns the dump, whether it was cut, and
// the duration of the final, complete stop-the-world dump.
func dumpStacks(maxBytes int) ([]byte, bool, time.Duration) {
	size := runtime.NumGoroutine()*2048 + 64<<10
	if size > maxBytes {
		size = maxBytes
	}
	for {
		buf := make([]byte, size)
		start := time.Now()
		n := runtime.Stack(buf, true)
		pause := time.Since(start)
		if n < len(buf) {
			return buf[:n], false, pause
		}
		if size >= maxBytes {
			return buf[:n], true, pause
		}
		size *= 2
		if size > maxBytes {
			size = maxBytes
		}
	}
}

var labelRE = regexp.MustCompile(`"((?:[^"\\]|\\.)*)": ?"((?:[^"\\]|\\.)*)"`)

// parseStacks parses the text of runtime.Stack(buf, true) (the format of
// runtime/traceback.go, including the labels GODEBUG=tracebacklabels=1 adds).
// It reports whether any header carried labels. The strings it returns share
// the dump's memory.
func parseStacks(dump []byte) ([]Goroutine, bool) {
	var (
		out       []Goroutine
		cur       *Goroutine
		sawLabels bool
		pendingFn string
		creator   bool
	)
	text := string(dump)
	for len(text) > 0 {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		if line == "" {
			continue
		}
		if id, inner, ok := parseHeaderLine(line); ok {
			out = append(out, Goroutine{ID: id})
			cur = &out[len(out)-1]
			if parseHeader(cur, inner) {
				sawLabels = true
			}
			pendingFn, creator = "", false
			continue
		}
		if cur == nil {
			continue
		}
		if line[0] == '\t' {
			if pendingFn == "" {
				continue
			}
			file, lineNo := parseFileLine(line)
			f := Frame{Function: pendingFn, File: file, Line: lineNo}
			if creator {
				cur.CreatedBy = &f
			} else {
				cur.Frames = append(cur.Frames, f)
			}
			pendingFn, creator = "", false
			continue
		}
		if strings.HasPrefix(line, "...") {
			cur.FramesElided = true
			continue
		}
		if rest, ok := strings.CutPrefix(line, "created by "); ok {
			fn, gid, found := strings.Cut(rest, " in goroutine ")
			pendingFn, creator = fn, true
			if found {
				cur.CreatorID, _ = strconv.ParseInt(gid, 10, 64)
			}
			continue
		}
		pendingFn, creator = trimArgs(line), false
	}
	return out, sawLabels
}

// parseHeaderLine parses "goroutine 7 [chan receive, 3 minutes]:" (with
// optional "gp=… m=…" fields) into the id and the bracketed part.
func parseHeaderLine(line string) (int64, string, bool) {
	rest, ok := strings.CutPrefix(line, "goroutine ")
	if !ok || !strings.HasSuffix(rest, "]:") {
		return 0, "", false
	}
	idStr, rest, ok := strings.Cut(rest, " ")
	if !ok {
		return 0, "", false
	}
	id, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil {
		return 0, "", false
	}
	i := strings.IndexByte(rest, '[')
	if i < 0 {
		return 0, "", false
	}
	return id, rest[i+1 : len(rest)-2], true
}

// parseHeader fills state, wait reason, wait minutes, thread lock and labels
// from the bracketed part of a goroutine header.
func parseHeader(g *Goroutine, inner string) bool {
	hasLabels := false
	if i := strings.Index(inner, " labels:{"); i >= 0 {
		g.Labels = parseLabels(inner[i:])
		hasLabels = len(g.Labels) > 0
		inner = strings.TrimSuffix(inner[:i], ",")
	}
	parts := strings.Split(inner, ", ")
	status := parts[0]
	leaked := strings.Contains(status, " (leaked)")
	for _, suffix := range []string{" (scan)", " (leaked)"} {
		status = strings.ReplaceAll(status, suffix, "")
	}
	switch {
	case leaked:
		g.State, g.WaitReason = "leaked", strings.TrimSpace(status)
	case isGoroutineState(status):
		g.State = status
	default:
		g.State, g.WaitReason = "waiting", status
	}
	for _, p := range parts[1:] {
		switch {
		case strings.HasSuffix(p, " minutes"):
			g.WaitMinutes, _ = strconv.Atoi(strings.TrimSuffix(p, " minutes"))
		case p == "locked to thread":
			g.LockedToThread = true
		}
	}
	return hasLabels
}

func parseLabels(s string) map[string]string {
	ms := labelRE.FindAllStringSubmatch(s, -1)
	if len(ms) == 0 {
		return nil
	}
	out := make(map[string]string, len(ms))
	for _, m := range ms {
		k, err1 := strconv.Unquote(`"` + m[1] + `"`)
		v, err2 := strconv.Unquote(`"` + m[2] + `"`)
		if err1 != nil || err2 != nil {
			k, v = m[1], m[2]
		}
		out[k] = v
	}
	return out
}

// trimArgs turns "main.(*T).m(0xc000012345, ...)" into "main.(*T).m".
func trimArgs(line string) string {
	if strings.HasSuffix(line, ")") {
		if i := strings.LastIndexByte(line, '('); i > 0 {
			return line[:i]
		}
	}
	return line
}

// parseFileLine parses "\t/path/file.go:123 +0x1d".
func parseFileLine(line string) (string, int) {
	line = strings.TrimPrefix(line, "\t")
	if i := strings.LastIndex(line, " +0x"); i >= 0 {
		line = line[:i]
	}
	i := strings.LastIndexByte(line, ':')
	if i < 0 {
		return line, 0
	}
	n, err := strconv.Atoi(line[i+1:])
	if err != nil {
		return line, 0
	}
	return line[:i], n
}

// labelGroup is one record of the goroutine profile: a stack, its labels
// and how many goroutines share both.
type labelGroup struct {
	labels map[string]string
	count  int
}

// matchFrames is how many leading frames identify a stack when matching the
// goroutine profile against the dump.
const matchFrames = 16

// attachProfileLabels gives goroutines the pprof labels of the goroutine
// profile (debug=1), matched by stack. The profile groups goroutines by
// stack and label set, without ids, so goroutines with identical stacks and
// different label sets get them in profile order.
func attachProfileLabels(gs []Goroutine) error {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		return err
	}
	groups := parseProfileGroups(buf.Bytes())
	for i := range gs {
		key := stackKey(gs[i].Frames)
		list := groups[key]
		for len(list) > 0 && list[0].count <= 0 {
			list = list[1:]
		}
		if len(list) == 0 {
			continue
		}
		if list[0].labels != nil {
			gs[i].Labels = list[0].labels
		}
		list[0].count--
		groups[key] = list
	}
	return nil
}

func stackKey(frames []Frame) string {
	var b strings.Builder
	n := 0
	for _, f := range frames {
		if n == matchFrames {
			break
		}
		if hiddenRuntimeFrame(f.Function) {
			continue
		}
		b.WriteString(f.Function)
		b.WriteByte(' ')
		b.WriteString(f.File)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(f.Line))
		b.WriteByte('\n')
		n++
	}
	return b.String()
}

// hiddenRuntimeFrame reports whether a traceback hides the frame (unexported
// runtime functions), while the profile lists it.
func hiddenRuntimeFrame(fn string) bool {
	rest, ok := strings.CutPrefix(fn, "runtime.")
	if !ok || rest == "" {
		return false
	}
	c := rest[0]
	return c < 'A' || c > 'Z'
}

var profileFrameRE = regexp.MustCompile(`^#\t0x[0-9a-f]+\t(\S+?)(?:\+0x[0-9a-f]+)?\t+(.+):(\d+)$`)

// parseProfileGroups parses the goroutine profile's debug=1 text:
//
//	3 @ 0x... 0x...
//	# labels: {"k":"v"}
//	#	0x47a2e5	main.worker+0x25	/src/main.go:42
func parseProfileGroups(text []byte) map[string][]*labelGroup {
	out := map[string][]*labelGroup{}
	var (
		cur    *labelGroup
		frames []Frame
	)
	flush := func() {
		if cur != nil {
			k := stackKey(frames)
			out[k] = append(out[k], cur)
		}
		cur, frames = nil, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, "# labels: "):
			if cur != nil {
				cur.labels = parseLabels(line)
			}
		case strings.HasPrefix(line, "#\t"):
			if m := profileFrameRE.FindStringSubmatch(line); m != nil && cur != nil {
				n, _ := strconv.Atoi(m[3])
				frames = append(frames, Frame{Function: m[1], File: m[2], Line: n})
			}
		default:
			if i := strings.Index(line, " @ "); i > 0 {
				flush()
				n, err := strconv.Atoi(line[:i])
				if err == nil {
					cur = &labelGroup{count: n}
				}
			}
		}
	}
	flush()
	return out
}

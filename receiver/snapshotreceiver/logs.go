package snapshotreceiver

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-trace/otelcol-trace/snapshot"
)

// scopeName is the instrumentation scope of the records.
const scopeName = "github.com/otelcol-trace/otelcol-trace/receiver/snapshotreceiver"

// Event names, see docs/events.md "Snapshots".
const (
	eventGoroutine = "snapshot.goroutine"
	eventVariable  = "snapshot.variable"
	eventSummary   = "snapshot.summary"
)

// snapshotToLogs turns one snapshot into log records: a summary, one record
// per goroutine and one per variable, all sharing snapshot.id. The process
// identity comes from the authenticated connection (hello), not from the
// snapshot body.
func snapshotToLogs(hello snapshot.Hello, snap *snapshot.Snapshot, observed time.Time) plog.Logs {
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	res := rl.Resource().Attributes()
	res.PutStr("service.name", hello.Program)
	if hello.Environment != "" {
		res.PutStr("deployment.environment.name", hello.Environment)
	}
	res.PutInt("process.pid", int64(hello.PID))
	res.PutStr("host.name", hello.Host)
	res.PutStr("process.runtime.name", "go")
	res.PutStr("process.runtime.version", hello.GoVersion)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(scopeName)
	ts := pcommon.NewTimestampFromTime(snap.Time)
	obs := pcommon.NewTimestampFromTime(observed)
	newRecord := func(event string) plog.LogRecord {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetEventName(event)
		lr.SetTimestamp(ts)
		lr.SetObservedTimestamp(obs)
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
		lr.Attributes().PutStr("snapshot.id", snap.ID)
		return lr
	}

	sum := newRecord(eventSummary)
	a := sum.Attributes()
	a.PutDouble("snapshot.pause.duration", snap.PauseSeconds)
	a.PutDouble("snapshot.capture.duration", snap.CaptureSeconds)
	a.PutInt("snapshot.goroutine.count", int64(len(snap.Goroutines)))
	a.PutInt("snapshot.variable.count", int64(len(snap.Variables)))
	a.PutBool("snapshot.goroutines.truncated", snap.GoroutinesTruncated)
	a.PutBool("snapshot.labels.exact", snap.LabelsExact)
	rt := snap.Runtime
	a.PutInt("go.goroutine.count", int64(rt.GoroutineCount))
	a.PutInt("go.processor.limit", int64(rt.GOMAXPROCS))
	a.PutInt("go.cpu.count", int64(rt.NumCPU))
	a.PutInt("go.memory.used", int64(rt.TotalBytes))
	a.PutInt("go.memory.heap", int64(rt.HeapBytes))
	a.PutInt("go.memory.stack", int64(rt.StackBytes))
	a.PutInt("go.memory.allocated", int64(rt.AllocatedBytes))
	a.PutInt("go.memory.gc.goal", int64(rt.HeapGoalBytes))
	a.PutInt("go.memory.limit", rt.MemoryLimit)
	a.PutInt("go.config.gogc", rt.GOGC)
	a.PutInt("go.gc.cycles", int64(rt.GCCycles))
	a.PutStr("go.os", rt.GOOS)
	a.PutStr("go.arch", rt.GOARCH)
	if b := snap.Build; b != nil {
		putNonEmpty(a, "go.build.path", b.Path)
		putNonEmpty(a, "go.build.main.module", b.MainModule)
		putNonEmpty(a, "go.build.main.version", b.MainVersion)
		putNonEmpty(a, "vcs.ref.head.revision", b.VCSRevision)
		if b.VCSModified {
			a.PutBool("go.build.vcs.modified", true)
		}
	}
	if len(snap.Errors) > 0 {
		s := a.PutEmptySlice("snapshot.errors")
		for _, e := range snap.Errors {
			s.AppendEmpty().SetStr(e)
		}
		sum.SetSeverityNumber(plog.SeverityNumberWarn)
		sum.SetSeverityText("WARN")
	}
	sum.Body().SetStr(fmt.Sprintf("snapshot %s of %s (pid %d): %d goroutines, %d variables, pause %.3f ms",
		snap.ID, hello.Program, hello.PID, len(snap.Goroutines), len(snap.Variables), snap.PauseSeconds*1e3))

	for i := range snap.Goroutines {
		g := &snap.Goroutines[i]
		lr := newRecord(eventGoroutine)
		ga := lr.Attributes()
		ga.PutInt("goroutine.id", g.ID)
		ga.PutStr("goroutine.state", g.State)
		putNonEmpty(ga, "goroutine.wait_reason", g.WaitReason)
		if g.WaitMinutes > 0 {
			ga.PutDouble("goroutine.wait.duration", float64(g.WaitMinutes)*60)
		}
		if g.CreatedBy != nil {
			ga.PutStr("goroutine.created_by", frameString(*g.CreatedBy))
			if g.CreatorID != 0 {
				ga.PutInt("goroutine.creator.id", g.CreatorID)
			}
		}
		if g.LockedToThread {
			ga.PutBool("goroutine.locked_to_thread", true)
		}
		if g.FramesElided {
			ga.PutBool("goroutine.frames.elided", true)
		}
		if len(g.Frames) > 0 {
			top := g.Frames[0]
			ga.PutStr("code.function.name", top.Function)
			ga.PutStr("code.file.path", top.File)
			ga.PutInt("code.line.number", int64(top.Line))
		}
		keys := make([]string, 0, len(g.Labels))
		for k := range g.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ga.PutStr("goroutine.labels."+k, g.Labels[k])
		}
		body := lr.Body().SetEmptySlice()
		body.EnsureCapacity(len(g.Frames))
		for _, f := range g.Frames {
			body.AppendEmpty().SetStr(frameString(f))
		}
	}

	for i := range snap.Variables {
		v := &snap.Variables[i]
		lr := newRecord(eventVariable)
		va := lr.Attributes()
		va.PutStr("variable.name", v.Name)
		putNonEmpty(va, "variable.type", v.Type)
		va.PutStr("variable.source", v.Source)
		va.PutBool("variable.truncated", v.Truncated)
		if v.Error != "" {
			va.PutStr("variable.error", v.Error)
			lr.SetSeverityNumber(plog.SeverityNumberWarn)
			lr.SetSeverityText("WARN")
		}
		setValue(lr.Body(), v.Value, 0)
	}
	return logs
}

func putNonEmpty(m pcommon.Map, k, v string) {
	if v != "" {
		m.PutStr(k, v)
	}
}

func frameString(f snapshot.Frame) string {
	return f.Function + " " + f.File + ":" + strconv.Itoa(f.Line)
}

// maxValueDepth bounds the nesting of a variable's body (the library bounds
// it already; this guards against a hostile client).
const maxValueDepth = 16

// setValue stores a JSON-decoded value (numbers as json.Number) in v.
func setValue(v pcommon.Value, x any, depth int) {
	if depth > maxValueDepth {
		v.SetStr("<depth limit>")
		return
	}
	switch t := x.(type) {
	case nil:
	case bool:
		v.SetBool(t)
	case string:
		v.SetStr(t)
	case json.Number:
		if i, err := t.Int64(); err == nil {
			v.SetInt(i)
		} else if f, err := t.Float64(); err == nil {
			v.SetDouble(f)
		} else {
			v.SetStr(t.String())
		}
	case float64:
		v.SetDouble(t)
	case []any:
		s := v.SetEmptySlice()
		for _, e := range t {
			setValue(s.AppendEmpty(), e, depth+1)
		}
	case map[string]any:
		m := v.SetEmptyMap()
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			setValue(m.PutEmpty(k), t[k], depth+1)
		}
	default:
		v.SetStr(fmt.Sprint(t))
	}
}

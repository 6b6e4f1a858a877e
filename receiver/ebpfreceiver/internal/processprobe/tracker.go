package processprobe

import (
	"container/list"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
)

// Attribute names (docs/events.md).
const (
	attrPID            = "process.pid"
	attrParentPID      = "process.parent_pid"
	attrThreadID       = "thread.id"
	attrExeName        = "process.executable.name"
	attrExePath        = "process.executable.path"
	attrArgs           = "process.command_args"
	attrArgsTruncated  = "process.command_args.truncated"
	attrArgsSize       = "process.command_args.original_size"
	attrOwner          = "process.owner"
	attrUID            = "process.user.id"
	attrCreationTime   = "process.creation.time"
	attrExitCode       = "process.exit.code"
	attrExitSignal     = "process.exit.signal"
	attrExitTime       = "process.exit.time"
	attrCgroupID       = "linux.cgroup.id"
	attrNsPID          = "linux.namespace.pid"
	attrNsMnt          = "linux.namespace.mnt"
	attrNsNet          = "linux.namespace.net"
	attrNsUTS          = "linux.namespace.uts"
	attrServiceName    = "service.name"
	attrEndedBySutdown = "process.span.ended_by_shutdown"

	shutdownDescription = "process still running at shutdown"
	userCacheSize       = 1024
)

// procState is what the tracker knows about one running process.
type procState struct {
	pid, ppid uint32
	traceID   pcommon.TraceID
	spanID    pcommon.SpanID
	parent    pcommon.SpanID
	start     time.Time
	execd     bool
	// seeded: read from /proc at start (running before the receiver).
	seeded bool
	// active: the receiver saw the process or one of its descendants do
	// something (exec, fork); implies every ancestor in its trace is
	// active too. A seeded process's span is ended at shutdown only when
	// active.
	active   bool
	name     string
	path     string
	args     []string
	uid      uint32
	owner    string
	cgroupID uint64
	elem     *list.Element
}

// tracker turns decoded events into records and keeps the bounded process
// table that process spans are built from. It is used by one goroutine at a
// time (the ring reader, then Close).
type tracker struct {
	cfg   Config
	clock probe.Clock
	sink  probe.Sink
	now   func() time.Time

	mu    sync.Mutex
	procs map[uint32]*procState
	lru   *list.List // front = most recently seen
	users map[uint32]string
}

func newTracker(cfg Config, clock probe.Clock, sink probe.Sink) *tracker {
	return &tracker{
		cfg: cfg, clock: clock, sink: sink, now: time.Now,
		procs: map[uint32]*procState{},
		lru:   list.New(),
		users: map[uint32]string{},
	}
}

// handle decodes and processes one raw record.
func (t *tracker) handle(raw []byte) error {
	h, err := bpfheaders.ParseHeader(raw)
	if err != nil {
		return err
	}
	switch h.Type {
	case eventExec:
		e, err := decodeExec(raw, h, t.cfg.MaxArgs, t.cfg.MaxArgsBytes)
		if err != nil {
			return err
		}
		t.onExec(e)
	case eventFork:
		e, err := decodeFork(raw, h)
		if err != nil {
			return err
		}
		t.onFork(e)
	case eventExit:
		e, err := decodeExit(raw, h)
		if err != nil {
			return err
		}
		t.onExit(e)
	default:
		return errUnknownType(h.Type)
	}
	return nil
}

type errUnknownType uint32

func (e errUnknownType) Error() string {
	return "unknown process event type " + strconv.FormatUint(uint64(e), 10)
}

func (t *tracker) owner(uid uint32) string {
	if name, ok := t.users[uid]; ok {
		return name
	}
	name := ""
	if u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
		name = u.Username
	}
	if len(t.users) >= userCacheSize {
		clear(t.users)
	}
	t.users[uid] = name
	return name
}

func putCommon(attrs pcommon.Map, h bpfheaders.Header) {
	attrs.PutInt(attrPID, int64(h.PID))
	attrs.PutInt(attrThreadID, int64(h.TID))
	attrs.PutStr(attrExeName, h.Comm)
	attrs.PutInt(attrUID, int64(h.UID))
	attrs.PutInt(attrCgroupID, int64(h.CgroupID))
}

func (t *tracker) onExec(e execEvent) {
	path := e.filename
	if !filepath.IsAbs(path) || e.flags&execFlagFilenameTruncated != 0 {
		// A relative (or cut) path as passed to execve: the kernel's
		// view is /proc/<pid>/exe while the process lives.
		if p, err := os.Readlink("/proc/" + strconv.FormatUint(uint64(e.hdr.PID), 10) + "/exe"); err == nil {
			path = p
		}
	}
	name := filepath.Base(path)
	owner := t.owner(e.hdr.UID)
	ts := t.clock.Wall(e.hdr.Ktime)
	created := t.clock.Wall(e.startTime)
	t.sink.EmitLog(func(lr plog.LogRecord) {
		lr.SetEventName("process.exec")
		lr.Body().SetStr("exec " + strings.Join(e.args, " "))
		lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(t.now()))
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
		a := lr.Attributes()
		putCommon(a, e.hdr)
		a.PutStr(attrExeName, name)
		a.PutInt(attrParentPID, int64(e.hdr.PPID))
		a.PutStr(attrExePath, path)
		s := a.PutEmptySlice(attrArgs)
		s.EnsureCapacity(len(e.args))
		for _, arg := range e.args {
			s.AppendEmpty().SetStr(arg)
		}
		if e.argsCut {
			a.PutBool(attrArgsTruncated, true)
			a.PutInt(attrArgsSize, int64(e.argsSize))
		}
		if owner != "" {
			a.PutStr(attrOwner, owner)
		}
		a.PutStr(attrCreationTime, created.UTC().Format(time.RFC3339Nano))
		a.PutInt(attrNsPID, int64(e.nsPID))
		a.PutInt(attrNsMnt, int64(e.nsMnt))
		a.PutInt(attrNsNet, int64(e.nsNet))
		a.PutInt(attrNsUTS, int64(e.nsUTS))
	})
	if !t.cfg.Spans {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.procs[e.hdr.PID]
	if p == nil {
		p = t.add(e.hdr.PID, e.hdr.PPID, ts)
	}
	if !p.execd {
		p.start = ts
		p.execd = true
	}
	t.markActive(p)
	p.name, p.path, p.args = name, path, e.args
	p.uid, p.owner, p.cgroupID = e.hdr.UID, owner, e.hdr.CgroupID
}

func (t *tracker) onFork(e forkEvent) {
	ts := t.clock.Wall(e.hdr.Ktime)
	t.sink.EmitLog(func(lr plog.LogRecord) {
		lr.SetEventName("process.fork")
		lr.Body().SetStr("fork " + strconv.FormatUint(uint64(e.hdr.PPID), 10) + " -> " + strconv.FormatUint(uint64(e.hdr.PID), 10))
		lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(t.now()))
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
		a := lr.Attributes()
		putCommon(a, e.hdr)
		a.PutInt(attrParentPID, int64(e.hdr.PPID))
	})
	if !t.cfg.Spans {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	start := t.clock.Wall(e.startTime)
	if old := t.procs[e.hdr.PID]; old != nil {
		if old.seeded && sameSeedStart(old.start, start) {
			// Forked between attaching and seeding: the seeded entry is
			// this process (its children may already refer to it).
			return
		}
		// The pid was reused without us seeing its exit: forget it.
		t.remove(old)
	}
	p := t.add(e.hdr.PID, e.hdr.PPID, start)
	if parent := t.procs[e.hdr.PPID]; parent != nil {
		p.path, p.args, p.owner = parent.path, parent.args, parent.owner
	}
	p.name, p.uid, p.cgroupID = e.hdr.Comm, e.hdr.UID, e.hdr.CgroupID
}

func (t *tracker) onExit(e exitEvent) {
	ts := t.clock.Wall(e.hdr.Ktime)
	code, sig := e.code()
	t.sink.EmitLog(func(lr plog.LogRecord) {
		lr.SetEventName("process.exit")
		lr.Body().SetStr("exit " + e.hdr.Comm + " code " + strconv.Itoa(int(code)))
		lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(t.now()))
		if code != 0 {
			lr.SetSeverityNumber(plog.SeverityNumberWarn)
			lr.SetSeverityText("WARN")
		} else {
			lr.SetSeverityNumber(plog.SeverityNumberInfo)
			lr.SetSeverityText("INFO")
		}
		a := lr.Attributes()
		putCommon(a, e.hdr)
		a.PutInt(attrParentPID, int64(e.hdr.PPID))
		a.PutInt(attrExitCode, int64(code))
		if sig != 0 {
			a.PutInt(attrExitSignal, int64(sig))
		}
		a.PutStr(attrExitTime, ts.UTC().Format(time.RFC3339Nano))
	})
	if !t.cfg.Spans {
		return
	}
	t.mu.Lock()
	p := t.procs[e.hdr.PID]
	if p == nil {
		// Started before we ran (or evicted): a span from its start.
		p = t.add(e.hdr.PID, e.hdr.PPID, t.clock.Wall(e.startTime))
		p.name, p.uid, p.cgroupID = e.hdr.Comm, e.hdr.UID, e.hdr.CgroupID
		p.owner = t.owner(e.hdr.UID)
	}
	t.remove(p)
	t.mu.Unlock()
	t.emitSpan(p, ts, code, sig, false)
}

// add creates the state of pid (caller holds mu), child of ppid's span when
// ppid is known, evicting the least recently seen process when full.
func (t *tracker) add(pid, ppid uint32, start time.Time) *procState {
	for len(t.procs) >= t.cfg.MaxTrackedProcesses {
		oldest := t.lru.Back()
		if oldest == nil {
			break
		}
		t.remove(oldest.Value.(*procState))
		t.sink.Lost(probeName, "evicted", 1)
	}
	p := &procState{pid: pid, ppid: ppid, start: start}
	if parent := t.procs[ppid]; parent != nil {
		p.traceID = parent.traceID
		p.parent = parent.spanID
		t.lru.MoveToFront(parent.elem)
		t.markActive(parent)
	} else {
		p.traceID = newTraceID()
	}
	p.spanID = newSpanID()
	p.elem = t.lru.PushFront(p)
	t.procs[pid] = p
	return p
}

// sameSeedStart reports whether a kernel start time (ns) is the start time
// /proc gave at seeding, which is rounded down to 10 ms ticks.
func sameSeedStart(seeded, kernel time.Time) bool {
	d := kernel.Sub(seeded)
	return d > -time.Millisecond && d < time.Second/userHZ+time.Millisecond
}

// markActive marks p and its ancestors in its trace active (caller holds
// mu); it stops at the first already active one, whose ancestors are.
func (t *tracker) markActive(p *procState) {
	for p != nil && !p.active {
		p.active = true
		if p.parent.IsEmpty() {
			return
		}
		next := t.procs[p.ppid]
		if next == nil || next.spanID != p.parent {
			return // the parent exited, or its pid was reused
		}
		p = next
	}
}

func (t *tracker) remove(p *procState) {
	t.lru.Remove(p.elem)
	delete(t.procs, p.pid)
}

func (t *tracker) emitSpan(p *procState, end time.Time, code, sig int, byShutdown bool) {
	name := p.name
	if name == "" {
		name = "pid " + strconv.FormatUint(uint64(p.pid), 10)
	}
	t.sink.EmitSpan(func(res pcommon.Resource, sp ptrace.Span) {
		r := res.Attributes()
		r.PutStr(attrServiceName, name)
		r.PutInt(attrPID, int64(p.pid))
		r.PutInt(attrParentPID, int64(p.ppid))
		r.PutStr(attrExeName, name)
		if p.path != "" {
			r.PutStr(attrExePath, p.path)
		}
		if p.args != nil {
			s := r.PutEmptySlice(attrArgs)
			for _, a := range p.args {
				s.AppendEmpty().SetStr(a)
			}
		}
		if p.owner != "" {
			r.PutStr(attrOwner, p.owner)
		}
		r.PutInt(attrUID, int64(p.uid))
		r.PutInt(attrCgroupID, int64(p.cgroupID))

		sp.SetName(name)
		sp.SetKind(ptrace.SpanKindInternal)
		sp.SetTraceID(p.traceID)
		sp.SetSpanID(p.spanID)
		sp.SetParentSpanID(p.parent)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(p.start))
		if end.Before(p.start) {
			end = p.start
		}
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(end))
		if byShutdown {
			sp.Attributes().PutBool(attrEndedBySutdown, true)
			sp.Status().SetCode(ptrace.StatusCodeUnset)
			sp.Status().SetMessage(shutdownDescription)
			return
		}
		sp.Attributes().PutInt(attrExitCode, int64(code))
		if sig != 0 {
			sp.Attributes().PutInt(attrExitSignal, int64(sig))
		}
		if code != 0 {
			sp.Status().SetCode(ptrace.StatusCodeError)
			sp.Status().SetMessage("exit code " + strconv.Itoa(code))
		}
	})
}

// shutdown ends the span of every process still running, except the
// seeded ones (running before the receiver) that stayed idle: neither they
// nor a descendant did anything the receiver saw.
func (t *tracker) shutdown() {
	if !t.cfg.Spans {
		return
	}
	t.mu.Lock()
	procs := make([]*procState, 0, len(t.procs))
	for e := t.lru.Back(); e != nil; e = e.Prev() {
		if p := e.Value.(*procState); !p.seeded || p.active {
			procs = append(procs, p)
		}
	}
	t.procs = map[uint32]*procState{}
	t.lru.Init()
	t.mu.Unlock()
	now := t.now()
	for _, p := range procs {
		t.emitSpan(p, now, 0, 0, true)
	}
}

func newTraceID() pcommon.TraceID {
	var id pcommon.TraceID
	binary.LittleEndian.PutUint64(id[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(id[8:], rand.Uint64()|1)
	return id
}

func newSpanID() pcommon.SpanID {
	var id pcommon.SpanID
	binary.LittleEndian.PutUint64(id[:], rand.Uint64()|1)
	return id
}

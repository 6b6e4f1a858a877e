//go:build linux && amd64

package logcapture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/fileprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probeload"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/ringreader"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/syscallprobe"
)

// Name is the probe's name in the receiver's config and in the loss metrics.
const Name = "logcapture"

// rejectedTTL is how long the decision on a non-log file is kept for the
// writes that were already in the ring when it was made.
const rejectedTTL = 10 * time.Second

// scannedIDBit marks the file ids that the /proc scan assigns (kernel ids
// are bpf_ktime_get_ns values, far below it).
const scannedIDBit = uint64(1) << 63

type fileKey struct {
	pid uint32
	id  uint64
}

type consoleKey struct {
	pid    uint32
	stream uint32
}

// logFile is what user space knows of one opened file (shared by its dups).
type logFile struct {
	path, name string
	match      bool
	rejectedAt time.Time // when a non-matching file was unmarked
	refs       int
	hdr        bpfheaders.Header // the last writer, for an idle flush
	buf        lineBuffer
	nextSeq    map[int32]uint64 // per fd: the write number expected next
}

type consoleStream struct {
	hdr bpfheaders.Header
	buf lineBuffer
}

// captureProbe is the logcapture probe (see logcapture.c).
type captureProbe struct {
	cfg     Config
	matcher *pathMatcher

	mu      sync.Mutex
	env     probe.Env
	objs    *logcaptureObjects
	links   []link.Link
	reader  *ringreader.Reader
	files   map[fileKey]*logFile
	console map[consoleKey]*consoleStream
	nextID  uint64
	stop    chan struct{}
	done    chan struct{}
}

// New returns the logcapture probe for cfg (checked by Start).
func New(cfg Config) probe.Probe {
	return &captureProbe{cfg: cfg, files: map[fileKey]*logFile{}, console: map[consoleKey]*consoleStream{}}
}

func (p *captureProbe) Name() string { return Name }

func (p *captureProbe) Start(_ context.Context, env probe.Env) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.objs != nil {
		return errors.New("logcapture probe: already started")
	}
	if err := p.cfg.Validate(); err != nil {
		return fmt.Errorf("logcapture probe config: %w", err)
	}
	m, err := newPathMatcher(&p.cfg)
	if err != nil {
		return fmt.Errorf("logcapture probe config: %w", err)
	}
	p.matcher = m
	if env.Logger == nil {
		env.Logger = zap.NewNop()
	}
	p.env = env
	spec, err := loadLogcapture()
	if err != nil {
		return fmt.Errorf("logcapture probe: load BPF spec: %w", err)
	}
	vars := map[string]uint32{"max_capture_bytes": uint32(p.cfg.MaxBytesPerWrite)}
	for _, s := range p.cfg.Console.Streams {
		vars["capture_"+s] = 1
	}
	for name, v := range vars {
		if err := spec.Variables[name].Set(v); err != nil {
			return fmt.Errorf("logcapture probe: set %s: %w", name, err)
		}
	}
	ncpu, err := ebpf.PossibleCPU()
	if err != nil {
		return fmt.Errorf("logcapture probe: count CPUs: %w", err)
	}
	spec.Maps["log_scratch"].MaxEntries = uint32(ncpu)
	if err := probeload.SetRingSize(spec, "log_events", p.cfg.RingBufferSize, env.RingBufferSize); err != nil {
		return fmt.Errorf("logcapture probe: %w", err)
	}
	spec.Maps["log_fds"].MaxEntries = uint32(p.cfg.MaxTrackedFDs)
	objs := &logcaptureObjects{}
	if err := spec.LoadAndAssign(objs, &ebpf.CollectionOptions{MapReplacements: probeload.SharedMaps(spec, env.SharedMaps)}); err != nil {
		return fmt.Errorf("logcapture probe: load BPF objects: %w", err)
	}
	p.objs = objs
	if p.cfg.ScanExisting {
		p.scanExisting()
	}
	p.links, err = probeload.AttachRawTracepoints(objs.LogSysEnter, objs.LogSysExit)
	if err != nil {
		p.closeLocked()
		return fmt.Errorf("logcapture probe: %w", err)
	}
	rd, err := ringreader.Start(objs.LogEvents, ringreader.Options{
		Probe: Name, PollInterval: env.PollInterval, Sink: env.Sink, Logger: env.Logger,
	}, p.handle)
	if err != nil {
		p.closeLocked()
		return fmt.Errorf("logcapture probe: %w", err)
	}
	p.reader = rd
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	go p.flushLoop(p.stop, p.done)
	return nil
}

// scanExisting marks the matching files that processes already have open
// for writing, so that their writes are captured without an open event.
func (p *captureProbe) scanExisting() {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		p.env.Logger.Warn("logcapture: cannot scan /proc for open log files", zap.Error(err))
		return
	}
	for _, e := range entries {
		pid, err := strconv.ParseUint(e.Name(), 10, 32)
		if err != nil || int(pid) == p.env.SelfPID {
			continue
		}
		dir := "/proc/" + e.Name() + "/fd"
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, f := range fds {
			target, err := os.Readlink(dir + "/" + f.Name())
			if err != nil || !path.IsAbs(target) || !p.matcher.match(target) {
				continue
			}
			fd, err := strconv.ParseInt(f.Name(), 10, 32)
			if err != nil || !openForWriting("/proc/"+e.Name()+"/fdinfo/"+f.Name()) {
				continue
			}
			p.nextID++
			id := scannedIDBit | p.nextID
			// The struct file is not known from here: with File 0 the
			// kernel adopts the fd's file on the first write.
			key := logcaptureLogFdKey{Tgid: uint32(pid), Fd: int32(fd)}
			if err := p.objs.LogFds.Update(key, logcaptureLogFd{FileId: id}, ebpf.UpdateAny); err != nil {
				p.env.Sink.Lost(Name, "map_full", 1)
				continue
			}
			p.files[fileKey{uint32(pid), id}] = &logFile{path: target, name: path.Base(target), match: true, refs: 1,
				nextSeq: map[int32]uint64{int32(fd): 0}}
		}
	}
}

// openForWriting reads the flags line of /proc/<pid>/fdinfo/<fd>.
func openForWriting(fdinfo string) bool {
	raw, err := os.ReadFile(fdinfo)
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(l, "flags:"); ok {
			flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			return err == nil && fileprobe.OpenForWriting(uint32(flags))
		}
	}
	return false
}

// handle runs on the reader goroutine.
func (p *captureProbe) handle(raw []byte) error {
	h, err := bpfheaders.ParseHeader(raw)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if h.Type == evWrite {
		e, err := decodeWriteEvent(h, raw)
		if err != nil {
			return err
		}
		p.onWrite(&e)
		return nil
	}
	switch h.Type {
	case evOpen, evDup, evClose:
	default:
		return fmt.Errorf("logcapture event: unknown type %d", h.Type)
	}
	e, err := decodeFdEvent(h, raw)
	if err != nil {
		return err
	}
	k := fileKey{pid: h.PID, id: e.fileID}
	switch h.Type {
	case evOpen:
		full := fileprobe.ResolvePath("/proc", h.PID, e.dfd, e.path)
		f := &logFile{path: full, name: path.Base(full), refs: 1, match: path.IsAbs(full) && p.matcher.match(full),
			nextSeq: map[int32]uint64{e.fd: 0}}
		p.files[k] = f
		if !f.match {
			// Writes already in the ring still find the decision; the
			// entry is forgotten a little later (flushLoop), since the
			// unmarked fd's close is never reported.
			f.rejectedAt = time.Now()
			p.unmark(h.PID, e.fd, e.fileID)
		}
	case evDup:
		if f := p.files[k]; f != nil {
			f.refs++
			if !f.match {
				p.unmark(h.PID, e.fd2, e.fileID)
			}
		}
	case evClose:
		if f := p.files[k]; f != nil {
			f.refs--
			if f.refs <= 0 {
				f.buf.flush(p.emitter(f.hdr, f, 0))
				delete(p.files, k)
			}
		}
	}
	return nil
}

// unmark removes (pid, fd) from the kernel's capture map if it still
// belongs to file id.
func (p *captureProbe) unmark(pid uint32, fd int32, id uint64) {
	key := logcaptureLogFdKey{Tgid: pid, Fd: fd}
	var cur logcaptureLogFd
	if err := p.objs.LogFds.Lookup(key, &cur); err == nil && cur.FileId == id {
		_ = p.objs.LogFds.Delete(key)
	}
}

func (p *captureProbe) onWrite(e *writeEvent) {
	now := time.Now()
	ts := p.env.Clock.Wall(e.hdr.Ktime)
	cut := uint64(len(e.data)) < e.length
	if e.iostream != 0 {
		k := consoleKey{pid: e.hdr.PID, stream: e.iostream}
		c := p.console[k]
		if c == nil {
			c = &consoleStream{}
			p.console[k] = c
		}
		c.hdr = e.hdr
		c.buf.feed(e.data, cut, ts, now, p.cfg.MaxLineBytes, p.emitter(e.hdr, nil, e.iostream))
		return
	}
	f := p.files[fileKey{pid: e.hdr.PID, id: e.fileID}]
	if f == nil {
		// Its open was not seen (it cannot be: the open is submitted
		// before the fd is marked); count it rather than guess a path.
		p.env.Sink.Lost(Name, "unknown_file", 1)
		return
	}
	if !f.match {
		return // not a log file: the fd was unmarked when its open was read
	}
	f.hdr = e.hdr
	if want, ok := f.nextSeq[e.fd]; ok && e.seq != want {
		// Writes of this fd were lost in the ring (counted there): the held
		// partial line and the start of this write do not belong together.
		f.buf.gap(p.emitter(e.hdr, f, 0))
	}
	f.nextSeq[e.fd] = e.seq + 1
	f.buf.feed(e.data, cut, ts, now, p.cfg.MaxLineBytes, p.emitter(e.hdr, f, 0))
}

// emitter returns the function that turns one line into a log record.
func (p *captureProbe) emitter(h bpfheaders.Header, f *logFile, stream uint32) emitFunc {
	return func(line []byte, ts time.Time, truncated bool) {
		if bytes.IndexByte(line, 0) >= 0 || !utf8.Valid(line) {
			p.env.Sink.Lost(Name, "binary", 1)
			return
		}
		body := string(line)
		observed := time.Now()
		p.env.Sink.EmitLog(func(lr plog.LogRecord) {
			lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
			lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
			lr.Body().SetStr(body)
			attrs := lr.Attributes()
			attrs.EnsureCapacity(8)
			if f != nil {
				attrs.PutStr("log.file.path", f.path)
				attrs.PutStr("log.file.name", f.name)
			} else if stream == 1 {
				attrs.PutStr("log.iostream", "stdout")
			} else {
				attrs.PutStr("log.iostream", "stderr")
			}
			syscallprobe.PutProcessAttrs(attrs, h)
			if truncated {
				attrs.PutBool("log.record.truncated", true)
			}
		})
	}
}

// flushLoop emits partial lines that waited FlushTimeout, and forgets the
// files of processes that exited without closing them.
func (p *captureProbe) flushLoop(stop, done chan struct{}) {
	defer close(done)
	tick := time.NewTicker(max(p.cfg.FlushTimeout/4, 10*time.Millisecond))
	defer tick.Stop()
	lastPurge := time.Now()
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			p.mu.Lock()
			for k, f := range p.files {
				if !f.match {
					if now.Sub(f.rejectedAt) > rejectedTTL {
						delete(p.files, k)
					}
					continue
				}
				if f.buf.idle(now, p.cfg.FlushTimeout) {
					f.buf.flush(p.emitter(f.hdr, f, 0))
				}
			}
			for k, c := range p.console {
				if c.buf.idle(now, p.cfg.FlushTimeout) {
					c.buf.flush(p.emitter(c.hdr, nil, k.stream))
				}
			}
			if now.Sub(lastPurge) > 10*time.Second {
				p.purgeExited()
				lastPurge = now
			}
			p.mu.Unlock()
		}
	}
}

func (p *captureProbe) purgeExited() {
	alive := map[uint32]bool{}
	isAlive := func(pid uint32) bool {
		a, ok := alive[pid]
		if !ok {
			_, err := os.Stat("/proc/" + strconv.FormatUint(uint64(pid), 10))
			a = err == nil
			alive[pid] = a
		}
		return a
	}
	for k, f := range p.files {
		if !isAlive(k.pid) {
			f.buf.flush(p.emitter(f.hdr, f, 0))
			delete(p.files, k)
		}
	}
	for k, c := range p.console {
		if !isAlive(k.pid) {
			c.buf.flush(p.emitter(c.hdr, nil, k.stream))
			delete(p.console, k)
		}
	}
}

func (p *captureProbe) Close() error {
	p.mu.Lock()
	stop, done := p.stop, p.done
	p.stop = nil
	p.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closeLocked()
}

func (p *captureProbe) closeLocked() error {
	var errs []error
	for _, l := range p.links {
		if err := l.Close(); err != nil {
			errs = append(errs, fmt.Errorf("logcapture probe: detach: %w", err))
		}
	}
	p.links = nil
	if p.reader != nil {
		r := p.reader
		p.reader = nil
		p.mu.Unlock() // the reader's handler takes mu
		r.Drain(time.Second)
		err := r.Close()
		p.mu.Lock()
		if err != nil {
			errs = append(errs, fmt.Errorf("logcapture probe: close reader: %w", err))
		}
	}
	// Held partial lines are emitted as they are.
	for _, f := range p.files {
		f.buf.flush(p.emitter(f.hdr, f, 0))
	}
	for k, c := range p.console {
		c.buf.flush(p.emitter(c.hdr, nil, k.stream))
	}
	if p.objs != nil {
		if err := p.objs.Close(); err != nil {
			errs = append(errs, fmt.Errorf("logcapture probe: close BPF objects: %w", err))
		}
		p.objs = nil
	}
	return errors.Join(errs...)
}

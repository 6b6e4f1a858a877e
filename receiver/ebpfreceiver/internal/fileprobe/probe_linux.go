//go:build linux && amd64

package fileprobe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probeload"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/ringreader"
)

// Name is the probe's name in the receiver's config and in the loss metrics.
const Name = "file"

type fdKey struct {
	pid uint32
	fd  int32
}

// fileProbe is the file probe (see file.c).
type fileProbe struct {
	cfg Config

	mu     sync.Mutex
	objs   *fileObjects
	links  []link.Link
	reader *ringreader.Reader
	env    probe.Env
	paths  map[fdKey]string // path of each fd seen open, for fs.close
	flags  flagNames

	// The record being emitted (reader goroutine only): handle sets it and
	// passes fill, bound once, to Sink.EmitLog, which calls it before it
	// returns; this saves two allocations per record.
	cur  pendingRecord
	fill func(plog.LogRecord)
}

// New returns the file probe for cfg (checked again by Start).
func New(cfg Config) probe.Probe {
	return newFileProbe(cfg)
}

func newFileProbe(cfg Config) *fileProbe {
	p := &fileProbe{cfg: cfg, paths: map[fdKey]string{}}
	p.fill = p.fillCurrent
	return p
}

// pendingRecord is what fillCurrent writes.
type pendingRecord struct {
	e                 fileEvent
	wall, now         time.Time
	p1, p2, closePath string
}

func (p *fileProbe) fillCurrent(lr plog.LogRecord) {
	c := &p.cur
	fillRecord(lr, &c.e, c.wall, c.now, c.p1, c.p2, c.closePath, &p.flags)
}

func (p *fileProbe) Name() string { return Name }

func boolU32(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

func (p *fileProbe) Start(_ context.Context, env probe.Env) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.objs != nil {
		return errors.New("file probe: already started")
	}
	if err := p.cfg.Validate(); err != nil {
		return fmt.Errorf("file probe config: %w", err)
	}
	if env.Logger == nil {
		env.Logger = zap.NewNop()
	}
	p.env = env
	spec, err := loadFile()
	if err != nil {
		return fmt.Errorf("file probe: load BPF spec: %w", err)
	}
	for name, v := range map[string]uint32{
		"want_open":   boolU32(p.cfg.wants(EventOpen)),
		"want_close":  boolU32(p.cfg.wants(EventClose)),
		"want_delete": boolU32(p.cfg.wants(EventDelete)),
		"want_rename": boolU32(p.cfg.wants(EventRename)),
		"want_failed": boolU32(p.cfg.IncludeFailed),
	} {
		if err := spec.Variables[name].Set(v); err != nil {
			return fmt.Errorf("file probe: set %s: %w", name, err)
		}
	}
	if err := probeload.SetRingSize(spec, "file_events", p.cfg.RingBufferSize, env.RingBufferSize); err != nil {
		return fmt.Errorf("file probe: %w", err)
	}
	spec.Maps["file_fds"].MaxEntries = uint32(p.cfg.MaxTrackedFDs)
	objs := &fileObjects{}
	if err := spec.LoadAndAssign(objs, &ebpf.CollectionOptions{MapReplacements: probeload.SharedMaps(spec, env.SharedMaps)}); err != nil {
		return fmt.Errorf("file probe: load BPF objects: %w", err)
	}
	p.objs = objs
	p.links, err = probeload.AttachRawTracepoints(objs.FileSysEnter, objs.FileSysExit)
	if err != nil {
		p.closeLocked()
		return fmt.Errorf("file probe: %w", err)
	}
	rd, err := ringreader.Start(objs.FileEvents, ringreader.Options{
		Probe: Name, PollInterval: env.PollInterval, Sink: env.Sink, Logger: env.Logger,
	}, p.handle)
	if err != nil {
		p.closeLocked()
		return fmt.Errorf("file probe: %w", err)
	}
	p.reader = rd
	return nil
}

// handle decodes one record and emits it; it runs on the reader goroutine.
func (p *fileProbe) handle(raw []byte) error {
	e, err := decodeEvent(raw)
	if err != nil {
		return err
	}
	p1 := kernelPath(e.path, e.dfd, e.pathTruncated)
	p2 := kernelPath(e.path2, e.dfd2, e.path2Truncated)
	if p.cfg.ResolveRelativePaths {
		p1 = ResolvePath("/proc", e.hdr.PID, e.dfd, p1)
		if e.hdr.Type == evRename {
			p2 = ResolvePath("/proc", e.hdr.PID, e.dfd2, p2)
		}
	}
	var closePath string
	k := fdKey{pid: e.hdr.PID, fd: e.fd}
	switch {
	case e.hdr.Type == evOpen && e.ret >= 0:
		if len(p.paths) >= p.cfg.MaxTrackedFDs {
			p.purgePaths()
		}
		p.paths[k] = p1
	case e.hdr.Type == evClose:
		closePath = p.paths[k]
		delete(p.paths, k)
	}
	if e.hdr.Type == evOpen && !p.cfg.wants(EventOpen) {
		return nil
	}
	p.cur = pendingRecord{e: e, wall: p.env.Clock.Wall(e.hdr.Ktime), now: time.Now(), p1: p1, p2: p2, closePath: closePath}
	p.env.Sink.EmitLog(p.fill)
	p.cur = pendingRecord{}
	return nil
}

// purgePaths forgets the fds of processes that are gone (they exited
// without closing: the kernel's LRU map evicts those entries on its own).
func (p *fileProbe) purgePaths() {
	alive := map[uint32]bool{}
	for k := range p.paths {
		a, ok := alive[k.pid]
		if !ok {
			_, err := os.Stat("/proc/" + strconv.FormatUint(uint64(k.pid), 10))
			a = err == nil
			alive[k.pid] = a
		}
		if !a {
			delete(p.paths, k)
		}
	}
	if len(p.paths) >= p.cfg.MaxTrackedFDs {
		clear(p.paths)
	}
}

func (p *fileProbe) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closeLocked()
}

func (p *fileProbe) closeLocked() error {
	err := probeload.Teardown("file probe", p.links, p.reader, p.objs)
	p.links, p.reader, p.objs = nil, nil, nil
	return err
}

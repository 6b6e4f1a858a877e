package fileprobe

import (
	"encoding/binary"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/syscallprobe"
)

// Event types of struct file_event (file.c FILE_EV_*).
const (
	evOpen   = 1
	evClose  = 2
	evDelete = 3
	evRename = 4
)

// Layout of struct file_event / file_rename_event (file.c); checked against
// the object's BTF by TestEventLayout.
const (
	offDuration   = 56
	offRet        = 64
	offReadBytes  = 72
	offWriteBytes = 80
	offOpenKtime  = 88
	offNr         = 96
	offFlags      = 100
	offMode       = 104
	offFd         = 108
	offDfd        = 112
	offDfd2       = 116
	offPathLen    = 120
	offPath2Len   = 122
	offPath       = 128
	pathMax       = 512
	closeSize     = offPath
	eventSize     = offPath + pathMax
	renameSize    = eventSize + pathMax
	atFDCWD       = -100
	// dfdResolved is file_event.dfd/dfd2 when the kernel made the path
	// absolute (file.c FILE_DFD_RESOLVED).
	dfdResolved = -200
)

// fileEvent is a decoded struct file_event.
type fileEvent struct {
	hdr            bpfheaders.Header
	duration       uint64
	ret            int64
	readBytes      uint64
	writeBytes     uint64
	openKtime      uint64
	nr             uint32
	flags          uint32
	mode           uint32
	fd             int32
	dfd, dfd2      int32
	path, path2    string
	pathTruncated  bool
	path2Truncated bool
}

// decodeEvent decodes one ring buffer record.
func decodeEvent(raw []byte) (fileEvent, error) {
	h, err := bpfheaders.ParseHeader(raw)
	if err != nil {
		return fileEvent{}, err
	}
	want := closeSize // fs.open/fs.delete: header + the path's bytes
	switch h.Type {
	case evRename:
		want = renameSize
	case evOpen, evDelete, evClose:
	default:
		return fileEvent{}, fmt.Errorf("file event: unknown type %d", h.Type)
	}
	if len(raw) < want {
		return fileEvent{}, fmt.Errorf("file event type %d: %d bytes, want %d", h.Type, len(raw), want)
	}
	le := binary.LittleEndian
	e := fileEvent{
		hdr:        h,
		duration:   le.Uint64(raw[offDuration:]),
		ret:        int64(le.Uint64(raw[offRet:])),
		readBytes:  le.Uint64(raw[offReadBytes:]),
		writeBytes: le.Uint64(raw[offWriteBytes:]),
		openKtime:  le.Uint64(raw[offOpenKtime:]),
		nr:         le.Uint32(raw[offNr:]),
		flags:      le.Uint32(raw[offFlags:]),
		mode:       le.Uint32(raw[offMode:]),
		fd:         int32(le.Uint32(raw[offFd:])),
		dfd:        int32(le.Uint32(raw[offDfd:])),
		dfd2:       int32(le.Uint32(raw[offDfd2:])),
	}
	if h.Type != evClose {
		n := int(le.Uint16(raw[offPathLen:]))
		if n > len(raw)-offPath {
			return fileEvent{}, fmt.Errorf("file event type %d: path of %d bytes in a %d-byte record", h.Type, n, len(raw))
		}
		e.path, e.pathTruncated = boundedString(raw[offPath:offPath+n], n, pathMax)
	}
	if h.Type == evRename {
		n := int(le.Uint16(raw[offPath2Len:]))
		e.path2, e.path2Truncated = boundedString(raw[eventSize:eventSize+pathMax], n, pathMax)
	}
	return e, nil
}

// boundedString returns the NUL-terminated string of n bytes (incl. the NUL)
// in b, and whether the kernel had to cut it (it filled all max bytes).
func boundedString(b []byte, n, max int) (string, bool) {
	if n <= 0 {
		return "", false
	}
	if n > len(b) {
		n = len(b)
	}
	return bpfheaders.CString(b[:n]), n >= max
}

// ResolvePath makes p absolute against the task's cwd (dfd == AT_FDCWD) or
// the directory dfd refers to, using /proc. It returns p unchanged when it
// is absolute or when /proc no longer knows the task.
func ResolvePath(procRoot string, pid uint32, dfd int32, p string) string {
	if p == "" || path.IsAbs(p) {
		return p
	}
	var link string
	if dfd == atFDCWD {
		link = procRoot + "/" + strconv.FormatUint(uint64(pid), 10) + "/cwd"
	} else {
		link = procRoot + "/" + strconv.FormatUint(uint64(pid), 10) + "/fd/" + strconv.FormatInt(int64(dfd), 10)
	}
	dir, err := os.Readlink(link)
	if err != nil || !path.IsAbs(dir) {
		return p
	}
	return path.Join(dir, p)
}

// kernelPath cleans a path the kernel made absolute by joining a directory
// and a relative path ("./x", "../y"); other paths are returned unchanged, and
// so is a cut path (its last element is incomplete).
func kernelPath(p string, dfd int32, truncated bool) string {
	if dfd != dfdResolved || truncated || !path.IsAbs(p) {
		return p
	}
	return path.Clean(p)
}

// splitPath returns the directory and the base name of a clean absolute or
// relative path without allocating.
func splitPath(p string) (dir, name string) {
	i := strings.LastIndexByte(p, '/')
	switch {
	case i < 0:
		return ".", p
	case i == 0:
		return "/", p[1:]
	}
	return p[:i], p[i+1:]
}

// putFilePath puts file.path and the file.name and file.directory it splits
// into.
func putFilePath(attrs pcommon.Map, p string, truncated bool) {
	putPath(attrs, "file.path", p, truncated)
	dir, name := splitPath(p)
	attrs.PutStr("file.name", name)
	attrs.PutStr("file.directory", dir)
}

func putPath(attrs pcommon.Map, key, p string, truncated bool) {
	attrs.PutStr(key, p)
	if truncated {
		attrs.PutBool(key+".truncated", true)
	}
}

func seconds(ns uint64) float64 { return float64(ns) / 1e9 }

// fillRecord writes event e as a log record (docs/events.md, Files).
// path/path2 are the (resolved) paths; closePath is the path the fd was
// opened with, for fs.close.
func fillRecord(lr plog.LogRecord, e *fileEvent, wall time.Time, observed time.Time, path1, path2, closePath string, flags *flagNames) {
	lr.SetTimestamp(pcommon.NewTimestampFromTime(wall))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	attrs := lr.Attributes()
	attrs.EnsureCapacity(16)
	syscallprobe.PutProcessAttrs(attrs, e.hdr)
	failed := e.ret < 0
	syscallprobe.SetSeverity(lr, failed)
	switch e.hdr.Type {
	case evOpen:
		lr.SetEventName("fs.open")
		putFilePath(attrs, path1, e.pathTruncated)
		attrs.PutStr("fs.open.flags", flags.name(e.flags))
		attrs.PutInt("fs.open.mode", int64(e.mode))
		if !failed {
			attrs.PutInt("fs.fd", int64(e.fd))
		}
		attrs.PutDouble("fs.open.duration", seconds(e.duration))
	case evClose:
		lr.SetEventName("fs.close")
		attrs.PutInt("fs.fd", int64(e.fd))
		if closePath != "" {
			attrs.PutStr("file.path", closePath)
		}
		attrs.PutInt("fs.read.bytes", int64(e.readBytes))
		attrs.PutInt("fs.write.bytes", int64(e.writeBytes))
		attrs.PutStr("syscall.name", "close")
		return
	case evDelete:
		lr.SetEventName("fs.delete")
		putFilePath(attrs, path1, e.pathTruncated)
	case evRename:
		lr.SetEventName("fs.rename")
		putFilePath(attrs, path1, e.pathTruncated)
		putPath(attrs, "file.rename.target", path2, e.path2Truncated)
	}
	attrs.PutStr("syscall.name", syscallprobe.Name(e.nr))
	attrs.PutInt("syscall.return", e.ret)
	if failed {
		attrs.PutStr("error.type", syscallprobe.ErrnoName(e.ret))
	}
}

package syscallprobe

import (
	"encoding/binary"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
)

// Values of the sc_selected map (syscall.c SC_*).
const (
	selSelected = 1
	selPathArg0 = 2
	selPathArg1 = 3
)

// pathArg gives, for the syscalls whose argument 0 or 1 is a path, the
// sc_selected value that makes the kernel read that path.
var pathArg = map[string]uint8{
	"open": selPathArg0, "creat": selPathArg0, "openat": selPathArg1, "openat2": selPathArg1,
	"unlink": selPathArg0, "unlinkat": selPathArg1, "rmdir": selPathArg0, "mkdir": selPathArg0, "mkdirat": selPathArg1,
	"rename": selPathArg0, "renameat": selPathArg1, "renameat2": selPathArg1, "link": selPathArg0, "linkat": selPathArg1,
	"symlink": selPathArg0, "readlink": selPathArg0, "readlinkat": selPathArg1, "stat": selPathArg0, "lstat": selPathArg0,
	"newfstatat": selPathArg1, "statx": selPathArg1, "access": selPathArg0, "faccessat": selPathArg1, "faccessat2": selPathArg1,
	"chdir": selPathArg0, "chmod": selPathArg0, "fchmodat": selPathArg1, "chown": selPathArg0, "lchown": selPathArg0,
	"fchownat": selPathArg1, "truncate": selPathArg0, "execve": selPathArg0, "execveat": selPathArg1, "mknod": selPathArg0,
	"mknodat": selPathArg1, "utimensat": selPathArg1, "statfs": selPathArg0, "chroot": selPathArg0,
}

// fdArg0 lists syscalls whose argument 0 is a file descriptor.
var fdArg0 = map[string]bool{
	"read": true, "write": true, "close": true, "pread64": true, "pwrite64": true, "readv": true, "writev": true,
	"preadv": true, "pwritev": true, "preadv2": true, "pwritev2": true, "fstat": true, "lseek": true, "ioctl": true,
	"fsync": true, "fdatasync": true, "ftruncate": true, "getdents64": true, "fchmod": true, "fchown": true,
	"connect": true, "accept": true, "accept4": true, "bind": true, "listen": true, "sendto": true, "recvfrom": true,
	"sendmsg": true, "recvmsg": true, "shutdown": true, "getsockname": true, "getpeername": true, "setsockopt": true,
	"getsockopt": true, "fcntl": true, "dup": true, "dup2": true, "dup3": true, "flock": true, "fstatfs": true,
	"sendfile": true, "splice": true, "epoll_ctl": true,
}

// Layout of struct sc_event (syscall.c); checked by TestEventLayout.
const (
	offDuration = 56
	offRet      = 64
	offArgs     = 72
	offNr       = 120
	offPathLen  = 124
	offPath     = 128
	pathMax     = 256
)

type scEvent struct {
	hdr       bpfheaders.Header
	duration  uint64
	ret       int64
	args      [6]uint64
	nr        uint32
	path      string
	hasPath   bool
	truncated bool
}

func decodeEvent(raw []byte) (scEvent, error) {
	h, err := bpfheaders.ParseHeader(raw)
	if err != nil {
		return scEvent{}, err
	}
	if len(raw) < offPath {
		return scEvent{}, fmt.Errorf("syscall event: %d bytes, want at least %d", len(raw), offPath)
	}
	le := binary.LittleEndian
	e := scEvent{
		hdr:      h,
		duration: le.Uint64(raw[offDuration:]),
		ret:      int64(le.Uint64(raw[offRet:])),
		nr:       le.Uint32(raw[offNr:]),
	}
	for i := range e.args {
		e.args[i] = le.Uint64(raw[offArgs+8*i:])
	}
	if len(raw) >= offPath+pathMax {
		n := int(le.Uint16(raw[offPathLen:]))
		if n > pathMax {
			n = pathMax
		}
		e.hasPath = true
		if n > 0 {
			e.path = bpfheaders.CString(raw[offPath : offPath+n])
			e.truncated = n == pathMax
		}
	}
	return e, nil
}

func fillRecord(lr plog.LogRecord, e *scEvent, wall, observed time.Time) {
	lr.SetTimestamp(pcommon.NewTimestampFromTime(wall))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	lr.SetEventName("syscall")
	attrs := lr.Attributes()
	attrs.EnsureCapacity(14)
	PutProcessAttrs(attrs, e.hdr)
	failed := e.ret < 0 && e.ret > -4096
	SetSeverity(lr, failed)
	name := Name(e.nr)
	attrs.PutStr("syscall.name", name)
	attrs.PutInt("syscall.number", int64(e.nr))
	attrs.PutInt("syscall.return", e.ret)
	if failed {
		attrs.PutStr("error.type", ErrnoName(e.ret))
	}
	attrs.PutDouble("syscall.duration", float64(e.duration)/1e9)
	args := attrs.PutEmptySlice("syscall.args")
	args.EnsureCapacity(6)
	for _, a := range e.args {
		args.AppendEmpty().SetInt(int64(a))
	}
	if e.hasPath {
		attrs.PutStr("file.path", e.path)
		if e.truncated {
			attrs.PutBool("file.path.truncated", true)
		}
	}
	if fdArg0[name] {
		attrs.PutInt("fs.fd", int64(int32(e.args[0])))
	}
}

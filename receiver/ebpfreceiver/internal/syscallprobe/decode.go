package syscallprobe

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
)

// Values of the sc_selected map (syscall.c SC_*).
const (
	selSelected     = 1
	selPathArg0     = 2
	selPathArg1     = 3
	selSockaddrArg1 = 4
	selSockaddrArg4 = 5
)

// pathArgOf returns the sc_selected value for syscall name: whether the
// kernel reads argument 0 or 1 as a path.
func pathArgOf(name string) uint8 {
	switch name {
	case "open", "creat", "unlink", "rmdir", "mkdir", "rename", "link", "symlink", "readlink", "stat", "lstat", "access", "chdir", "chmod", "chown", "lchown", "truncate", "execve", "mknod", "statfs", "chroot":
		return selPathArg0
	case "openat", "openat2", "unlinkat", "mkdirat", "renameat", "renameat2", "linkat", "readlinkat", "newfstatat", "statx", "faccessat", "faccessat2", "fchmodat", "fchownat", "execveat", "mknodat", "utimensat":
		return selPathArg1
	}
	switch name {
	case "connect", "bind", "accept", "accept4", "getsockname", "getpeername":
		return selSockaddrArg1
	case "sendto", "recvfrom":
		return selSockaddrArg4
	}
	return selSelected
}

// sockaddrIsLocal reports whether syscall name's sockaddr is the local end.
func sockaddrIsLocal(name string) bool { return name == "bind" || name == "getsockname" }

// fdArg0 reports whether argument 0 of syscall name is a file descriptor.
func fdArg0(name string) bool {
	switch name {
	case "read", "write", "close", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev", "preadv2", "pwritev2", "fstat", "lseek", "ioctl", "fsync", "fdatasync", "ftruncate", "getdents64", "fchmod", "fchown", "connect", "accept", "accept4", "bind", "listen", "sendto", "recvfrom", "sendmsg", "recvmsg", "shutdown", "getsockname", "getpeername", "setsockopt", "getsockopt", "fcntl", "dup", "dup2", "dup3", "flock", "fstatfs", "sendfile", "splice", "epoll_ctl":
		return true
	}
	return false
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
	sockaddr  []byte // raw struct sockaddr, for the sockaddr syscalls
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
		if sel := pathArgOf(Name(e.nr)); sel == selSockaddrArg1 || sel == selSockaddrArg4 {
			e.sockaddr = append([]byte(nil), raw[offPath:offPath+n]...)
			return e, nil
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
	if fdArg0(name) {
		attrs.PutInt("fs.fd", int64(int32(e.args[0])))
	}
	if len(e.sockaddr) > 0 {
		putSockaddr(attrs, e.sockaddr, sockaddrIsLocal(name))
	}
}

// putSockaddr decodes a raw struct sockaddr (Linux layout) into the
// network.peer.* (or network.local.*) attributes.
func putSockaddr(attrs pcommon.Map, sa []byte, local bool) {
	prefix := "network.peer."
	if local {
		prefix = "network.local."
	}
	if len(sa) < 2 {
		return
	}
	switch binary.LittleEndian.Uint16(sa) {
	case 2: // AF_INET
		if len(sa) < 8 {
			return
		}
		attrs.PutStr("network.type", "ipv4")
		attrs.PutStr(prefix+"address", netip.AddrFrom4([4]byte(sa[4:8])).String())
		attrs.PutInt(prefix+"port", int64(binary.BigEndian.Uint16(sa[2:])))
	case 10: // AF_INET6
		if len(sa) < 24 {
			return
		}
		addr := netip.AddrFrom16([16]byte(sa[8:24])).Unmap()
		if addr.Is4() {
			attrs.PutStr("network.type", "ipv4")
		} else {
			attrs.PutStr("network.type", "ipv6")
		}
		attrs.PutStr(prefix+"address", addr.String())
		attrs.PutInt(prefix+"port", int64(binary.BigEndian.Uint16(sa[2:])))
	case 1: // AF_UNIX
		attrs.PutStr("network.transport", "unix")
		if p := bpfheaders.CString(sa[2:]); p != "" {
			attrs.PutStr(prefix+"address", p)
		}
	}
}

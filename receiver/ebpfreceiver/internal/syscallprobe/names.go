package syscallprobe

import (
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
)

// Name returns the x86_64 name of syscall nr, or "syscall_<nr>" when the
// number is unknown.
func Name(nr uint32) string {
	if int(nr) < len(x86_64Syscalls) && x86_64Syscalls[nr] != "" {
		return x86_64Syscalls[nr]
	}
	return "syscall_" + strconv.FormatUint(uint64(nr), 10)
}

// Number returns the x86_64 number of the syscall called name.
func Number(name string) (uint32, bool) {
	for nr, n := range x86_64Syscalls {
		if n == name && n != "" {
			return uint32(nr), true
		}
	}
	return 0, false
}

// ErrnoName returns the Linux errno name (e.g. "ENOENT") of a failed
// syscall's negative return value ret, or "errno_<n>" when unknown.
func ErrnoName(ret int64) string {
	if ret < 0 {
		ret = -ret
	}
	if n, ok := linuxErrnos[ret]; ok {
		return n
	}
	return "errno_" + strconv.FormatInt(ret, 10)
}

// PutProcessAttrs writes the common attributes of every eBPF record
// (docs/events.md, "Common attributes of every eBPF record") from h.
func PutProcessAttrs(attrs pcommon.Map, h bpfheaders.Header) {
	attrs.PutInt("process.pid", int64(h.PID))
	attrs.PutInt("thread.id", int64(h.TID))
	attrs.PutStr("process.executable.name", h.Comm)
	attrs.PutInt("process.user.id", int64(h.UID))
	attrs.PutInt("linux.cgroup.id", int64(h.CgroupID))
}

// SetSeverity sets INFO, or WARN when failed, on an event record.
func SetSeverity(lr plog.LogRecord, failed bool) {
	if failed {
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetSeverityText("WARN")
		return
	}
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	lr.SetSeverityText("INFO")
}

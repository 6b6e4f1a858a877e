package processprobe

import (
	"encoding/binary"
	"fmt"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
)

// Event types (process.c EVENT_*).
const (
	eventExec uint32 = 1
	eventFork uint32 = 2
	eventExit uint32 = 3
)

// Sizes and offsets of the C structs (checked against the object's BTF in
// events_test.go).
const (
	execEventSize   = 4456
	forkEventSize   = 64
	exitEventSize   = 72
	execFilenameOff = 104
	execFilenameLen = 256
	execArgsOff     = 360
	execArgsCap     = 4096

	execFlagArgsTruncated     = 1
	execFlagFilenameTruncated = 2
	execFlagArgsReadFailed    = 4
)

// execEvent is a decoded struct exec_event.
type execEvent struct {
	hdr          bpfheaders.Header
	startTime    uint64
	oldPID       uint32
	argsSize     uint64
	flags        uint32
	nsPID, nsMnt uint32
	nsNet, nsUTS uint32
	filename     string
	args         []string
	argsCut      bool
}

// forkEvent is a decoded struct fork_event.
type forkEvent struct {
	hdr       bpfheaders.Header
	startTime uint64
}

// exitEvent is a decoded struct exit_event.
type exitEvent struct {
	hdr       bpfheaders.Header
	startTime uint64
	exitCode  uint32
}

// code returns the exit status, or 128+signal when killed, and the signal.
func (e exitEvent) code() (code int, signal int) {
	if sig := int(e.exitCode & 0x7f); sig != 0 {
		return 128 + sig, sig
	}
	return int((e.exitCode >> 8) & 0xff), 0
}

var le = binary.LittleEndian

func decodeExec(raw []byte, h bpfheaders.Header, maxArgs, maxArgsBytes int) (execEvent, error) {
	if len(raw) < execEventSize {
		return execEvent{}, fmt.Errorf("exec event: %d bytes, want %d", len(raw), execEventSize)
	}
	e := execEvent{
		hdr:       h,
		startTime: le.Uint64(raw[56:]),
		oldPID:    le.Uint32(raw[64:]),
		argsSize:  le.Uint64(raw[72:]),
		flags:     le.Uint32(raw[84:]),
		nsPID:     le.Uint32(raw[88:]),
		nsMnt:     le.Uint32(raw[92:]),
		nsNet:     le.Uint32(raw[96:]),
		nsUTS:     le.Uint32(raw[100:]),
		filename:  bpfheaders.CString(raw[execFilenameOff : execFilenameOff+execFilenameLen]),
	}
	argsLen := int(le.Uint32(raw[68:]))
	if argsLen > execArgsCap {
		return execEvent{}, fmt.Errorf("exec event: args_len %d over %d", argsLen, execArgsCap)
	}
	e.argsCut = e.flags&(execFlagArgsTruncated|execFlagArgsReadFailed) != 0
	if argsLen > maxArgsBytes {
		argsLen = maxArgsBytes
		e.argsCut = true
	}
	args := raw[execArgsOff : execArgsOff+argsLen]
	// argv is NUL-separated and NUL-terminated; a cut leaves a partial
	// last argument, kept as is (the truncated flag says so).
	if n := len(args); n > 0 && args[n-1] == 0 {
		args = args[:n-1]
	}
	if len(args) > 0 || e.argsSize > 0 {
		e.args = make([]string, 0, 8)
		start := 0
		for i := 0; i <= len(args); i++ {
			if i == len(args) || args[i] == 0 {
				if len(e.args) == maxArgs {
					e.argsCut = true
					break
				}
				e.args = append(e.args, string(args[start:i]))
				start = i + 1
			}
		}
	}
	return e, nil
}

func decodeFork(raw []byte, h bpfheaders.Header) (forkEvent, error) {
	if len(raw) < forkEventSize {
		return forkEvent{}, fmt.Errorf("fork event: %d bytes, want %d", len(raw), forkEventSize)
	}
	return forkEvent{hdr: h, startTime: le.Uint64(raw[56:])}, nil
}

func decodeExit(raw []byte, h bpfheaders.Header) (exitEvent, error) {
	if len(raw) < exitEventSize {
		return exitEvent{}, fmt.Errorf("exit event: %d bytes, want %d", len(raw), exitEventSize)
	}
	return exitEvent{hdr: h, startTime: le.Uint64(raw[56:]), exitCode: le.Uint32(raw[64:])}, nil
}

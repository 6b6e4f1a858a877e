// Package bpfheaders holds the C headers every probe's BPF code includes
// (vmlinux.h, common.h) and their Go twin: the common event header, the
// probe ids and loss reasons of the loss counter map, and the shared filter
// and loss maps that the receiver creates once and hands to every probe.
package bpfheaders // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"

//go:generate go tool bpf2go -tags linux -target bpfel -type otr_event_header -type otr_filter_config shared shared.c -- -I. -Wall

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// HeaderSize is the size of struct otr_event_header.
const HeaderSize = 56

// Names of the shared maps declared in common.h.
const (
	MapFilterSettings = "otr_filter_settings"
	MapFilterPIDs     = "otr_filter_pids"
	MapFilterComms    = "otr_filter_comms"
	MapFilterUIDs     = "otr_filter_uids"
	MapFilterCgroups  = "otr_filter_cgroups"
	MapLossCounters   = "otr_loss_counters"
)

// Probe ids as in common.h (OTR_PROBE_*).
const (
	ProbeProcess    uint32 = 1
	ProbeFile       uint32 = 2
	ProbeNetwork    uint32 = 3
	ProbeSyscall    uint32 = 4
	ProbeLogcapture uint32 = 5
	ProbeTLS        uint32 = 6
	ProbeSocket     uint32 = 7
	probeMax        uint32 = 16
)

// Loss reasons as in common.h (OTR_LOSS_*).
const (
	LossRingbufFull uint32 = 0
	LossReadFailed  uint32 = 1
	LossMapFull     uint32 = 2
	LossOther       uint32 = 3
	lossReasons     uint32 = 8
)

// ProbeName returns the probe name (the `probe` metric attribute) of a probe
// id, or "probe_<id>".
func ProbeName(id uint32) string {
	switch id {
	case ProbeProcess:
		return "process"
	case ProbeFile:
		return "file"
	case ProbeNetwork:
		return "network"
	case ProbeSyscall:
		return "syscall"
	case ProbeLogcapture:
		return "logcapture"
	case ProbeTLS:
		return "tls"
	case ProbeSocket:
		return "socket"
	}
	return fmt.Sprintf("probe_%d", id)
}

// LossReasonName returns the `reason` metric attribute of a kernel loss
// reason.
func LossReasonName(reason uint32) string {
	switch reason {
	case LossRingbufFull:
		return "ringbuf_full"
	case LossReadFailed:
		return "read_failed"
	case LossMapFull:
		return "map_full"
	}
	return "other"
}

// Header is the decoded struct otr_event_header that starts every event.
type Header struct {
	Type     uint32
	PID      uint32
	Ktime    uint64
	TID      uint32
	PPID     uint32
	UID      uint32
	CgroupID uint64
	Comm     string
}

// ParseHeader decodes the header at the start of raw (little endian).
func ParseHeader(raw []byte) (Header, error) {
	if len(raw) < HeaderSize {
		return Header{}, fmt.Errorf("event header: %d bytes, want at least %d", len(raw), HeaderSize)
	}
	le := binary.LittleEndian
	return Header{
		Type:     le.Uint32(raw[0:]),
		PID:      le.Uint32(raw[4:]),
		Ktime:    le.Uint64(raw[8:]),
		TID:      le.Uint32(raw[16:]),
		PPID:     le.Uint32(raw[20:]),
		UID:      le.Uint32(raw[24:]),
		CgroupID: le.Uint64(raw[32:]),
		Comm:     CString(raw[40:56]),
	}, nil
}

// CString returns the bytes of b up to its first NUL as a string.
func CString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// Filter is the in-kernel filter of all probes (see common.h,
// otr_filter_pass).
type Filter struct {
	// SelfPID is the collector's own pid, always excluded.
	SelfPID uint32
	// PIDs and ExcludePIDs select processes; with FollowChildren their
	// descendants (existing at start and forked later) are selected too.
	PIDs, ExcludePIDs []uint32
	FollowChildren    bool
	// Comms match the task's comm (up to 15 bytes).
	Comms, ExcludeComms []string
	// UIDs match the real uid.
	UIDs, ExcludeUIDs []uint32
	// CgroupIDs match the cgroup v2 id.
	CgroupIDs, ExcludeCgroupIDs []uint64
	// WakeupBytes: a submit wakes the reader once the ring holds this many
	// bytes (0: never wake; the reader's poll timer drains the ring).
	WakeupBytes uint64
}

package logcapture

import (
	"encoding/binary"
	"fmt"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
)

// Event types (logcapture.c LOG_EV_*).
const (
	evOpen  = 1
	evWrite = 2
	evDup   = 3
	evClose = 4
)

// Layout of struct log_open_event and log_write_event (logcapture.c);
// checked against the object's BTF by TestEventLayout.
const (
	offFileID   = 56
	offFd       = 64
	offFd2      = 68
	offDfd      = 72
	offFlags    = 76
	offPathLen  = 80
	offPath     = 88
	pathMax     = 512
	fdEventSize = offPath

	offLength   = 64
	offCaptured = 72
	offWriteFd  = 76
	offIOStream = 80
	offSeq      = 88
	offData     = 96
)

// fdEvent is a decoded open, dup or close event.
type fdEvent struct {
	hdr       bpfheaders.Header
	fileID    uint64
	fd, fd2   int32
	dfd       int32
	flags     uint32
	path      string
	truncated bool
}

// writeEvent is a decoded write event; data aliases the record.
type writeEvent struct {
	hdr      bpfheaders.Header
	fileID   uint64
	length   uint64
	fd       int32
	iostream uint32
	seq      uint64
	data     []byte
}

func decodeFdEvent(h bpfheaders.Header, raw []byte) (fdEvent, error) {
	want := fdEventSize
	if h.Type == evOpen {
		want = offPath + pathMax
	}
	if len(raw) < want {
		return fdEvent{}, fmt.Errorf("logcapture event type %d: %d bytes, want %d", h.Type, len(raw), want)
	}
	le := binary.LittleEndian
	e := fdEvent{
		hdr:    h,
		fileID: le.Uint64(raw[offFileID:]),
		fd:     int32(le.Uint32(raw[offFd:])),
		fd2:    int32(le.Uint32(raw[offFd2:])),
		dfd:    int32(le.Uint32(raw[offDfd:])),
		flags:  le.Uint32(raw[offFlags:]),
	}
	if h.Type == evOpen {
		n := int(le.Uint16(raw[offPathLen:]))
		if n > pathMax {
			n = pathMax
		}
		if n > 0 {
			e.path = bpfheaders.CString(raw[offPath : offPath+n])
			e.truncated = n == pathMax
		}
	}
	return e, nil
}

func decodeWriteEvent(h bpfheaders.Header, raw []byte) (writeEvent, error) {
	if len(raw) < offData {
		return writeEvent{}, fmt.Errorf("logcapture write event: %d bytes, want at least %d", len(raw), offData)
	}
	le := binary.LittleEndian
	captured := int(le.Uint32(raw[offCaptured:]))
	if captured > len(raw)-offData {
		return writeEvent{}, fmt.Errorf("logcapture write event: %d bytes captured but %d present", captured, len(raw)-offData)
	}
	return writeEvent{
		hdr:      h,
		fileID:   le.Uint64(raw[offFileID:]),
		length:   le.Uint64(raw[offLength:]),
		fd:       int32(le.Uint32(raw[offWriteFd:])),
		iostream: le.Uint32(raw[offIOStream:]),
		seq:      le.Uint64(raw[offSeq:]),
		data:     raw[offData : offData+captured],
	}, nil
}

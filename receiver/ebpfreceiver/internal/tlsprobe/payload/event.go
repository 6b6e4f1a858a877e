// Package payload decodes the net.payload events that the tls and socket
// probes share (payload.h) and turns them into the log records that
// docs/events.md section "Payloads" describes.
package payload // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe/payload"

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
)

// Kinds of events in a payload probe's ring buffer (event_header.kind).
const (
	KindData uint32 = 1
	KindExec uint32 = 2
)

// Directions of a call.
const (
	DirTransmit uint8 = 1
	DirReceive  uint8 = 2
)

// Sources: which hook captured the bytes.
const (
	SourceOpenSSL uint8 = 1
	SourceGnuTLS  uint8 = 2
	SourceGoTLS   uint8 = 3
	SourceSocket  uint8 = 4
)

// Layout of struct payload_event in payload.h after the common header; a
// test checks these against the bpf2go struct generated from the object's
// BTF.
const (
	HeaderSize = bpfheaders.HeaderSize

	offConnPtr    = HeaderSize + 0
	offConnStart  = HeaderSize + 8
	offDuration   = HeaderSize + 16
	offSeq        = HeaderSize + 24
	offLength     = HeaderSize + 32
	offCookie     = HeaderSize + 40
	offOffset     = HeaderSize + 48
	offDataLen    = HeaderSize + 52
	offChunkIndex = HeaderSize + 56
	offChunkCount = HeaderSize + 58
	offDirection  = HeaderSize + 60
	offSource     = HeaderSize + 61
	offTruncated  = HeaderSize + 62
	offRole       = HeaderSize + 63
	offFd         = HeaderSize + 64
	offFamily     = HeaderSize + 68
	offSport      = HeaderSize + 70
	offDport      = HeaderSize + 72
	offSaddr      = HeaderSize + 76
	offDaddr      = HeaderSize + 92
	// DataOffset is the offset of data[] in struct payload_event.
	DataOffset = HeaderSize + 112
	// MaxChunkBytes is PAYLOAD_CHUNK_SIZE.
	MaxChunkBytes = 16384
	// MaxChunks is PAYLOAD_MAX_CHUNKS.
	MaxChunks = 64

	afInet     = 2
	afInet6    = 10
	roleClient = 1
	roleServer = 2
)

// FieldOffsets returns the field offsets of struct payload_event this
// package decodes, keyed by the bpf2go Go field name (for the layout test).
func FieldOffsets() map[string]uintptr {
	return map[string]uintptr{
		"ConnPtr": offConnPtr, "ConnStartNs": offConnStart, "DurationNs": offDuration, "Seq": offSeq,
		"Length": offLength, "Cookie": offCookie, "Offset": offOffset, "DataLen": offDataLen,
		"ChunkIndex": offChunkIndex, "ChunkCount": offChunkCount, "Direction": offDirection,
		"Source": offSource, "Truncated": offTruncated, "Role": offRole, "Fd": offFd,
		"Family": offFamily, "Sport": offSport, "Dport": offDport, "Saddr": offSaddr,
		"Daddr": offDaddr, "Data": DataOffset,
	}
}

// Event is one decoded net.payload record.
type Event struct {
	bpfheaders.Header
	ConnPtr     uint64
	ConnStartNs uint64
	DurationNs  uint64
	Seq         uint64
	Length      int64
	Cookie      uint64
	Offset      uint32
	ChunkIndex  uint16
	ChunkCount  uint16
	Direction   uint8
	Source      uint8
	Truncated   bool
	Role        uint8
	FD          int32
	Local       netip.AddrPort // invalid when the tuple is unknown
	Peer        netip.AddrPort
	Data        []byte // aliases the raw record
}

// Decode decodes a KindData event. Data aliases raw.
func Decode(raw []byte) (Event, error) {
	h, err := bpfheaders.ParseHeader(raw)
	if err != nil {
		return Event{}, err
	}
	if h.Type != KindData {
		return Event{}, fmt.Errorf("event type %d is not a payload", h.Type)
	}
	if len(raw) < DataOffset {
		return Event{}, fmt.Errorf("payload event of %d bytes is shorter than its %d-byte header", len(raw), DataOffset)
	}
	le := binary.LittleEndian
	dataLen := int(le.Uint32(raw[offDataLen:]))
	if dataLen > MaxChunkBytes || DataOffset+dataLen > len(raw) {
		return Event{}, fmt.Errorf("payload data_len %d exceeds the record (%d bytes)", dataLen, len(raw)-DataOffset)
	}
	ev := Event{
		Header:      h,
		ConnPtr:     le.Uint64(raw[offConnPtr:]),
		ConnStartNs: le.Uint64(raw[offConnStart:]),
		DurationNs:  le.Uint64(raw[offDuration:]),
		Seq:         le.Uint64(raw[offSeq:]),
		Length:      int64(le.Uint64(raw[offLength:])),
		Cookie:      le.Uint64(raw[offCookie:]),
		Offset:      le.Uint32(raw[offOffset:]),
		ChunkIndex:  le.Uint16(raw[offChunkIndex:]),
		ChunkCount:  le.Uint16(raw[offChunkCount:]),
		Direction:   raw[offDirection],
		Source:      raw[offSource],
		Truncated:   raw[offTruncated] != 0,
		Role:        raw[offRole],
		FD:          int32(le.Uint32(raw[offFd:])),
		Data:        raw[DataOffset : DataOffset+dataLen],
	}
	family := le.Uint16(raw[offFamily:])
	sport := le.Uint16(raw[offSport:])
	dport := le.Uint16(raw[offDport:])
	switch family {
	case afInet:
		ev.Local = netip.AddrPortFrom(netip.AddrFrom4([4]byte(raw[offSaddr:offSaddr+4])), sport)
		ev.Peer = netip.AddrPortFrom(netip.AddrFrom4([4]byte(raw[offDaddr:offDaddr+4])), dport)
	case afInet6:
		ev.Local = netip.AddrPortFrom(netip.AddrFrom16([16]byte(raw[offSaddr:offSaddr+16])).Unmap(), sport)
		ev.Peer = netip.AddrPortFrom(netip.AddrFrom16([16]byte(raw[offDaddr:offDaddr+16])).Unmap(), dport)
	}
	return ev, nil
}

// SourceName is the payload.source value of a source.
func SourceName(s uint8) string {
	switch s {
	case SourceOpenSSL:
		return "openssl"
	case SourceGnuTLS:
		return "gnutls"
	case SourceGoTLS:
		return "go_tls"
	case SourceSocket:
		return "socket"
	}
	return fmt.Sprintf("unknown_%d", s)
}

// ConnectionID is the connection.id of the event: the process, the source,
// the object (TLS pointer or socket fd) and the generation of the object's
// connection state (the kernel time it was created). Libraries reuse freed
// objects and processes reuse fds: the generation tells those connections
// apart.
func (e *Event) ConnectionID() string {
	if e.Source == SourceSocket {
		return fmt.Sprintf("%d:socket:%d:%d", e.PID, e.ConnPtr, e.ConnStartNs)
	}
	return fmt.Sprintf("%d:%s:0x%x:%d", e.PID, SourceName(e.Source), e.ConnPtr, e.ConnStartNs)
}

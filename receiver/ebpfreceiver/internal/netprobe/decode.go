package netprobe

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/syscallprobe"
)

// Event types (net.c NET_EV_*).
const (
	evConnect = 1
	evAccept  = 2
	evClose   = 3
)

// Layout of struct net_event (net.c); checked by TestEventLayout.
const (
	offDuration = 56
	offRet      = 64
	offSent     = 72
	offReceived = 80
	offOpen     = 88
	offFd       = 96
	offFamily   = 104
	offProtocol = 106
	offType     = 108
	offLport    = 110
	offRport    = 112
	offRole     = 114
	offLaddr    = 120
	offRaddr    = 136
	offUnixPath = 152
	unixPathMax = 112
	eventSize   = offUnixPath + unixPathMax

	afUnix      = 1
	afInet      = 2
	afInet6     = 10
	ipprotoTCP  = 6
	ipprotoUDP  = 17
	roleClient  = 1
	roleServer  = 2
	einprogress = -115
)

type netEvent struct {
	hdr            bpfheaders.Header
	duration       uint64
	ret            int64
	sent, received uint64
	openKtime      uint64
	fd             int32
	family         uint16
	protocol       uint16
	sockType       uint16
	lport, rport   uint16
	role           uint16
	laddr, raddr   [16]byte
	unixPath       string
}

func decodeEvent(raw []byte) (netEvent, error) {
	h, err := bpfheaders.ParseHeader(raw)
	if err != nil {
		return netEvent{}, err
	}
	if h.Type < evConnect || h.Type > evClose {
		return netEvent{}, fmt.Errorf("network event: unknown type %d", h.Type)
	}
	if len(raw) < eventSize {
		return netEvent{}, fmt.Errorf("network event: %d bytes, want %d", len(raw), eventSize)
	}
	le := binary.LittleEndian
	e := netEvent{
		hdr:       h,
		duration:  le.Uint64(raw[offDuration:]),
		ret:       int64(le.Uint64(raw[offRet:])),
		sent:      le.Uint64(raw[offSent:]),
		received:  le.Uint64(raw[offReceived:]),
		openKtime: le.Uint64(raw[offOpen:]),
		fd:        int32(le.Uint32(raw[offFd:])),
		family:    le.Uint16(raw[offFamily:]),
		protocol:  le.Uint16(raw[offProtocol:]),
		sockType:  le.Uint16(raw[offType:]),
		lport:     le.Uint16(raw[offLport:]),
		rport:     le.Uint16(raw[offRport:]),
		role:      le.Uint16(raw[offRole:]),
		unixPath:  bpfheaders.CString(raw[offUnixPath : offUnixPath+unixPathMax]),
	}
	copy(e.laddr[:], raw[offLaddr:offLaddr+16])
	copy(e.raddr[:], raw[offRaddr:offRaddr+16])
	return e, nil
}

func (e *netEvent) addr(b [16]byte) (netip.Addr, bool) {
	switch e.family {
	case afInet:
		return netip.AddrFrom4([4]byte(b[:4])), true
	case afInet6:
		return netip.AddrFrom16(b).Unmap(), true
	}
	return netip.Addr{}, false
}

// fillRecord writes e (docs/events.md, Network). unixPath is the peer path
// of a unix socket (for net.close: as seen at connect).
func fillRecord(lr plog.LogRecord, e *netEvent, wall, observed time.Time, unixPath string) {
	lr.SetTimestamp(pcommon.NewTimestampFromTime(wall))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	attrs := lr.Attributes()
	attrs.EnsureCapacity(20)
	syscallprobe.PutProcessAttrs(attrs, e.hdr)
	failed := e.ret < 0 && e.ret != einprogress
	syscallprobe.SetSeverity(lr, failed)
	switch e.hdr.Type {
	case evConnect:
		lr.SetEventName("net.connect")
	case evAccept:
		lr.SetEventName("net.accept")
	case evClose:
		lr.SetEventName("net.close")
	}
	attrs.PutInt("fs.fd", int64(e.fd))
	switch {
	case e.family == afUnix:
		attrs.PutStr("network.transport", "unix")
	case e.protocol == ipprotoTCP:
		attrs.PutStr("network.transport", "tcp")
	case e.protocol == ipprotoUDP:
		attrs.PutStr("network.transport", "udp")
	}
	// The peer is the server of a connect and the client of an accept.
	serverSide := e.role == roleServer
	peerAddrKey, peerPortKey := "server.address", "server.port"
	if serverSide {
		peerAddrKey, peerPortKey = "client.address", "client.port"
	}
	if e.family == afUnix {
		if unixPath != "" {
			attrs.PutStr("network.peer.address", unixPath)
			attrs.PutStr(peerAddrKey, unixPath)
		}
	} else if peer, ok := e.addr(e.raddr); ok {
		local, _ := e.addr(e.laddr)
		if peer.Is4() {
			attrs.PutStr("network.type", "ipv4")
		} else {
			attrs.PutStr("network.type", "ipv6")
		}
		peerAddr := peer.String()
		attrs.PutStr("network.peer.address", peerAddr)
		attrs.PutInt("network.peer.port", int64(e.rport))
		attrs.PutStr(peerAddrKey, peerAddr)
		attrs.PutInt(peerPortKey, int64(e.rport))
		localAddr := local.String()
		if e.lport != 0 || !local.IsUnspecified() {
			attrs.PutStr("network.local.address", localAddr)
			attrs.PutInt("network.local.port", int64(e.lport))
		}
		if serverSide {
			attrs.PutStr("server.address", localAddr)
			attrs.PutInt("server.port", int64(e.lport))
		}
	}
	switch e.hdr.Type {
	case evConnect:
		attrs.PutStr("syscall.name", "connect")
		attrs.PutInt("syscall.return", e.ret)
		if failed {
			attrs.PutStr("error.type", syscallprobe.ErrnoName(e.ret))
		}
		attrs.PutDouble("net.connect.duration", float64(e.duration)/1e9)
	case evAccept:
		attrs.PutInt("syscall.return", e.ret)
	case evClose:
		attrs.PutInt("net.sent.bytes", int64(e.sent))
		attrs.PutInt("net.received.bytes", int64(e.received))
		attrs.PutDouble("net.connection.duration", float64(e.duration)/1e9)
	}
}

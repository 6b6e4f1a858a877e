package payload // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe/payload"

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/syscallprobe"
)

// EventName is the EventName of every payload record.
const EventName = "net.payload"

// Fill writes ev into lr as a net.payload record. ts is the wall time of the
// call's return, observed when the record was read; libraryPath is empty
// for the socket probe.
func Fill(lr plog.LogRecord, ev *Event, ts, observed time.Time, libraryPath string) {
	lr.SetEventName(EventName)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	lr.SetSeverityText("INFO")
	lr.Body().SetEmptyBytes().FromRaw(ev.Data)

	a := lr.Attributes()
	a.EnsureCapacity(24)
	if ev.Direction == DirTransmit {
		a.PutStr("network.io.direction", "transmit")
	} else {
		a.PutStr("network.io.direction", "receive")
	}
	a.PutStr("payload.source", SourceName(ev.Source))
	if libraryPath != "" {
		a.PutStr("payload.library.path", libraryPath)
	}
	a.PutStr("connection.id", ev.ConnectionID())
	a.PutInt("connection.sequence", int64(ev.Seq))
	a.PutInt("payload.length", ev.Length)
	a.PutInt("payload.offset", int64(ev.Offset))
	a.PutInt("payload.chunk.index", int64(ev.ChunkIndex))
	a.PutInt("payload.chunk.count", int64(ev.ChunkCount))
	a.PutBool("payload.truncated", ev.Truncated)
	a.PutDouble("payload.call.duration", float64(ev.DurationNs)/1e9)
	if ev.Peer.IsValid() {
		a.PutStr("network.transport", "tcp")
		if ev.Peer.Addr().Is4() {
			a.PutStr("network.type", "ipv4")
		} else {
			a.PutStr("network.type", "ipv6")
		}
		a.PutStr("network.peer.address", ev.Peer.Addr().String())
		a.PutInt("network.peer.port", int64(ev.Peer.Port()))
		a.PutStr("network.local.address", ev.Local.Addr().String())
		a.PutInt("network.local.port", int64(ev.Local.Port()))
	}
	switch ev.Role {
	case roleClient:
		a.PutStr("connection.role", "client")
	case roleServer:
		a.PutStr("connection.role", "server")
	}
	syscallprobe.PutProcessAttrs(a, ev.Header)
}

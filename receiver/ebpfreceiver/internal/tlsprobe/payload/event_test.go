package payload

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

func rawEvent(data string) []byte {
	raw := make([]byte, DataOffset+len(data))
	le := binary.LittleEndian
	le.PutUint32(raw[0:], KindData)
	le.PutUint32(raw[4:], 4242)  // pid
	le.PutUint64(raw[8:], 1000)  // ktime
	le.PutUint32(raw[16:], 4243) // tid
	le.PutUint32(raw[24:], 1000) // uid
	le.PutUint64(raw[32:], 77)   // cgroup
	copy(raw[40:], "curl")       // comm
	le.PutUint64(raw[offConnPtr:], 0xabc)
	le.PutUint64(raw[offConnStart:], 999)
	le.PutUint64(raw[offDuration:], 1500)
	le.PutUint64(raw[offSeq:], 7)
	le.PutUint64(raw[offLength:], 100000)
	le.PutUint32(raw[offOffset:], 16384)
	le.PutUint32(raw[offDataLen:], uint32(len(data)))
	le.PutUint16(raw[offChunkIndex:], 1)
	le.PutUint16(raw[offChunkCount:], 4)
	raw[offDirection] = DirTransmit
	raw[offSource] = SourceOpenSSL
	raw[offTruncated] = 1
	raw[offRole] = roleClient
	le.PutUint32(raw[offFd:], 5)
	le.PutUint16(raw[offFamily:], afInet)
	le.PutUint16(raw[offSport:], 40000)
	le.PutUint16(raw[offDport:], 443)
	copy(raw[offSaddr:], []byte{127, 0, 0, 1})
	copy(raw[offDaddr:], []byte{10, 0, 0, 2})
	copy(raw[DataOffset:], data)
	return raw
}

func TestDecodeAndFill(t *testing.T) {
	ev, err := Decode(rawEvent("GET / HTTP/1.1\r\n"))
	require.NoError(t, err)
	lr := plog.NewLogRecord()
	ts := time.Unix(100, 0)
	Fill(lr, &ev, ts, ts.Add(time.Second), "/usr/lib/libssl.so.3")

	assert.Equal(t, "net.payload", lr.EventName())
	assert.Equal(t, []byte("GET / HTTP/1.1\r\n"), lr.Body().Bytes().AsRaw())
	assert.Equal(t, plog.SeverityNumberInfo, lr.SeverityNumber())
	assert.Equal(t, map[string]any{
		"network.io.direction":    "transmit",
		"payload.source":          "openssl",
		"payload.library.path":    "/usr/lib/libssl.so.3",
		"connection.id":           "4242:openssl:0xabc:999",
		"connection.sequence":     int64(7),
		"payload.length":          int64(100000),
		"payload.offset":          int64(16384),
		"payload.chunk.index":     int64(1),
		"payload.chunk.count":     int64(4),
		"payload.truncated":       true,
		"payload.call.duration":   1.5e-6,
		"network.transport":       "tcp",
		"network.type":            "ipv4",
		"network.peer.address":    "10.0.0.2",
		"network.peer.port":       int64(443),
		"network.local.address":   "127.0.0.1",
		"network.local.port":      int64(40000),
		"connection.role":         "client",
		"process.pid":             int64(4242),
		"thread.id":               int64(4243),
		"process.executable.name": "curl",
		"process.user.id":         int64(1000),
		"linux.cgroup.id":         int64(77),
	}, lr.Attributes().AsRaw())
}

func TestSocketConnectionID(t *testing.T) {
	raw := rawEvent("x")
	raw[offSource] = SourceSocket
	binary.LittleEndian.PutUint64(raw[offConnStart:], 123456)
	binary.LittleEndian.PutUint64(raw[offConnPtr:], 5)
	ev, err := Decode(raw)
	require.NoError(t, err)
	assert.Equal(t, "4242:socket:5:123456", ev.ConnectionID())
	lr := plog.NewLogRecord()
	Fill(lr, &ev, time.Now(), time.Now(), "")
	_, hasLib := lr.Attributes().Get("payload.library.path")
	assert.False(t, hasLib)
}

// TestTLSConnectionIDGeneration: an object reused at the same address
// (new connection state in the kernel, hence a new start time) is a
// different connection.
func TestTLSConnectionIDGeneration(t *testing.T) {
	ids := map[string]bool{}
	for _, src := range []uint8{SourceOpenSSL, SourceGnuTLS, SourceGoTLS} {
		for _, start := range []uint64{1000, 2000} {
			raw := rawEvent("x")
			raw[offSource] = src
			binary.LittleEndian.PutUint64(raw[offConnStart:], start)
			ev, err := Decode(raw)
			require.NoError(t, err)
			ids[ev.ConnectionID()] = true
		}
	}
	assert.Len(t, ids, 6)
	assert.True(t, ids["4242:openssl:0xabc:1000"], ids)
	assert.True(t, ids["4242:go_tls:0xabc:2000"], ids)
}

func TestDecodeRejectsBadRecords(t *testing.T) {
	_, err := Decode(make([]byte, 10))
	require.ErrorContains(t, err, "event header")
	raw := rawEvent("abc")
	binary.LittleEndian.PutUint32(raw[offDataLen:], 99)
	_, err = Decode(raw)
	require.ErrorContains(t, err, "data_len 99")
	raw = rawEvent("abc")
	binary.LittleEndian.PutUint32(raw[0:], KindExec)
	_, err = Decode(raw)
	require.ErrorContains(t, err, "not a payload")
	_, err = Decode(raw[:DataOffset-1])
	require.Error(t, err)
}

func FuzzDecode(f *testing.F) {
	f.Add(rawEvent("GET / HTTP/1.1\r\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, err := Decode(raw)
		if err != nil {
			return
		}
		lr := plog.NewLogRecord()
		Fill(lr, &ev, time.Now(), time.Now(), "")
		if lr.Body().Bytes().Len() > MaxChunkBytes {
			t.Fatalf("body of %d bytes exceeds a chunk", lr.Body().Bytes().Len())
		}
	})
}

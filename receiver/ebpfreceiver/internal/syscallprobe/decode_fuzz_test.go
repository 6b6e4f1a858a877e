package syscallprobe

import (
	"encoding/binary"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
)

// FuzzDecodeEvent: any bytes from the ring either decode or return an
// error; a decoded event (path or sockaddr) always fills a record.
func FuzzDecodeEvent(f *testing.F) {
	raw := make([]byte, offPath+pathMax)
	binary.LittleEndian.PutUint32(raw[offNr:], 42) // connect
	binary.LittleEndian.PutUint16(raw[offPathLen:], 112)
	binary.LittleEndian.PutUint16(raw[offPath:], 10) // AF_INET6
	f.Add(raw)
	f.Add(make([]byte, offPath))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := decodeEvent(raw)
		if err != nil {
			return
		}
		fillRecord(plog.NewLogRecord(), &e, time.Unix(0, 0), time.Unix(0, 0))
	})
}

package netprobe

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
)

// FuzzDecodeEvent: any bytes from the ring either decode or return an
// error; a decoded event always fills a record without panicking.
func FuzzDecodeEvent(f *testing.F) {
	raw := make([]byte, eventSize)
	raw[0] = evConnect
	raw[offFamily] = afInet6
	f.Add(raw)
	f.Add([]byte{3, 0, 0, 0})
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := decodeEvent(raw)
		if err != nil {
			return
		}
		fillRecord(plog.NewLogRecord(), &e, time.Unix(0, 0), time.Unix(0, 0), e.unixPath)
	})
}

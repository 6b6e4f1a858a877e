package fileprobe

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
)

// FuzzDecodeEvent: any bytes from the ring either decode or return an
// error; a decoded event always fills a record without panicking.
func FuzzDecodeEvent(f *testing.F) {
	f.Add(make([]byte, eventSize))
	f.Add(make([]byte, closeSize))
	f.Add([]byte{1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := decodeEvent(raw)
		if err != nil {
			return
		}
		var fl flagNames
		fillRecord(plog.NewLogRecord(), &e, time.Unix(0, 0), time.Unix(0, 0), e.path, e.path2, "", &fl)
	})
}

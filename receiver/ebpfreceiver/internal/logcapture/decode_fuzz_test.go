package logcapture

import (
	"testing"
	"time"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/bpfheaders"
)

// FuzzDecodeAndAssemble: any bytes from the ring either decode or return an
// error, and the line assembly of any write never panics and never emits a
// line longer than the limit.
func FuzzDecodeAndAssemble(f *testing.F) {
	w := make([]byte, offData+12)
	w[0] = evWrite
	w[offCaptured] = 12
	copy(w[offData:], "line\npartial")
	f.Add(w, 8)
	f.Add(make([]byte, offPath+pathMax), 100)
	f.Fuzz(func(t *testing.T, raw []byte, maxLine int) {
		if maxLine < 1 || maxLine > 1<<16 {
			return
		}
		h, err := bpfheaders.ParseHeader(raw)
		if err != nil {
			return
		}
		if h.Type != evWrite {
			_, _ = decodeFdEvent(h, raw)
			return
		}
		e, err := decodeWriteEvent(h, raw)
		if err != nil {
			return
		}
		var b lineBuffer
		emit := func(line []byte, _ time.Time, _ bool) {
			if len(line) > maxLine {
				t.Fatalf("line of %d bytes over the limit %d", len(line), maxLine)
			}
		}
		now := time.Unix(0, 0)
		b.feed(e.data, uint64(len(e.data)) < e.length, now, now, maxLine, emit)
		b.feed(e.data, false, now, now, maxLine, emit)
		b.flush(emit)
	})
}

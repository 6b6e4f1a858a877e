package logcapture

import (
	"bytes"
	"time"
)

// lineBuffer assembles the bytes written to one file (or console stream)
// into lines. A partial line is held until its newline, an idle flush or
// the file's close.
type lineBuffer struct {
	partial   []byte
	partialTS time.Time // time of the write that started the partial line
	lastWrite time.Time // when a write last arrived (for the idle flush)
	resync    bool      // the text up to the next newline follows a cut
}

// emitFunc receives one line (valid only during the call).
type emitFunc func(line []byte, ts time.Time, truncated bool)

// feed appends data written at ts. cut means the write had more bytes than
// were captured: the line it ends in is incomplete, and so is the start of
// the next write.
func (b *lineBuffer) feed(data []byte, cut bool, ts, now time.Time, maxLine int, emit emitFunc) {
	b.lastWrite = now
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if len(b.partial) == 0 {
				b.partialTS = ts
			}
			b.partial = append(b.partial, data...)
			for len(b.partial) > maxLine {
				emit(b.partial[:maxLine], b.partialTS, true)
				b.partial = append(b.partial[:0], b.partial[maxLine:]...)
				b.resync = true
			}
			break
		}
		seg := data[:i]
		data = data[i+1:]
		lineTS := ts
		if len(b.partial) > 0 {
			lineTS = b.partialTS
			seg = append(b.partial, seg...)
			b.partial = seg[:0]
		}
		if len(seg) > maxLine {
			for len(seg) > 0 {
				n := min(len(seg), maxLine)
				emit(seg[:n], lineTS, true)
				seg = seg[n:]
			}
		} else {
			emit(seg, lineTS, b.resync)
		}
		b.resync = false
	}
	if cut {
		if len(b.partial) > 0 {
			emit(b.partial, b.partialTS, true)
			b.partial = b.partial[:0]
		}
		b.resync = true
	}
}

// gap handles bytes missing before the next write: the held partial line is
// emitted as truncated and the next write's first line is flagged too.
func (b *lineBuffer) gap(emit emitFunc) {
	if len(b.partial) > 0 {
		emit(b.partial, b.partialTS, true)
		b.partial = b.partial[:0]
	}
	b.resync = true
}

// flush emits the held partial line, if any.
func (b *lineBuffer) flush(emit emitFunc) {
	if len(b.partial) > 0 {
		emit(b.partial, b.partialTS, b.resync)
		b.partial = b.partial[:0]
	}
	b.resync = false
}

// idle reports whether a partial line has waited longer than timeout.
func (b *lineBuffer) idle(now time.Time, timeout time.Duration) bool {
	return len(b.partial) > 0 && now.Sub(b.lastWrite) >= timeout
}

package logcapture

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

type line struct {
	text      string
	truncated bool
	ts        time.Time
}

func collect(out *[]line) emitFunc {
	return func(b []byte, ts time.Time, truncated bool) {
		*out = append(*out, line{string(b), truncated, ts})
	}
}

func TestLineBufferSplitsAndHolds(t *testing.T) {
	var got []line
	var b lineBuffer
	t0, t1 := time.Unix(1, 0), time.Unix(2, 0)
	b.feed([]byte("one\ntw"), false, t0, t0, 100, collect(&got))
	assert.Equal(t, []line{{"one", false, t0}}, got)
	b.feed([]byte("o\nthree\n\n"), false, t1, t1, 100, collect(&got))
	assert.Equal(t, []line{{"one", false, t0}, {"two", false, t0}, {"three", false, t1}, {"", false, t1}}, got,
		"a line takes the time of its first write; an empty line is a record")
	assert.False(t, b.idle(t1.Add(time.Hour), time.Second), "nothing held")
	b.feed([]byte("partial"), false, t1, t1, 100, collect(&got))
	assert.False(t, b.idle(t1.Add(time.Millisecond), time.Second))
	assert.True(t, b.idle(t1.Add(time.Second), time.Second))
	b.flush(collect(&got))
	assert.Equal(t, line{"partial", false, t1}, got[len(got)-1])
}

func TestLineBufferCutWrites(t *testing.T) {
	var got []line
	var b lineBuffer
	t0 := time.Unix(1, 0)
	// A write cut after "ab\ncd": "cd" is incomplete, and the next write
	// starts with the rest of some line.
	b.feed([]byte("ab\ncd"), true, t0, t0, 100, collect(&got))
	b.feed([]byte("tail\nnext\n"), false, t0, t0, 100, collect(&got))
	assert.Equal(t, []line{{"ab", false, t0}, {"cd", true, t0}, {"tail", true, t0}, {"next", false, t0}}, got)
}

func TestLineBufferLongLines(t *testing.T) {
	var got []line
	var b lineBuffer
	t0 := time.Unix(1, 0)
	b.feed([]byte("abcdefgh"), false, t0, t0, 3, collect(&got))
	b.feed([]byte("ij\nxyz12\n"), false, t0, t0, 3, collect(&got))
	assert.Equal(t, []line{
		{"abc", true, t0}, {"def", true, t0}, {"ghi", true, t0}, {"j", true, t0},
		{"xyz", true, t0}, {"12", true, t0},
	}, got, "a line over max_line_bytes is emitted in pieces, each flagged truncated")
}

package localstoreexporter

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestValueJSON(t *testing.T) {
	m := pcommon.NewMap()
	m.PutStr("s", "a\"b\\c\n\x01\u2028é")
	m.PutInt("i", -42)
	m.PutDouble("d", 1.5e-7)
	m.PutDouble("inf", math.Inf(-1))
	m.PutBool("b", true)
	m.PutEmptyBytes("bytes").FromRaw([]byte{0, 1, 2, 0xff})
	sl := m.PutEmptySlice("sl")
	sl.AppendEmpty().SetStr("x")
	sl.AppendEmpty().SetInt(1)
	m.PutEmptyMap("m").PutStr("k", "v")
	m.PutEmpty("nil")
	got := string(appendMap(nil, m))
	var back map[string]any
	require.NoError(t, json.Unmarshal([]byte(got), &back), got)
	assert.Equal(t, map[string]any{
		"s": "a\"b\\c\n\x01\u2028é", "i": float64(-42), "d": 1.5e-7, "inf": "-Infinity", "b": true,
		"bytes": "AAEC/w==", "sl": []any{"x", float64(1)}, "m": map[string]any{"k": "v"}, "nil": nil,
	}, back)
	assert.True(t, strings.HasPrefix(got, `{"s":`), "attribute order is kept")
}

// FuzzAppendString checks that any string, valid UTF-8 or not, becomes a
// valid JSON string that decodes to the same text (invalid bytes as U+FFFD).
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "\x00\x1f\x7f", "\xff\xfe", "é\u2028\U0001F600", "a\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		if !json.Valid(b) {
			t.Fatalf("invalid JSON %q for %q", b, s)
		}
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if utf8.ValidString(s) {
			want = s
		}
		// ToValidUTF8 merges runs of invalid bytes; appendString replaces
		// each invalid byte. Compare with runs merged on both sides.
		if strings.ToValidUTF8(back, "\ufffd") != want && collapse(back) != collapse(want) {
			t.Fatalf("round trip of %q: got %q, want %q", s, back, want)
		}
	})
}

func collapse(s string) string {
	for strings.Contains(s, "\ufffd\ufffd") {
		s = strings.ReplaceAll(s, "\ufffd\ufffd", "\ufffd")
	}
	return s
}

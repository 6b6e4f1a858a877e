package httpparse

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBodyDecoderReuse decodes gzip, zlib, raw deflate and broken bodies in
// turn with one bodyDecoder: reused decompressors must give every body's
// own content, cut at the limit.
func TestBodyDecoderReuse(t *testing.T) {
	compress := func(enc string, s string) []byte {
		var b bytes.Buffer
		var w interface {
			Write([]byte) (int, error)
			Close() error
		}
		switch enc {
		case "gzip":
			w = gzip.NewWriter(&b)
		case "zlib":
			w = zlib.NewWriter(&b)
		default:
			w, _ = flate.NewWriter(&b, flate.BestSpeed)
		}
		_, err := w.Write([]byte(s))
		require.NoError(t, err)
		require.NoError(t, w.Close())
		return b.Bytes()
	}
	d := bodyDecoder{keep: 1024}
	long := strings.Repeat("abcdefgh", 100)
	cases := []struct {
		enc, kind, in, want string
		cut, ok             bool
	}{
		{"gzip", "gzip", "hello gzip", "hello gzip", false, true},
		{"deflate", "zlib", "hello zlib", "hello zlib", false, true},
		{"deflate", "raw", "hello raw", "hello raw", false, true},
		{"x-gzip", "gzip", long, long[:100], true, true},
		{"gzip", "gzip", "second gzip", "second gzip", false, true},
		{"deflate", "zlib", "second zlib", "second zlib", false, true},
		{"deflate", "raw", "second raw", "second raw", false, true},
		{"gzip", "none", "not compressed", "", false, false},
		{"br", "gzip", "unknown encoding", "", false, false},
		{"gzip", "gzip", "after failure", "after failure", false, true},
	}
	for i, c := range cases {
		in := []byte(c.in)
		if c.kind != "none" {
			in = compress(c.kind, c.in)
		}
		limit := 200
		if c.cut {
			limit = 100
		}
		out, cut, ok := d.decode(c.enc, in, limit)
		require.Equal(t, c.ok, ok, "case %d", i)
		require.Equal(t, c.want, string(out), "case %d", i)
		require.Equal(t, c.cut, cut, "case %d", i)
	}
}

// TestHeaderKeys checks the cached header attribute keys: lower-cased like
// strings.ToLower (also for names that are not ASCII tokens), the same key
// on a cache hit, and a bounded cache.
func TestHeaderKeys(t *testing.T) {
	k := newHeaderKeys("http.request.header.")
	for _, name := range []string{"Content-Type", "content-type", "X-Ä-Ü", "X-\xff-Bad", "TRACEPARENT", "Content-Type"} {
		key, lower := k.key([]byte(name))
		want := strings.ToLower(name)
		require.Equal(t, "http.request.header."+want, key, name)
		require.Equal(t, want, string(lower), name)
	}
	require.Len(t, k.keys, 2, "only ASCII names are cached")
	for i := range maxHeaderKeys + 10 {
		key, _ := k.key([]byte("X-H" + strings.Repeat("a", i%7) + string(rune('a'+i%26)) + strconv.Itoa(i)))
		require.True(t, strings.HasPrefix(key, "http.request.header.x-h"))
	}
	require.LessOrEqual(t, len(k.keys), maxHeaderKeys)
}

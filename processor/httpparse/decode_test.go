package httpparse

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
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
		cut, ok            bool
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

package h1

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// step is bytes sent by the client (req) or the server.
type step struct {
	req  bool
	data string
}

func run(t *testing.T, lim Limits, steps []step, pieceLen int) (*Conn, []*Exchange) {
	t.Helper()
	c := NewConn(lim, NewPool(0))
	for i, s := range steps {
		b := []byte(s.data)
		n := pieceLen
		if n <= 0 {
			n = len(b)
		}
		for len(b) > 0 {
			k := min(n, len(b))
			c.Feed(s.req, b[:k], int64(i*10+1), int64(i*10+2))
			b = b[k:]
		}
	}
	return c, c.TakeCompleted(nil)
}

func TestParse(t *testing.T) {
	lim := DefaultLimits()
	cases := []struct {
		name  string
		steps []step
		check func(t *testing.T, c *Conn, ex []*Exchange)
	}{
		{"chunk_extensions_and_trailers", []step{
			{true, "POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n"},
			{false, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"},
		}, func(t *testing.T, c *Conn, ex []*Exchange) {
			require.Len(t, ex, 1)
			assert.Equal(t, "abc", string(ex[0].Req.Body))
			assert.Equal(t, 201, ex[0].Resp.StatusCode)
			assert.Equal(t, "h", string(ex[0].Req.Host))
		}},
		{"lf_only_lines", []step{
			{true, "GET / HTTP/1.0\nHost: h\n\n"},
			{false, "HTTP/1.0 200 OK\nContent-Length: 1\n\nx"},
		}, func(t *testing.T, c *Conn, ex []*Exchange) {
			require.Len(t, ex, 1)
			assert.Equal(t, "x", string(ex[0].Resp.Body))
			assert.Equal(t, "HTTP/1.0", string(ex[0].Req.Proto))
		}},
		{"close_delimited_body_waits_for_flush", []step{
			{true, "GET / HTTP/1.0\r\n\r\n"},
			{false, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nstream until close"},
		}, func(t *testing.T, c *Conn, ex []*Exchange) {
			require.Empty(t, ex)
			c.Flush()
			ex = c.TakeCompleted(nil)
			require.Len(t, ex, 1)
			assert.Equal(t, "stream until close", string(ex[0].Resp.Body))
			assert.True(t, ex[0].Incomplete)
		}},
		{"upgrade_stops_parsing", []step{
			{true, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"},
			{false, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"},
			{true, "\x81\x05hello"},
		}, func(t *testing.T, c *Conn, ex []*Exchange) {
			require.Len(t, ex, 1)
			assert.Equal(t, 101, ex[0].Resp.StatusCode)
			assert.Equal(t, int64(7), c.Stats.UpgradedBytes)
		}},
		{"connect_tunnel", []step{
			{true, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"},
			{false, "HTTP/1.1 200 Connection established\r\n\r\n"},
			{true, "\x16\x03\x01 tls bytes"},
		}, func(t *testing.T, c *Conn, ex []*Exchange) {
			require.Len(t, ex, 1)
			assert.Positive(t, c.Stats.UpgradedBytes)
		}},
		{"conflicting_content_length", []step{
			{true, "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"},
		}, func(t *testing.T, c *Conn, ex []*Exchange) {
			assert.Empty(t, ex)
			assert.Equal(t, int64(1), c.Stats.ParseErrors)
			assert.Equal(t, int64(1), c.Stats.PartialRequests)
		}},
		{"bad_chunk_size", []step{
			{true, "GET / HTTP/1.1\r\n\r\n"},
			{false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"},
		}, func(t *testing.T, c *Conn, ex []*Exchange) {
			require.Len(t, ex, 1)
			assert.True(t, ex[0].Incomplete)
			assert.Equal(t, int64(1), c.Stats.ParseErrors)
		}},
		{"unknown_method", []step{
			{true, "PROPFIND /dav HTTP/1.1\r\nDepth: 1\r\n\r\n"},
			{false, "HTTP/1.1 207 Multi-Status\r\nContent-Length: 0\r\n\r\n"},
		}, func(t *testing.T, c *Conn, ex []*Exchange) {
			require.Len(t, ex, 1)
			assert.Equal(t, "PROPFIND", string(ex[0].Req.Method))
			assert.Equal(t, 207, ex[0].Resp.StatusCode)
		}},
		{"response_without_request", []step{
			{false, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"},
			{true, "GET / HTTP/1.1\r\n\r\n"},
			{false, "HTTP/1.1 204 No Content\r\n\r\n"},
		}, func(t *testing.T, c *Conn, ex []*Exchange) {
			require.Len(t, ex, 1)
			assert.Equal(t, 204, ex[0].Resp.StatusCode)
			assert.Equal(t, int64(1), c.Stats.UnpairedResponses)
		}},
		{"early_response_before_request_body_ends", []step{
			{true, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345"},
			{false, "HTTP/1.1 413 Too Large\r\nContent-Length: 0\r\n\r\n"},
			{true, "67890"},
		}, func(t *testing.T, c *Conn, ex []*Exchange) {
			require.Len(t, ex, 1)
			assert.Equal(t, int64(10), ex[0].Req.BodySize)
			assert.Equal(t, 413, ex[0].Resp.StatusCode)
		}},
	}
	for _, tc := range cases {
		for _, piece := range []int{0, 1, 7} {
			t.Run(tc.name+"/piece="+string(rune('0'+piece)), func(t *testing.T) {
				c, ex := run(t, lim, tc.steps, piece)
				tc.check(t, c, ex)
			})
		}
	}
}

func TestHeadTooLarge(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxHeaderBytes = 256
	c, ex := run(t, lim, []step{{true, "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 500) + "\r\n\r\n"}}, 64)
	assert.Empty(t, ex)
	assert.Equal(t, int64(1), c.Stats.ParseErrors)
	assert.True(t, c.Idle())
}

func TestPendingLimit(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxPending = 2
	c, ex := run(t, lim, []step{{true, strings.Repeat("GET / HTTP/1.1\r\n\r\n", 3)}}, 0)
	require.Len(t, ex, 1)
	assert.True(t, ex[0].Incomplete)
	assert.Equal(t, int64(1), c.Stats.PendingOverflow)
	assert.Len(t, c.pending, 2)
}

func TestNotHTTP(t *testing.T) {
	lim := DefaultLimits()
	lim.MaxUndecidedBytes = 100
	c, ex := run(t, lim, []step{{true, strings.Repeat("\x00\x01", 100)}, {false, "HTTP/1.1 200 OK\r\n\r\n"}}, 0)
	assert.Empty(t, ex)
	assert.True(t, c.NotHTTP())
	assert.Positive(t, c.Stats.NotHTTPBytes)
}

// FuzzParse feeds arbitrary bytes in both directions, in arbitrary pieces,
// and checks that nothing panics and every bound holds.
func FuzzParse(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"), uint8(3))
	f.Add([]byte("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), []byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n7\r\ndata: x\r\n1\r\n\n\r\n0\r\n\r\n"), uint8(5))
	f.Add([]byte("HEAD / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"), []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde"), uint8(1))
	f.Fuzz(func(t *testing.T, req, resp []byte, piece uint8) {
		lim := Limits{MaxHeaderBytes: 512, MaxBodyBytes: 64, MaxPending: 4, MaxUndecidedBytes: 1024}
		lim.SSE.MaxEvents, lim.SSE.MaxEventBytes, lim.SSE.MaxTextBytes = 4, 32, 32
		pool := NewPool(0)
		c := NewConn(lim, pool)
		n := int(piece%16) + 1
		var ts int64
		for len(req) > 0 || len(resp) > 0 {
			ts++
			if len(req) > 0 {
				k := min(n, len(req))
				c.Feed(true, req[:k], ts, ts)
				req = req[k:]
			}
			if len(resp) > 0 {
				k := min(n, len(resp))
				c.Feed(false, resp[:k], ts, ts)
				resp = resp[k:]
			}
			if len(c.pending) > lim.MaxPending {
				t.Fatalf("pending %d > %d", len(c.pending), lim.MaxPending)
			}
		}
		c.Skip(false, 3, ts)
		c.Gap()
		c.Flush()
		for _, ex := range c.TakeCompleted(nil) {
			if len(ex.Req.Body) > lim.MaxBodyBytes || len(ex.Resp.Body) > lim.MaxBodyBytes {
				t.Fatalf("body over the limit")
			}
			if len(ex.Req.Raw) > lim.MaxHeaderBytes || len(ex.Resp.Raw) > lim.MaxHeaderBytes {
				t.Fatalf("head over the limit")
			}
			if int64(len(ex.Resp.Body)) > ex.Resp.BodySize {
				t.Fatalf("captured more than seen")
			}
			if ex.Resp.Complete && !ex.HasResp {
				t.Fatalf("complete response without a head")
			}
			pool.Put(ex)
		}
		if !c.Idle() {
			t.Fatalf("connection not idle after flush")
		}
	})
}

func TestHTTP2PrefaceIsNotHTTP1(t *testing.T) {
	c, ex := run(t, DefaultLimits(), []step{{true, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04"}, {false, "\x00\x00\x00\x04\x01"}}, 0)
	assert.Empty(t, ex)
	assert.True(t, c.NotHTTP())
	assert.Equal(t, int64(24+4+5), c.Stats.NotHTTPBytes)
}

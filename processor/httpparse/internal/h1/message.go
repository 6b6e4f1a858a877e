// Package h1 reassembles HTTP/1.0 and HTTP/1.1 exchanges from the two byte
// streams of one captured connection. It is written for captures: it takes
// the bytes in whatever pieces the probe delivered them, tolerates truncated
// and damaged streams (it resynchronizes on the next message start), and
// keeps every buffer bounded. It does no I/O and allocates little: messages
// keep their header block and a bounded body copy in buffers that are reused
// through a Pool.
package h1

import (
	"bytes"
	"sync"

	"github.com/otelcol-trace/otelcol-trace/processor/httpparse/internal/sse"
)

// Header is one header field; Name and Value point into Message.Raw.
type Header struct {
	Name, Value []byte
}

// Message is a parsed request or response head plus its body accounting.
type Message struct {
	// Raw is the message head as captured (start line and header fields).
	Raw []byte
	// Method and Target are the request line's parts (requests only).
	Method, Target []byte
	// Proto is "HTTP/1.0" or "HTTP/1.1".
	Proto []byte
	// StatusCode is the response status (responses only).
	StatusCode int
	// Headers are the header fields in order.
	Headers []Header
	// ContentLength is the Content-Length header's value, -1 when absent.
	ContentLength int64
	// Chunked is true for Transfer-Encoding: chunked.
	Chunked bool
	// Host, UserAgent, ContentType, ContentEncoding point into Raw.
	Host, UserAgent, ContentType, ContentEncoding []byte
	// Body is the start of the decoded (de-chunked) body, at most the body limit.
	Body []byte
	// BodySize counts every body byte seen (de-chunked), captured or not.
	BodySize int64
	// BodyTruncated is true when Body holds fewer bytes than BodySize, or
	// body bytes were missing from the capture.
	BodyTruncated bool
	// Start is the time of the message's first byte, End of its last byte
	// seen so far (unix ns, as given to Feed).
	Start, End int64
	// HeadComplete is true once the head was parsed; Complete once the
	// whole message (head and body) was seen.
	HeadComplete, Complete bool
}

func (m *Message) reset() {
	*m = Message{
		Raw:           m.Raw[:0],
		Headers:       m.Headers[:0],
		Body:          m.Body[:0],
		ContentLength: -1,
	}
}

// Get returns the value of the first header named name (case-insensitive).
func (m *Message) Get(name string) ([]byte, bool) {
	for _, h := range m.Headers {
		if len(h.Name) == len(name) && equalFoldASCII(h.Name, name) {
			return h.Value, true
		}
	}
	return nil, false
}

// IsSSE reports whether the message's content type is text/event-stream.
func (m *Message) IsSSE() bool {
	ct := m.ContentType
	if i := bytes.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return equalFoldASCII(bytes.TrimSpace(ct), "text/event-stream")
}

// Exchange is one request and its response.
type Exchange struct {
	Req, Resp Message
	// HasResp is true once a final (non-1xx) response head was seen.
	HasResp bool
	// Informational counts 1xx responses (e.g. 100 Continue) seen before
	// the final response.
	Informational int
	// Incomplete is true when the exchange was ended before its response
	// was complete (idle flush, gap, eviction).
	Incomplete bool
	// Gap is true when bytes of the connection were lost around this exchange.
	Gap bool
	// SSE is the decoded event stream when IsSSE.
	SSE sse.Decoder
	// IsSSE is true when the response is text/event-stream.
	IsSSE bool
	// RespStarted is true once the response parser attached to this exchange.
	respStarted bool
}

func (e *Exchange) reset() {
	e.Req.reset()
	e.Resp.reset()
	e.HasResp = false
	e.Informational = 0
	e.Incomplete = false
	e.Gap = false
	e.IsSSE = false
	e.respStarted = false
}

// Pool recycles Exchanges (and their buffers) between connections. It is
// safe for concurrent use.
type Pool struct {
	free      sync.Pool
	maxBuffer int
}

// NewPool returns a pool. Exchanges whose buffers grew past maxBuffer bytes
// are not kept.
func NewPool(maxBuffer int) *Pool {
	return &Pool{maxBuffer: maxBuffer}
}

// Get returns a reset exchange.
func (p *Pool) Get() *Exchange {
	if e, ok := p.free.Get().(*Exchange); ok {
		e.reset()
		return e
	}
	e := &Exchange{}
	e.reset()
	return e
}

// Put returns an exchange to the pool; the caller must not use it afterwards.
func (p *Pool) Put(e *Exchange) {
	if e == nil {
		return
	}
	if p.maxBuffer > 0 && cap(e.Req.Raw)+cap(e.Req.Body)+cap(e.Resp.Raw)+cap(e.Resp.Body)+cap(e.SSE.Text) > p.maxBuffer {
		return
	}
	p.free.Put(e)
}

func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c, d := b[i], s[i]
		if c == d {
			continue
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

package h1

import (
	"bytes"
	"errors"
	"math"

	"github.com/otelcol-trace/otelcol-trace/processor/httpparse/internal/sse"
)

// Limits bounds the memory one Conn uses.
type Limits struct {
	// MaxHeaderBytes bounds one message head; a longer head is a parse error.
	MaxHeaderBytes int
	// MaxBodyBytes bounds the body bytes kept per message (Message.Body).
	MaxBodyBytes int
	// MaxPending bounds the requests waiting for their responses
	// (pipelining); the oldest is ended incomplete when it is exceeded.
	MaxPending int
	// MaxUndecidedBytes is how many bytes a connection may carry before the
	// first HTTP message start is seen; after that it is declared not HTTP.
	MaxUndecidedBytes int
	// SSE bounds text/event-stream decoding.
	SSE sse.Limits
}

// DefaultLimits returns the limits used when none are configured.
func DefaultLimits() Limits {
	return Limits{MaxHeaderBytes: 64 << 10, MaxBodyBytes: 8 << 10, MaxPending: 16, MaxUndecidedBytes: 64 << 10, SSE: sse.DefaultLimits()}
}

// Stats counts what a Conn discarded. The caller reads and zeroes it.
type Stats struct {
	// UnparsedBytes were discarded while looking for a message start.
	UnparsedBytes int64
	// NotHTTPBytes arrived on a connection declared not to be HTTP.
	NotHTTPBytes int64
	// UpgradedBytes arrived after a protocol switch (101, CONNECT).
	UpgradedBytes int64
	// ParseErrors counts malformed messages.
	ParseErrors int64
	// UnpairedResponses counts responses without a pending request.
	UnpairedResponses int64
	// PartialRequests counts requests dropped before their head was complete.
	PartialRequests int64
	// PendingOverflow counts exchanges ended early because MaxPending was hit.
	PendingOverflow int64
}

type state uint8

const (
	stSync      state = iota // lost: discard until a record starts with a message
	stIdle                   // between messages
	stHead                   // reading the head
	stBodyLen                // Content-Length body
	stBodyClose              // body delimited by connection close
	stChunkSize              // chunk-size line
	stChunkData              // chunk data
	stChunkEnd               // CRLF after chunk data
	stTrailer                // trailer fields
)

var errMalformed = errors.New("malformed message")

const (
	crlfcrlf = "\r\n\r\n"
	lflf     = "\n\n"
	// http2Preface starts every HTTP/2 connection (RFC 9113 section 3.4).
	http2Preface = "PRI * HTTP/2.0\r\n"
)

type parser struct {
	isReq     bool
	st        state
	ex        *Exchange
	orphan    bool // ex is a scratch exchange for a response without request
	remaining int64
	line      []byte
	partial   int    // bytes of the current partial head line seen so far
	partialCR bool   // ... and they are exactly "\r"
	hold      []byte // a piece too short to tell whether a message starts
	// ends holds the offsets of the head's line ends ('\n') in Raw when
	// readHead found the whole head in one piece, so parseHead does not
	// scan for them again; nil otherwise.
	ends    []int32
	endsBuf []int32   // backing array of ends, reused
	endsArr [32]int32 // endsBuf's first array: no allocation for common heads
}

// Conn is the HTTP/1 state of one connection. It is not safe for concurrent
// use.
type Conn struct {
	lim         Limits
	pool        *Pool
	decided     bool
	reqTransmit bool
	notHTTP     bool
	upgraded    bool
	seenMessage bool
	afterGap    bool // the next request follows lost records
	undecided   int
	undecHold   [2][]byte // per direction (0 receive, 1 transmit), before the direction is known
	req, resp   parser
	pending     []*Exchange
	done        []*Exchange
	// Stats counts what was discarded; the caller may read and zero it.
	Stats Stats
}

// NewConn returns the state of a new connection.
func NewConn(lim Limits, pool *Pool) *Conn {
	c := &Conn{lim: lim, pool: pool}
	c.req.isReq = true
	return c
}

// SetRequestDirection fixes which direction carries requests (from the
// connection's known role) instead of deciding it from the bytes.
func (c *Conn) SetRequestDirection(transmit bool) {
	c.decided = true
	c.reqTransmit = transmit
}

// RequestDirection returns the direction that carries requests, and whether
// it is known yet.
func (c *Conn) RequestDirection() (transmit, known bool) {
	return c.reqTransmit, c.decided
}

// NotHTTP reports whether the connection was declared not to carry HTTP/1.
func (c *Conn) NotHTTP() bool { return c.notHTTP }

// Idle reports whether the connection holds no partial message or pending
// exchange.
func (c *Conn) Idle() bool {
	return len(c.pending) == 0 && c.req.ex == nil && c.resp.ex == nil
}

// Feed gives the connection the next bytes captured in one direction, in
// order. start is the time of the first byte, end of the last (unix ns).
func (c *Conn) Feed(transmit bool, data []byte, start, end int64) {
	if len(data) == 0 {
		return
	}
	if c.notHTTP {
		c.Stats.NotHTTPBytes += int64(len(data))
		return
	}
	if c.upgraded {
		c.Stats.UpgradedBytes += int64(len(data))
		return
	}
	if !c.decided {
		d := 0
		if transmit {
			d = 1
		}
		if len(c.undecHold[d]) > 0 {
			data = append(c.undecHold[d], data...)
			c.undecHold[d] = nil
		}
		switch {
		case bytes.HasPrefix(data, []byte(http2Preface)):
			// HTTP/2 with prior knowledge (or ALPN h2 under TLS): not parsed.
			c.notHTTP = true
			c.Stats.NotHTTPBytes += int64(len(data))
			return
		case looksLikeRequest(data):
			c.SetRequestDirection(transmit)
		case looksLikeResponse(data):
			c.SetRequestDirection(!transmit)
		case couldStart(true, data) || couldStart(false, data):
			c.undecHold[d] = append([]byte(nil), data...)
			return
		default:
			c.discardUndecided(len(data))
			return
		}
		// bytes held back in the other direction go first
		if o := c.undecHold[1-d]; len(o) > 0 {
			c.undecHold[1-d] = nil
			c.Feed(!transmit, o, start, start)
		}
	}
	if transmit == c.reqTransmit {
		c.feed(&c.req, data, start, end)
	} else {
		c.feed(&c.resp, data, start, end)
	}
}

func (c *Conn) discardUndecided(n int) {
	c.undecided += n
	if c.undecided > c.lim.MaxUndecidedBytes {
		c.notHTTP = true
		c.Stats.NotHTTPBytes += int64(n)
		return
	}
	c.Stats.UnparsedBytes += int64(n)
}

// Skip tells the connection that n bytes in one direction are missing from
// the capture (a record cut at the capture limit). Inside a body of known
// length they are counted as body bytes not captured; elsewhere the
// direction resynchronizes on the next message start.
func (c *Conn) Skip(transmit bool, n int64, ts int64) {
	if n <= 0 || !c.decided || c.notHTTP || c.upgraded {
		return
	}
	p := &c.resp
	if transmit == c.reqTransmit {
		p = &c.req
	}
	switch p.st {
	case stBodyLen, stChunkData:
		if n <= p.remaining {
			m := p.msg()
			m.BodySize += n
			m.BodyTruncated = true
			m.End = ts
			p.remaining -= n
			if p.ex.IsSSE && !p.isReq {
				p.ex.Gap = true
			}
			if p.remaining == 0 {
				if p.st == stChunkData {
					p.st = stChunkEnd
				} else {
					c.msgDone(p, ts)
				}
			}
			return
		}
	case stBodyClose:
		m := p.msg()
		m.BodySize += n
		m.BodyTruncated = true
		m.End = ts
		return
	case stIdle, stSync:
		p.st = stSync
		return
	}
	if p.ex != nil {
		p.ex.Gap = true
	}
	c.abort(p)
}

// Gap tells the connection that records were lost (a hole in the sequence):
// every pending exchange ends incomplete with Gap set, and both directions
// resynchronize on the next message start.
func (c *Conn) Gap() {
	c.endAll(true)
	c.afterGap = true
	c.req.hold, c.resp.hold = nil, nil
	c.undecHold = [2][]byte{}
	c.req.st, c.resp.st = stSync, stSync
}

// Flush ends every pending exchange (incomplete unless its response was
// complete); a direction in the middle of a message resynchronizes.
func (c *Conn) Flush() {
	c.endAll(false)
}

func (c *Conn) endAll(gap bool) {
	if c.req.ex != nil && !c.req.ex.Req.HeadComplete {
		c.Stats.PartialRequests++
		c.pool.Put(c.req.ex)
		c.req.ex = nil
		c.req.st = stSync
	}
	if c.resp.orphan {
		c.pool.Put(c.resp.ex)
		c.resp.ex, c.resp.orphan = nil, false
		c.resp.st = stSync
	}
	for len(c.pending) > 0 {
		ex := c.pending[0]
		if gap {
			ex.Gap = true
		}
		c.finish(ex, !ex.Resp.Complete)
	}
	if c.req.st != stIdle {
		c.req.st = stSync
	}
	if c.resp.st != stIdle {
		c.resp.st = stSync
	}
}

// TakeCompleted appends the exchanges completed so far to dst and forgets
// them. The caller owns them and should return them with Pool.Put.
func (c *Conn) TakeCompleted(dst []*Exchange) []*Exchange {
	dst = append(dst, c.done...)
	clear(c.done)
	c.done = c.done[:0]
	return dst
}

// Release returns all exchanges the connection still holds to the pool.
func (c *Conn) Release() {
	for _, ex := range c.pending {
		c.pool.Put(ex)
	}
	for _, ex := range c.done {
		c.pool.Put(ex)
	}
	if c.req.ex != nil && !c.req.ex.Req.HeadComplete {
		c.pool.Put(c.req.ex)
	}
	if c.resp.orphan {
		c.pool.Put(c.resp.ex)
	}
	c.pending, c.done = nil, nil
	c.req.ex, c.resp.ex = nil, nil
}

func (p *parser) msg() *Message {
	if p.isReq {
		return &p.ex.Req
	}
	return &p.ex.Resp
}

func (c *Conn) feed(p *parser, data []byte, start, end int64) {
	boundary := true
	if len(p.hold) > 0 {
		data = append(p.hold, data...)
		p.hold = nil
	}
	for len(data) > 0 {
		switch p.st {
		case stSync:
			if boundary && !looksLikeStart(p.isReq, data) && couldStart(p.isReq, data) {
				p.hold = append([]byte(nil), data...)
				return
			}
			if !boundary || !looksLikeStart(p.isReq, data) {
				if !c.seenMessage {
					c.discardUndecided(len(data))
				} else {
					c.Stats.UnparsedBytes += int64(len(data))
				}
				return
			}
			p.st = stIdle
		case stIdle:
			i := 0
			for i < len(data) && (data[i] == '\r' || data[i] == '\n') {
				i++
			}
			data = data[i:]
			if len(data) == 0 {
				return
			}
			isStart := looksLikeStart(p.isReq, data)
			if !isStart && couldStart(p.isReq, data) {
				p.hold = append([]byte(nil), data...)
				return
			}
			if !isStart {
				c.Stats.ParseErrors++
				c.Stats.UnparsedBytes += int64(len(data))
				p.st = stSync
				return
			}
			c.begin(p, start)
		case stHead:
			n, done, err := c.readHead(p, data, end)
			data = data[n:]
			if err != nil {
				c.Stats.UnparsedBytes += int64(len(data))
				c.fail(p)
				return
			}
			if !done {
				return
			}
			err = parseHead(p.msg(), p.isReq, p.ends)
			p.ends = nil
			if err != nil {
				c.Stats.UnparsedBytes += int64(len(data))
				c.fail(p)
				return
			}
			c.headDone(p, end)
		case stBodyLen, stChunkData:
			n := int64(len(data))
			if n > p.remaining {
				n = p.remaining
			}
			c.body(p, data[:n], end)
			data = data[n:]
			p.remaining -= n
			if p.remaining == 0 {
				if p.st == stChunkData {
					p.st = stChunkEnd
				} else {
					c.msgDone(p, end)
				}
			}
		case stBodyClose:
			c.body(p, data, end)
			return
		case stChunkEnd:
			switch data[0] {
			case '\r':
				data = data[1:]
			case '\n':
				data = data[1:]
				p.st = stChunkSize
			default:
				c.Stats.UnparsedBytes += int64(len(data))
				c.fail(p)
				return
			}
		case stChunkSize, stTrailer:
			line, n, ok, err := readLine(p, data)
			data = data[n:]
			if err != nil {
				c.Stats.UnparsedBytes += int64(len(data))
				c.fail(p)
				return
			}
			if !ok {
				return
			}
			p.msg().End = end
			if p.st == stTrailer {
				empty := len(line) == 0
				p.line = p.line[:0]
				if empty {
					c.msgDone(p, end)
				}
				continue
			}
			size, perr := parseChunkSize(line)
			p.line = p.line[:0]
			if perr != nil {
				c.Stats.UnparsedBytes += int64(len(data))
				c.fail(p)
				return
			}
			if size == 0 {
				p.st = stTrailer
			} else {
				p.remaining = size
				p.st = stChunkData
			}
		}
		boundary = false
	}
}

// begin starts a new message on p at time ts.
func (c *Conn) begin(p *parser, ts int64) {
	c.seenMessage = true
	p.partial, p.partialCR = 0, false
	p.st = stHead
	if p.isReq {
		p.ex = c.pool.Get()
		p.ex.Req.Start = ts
		p.ex.Gap, c.afterGap = c.afterGap, false
		return
	}
	p.ex, p.orphan = nil, false
	for _, ex := range c.pending {
		if !ex.HasResp {
			p.ex = ex
			break
		}
	}
	if p.ex == nil {
		p.ex = c.pool.Get()
		p.orphan = true
	}
	p.ex.respStarted = true
	p.ex.Resp.reset()
	p.ex.Resp.Start = ts
}

// readHead appends the head bytes in data to the message and reports how
// many bytes it consumed and whether the head is complete.
func (c *Conn) readHead(p *parser, data []byte, ts int64) (int, bool, error) {
	m := p.msg()
	m.End = ts
	p.ends = nil
	if p.partial == 0 && len(m.Raw) == 0 {
		// Fast path: the whole head is in this piece with CRLF line ends,
		// i.e. "\r\n\r\n" occurs before any "\n\n". One pass over the
		// line ends finds it and remembers them for parseHead.
		ends := p.endsBuf[:0]
		if ends == nil {
			ends = p.endsArr[:0]
		}
		for k := 0; k < len(data); {
			j := bytes.IndexByte(data[k:], '\n')
			if j < 0 {
				break
			}
			k += j
			if k >= 1 && data[k-1] == '\n' {
				break // "\n\n" first: the general path decides
			}
			if k >= math.MaxInt32 {
				break
			}
			ends = append(ends, int32(k))
			if k >= 3 && data[k-1] == '\r' && data[k-2] == '\n' && data[k-3] == '\r' {
				p.endsBuf = ends
				if k+1 > c.lim.MaxHeaderBytes {
					return k + 1, false, errMalformed
				}
				m.Raw = append(m.Raw, data[:k+1]...)
				p.ends = ends
				return k + 1, true, nil
			}
			k++
		}
		p.endsBuf = ends
	}
	i := 0
	for {
		j := bytes.IndexByte(data[i:], '\n')
		if j < 0 {
			add := data[i:]
			if p.partial == 0 && len(add) == 1 && add[0] == '\r' {
				p.partialCR = true
			} else if len(add) > 0 {
				p.partialCR = false
			}
			p.partial += len(add)
			if len(m.Raw)+len(data) > c.lim.MaxHeaderBytes {
				return len(data), false, errMalformed
			}
			m.Raw = append(m.Raw, data...)
			return len(data), false, nil
		}
		k := i + j
		lineLen := p.partial + (k - i)
		var empty bool
		switch {
		case lineLen == 0:
			empty = true
		case lineLen == 1 && p.partial == 1:
			empty = p.partialCR
		case lineLen == 1:
			empty = data[i] == '\r'
		}
		p.partial, p.partialCR = 0, false
		if len(m.Raw)+k+1 > c.lim.MaxHeaderBytes {
			return k + 1, false, errMalformed
		}
		if empty && len(m.Raw)+k > 1 {
			m.Raw = append(m.Raw, data[:k+1]...)
			return k + 1, true, nil
		}
		i = k + 1
	}
}

// headDone sets up the body of the message whose head p just parsed.
func (c *Conn) headDone(p *parser, ts int64) {
	ex := p.ex
	if p.isReq {
		m := &ex.Req
		m.HeadComplete = true
		if len(c.pending) >= c.lim.MaxPending && len(c.pending) > 0 {
			c.Stats.PendingOverflow++
			c.finish(c.pending[0], true)
		}
		c.pending = append(c.pending, ex)
		switch {
		case m.Chunked:
			p.st = stChunkSize
		case m.ContentLength > 0:
			p.st, p.remaining = stBodyLen, m.ContentLength
		default:
			c.msgDone(p, ts)
		}
		return
	}
	m := &ex.Resp
	if p.orphan && m.StatusCode >= 200 {
		c.Stats.UnpairedResponses++
	}
	if m.StatusCode >= 100 && m.StatusCode < 200 && m.StatusCode != 101 {
		ex.Informational++
		m.reset()
		if p.orphan {
			c.pool.Put(ex)
		}
		p.ex, p.orphan = nil, false
		p.st = stIdle
		return
	}
	m.HeadComplete = true
	ex.HasResp = true
	method := ex.Req.Method
	switch {
	case m.StatusCode == 101 || (string(method) == "CONNECT" && m.StatusCode/100 == 2):
		c.upgraded = true
		c.msgDone(p, ts)
	case string(method) == "HEAD" || m.StatusCode == 204 || m.StatusCode == 304:
		c.msgDone(p, ts)
	case m.Chunked:
		p.st = stChunkSize
	case m.ContentLength >= 0:
		p.st, p.remaining = stBodyLen, m.ContentLength
	default:
		p.st = stBodyClose
	}
	if m.HeadComplete && !m.Complete && m.IsSSE() && len(m.ContentEncoding) == 0 {
		ex.IsSSE = true
		ex.SSE.Reset(c.lim.SSE)
	}
	if p.st != stIdle && m.ContentLength == 0 && !m.Chunked && p.st == stBodyLen {
		c.msgDone(p, ts)
	}
}

// body accounts body bytes of p's message.
func (c *Conn) body(p *parser, b []byte, ts int64) {
	m := p.msg()
	m.End = ts
	m.BodySize += int64(len(b))
	room := c.lim.MaxBodyBytes - len(m.Body)
	if len(b) > room {
		m.BodyTruncated = true
		if room > 0 {
			m.Body = append(m.Body, b[:room]...)
		}
	} else {
		m.Body = append(m.Body, b...)
	}
	if !p.isReq && p.ex.IsSSE {
		p.ex.SSE.Feed(b, ts)
	}
}

// msgDone completes p's message.
func (c *Conn) msgDone(p *parser, ts int64) {
	ex := p.ex
	m := p.msg()
	m.Complete = true
	if ts > m.End {
		m.End = ts
	}
	p.ex = nil
	p.st = stIdle
	if p.orphan {
		p.orphan = false
		c.pool.Put(ex)
		return
	}
	if !p.isReq && ex.IsSSE {
		ex.SSE.Finish()
	}
	c.tryFinish(ex)
}

func (c *Conn) tryFinish(ex *Exchange) {
	if !ex.Resp.Complete {
		return
	}
	if !ex.Req.Complete && c.req.ex == ex {
		return // the request body is still arriving
	}
	c.finish(ex, false)
}

// finish moves ex from pending to done.
func (c *Conn) finish(ex *Exchange, incomplete bool) {
	for i, e := range c.pending {
		if e == ex {
			copy(c.pending[i:], c.pending[i+1:])
			c.pending[len(c.pending)-1] = nil
			c.pending = c.pending[:len(c.pending)-1]
			break
		}
	}
	for _, p := range []*parser{&c.req, &c.resp} {
		if p.ex == ex {
			p.ex = nil
			if p.st != stIdle {
				p.st = stSync
			}
		}
	}
	if incomplete {
		ex.Incomplete = true
		if ex.IsSSE {
			ex.SSE.Finish()
		}
	}
	c.done = append(c.done, ex)
}

// fail ends p's current message after a parse error; p resynchronizes.
func (c *Conn) fail(p *parser) {
	c.Stats.ParseErrors++
	c.abort(p)
}

// abort ends p's current message (incomplete); p resynchronizes.
func (c *Conn) abort(p *parser) {
	ex := p.ex
	p.st = stSync
	if ex == nil {
		return
	}
	p.ex = nil
	switch {
	case p.orphan:
		p.orphan = false
		c.pool.Put(ex)
	case p.isReq && !ex.Req.HeadComplete:
		c.Stats.PartialRequests++
		c.pool.Put(ex)
	case p.isReq:
		ex.Req.BodyTruncated = true
		c.tryFinish(ex)
	default:
		c.finish(ex, true)
	}
}

func readLine(p *parser, data []byte) (line []byte, n int, ok bool, err error) {
	i := bytes.IndexByte(data, '\n')
	if i < 0 {
		if len(p.line)+len(data) > 4096 {
			return nil, len(data), false, errMalformed
		}
		p.line = append(p.line, data...)
		return nil, len(data), false, nil
	}
	if len(p.line) > 0 {
		p.line = append(p.line, data[:i]...)
		line = p.line
	} else {
		line = data[:i]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, i + 1, true, nil
}

func parseChunkSize(line []byte) (int64, error) {
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, " \t")
	if len(line) == 0 || len(line) > 15 {
		return 0, errMalformed
	}
	var n int64
	for _, c := range line {
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, errMalformed
		}
		n = n<<4 | int64(v)
	}
	return n, nil
}

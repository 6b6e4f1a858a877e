package httpparse

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
	"net"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-trace/otelcol-trace/processor/httpparse/internal/h1"
)

const redacted = "[REDACTED]"

// knownMethod reports whether m is one of the methods semconv names.
func knownMethod(m []byte) bool {
	switch string(m) {
	case "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE", "QUERY":
		return true
	}
	return false
}

// methodString returns the method as a string, without allocating for the
// well-known ones.
func methodString(m []byte) string {
	switch string(m) {
	case "GET":
		return "GET"
	case "POST":
		return "POST"
	case "PUT":
		return "PUT"
	case "DELETE":
		return "DELETE"
	case "HEAD":
		return "HEAD"
	case "OPTIONS":
		return "OPTIONS"
	case "PATCH":
		return "PATCH"
	case "CONNECT":
		return "CONNECT"
	case "TRACE":
		return "TRACE"
	case "QUERY":
		return "QUERY"
	}
	return string(m)
}

// protoVersion returns network.protocol.version for a request line's
// protocol ("HTTP/1.1" -> "1.1") without allocating for HTTP/1.x.
func protoVersion(proto []byte) string {
	switch string(proto) {
	case "HTTP/1.1":
		return "1.1"
	case "HTTP/1.0":
		return "1.0"
	}
	return strings.TrimPrefix(string(proto), "HTTP/")
}

// headStrings hands out strings of byte slices that point into one message
// head, converting the head to a string once so that they all share one
// allocation instead of one each.
type headStrings struct {
	raw  []byte
	s    string
	done bool
}

// str returns x as a string; x should be a sub-slice of the head.
func (h *headStrings) str(x []byte) string {
	if len(x) == 0 {
		return ""
	}
	off := cap(h.raw) - cap(x)
	if off < 0 || off+len(x) > len(h.raw) || &h.raw[off] != &x[0] {
		return string(x) // not from this head
	}
	if !h.done {
		h.s, h.done = string(h.raw), true
	}
	return h.s[off : off+len(x)]
}

// view is what filters and the record need from one exchange.
type view struct {
	method     string
	scheme     string
	host       string
	port       int64
	path       string
	query      string
	hostHeader string
	status     int
	// head hands out strings of the request head (path, query, header
	// values share one allocation).
	head headStrings
}

func (p *httpParseProcessor) view(ex *h1.Exchange, cs *connState) view {
	v := view{method: methodString(ex.Req.Method), scheme: "http"}
	if cs.tls {
		v.scheme = "https"
	}
	v.head = headStrings{raw: ex.Req.Raw}
	target := v.head.str(ex.Req.Target)
	switch {
	case strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://"):
		// absolute-form (proxies)
		rest := target[strings.Index(target, "://")+3:]
		v.scheme = target[:strings.Index(target, "://")]
		slash := strings.IndexByte(rest, '/')
		if slash < 0 {
			v.hostHeader, target = rest, "/"
		} else {
			v.hostHeader, target = rest[:slash], rest[slash:]
		}
	case v.method == "CONNECT":
		v.hostHeader, target = target, ""
	}
	if i := strings.IndexByte(target, '?'); i >= 0 {
		v.path, v.query = target[:i], p.redactor.queryString(target[i+1:])
	} else {
		v.path = target
	}
	if v.hostHeader == "" {
		v.hostHeader = v.head.str(ex.Req.Host)
	}
	if v.hostHeader != "" {
		if h, port, err := net.SplitHostPort(v.hostHeader); err == nil {
			v.host = h
			v.port, _ = strconv.ParseInt(port, 10, 64)
		} else {
			v.host = strings.Trim(v.hostHeader, "[]")
		}
		// server.address may be kept long by later components: it gets
		// its own copy rather than pinning the whole head.
		v.host = strings.Clone(v.host)
	}
	if v.host == "" || v.port == 0 {
		addrKey, portKey := attrPeerAddress, attrPeerPort
		if cs.role == "server" || (cs.role == "" && !p.reqTransmit(cs)) {
			addrKey, portKey = attrLocalAddress, attrLocalPort
		}
		if v.host == "" {
			if a, ok := cs.attrs.Get(addrKey); ok {
				v.host = a.Str()
			}
		}
		if v.port == 0 && v.hostHeader == "" {
			if a, ok := cs.attrs.Get(portKey); ok {
				v.port = a.Int()
			}
		}
	}
	if v.port == 0 {
		v.port = 80
		if v.scheme == "https" {
			v.port = 443
		}
	}
	if ex.HasResp {
		v.status = ex.Resp.StatusCode
	}
	return v
}

func (p *httpParseProcessor) reqTransmit(cs *connState) bool {
	t, _ := cs.eng.RequestDirection()
	return t
}

// emit builds the records of the completed exchanges (filters applied) and
// returns the exchanges to the pool.
func (p *httpParseProcessor) emit(done []completed, c *counts) plog.Logs {
	out := plog.NewLogs()
	if len(done) == 0 {
		return out
	}
	now := pcommon.NewTimestampFromTime(p.now())
	scopes := map[string]plog.LogRecordSlice{}
	for _, d := range done {
		ex, cs := d.ex, d.cs
		v := p.view(ex, cs)
		if !p.filter.keep(&v) {
			c.filtered++
			p.pool.Put(ex)
			continue
		}
		lrs, ok := scopes[cs.resKey]
		if !ok {
			rl := out.ResourceLogs().AppendEmpty()
			cs.resource.CopyTo(rl.Resource())
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName(scopeName)
			lrs = sl.LogRecords()
			scopes[cs.resKey] = lrs
		}
		p.fillRecord(lrs.AppendEmpty(), ex, cs, &v, now)
		if ex.Incomplete {
			c.incomplete++
		} else {
			c.complete++
		}
		p.pool.Put(ex)
	}
	return out
}

// urlFull returns scheme://authority path[?query] built in one allocation.
func urlFull(scheme, authority, path, query string) string {
	var b strings.Builder
	n := len(scheme) + 3 + len(authority) + len(path)
	if query != "" {
		n += 1 + len(query)
	}
	b.Grow(n)
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(authority)
	b.WriteString(path)
	if query != "" {
		b.WriteByte('?')
		b.WriteString(query)
	}
	return b.String()
}

func seconds(ns int64) float64 { return float64(ns) / 1e9 }

func (p *httpParseProcessor) fillRecord(lr plog.LogRecord, ex *h1.Exchange, cs *connState, v *view, now pcommon.Timestamp) {
	lr.SetEventName(exchangeEventName)
	lr.SetTimestamp(pcommon.Timestamp(ex.Req.Start))
	lr.SetObservedTimestamp(now)
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	lr.SetSeverityText("INFO")
	if v.status >= 500 {
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetSeverityText("WARN")
	}
	a := lr.Attributes()
	// Room for every attribute this record may get, so that the map is
	// allocated once: the connection's, up to 24 of the exchange, one per
	// header field, and the SSE ones.
	n := cs.attrs.Len() + 24 + len(ex.Req.Headers) + len(ex.Resp.Headers)
	if ex.IsSSE {
		n += 12
	}
	a.EnsureCapacity(n)
	cs.attrs.CopyTo(a)
	if _, ok := a.Get(attrConnRole); !ok {
		if t, known := cs.eng.RequestDirection(); known {
			if t {
				a.PutStr(attrConnRole, "client")
			} else {
				a.PutStr(attrConnRole, "server")
			}
		}
	}
	if knownMethod(ex.Req.Method) {
		a.PutStr("http.request.method", v.method)
	} else {
		a.PutStr("http.request.method", "_OTHER")
		a.PutStr("http.request.method_original", v.method)
	}
	a.PutStr("url.scheme", v.scheme)
	a.PutStr("url.path", v.path)
	if v.query != "" {
		a.PutStr("url.query", v.query)
	}
	if v.host != "" {
		a.PutStr("server.address", v.host)
		authority := v.hostHeader
		if v.hostHeader == "" {
			authority = v.host
			if (v.scheme != "http" || v.port != 80) && (v.scheme != "https" || v.port != 443) {
				authority = net.JoinHostPort(v.host, strconv.FormatInt(v.port, 10))
			}
		}
		a.PutStr("url.full", urlFull(v.scheme, authority, v.path, v.query))
	}
	a.PutInt("server.port", v.port)
	a.PutStr("network.protocol.version", protoVersion(ex.Req.Proto))
	if len(ex.Req.UserAgent) > 0 {
		a.PutStr("user_agent.original", v.head.str(ex.Req.UserAgent))
	}
	p.putHeaders(a, &p.reqHeaderKeys, &v.head, &ex.Req)
	a.PutInt("http.request.body.size", ex.Req.BodySize)
	p.putBody(a, "http.request.body.", &ex.Req)
	if ex.HasResp {
		a.PutInt("http.response.status_code", int64(ex.Resp.StatusCode))
		respHead := headStrings{raw: ex.Resp.Raw}
		p.putHeaders(a, &p.respHeaderKeys, &respHead, &ex.Resp)
		a.PutInt("http.response.body.size", ex.Resp.BodySize)
		if !ex.IsSSE {
			p.putBody(a, "http.response.body.", &ex.Resp)
		} else if ex.Resp.BodyTruncated && ex.Resp.BodySize > int64(len(ex.Resp.Body)) {
			a.PutBool("http.response.body.truncated", true)
		}
		a.PutDouble("http.exchange.duration", seconds(ex.Resp.End-ex.Req.Start))
		a.PutDouble("http.exchange.time_to_first_byte", seconds(ex.Resp.Start-ex.Req.Start))
	} else if ex.Req.End > ex.Req.Start {
		a.PutDouble("http.exchange.duration", seconds(ex.Req.End-ex.Req.Start))
	}
	if ex.Informational > 0 {
		a.PutInt("http.response.informational_count", int64(ex.Informational))
	}
	if ex.Incomplete {
		a.PutBool("http.exchange.incomplete", true)
	}
	if ex.Gap {
		a.PutBool("http.exchange.gap", true)
	}
	if ex.IsSSE {
		p.putSSE(a, ex)
	}
}

// headerKeys caches the attribute keys of header fields
// ("http.request.header." + lower-case name), so that a known name costs no
// allocation. It is used under the processor's lock and bounded.
type headerKeys struct {
	prefix string
	keys   map[string]string
	lower  []byte // scratch: the lower-cased name being looked up
}

// maxHeaderKeys bounds each headerKeys cache; names beyond it are built
// per use.
const maxHeaderKeys = 1024

func newHeaderKeys(prefix string) headerKeys {
	return headerKeys{prefix: prefix, keys: make(map[string]string)}
}

// key returns the attribute key of header name, and the lower-case name
// (valid until the next call).
func (k *headerKeys) key(name []byte) (string, []byte) {
	k.lower = k.lower[:0]
	for _, c := range name {
		if c >= utf8.RuneSelf {
			// Not a token (RFC 9110 names are ASCII): lower-cased as
			// Unicode, like any other string, and not cached.
			lower := strings.ToLower(string(name))
			k.lower = append(k.lower[:0], lower...)
			return k.prefix + lower, k.lower
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		k.lower = append(k.lower, c)
	}
	if key, ok := k.keys[string(k.lower)]; ok {
		return key, k.lower
	}
	key := k.prefix + string(k.lower)
	if len(k.keys) < maxHeaderKeys {
		k.keys[key[len(k.prefix):]] = key
	}
	return key, k.lower
}

// putHeaders emits header fields (lower-case keys, redacted), or only the
// trace context ones when CaptureHeaders is off.
func (p *httpParseProcessor) putHeaders(a pcommon.Map, keys *headerKeys, head *headStrings, m *h1.Message) {
	for _, h := range m.Headers {
		if !p.cfg.CaptureHeaders && !isTraceContextHeader(h.Name) {
			continue
		}
		key, name := keys.key(h.Name)
		var s pcommon.Slice
		if old, ok := a.Get(key); ok && old.Type() == pcommon.ValueTypeSlice {
			s = old.Slice()
		} else {
			s = a.PutEmptySlice(key)
		}
		if p.redactor.headers[string(name)] {
			s.AppendEmpty().SetStr(redacted)
		} else {
			s.AppendEmpty().SetStr(head.str(h.Value))
		}
	}
}

// isTraceContextHeader reports whether name is traceparent or tracestate
// (case-insensitive).
func isTraceContextHeader(name []byte) bool {
	return equalFold(name, "traceparent") || equalFold(name, "tracestate")
}

// equalFold reports whether b equals the lower-case ASCII s, ignoring case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// putBody emits the captured body when it is text, decoded and redacted.
func (p *httpParseProcessor) putBody(a pcommon.Map, prefix string, m *h1.Message) {
	if len(m.Body) == 0 || p.cfg.MaxBodyBytes == 0 {
		if m.BodyTruncated {
			a.PutBool(prefix+"truncated", true)
		}
		return
	}
	body := m.Body
	truncated := m.BodyTruncated
	if enc := bytes.TrimSpace(m.ContentEncoding); len(enc) > 0 && !equalFold(enc, "identity") {
		if !p.cfg.DecodeContentEncoding {
			a.PutBool(prefix+"truncated", truncated)
			return
		}
		dec, cut, ok := p.decoder.decode(strings.ToLower(string(enc)), body, p.cfg.MaxBodyBytes)
		if !ok {
			if truncated {
				a.PutBool(prefix+"truncated", true)
			}
			return
		}
		body, truncated = dec, truncated || cut
	}
	if !isText(m.ContentType, body) {
		if truncated {
			a.PutBool(prefix+"truncated", true)
		}
		return
	}
	if truncated {
		// do not show a broken UTF-8 sequence at the cut
		for len(body) > 0 && !utf8.Valid(body[max(0, len(body)-3):]) {
			body = body[:len(body)-1]
		}
	}
	a.PutStr(prefix+"content", p.redactor.body(m.ContentType, string(body)))
	if truncated {
		a.PutBool(prefix+"truncated", true)
	}
}

// bodyDecoder decodes gzip and deflate bodies, reusing its decompressors
// and output buffer between bodies (used under the processor's lock).
type bodyDecoder struct {
	in   bytes.Reader
	gz   *gzip.Reader
	zl   io.ReadCloser // zlib
	fl   io.ReadCloser // raw deflate
	out  bytes.Buffer
	keep int // the output buffer is dropped when it grew past this
}

// decode decodes a gzip or deflate body (possibly cut) up to limit bytes.
// The result is valid until the next call.
func (d *bodyDecoder) decode(enc string, body []byte, limit int) ([]byte, bool, bool) {
	var r io.Reader
	var err error
	d.in.Reset(body)
	switch enc {
	case "gzip", "x-gzip":
		if d.gz == nil {
			var gz *gzip.Reader
			if gz, err = gzip.NewReader(&d.in); err == nil {
				d.gz = gz
			}
		} else {
			err = d.gz.Reset(&d.in)
		}
		r = d.gz
	case "deflate":
		// "deflate" is zlib-wrapped by the RFC, raw deflate in practice too
		if d.zl == nil {
			var zl io.ReadCloser
			if zl, err = zlib.NewReader(&d.in); err == nil {
				d.zl = zl
			}
		} else {
			err = d.zl.(zlib.Resetter).Reset(&d.in, nil)
		}
		r = d.zl
		if err != nil {
			d.in.Reset(body)
			if d.fl == nil {
				d.fl = flate.NewReader(&d.in)
			} else if rerr := d.fl.(flate.Resetter).Reset(&d.in, nil); rerr != nil {
				return nil, false, false
			}
			r, err = d.fl, nil
		}
	default:
		return nil, false, false
	}
	if err != nil {
		return nil, false, false
	}
	if d.out.Cap() > d.keep {
		d.out = bytes.Buffer{}
	}
	d.out.Reset()
	_, err = d.out.ReadFrom(io.LimitReader(r, int64(limit)+1))
	out := d.out.Bytes()
	if len(out) == 0 && err != nil {
		return nil, false, false
	}
	cut := err != nil || len(out) > limit
	if len(out) > limit {
		out = out[:limit]
	}
	return out, cut, true
}

// isText reports whether a body is worth showing as text.
func isText(contentType, body []byte) bool {
	ct := contentType
	if i := bytes.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = bytes.TrimSpace(ct)
	if len(ct) > 0 {
		var buf [64]byte
		lower := buf[:0]
		if len(ct) > len(buf) {
			lower = make([]byte, 0, len(ct))
		}
		for _, c := range ct {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			lower = append(lower, c)
		}
		switch {
		case bytes.HasPrefix(lower, []byte("text/")), bytes.HasSuffix(lower, []byte("json")), bytes.HasSuffix(lower, []byte("xml")):
			return true
		}
		switch string(lower) {
		case "application/x-www-form-urlencoded", "application/javascript", "application/x-ndjson", "application/graphql":
			return true
		}
		return false
	}
	// No content type: show it when it looks like text.
	n := min(len(body), 512)
	for _, c := range body[:n] {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return utf8.Valid(body[:max(0, n-3)])
}

func (p *httpParseProcessor) putSSE(a pcommon.Map, ex *h1.Exchange) {
	d := &ex.SSE
	a.PutInt("sse.event_count", int64(d.EventCount))
	if d.EventCount > 0 {
		a.PutDouble("sse.time_to_first_event", seconds(d.FirstEventTime-ex.Req.Start))
	}
	a.PutBool("sse.incomplete", ex.Incomplete || ex.Gap || !ex.Resp.Complete)
	if d.Format != "" {
		a.PutStr("sse.format", d.Format)
		a.PutBool("sse.done", d.Done)
	}
	if len(d.Text) > 0 {
		a.PutStr("sse.text", string(d.Text))
	}
	if len(d.Thinking) > 0 {
		a.PutStr("sse.thinking", string(d.Thinking))
	}
	if len(d.ToolInput) > 0 {
		a.PutStr("sse.tool_input", string(d.ToolInput))
	}
	if d.TextTruncated {
		a.PutBool("sse.text.truncated", true)
	}
	if len(d.Events) > 0 {
		s := a.PutEmptySlice("sse.events")
		s.EnsureCapacity(len(d.Events))
		for _, e := range d.Events {
			m := s.AppendEmpty().SetEmptyMap()
			n := 2
			if e.ID != "" {
				n++
			}
			if e.Truncated {
				n++
			}
			m.EnsureCapacity(n)
			m.PutStr("event", e.Type)
			m.PutStr("data", e.Data)
			if e.ID != "" {
				m.PutStr("id", e.ID)
			}
			if e.Truncated {
				m.PutBool("truncated", true)
			}
		}
		if d.EventCount > len(d.Events) {
			a.PutBool("sse.events.truncated", true)
		}
	}
}

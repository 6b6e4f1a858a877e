package h1

import (
	"bytes"
	"strings"
)

// knownMethod reports whether m is a method accepted at a record boundary
// even when the request line is not complete in that record.
func knownMethod(m []byte) bool {
	switch string(m) {
	case "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE":
		return true
	}
	return false
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func looksLikeStart(isReq bool, data []byte) bool {
	if isReq {
		return looksLikeRequest(data)
	}
	return looksLikeResponse(data)
}

// looksLikeRequest reports whether data starts with an HTTP/1 request line
// (as far as data goes).
func looksLikeRequest(data []byte) bool {
	sp := -1
	for i := 0; i < len(data) && i <= 24; i++ {
		c := data[i]
		if c == ' ' {
			sp = i
			break
		}
		if c < 'A' || c > 'Z' {
			if c != '-' && c != '_' {
				return false
			}
		}
	}
	if sp <= 0 {
		return false
	}
	line := data
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		line = bytes.TrimSuffix(data[:i], []byte("\r"))
	} else {
		// The request line is not complete in this piece: accept the
		// well-known methods only.
		return knownMethod(data[:sp])
	}
	j := bytes.LastIndexByte(line, ' ')
	return j > sp && bytes.HasPrefix(line[j+1:], []byte("HTTP/1."))
}

// looksLikeResponse reports whether data starts with an HTTP/1 status line.
func looksLikeResponse(data []byte) bool {
	const prefix = "HTTP/1."
	if len(data) < len(prefix) {
		return len(data) >= 4 && string(data) == prefix[:len(data)]
	}
	return string(data[:len(prefix)]) == prefix
}

// parseHead parses m.Raw into the message's fields. ends, when not nil,
// are the offsets of every line end ('\n') of m.Raw up to the empty line.
func parseHead(m *Message, isReq bool, ends []int32) error {
	rest := m.Raw
	var line []byte
	lines := headLines{raw: m.Raw, ends: ends}
	if ends != nil {
		line = lines.next()
	} else {
		line, rest = nextLine(rest)
	}
	if isReq {
		sp := bytes.IndexByte(line, ' ')
		if sp <= 0 {
			return errMalformed
		}
		m.Method = line[:sp]
		for _, c := range m.Method {
			if !isTokenChar(c) {
				return errMalformed
			}
		}
		r := line[sp+1:]
		sp2 := bytes.LastIndexByte(r, ' ')
		if sp2 <= 0 {
			return errMalformed
		}
		m.Target, m.Proto = bytes.TrimSpace(r[:sp2]), r[sp2+1:]
		if len(m.Target) == 0 {
			return errMalformed
		}
	} else {
		if len(line) < 12 || line[8] != ' ' {
			return errMalformed
		}
		m.Proto = line[:8]
		code := 0
		for _, c := range line[9:12] {
			if c < '0' || c > '9' {
				return errMalformed
			}
			code = code*10 + int(c-'0')
		}
		if code < 100 {
			return errMalformed
		}
		m.StatusCode = code
	}
	if len(m.Proto) != 8 || string(m.Proto[:7]) != "HTTP/1." || (m.Proto[7] != '0' && m.Proto[7] != '1') {
		return errMalformed
	}
	for {
		if ends != nil {
			if lines.i >= len(ends) {
				break
			}
			line = lines.next()
		} else {
			if len(rest) == 0 {
				break
			}
			line, rest = nextLine(rest)
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // obsolete line folding: ignored
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue // tolerate a malformed field line
		}
		name := line[:colon]
		value := trimOWS(line[colon+1:])
		m.Headers = append(m.Headers, Header{Name: name, Value: value})
		switch len(name) {
		case 4:
			if equalFoldASCII(name, "host") && m.Host == nil {
				m.Host = value
			}
		case 10:
			if equalFoldASCII(name, "user-agent") {
				m.UserAgent = value
			}
		case 12:
			if equalFoldASCII(name, "content-type") {
				m.ContentType = value
			}
		case 14:
			if equalFoldASCII(name, "content-length") {
				n, ok := parseDecimal(value)
				if !ok || (m.ContentLength >= 0 && m.ContentLength != n) {
					return errMalformed
				}
				m.ContentLength = n
			}
		case 16:
			if equalFoldASCII(name, "content-encoding") {
				m.ContentEncoding = value
			}
		case 17:
			if equalFoldASCII(name, "transfer-encoding") {
				v := value
				if i := bytes.LastIndexByte(v, ','); i >= 0 {
					v = bytes.TrimSpace(v[i+1:])
				}
				m.Chunked = equalFoldASCII(v, "chunked")
			}
		}
	}
	if m.Chunked {
		m.ContentLength = -1
	}
	return nil
}

// headLines iterates over the lines of a head whose line ends are known.
type headLines struct {
	raw   []byte
	ends  []int32
	i     int // next line
	start int // its first byte
}

// next returns the next line without its line end; the caller checks that
// one is left.
func (l *headLines) next() []byte {
	end := int(l.ends[l.i])
	line := l.raw[l.start:end]
	l.i++
	l.start = end + 1
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

func nextLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		line, rest = b, nil
	} else {
		line, rest = b[:i], b[i+1:]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

// trimOWS removes optional whitespace (SP, HTAB) around a field value.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// couldStart reports whether data, too short to decide, may still grow into
// the start of a message: a request method (and an unfinished request
// line), or a prefix of "HTTP/1.".
func couldStart(isReq bool, data []byte) bool {
	if !isReq {
		return len(data) < 7 && string(data) == "HTTP/1."[:len(data)]
	}
	if len(data) >= 256 || bytes.IndexByte(data, '\n') >= 0 {
		return false
	}
	for i, c := range data {
		if c == ' ' {
			return i > 0
		}
		if (c < 'A' || c > 'Z') && c != '-' && c != '_' || i > 24 {
			return false
		}
	}
	return true
}

package h1

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzHeadFastPath checks the one-pass head reader against its definition:
// a head given in one piece is complete at the first "\r\n\r\n" when no
// "\n\n" comes before it, and parsing it with the recorded line ends gives
// the same message as parsing it by scanning the lines.
func FuzzHeadFastPath(f *testing.F) {
	f.Add([]byte("GET /a?b=c HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"), true)
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), false)
	f.Add([]byte("GET / HTTP/1.1\nHost: x\n\r\nBODY\r\n\r\n"), true)
	f.Add([]byte("GET / HTTP/1.1\r\nA: b\n\nC: d\r\n\r\n"), true)
	f.Add([]byte("\r\n\r\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, isReq bool) {
		lim := DefaultLimits()
		lim.MaxHeaderBytes = 256
		c := NewConn(lim, NewPool(0))
		p := &c.resp
		if isReq {
			p = &c.req
		}
		p.ex = &Exchange{}
		p.ex.reset()
		n, done, err := c.readHead(p, data, 1)

		// the definition
		k := bytes.Index(data, []byte(crlfcrlf))
		fast := k >= 0 && bytes.Index(data[:k+2], []byte(lflf)) < 0
		if fast {
			wantErr := k+4 > lim.MaxHeaderBytes
			if n != k+4 || (err != nil) != wantErr || done == wantErr {
				t.Fatalf("fast path: got n=%d done=%v err=%v, want n=%d err=%v", n, done, err, k+4, wantErr)
			}
			if done && p.ends == nil {
				t.Fatalf("fast path without line ends")
			}
		} else if p.ends != nil {
			t.Fatalf("line ends recorded outside the fast path")
		}
		if !done || err != nil {
			return
		}
		m := p.msg()
		var a, b Message
		a.reset()
		b.reset()
		a.Raw = append(a.Raw, m.Raw...)
		b.Raw = append(b.Raw, m.Raw...)
		var ends []int32
		if p.ends != nil {
			ends = append(ends, p.ends...)
		}
		errA := parseHead(&a, isReq, ends)
		errB := parseHead(&b, isReq, nil)
		if (errA != nil) != (errB != nil) {
			t.Fatalf("parse errors differ: %v vs %v", errA, errB)
		}
		if errA != nil {
			return
		}
		// Same fields; slices compared by content (they point into
		// different copies of the head).
		type flat struct {
			Method, Target, Proto, Host, UA, CT, CE string
			Status                                  int
			CL                                      int64
			Chunked                                 bool
			Headers                                 []string
		}
		fl := func(m *Message) flat {
			r := flat{string(m.Method), string(m.Target), string(m.Proto), string(m.Host), string(m.UserAgent),
				string(m.ContentType), string(m.ContentEncoding), m.StatusCode, m.ContentLength, m.Chunked, nil}
			for _, h := range m.Headers {
				r.Headers = append(r.Headers, string(h.Name)+"\x00"+string(h.Value))
			}
			return r
		}
		if fa, fb := fl(&a), fl(&b); !reflect.DeepEqual(fa, fb) {
			t.Fatalf("with line ends %+v\nscanning      %+v", fa, fb)
		}
		if (a.Host == nil) != (b.Host == nil) {
			t.Fatalf("Host nil-ness differs")
		}
	})
}

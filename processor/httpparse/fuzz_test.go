package httpparse

import (
	"testing"
	"time"
)

// FuzzParsePayloads runs arbitrary bytes, cut into records of both
// directions and delivered in a perturbed order, through the whole
// processor: it must not panic, and must end with no connection holding
// state after shutdown.
func FuzzParsePayloads(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"), uint16(0x1234), uint8(27))
	f.Add([]byte("POST /v1/messages HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n"), uint16(7), uint8(48))
	f.Fuzz(func(t *testing.T, in []byte, pattern uint16, cut uint8) {
		if len(in) > 4096 {
			return
		}
		h := newHarness(t, func(c *Config) {
			c.MaxBodyBytes = 32
			c.MaxBufferedBytesPerConnection = 256
			c.MaxConnections = 2
		})
		c := defaultCapture()
		var specs []recSpec
		n := int(cut%64) + 1
		for i := 0; len(in) > 0; i++ {
			k := min(n, len(in))
			specs = append(specs, recSpec{
				seq:      int64(i),
				transmit: pattern&(1<<(i%16)) == 0,
				ts:       c.base.Add(time.Duration(i) * time.Millisecond),
				data:     in[:k],
			})
			in = in[k:]
		}
		// perturb: swap neighbours where the pattern says so, drop one
		for i := 0; i+1 < len(specs); i += 2 {
			if pattern&(1<<((i/2)%16)) != 0 {
				specs[i], specs[i+1] = specs[i+1], specs[i]
			}
		}
		if len(specs) > 3 && pattern%5 == 0 {
			specs = append(specs[:2], specs[3:]...)
		}
		for i := range specs {
			h.consume(toLogs(c, specs[i:i+1]))
		}
		if err := h.proc.Shutdown(t.Context()); err != nil {
			t.Fatal(err)
		}
		if len(h.p.conns) != 0 || h.p.lru.Len() != 0 {
			t.Fatalf("%d connections left after shutdown", len(h.p.conns))
		}
		for _, e := range h.exchanges() {
			if _, ok := e.Attributes().Get("http.request.method"); !ok {
				t.Fatalf("exchange without method")
			}
		}
	})
}

package h1

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

type benchChunk struct {
	Dir  string `json:"dir"`
	Data []byte `json:"data"`
}

func loadChunks(b *testing.B, name string) []benchChunk {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "fixtures", name+".json"))
	if err != nil {
		b.Fatal(err)
	}
	var fx struct {
		Chunks []benchChunk `json:"chunks"`
	}
	if err := json.Unmarshal(raw, &fx); err != nil {
		b.Fatal(err)
	}
	return fx.Chunks
}

// benchConns runs the recorded connections through long-lived Conns (each
// fixture ends between messages, so a Conn can replay it) and reports
// throughput and allocations per exchange.
func benchConns(b *testing.B, fixtures [][]benchChunk) {
	pool := NewPool(0)
	lim := DefaultLimits()
	conns := make([]*Conn, len(fixtures))
	var size int64
	for i, chunks := range fixtures {
		conns[i] = NewConn(lim, pool)
		conns[i].SetRequestDirection(true)
		for _, c := range chunks {
			size += int64(len(c.Data))
		}
	}
	var done []*Exchange
	exchanges := 0
	run := func() {
		for i, chunks := range fixtures {
			c := conns[i]
			for j, ch := range chunks {
				c.Feed(ch.Dir == "c2s", ch.Data, int64(j), int64(j))
			}
			done = c.TakeCompleted(done[:0])
			exchanges += len(done)
			for _, ex := range done {
				pool.Put(ex)
			}
		}
	}
	run() // warm the pool and buffers
	exchanges = 0
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
	b.StopTimer()
	if exchanges == 0 {
		b.Fatal("no exchanges")
	}
	b.ReportMetric(float64(exchanges)/float64(b.N), "exchanges/op")
	b.ReportMetric(testing.AllocsPerRun(1, run)/float64(exchanges/b.N), "allocs/exchange")
}

// BenchmarkParse measures the HTTP/1 engine alone on recorded traffic.
func BenchmarkParse(b *testing.B) {
	b.Run("mix_plain", func(b *testing.B) {
		var fx [][]benchChunk
		for _, n := range []string{"keepalive", "chunked", "nobody", "pipelined", "gzip"} {
			fx = append(fx, loadChunks(b, n))
		}
		benchConns(b, fx)
	})
	b.Run("sse", func(b *testing.B) {
		benchConns(b, [][]benchChunk{loadChunks(b, "openai_sse"), loadChunks(b, "anthropic_sse")})
	})
	b.Run("large_bodies", func(b *testing.B) {
		benchConns(b, [][]benchChunk{loadChunks(b, "expect100")})
	})
	for _, bodyKB := range []int{1, 64, 1024} {
		b.Run(fmt.Sprintf("synthetic_body_%dKiB", bodyKB), func(b *testing.B) {
			body := bytes.Repeat([]byte("x"), bodyKB<<10)
			req := []byte("GET /api/v1/items?limit=10 HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: bench/1\r\nAccept: application/json\r\n\r\n")
			resp := append([]byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))), body...)
			chunks := []benchChunk{{Dir: "c2s", Data: req}}
			for len(resp) > 0 {
				n := min(16<<10, len(resp))
				chunks = append(chunks, benchChunk{Dir: "s2c", Data: resp[:n]})
				resp = resp[n:]
			}
			benchConns(b, [][]benchChunk{chunks})
		})
	}
}

package httpparse

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
)

// BenchmarkProcessor measures the whole processor (pdata in, reassembly,
// parsing, http.exchange records out) on recorded traffic. Each operation
// consumes one batch holding connsPerOp fresh connections of the mix.
func BenchmarkProcessor(b *testing.B) {
	mixes := map[string][]string{
		"mix_plain": {"keepalive", "chunked", "nobody", "pipelined", "gzip"},
		"sse":       {"openai_sse", "anthropic_sse"},
	}
	for _, name := range []string{"mix_plain", "mix_plain_no_headers", "sse"} {
		b.Run(name, func(b *testing.B) {
			mix := mixes[name]
			if name == "mix_plain_no_headers" {
				mix = mixes["mix_plain"]
			}
			const connsPerOp = 8
			var fixtures []fixture
			for _, n := range mix {
				fixtures = append(fixtures, loadFixture(b, n))
			}
			set := processortest.NewNopSettings(NewFactory().Type())
			cfg := createDefaultConfig().(*Config)
			cfg.CaptureHeaders = name != "mix_plain_no_headers"
			p, err := newProcessor(set, cfg, consumertest.NewNop())
			if err != nil {
				b.Fatal(err)
			}
			op := 0
			batch := func() (plog.Logs, int64) {
				ld := plog.NewLogs()
				var size int64
				for i := range connsPerOp {
					fx := fixtures[i%len(fixtures)]
					c := defaultCapture()
					c.connID = fmt.Sprintf("1:openssl:%d:%d", op, i)
					specs := fx.specs(c)
					for _, s := range specs {
						size += int64(len(s.data))
					}
					toLogs(c, specs).ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
				}
				op++
				return ld, size
			}
			ctx := context.Background()
			countExchanges := func(ld plog.Logs) int {
				n := 0
				for i := 0; i < ld.ResourceLogs().Len(); i++ {
					for j := 0; j < ld.ResourceLogs().At(i).ScopeLogs().Len(); j++ {
						n += ld.ResourceLogs().At(i).ScopeLogs().At(j).LogRecords().Len()
					}
				}
				return n
			}
			ld, size := batch()
			out, _ := p.processLogs(ctx, ld)
			perOp := countExchanges(out)
			if perOp == 0 {
				b.Fatal("no exchanges")
			}
			// Batches are built in groups outside the timer (stopping the
			// timer per batch costs a stop-the-world ReadMemStats each time).
			const group = 64
			batches := func(n int) []plog.Logs {
				lds := make([]plog.Logs, n)
				for i := range lds {
					lds[i], _ = batch()
				}
				return lds
			}
			// Allocations per exchange, counted around processLogs only.
			lds := batches(16)
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			for _, ld := range lds {
				if _, err := p.processLogs(ctx, ld); err != nil {
					b.Fatal(err)
				}
			}
			runtime.ReadMemStats(&m1)
			allocsPerExchange := float64(m1.Mallocs-m0.Mallocs) / float64(len(lds)*perOp)
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; {
				k := min(group, b.N-n)
				b.StopTimer()
				lds := batches(k)
				b.StartTimer()
				for _, ld := range lds {
					if _, err := p.processLogs(ctx, ld); err != nil {
						b.Fatal(err)
					}
				}
				n += k
			}
			b.StopTimer()
			b.ReportMetric(allocsPerExchange, "allocs/exchange")
			b.ReportMetric(float64(perOp), "exchanges/op")
		})
	}
}

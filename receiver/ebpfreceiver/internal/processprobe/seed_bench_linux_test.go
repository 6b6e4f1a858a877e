//go:build linux

package processprobe

import "testing"

// BenchmarkSeedRealProc: seed from this host's /proc (every process but
// kernel threads), as Probe.Start does (no filter maps: everything passes).
func BenchmarkSeedRealProc(b *testing.B) {
	seeded := 0
	b.ReportAllocs()
	for b.Loop() {
		tr := newTracker(DefaultConfig(), fixedClock{}, newBenchSink())
		st, err := seedRunning(tr, nil, 0)
		if err != nil {
			b.Fatal(err)
		}
		seeded = st.Seeded
	}
	b.ReportMetric(float64(seeded), "processes")
	if seeded > 0 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*seeded), "ns/process")
	}
}

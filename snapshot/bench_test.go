package snapshot

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/pprof"
	"sync"
	"testing"
)

//go:noinline
func benchParked(ch chan struct{}) { <-ch }

// startParked starts n goroutines blocked on a channel, a tenth of them with
// pprof labels, and returns the function that releases them.
func startParked(n int) func() {
	ch := make(chan struct{})
	var ready sync.WaitGroup
	ready.Add(n)
	for i := 0; i < n; i++ {
		if i%10 == 0 {
			go pprof.Do(context.Background(), pprof.Labels("worker", fmt.Sprint(i)), func(context.Context) {
				ready.Done()
				benchParked(ch)
			})
			continue
		}
		go func() {
			ready.Done()
			benchParked(ch)
		}()
	}
	ready.Wait()
	return func() { close(ch) }
}

// BenchmarkCapture10kGoroutines measures a snapshot of a process with 10,000
// goroutines: ns/op is the capture plus its encoding, capture-ms the capture
// alone, pause-ms its stop-the-world part (runtime.Stack of all goroutines),
// json-bytes the size of the snapshot's
// JSON, gzip-bytes what is sent to the receiver.
func BenchmarkCapture10kGoroutines(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("goroutines=%d", n), func(b *testing.B) {
			release := startParked(n)
			defer release()
			a := NewAgent()
			a.Register("config", func() any { return map[string]any{"name": "bench", "limits": []int{1, 2, 3}} })
			var pause, capture, size, gzSize float64
			var goroutines int
			b.ResetTimer()
			for b.Loop() {
				snap, err := a.CaptureSnapshot(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				pause += snap.PauseSeconds
				capture += snap.CaptureSeconds
				goroutines = len(snap.Goroutines)
				body, err := json.Marshal(Upload{Session: "s", Snapshot: snap})
				if err != nil {
					b.Fatal(err)
				}
				size = float64(len(body))
				gz, err := encodeUpload(Upload{Session: "s", Snapshot: snap})
				if err != nil {
					b.Fatal(err)
				}
				gzSize = float64(len(gz))
			}
			b.StopTimer()
			if goroutines < n {
				b.Fatalf("snapshot has %d goroutines, want at least %d", goroutines, n)
			}
			b.ReportMetric(pause/float64(b.N)*1e3, "pause-ms")
			b.ReportMetric(capture/float64(b.N)*1e3, "capture-ms")
			b.ReportMetric(size, "json-bytes")
			b.ReportMetric(gzSize, "gzip-bytes")
			b.ReportMetric(float64(goroutines), "goroutines")
		})
	}
}

//go:build linux && amd64

package fileprobe

import (
	"encoding/binary"
	"testing"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/syscallprobe/probeenv"
)

func syntheticOpen() []byte {
	raw := make([]byte, eventSize)
	le := binary.LittleEndian
	le.PutUint32(raw[0:], evOpen)
	le.PutUint32(raw[4:], 4242)
	le.PutUint64(raw[8:], 1000)
	copy(raw[40:], "bench")
	le.PutUint64(raw[offRet:], 5)
	le.PutUint32(raw[offFd:], 5)
	le.PutUint32(raw[offNr:], 257)
	p := "/var/lib/some/where/file.txt"
	copy(raw[offPath:], p)
	le.PutUint16(raw[offPathLen:], uint16(len(p)+1))
	return raw
}

// BenchmarkHandleOpen measures the user-space cost of one fs.open record
// (decode + record fill into a counting sink).
func BenchmarkHandleOpen(b *testing.B) {
	sink := probeenv.NewSink()
	sink.CountOnly = true
	p := newFileProbe(NewDefaultConfig())
	p.env = probe.Env{Sink: sink, Clock: probeenv.NewClock()}
	raw := syntheticOpen()
	b.ReportAllocs()
	for b.Loop() {
		if err := p.handle(raw); err != nil {
			b.Fatal(err)
		}
	}
}

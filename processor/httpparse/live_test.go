package httpparse

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-trace/otelcol-trace/processor/httpparse/internal/capture"
)

// TestLiveCapture records every scenario again, now, with the real clients
// (Go net/http, curl, python3) and the real Go server through the recording
// proxy, and checks the result as for the committed fixtures. Scenarios
// whose client program is not installed are skipped.
func TestLiveCapture(t *testing.T) {
	lab, err := capture.Start()
	require.NoError(t, err)
	defer lab.Close()
	for _, fc := range fixtureCases() {
		t.Run(fc.name, func(t *testing.T) {
			if tool := capture.Tool(fc.name); tool != "" {
				if _, err := exec.LookPath(tool); err != nil {
					t.Skipf("needs %s on PATH to record this scenario live: %v", tool, err)
				}
			}
			rec, err := lab.Record(fc.name)
			require.NoError(t, err)
			var fx fixture
			fx.Name = rec.Name
			for _, ch := range rec.Chunks {
				fx.Chunks = append(fx.Chunks, struct {
					Dir  string `json:"dir"`
					T    int64  `json:"t_ns"`
					Data []byte `json:"data"`
				}{ch.Dir, ch.T, ch.Data})
			}
			h := newHarness(t, nil)
			c := defaultCapture()
			h.consume(toLogs(c, fx.specs(c)))
			if fc.flush {
				h.flush()
			}
			fc.check(t, h.exchanges())
		})
	}
}

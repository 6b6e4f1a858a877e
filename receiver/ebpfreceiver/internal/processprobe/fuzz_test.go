package processprobe

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
)

// FuzzHandle feeds arbitrary records to the decoder and process table: a
// malformed record is an error, never a panic, and the table stays bounded.
func FuzzHandle(f *testing.F) {
	f.Add(rawExec(10, 9, "/bin/true", []string{"/bin/true", "a"}, 0, 0))
	f.Add(rawExec(10, 9, "rel/path", []string{"x"}, 9999, execFlagArgsTruncated|execFlagFilenameTruncated))
	f.Add(rawFork(11, 10, 5))
	f.Add(rawExit(11, 10, 6, 9))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		cfg := DefaultConfig()
		cfg.MaxTrackedProcesses = 4
		cfg.MaxArgs = 3
		cfg.MaxArgsBytes = 16
		sink := &recordingSink{logs: plog.NewLogRecordSlice()}
		tr := newTracker(cfg, fixedClock{}, sink)
		for range 3 {
			_ = tr.handle(raw)
		}
		if len(tr.procs) > cfg.MaxTrackedProcesses || tr.lru.Len() != len(tr.procs) {
			t.Fatalf("table out of bounds: %d procs, %d in lru", len(tr.procs), tr.lru.Len())
		}
		tr.shutdown()
		for i := 0; i < sink.logs.Len(); i++ {
			if v, ok := sink.logs.At(i).Attributes().Get(attrArgs); ok && v.Slice().Len() > cfg.MaxArgs {
				t.Fatalf("%d args kept, max %d", v.Slice().Len(), cfg.MaxArgs)
			}
		}
	})
}

package snapshotreceiver

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-trace/otelcol-trace/snapshot"
)

func TestSnapshotToLogs(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	hello := snapshot.Hello{Program: "svc", Environment: "prod", Host: "h1", PID: 42, GoVersion: "go1.26.0"}
	snap := &snapshot.Snapshot{
		ID: "abc", Time: when, PauseSeconds: 0.002,
		Goroutines: []snapshot.Goroutine{{
			ID: 7, State: "waiting", WaitReason: "chan receive", WaitMinutes: 3,
			Labels:    map[string]string{"role": "worker"},
			Frames:    []snapshot.Frame{{Function: "main.work", File: "/src/main.go", Line: 10}, {Function: "main.main", File: "/src/main.go", Line: 3}},
			CreatedBy: &snapshot.Frame{Function: "main.main", File: "/src/main.go", Line: 2}, CreatorID: 1,
		}},
		Variables: []snapshot.Variable{
			{Name: "main.cfg", Type: "main.config", Source: "dwarf", Value: map[string]any{"Port": json.Number("8080"), "Ratio": json.Number("0.5"), "Tags": []any{"a"}}},
			{Name: "gone", Source: "dwarf", Error: "unavailable: stripped"},
		},
		Errors: []string{"labels: boom"},
	}
	logs := snapshotToLogs(hello, snap, when.Add(time.Second))
	require.Equal(t, 1, logs.ResourceLogs().Len())
	res := logs.ResourceLogs().At(0).Resource().Attributes().AsRaw()
	assert.Equal(t, map[string]any{
		"service.name": "svc", "deployment.environment.name": "prod", "process.pid": int64(42), "host.name": "h1",
		"process.runtime.name": "go", "process.runtime.version": "go1.26.0",
	}, res)
	lrs := logs.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	require.Equal(t, 4, lrs.Len())

	sum := lrs.At(0)
	assert.Equal(t, eventSummary, sum.EventName())
	assert.Equal(t, plog.SeverityNumberWarn, sum.SeverityNumber(), "a snapshot with errors is a warning")
	assert.Equal(t, when, sum.Timestamp().AsTime())
	assert.Equal(t, 0.002, sum.Attributes().AsRaw()["snapshot.pause.duration"])
	assert.Equal(t, []any{"labels: boom"}, sum.Attributes().AsRaw()["snapshot.errors"])

	g := lrs.At(1)
	assert.Equal(t, eventGoroutine, g.EventName())
	assert.Equal(t, map[string]any{
		"snapshot.id": "abc", "goroutine.id": int64(7), "goroutine.state": "waiting", "goroutine.wait_reason": "chan receive",
		"goroutine.wait.duration": 180.0, "goroutine.created_by": "main.main /src/main.go:2", "goroutine.creator.id": int64(1),
		"code.function.name": "main.work", "code.file.path": "/src/main.go", "code.line.number": int64(10),
		"goroutine.labels.role": "worker",
	}, g.Attributes().AsRaw())
	assert.Equal(t, []any{"main.work /src/main.go:10", "main.main /src/main.go:3"}, g.Body().Slice().AsRaw())

	v := lrs.At(2)
	assert.Equal(t, eventVariable, v.EventName())
	assert.Equal(t, map[string]any{"Port": int64(8080), "Ratio": 0.5, "Tags": []any{"a"}}, v.Body().Map().AsRaw())
	assert.Equal(t, "dwarf", v.Attributes().AsRaw()["variable.source"])
	assert.Equal(t, false, v.Attributes().AsRaw()["variable.truncated"])
	e := lrs.At(3)
	assert.Equal(t, "unavailable: stripped", e.Attributes().AsRaw()["variable.error"])
	assert.Equal(t, plog.SeverityNumberWarn, e.SeverityNumber())
}

// TestRefusedRequestsAreCounted checks the receiver's own metrics.
func TestRefusedRequestsAreCounted(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	addr := freeAddr(t)
	cfg := createDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = addr
	cfg.Tokens = []configopaque.String{testToken}
	set := receivertest.NewNopSettings(component.MustNewType(typeStr))
	set.TelemetrySettings = tel.NewTelemetrySettings()
	r, err := newSnapshotReceiver(cfg, set, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, r.Shutdown(context.Background())) })

	for _, tok := range []string{"", "bad-token-xxxxxxxxxxxx", "bad-token-yyyyyyyyyyyy"} {
		req, err := http.NewRequest(http.MethodPost, "http://"+addr+snapshot.PathConnect, bytes.NewReader([]byte(`{}`)))
		require.NoError(t, err)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	m, err := tel.GetMetric("otelcol_snapshot_requests_refused_total")
	require.NoError(t, err)
	counts := map[string]int64{}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		reason, _ := dp.Attributes.Value("reason")
		counts[reason.AsString()] += dp.Value
	}
	assert.Equal(t, map[string]int64{reasonMissingToken: 1, reasonInvalidToken: 2}, counts)
}

// FuzzUpload feeds arbitrary upload bodies through the decoding and the
// conversion to logs: nothing may panic.
func FuzzUpload(f *testing.F) {
	f.Add([]byte(`{"session":"s","snapshot":{"id":"x","goroutines":[{"id":1,"state":"running","frames":[{"function":"f","file":"a.go","line":1}]}],"variables":[{"name":"v","source":"registered","value":{"a":[1,2.5,"s",null,true]}}]}}`))
	f.Add([]byte(`{"snapshot":{"id":"y","variables":[{"value":12345678901234567890123}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var up snapshot.Upload
		if dec.Decode(&up) != nil || up.Snapshot == nil {
			return
		}
		logs := snapshotToLogs(snapshot.Hello{Program: "p"}, up.Snapshot, time.Now())
		if logs.LogRecordCount() != 1+len(up.Snapshot.Goroutines)+len(up.Snapshot.Variables) {
			t.Fatalf("record count %d for %d goroutines and %d variables", logs.LogRecordCount(), len(up.Snapshot.Goroutines), len(up.Snapshot.Variables))
		}
	})
}

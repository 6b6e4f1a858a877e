package snapshotreceiver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

// TestInCollector runs the receiver inside a real collector built from the
// YAML configuration, exporting with otlphttp to a local OTLP endpoint: the
// demo's snapshot arrives there as OTLP logs.
func TestInCollector(t *testing.T) {
	var (
		mu       sync.Mutex
		received []plogotlp.ExportRequest
	)
	otlp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || r.URL.Path != "/v1/logs" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		req := plogotlp.NewExportRequest()
		if err := req.UnmarshalProto(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		received = append(received, req)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		resp, _ := plogotlp.NewExportResponse().MarshalProto()
		_, _ = w.Write(resp)
	}))
	defer otlp.Close()

	addr := freeAddr(t)
	cfg := fmt.Sprintf(`
receivers:
  snapshot:
    endpoint: %s
    tokens: [%s]
exporters:
  otlphttp:
    endpoint: %s
    compression: none
    retry_on_failure:
      enabled: false
service:
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
  pipelines:
    logs:
      receivers: [snapshot]
      exporters: [otlphttp]
`, addr, testToken, otlp.URL)
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "otelcol-trace-test", Version: "test"},
		Factories: func() (otelcol.Factories, error) {
			f := otelcol.Factories{Telemetry: otelconftelemetry.NewFactory()}
			var err error
			if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](NewFactory()); err != nil {
				return f, err
			}
			f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](otlphttpexporter.NewFactory())
			return f, err
		},
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			URIs:              []string{"yaml:" + cfg},
			ProviderFactories: []confmap.ProviderFactory{yamlprovider.NewFactory()},
		}},
	})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- col.Run(context.Background()) }()
	t.Cleanup(func() {
		col.Shutdown()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(20 * time.Second):
			t.Error("collector did not stop")
		}
	})
	require.Eventually(t, func() bool { return col.GetState() == otelcol.StateRunning }, 30*time.Second, 20*time.Millisecond)

	d := startDemo(t, map[string]string{
		"OTELCOL_TRACE_ENDPOINT": "http://" + addr, "OTELCOL_TRACE_TOKEN": testToken, "OTELCOL_TRACE_ENVIRONMENT": "collector",
	})
	tr := &testReceiver{base: "http://" + addr}
	tr.waitConnected(t, d.cmd.Process.Pid)
	res := tr.trigger(t, TriggerRequest{Environment: "collector"})
	require.Len(t, res, 1)
	require.Equal(t, "ok", res[0].Status, res[0].Error)

	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, req := range received {
			logs := req.Logs()
			for i := 0; i < logs.ResourceLogs().Len(); i++ {
				rl := logs.ResourceLogs().At(i)
				lrs := rl.ScopeLogs().At(0).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					lr := lrs.At(k)
					id, _ := lr.Attributes().Get("snapshot.id")
					fn, _ := lr.Attributes().Get("code.function.name")
					if id.Str() == res[0].SnapshotID && lr.EventName() == eventGoroutine && fn.Str() == "main.waitForJob" &&
						attrStr(rl.Resource().Attributes(), "service.name") == "snapshotdemo" {
						return true
					}
				}
			}
		}
		return false
	}, 30*time.Second, 50*time.Millisecond, "the snapshot never reached the OTLP endpoint")
}

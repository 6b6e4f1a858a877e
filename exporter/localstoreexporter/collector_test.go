package localstoreexporter

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	"github.com/otelcol-trace/otelcol-trace/exporter/localstoreexporter/store"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestInACollector runs a real collector (otelcol) with the OTLP receiver and
// this exporter in a logs and a traces pipeline, sends OTLP/HTTP to it, and
// reads the store while the collector runs.
func TestInACollector(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	cfg := fmt.Sprintf(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:%d
exporters:
  localstore:
    directory: %s
    batch:
      flush_interval: 20ms
service:
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [localstore]
    traces:
      receivers: [otlp]
      exporters: [localstore]
`, port, dir)
	factories := func() (otelcol.Factories, error) {
		var f otelcol.Factories
		var err error
		if f.Receivers, err = otelcol.MakeFactoryMap[receiver.Factory](otlpreceiver.NewFactory()); err != nil {
			return f, err
		}
		if f.Exporters, err = otelcol.MakeFactoryMap[exporter.Factory](NewFactory()); err != nil {
			return f, err
		}
		f.Telemetry = otelconftelemetry.NewFactory()
		return f, nil
	}
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo:               component.BuildInfo{Command: "otelcol-trace-test", Version: "test"},
		Factories:               factories,
		DisableGracefulShutdown: true,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			URIs:              []string{"yaml:" + strings.TrimSpace(cfg)},
			ProviderFactories: []confmap.ProviderFactory{yamlprovider.NewFactory()},
		}},
	})
	require.NoError(t, err)
	runErr := make(chan error, 1)
	go func() { runErr <- col.Run(context.Background()) }()
	require.Eventually(t, func() bool { return col.GetState() == otelcol.StateRunning }, 30*time.Second, 10*time.Millisecond)

	post := func(path string, body []byte) {
		resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d%s", port, path), "application/json", bytes.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	logsJSON, err := plogotlp.NewExportRequestFromLogs(sampleLogs(2)).MarshalJSON()
	require.NoError(t, err)
	post("/v1/logs", logsJSON)
	tracesJSON, err := ptraceotlp.NewExportRequestFromTraces(sampleTraces()).MarshalJSON()
	require.NoError(t, err)
	post("/v1/traces", tracesJSON)

	ctx := context.Background()
	r := openReader(t, dir)
	want := int64(2*len(sampleEvents) + 1 + 1)
	require.Eventually(t, func() bool {
		n, err := r.Count(ctx, store.Filter{})
		return err == nil && n == want
	}, 10*time.Second, 10*time.Millisecond, "rows from both pipelines reach the one store")
	execs, err := r.Last(ctx, store.Filter{EventNames: []string{"process.exec"}, ProcessNames: []string{"nginx"}}, 0, nil)
	require.NoError(t, err)
	assert.Len(t, execs, 2)

	col.Shutdown()
	select {
	case err := <-runErr:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("collector did not stop")
	}
	// Shut down: the lock is released, a new writer can open the store.
	w, err := store.OpenWriter(ctx, dir, store.WriterOptions{})
	require.NoError(t, err)
	require.NoError(t, w.Close())
}

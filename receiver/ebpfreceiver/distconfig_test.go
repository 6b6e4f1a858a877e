package ebpfreceiver

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/batchprocessor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

// TestDistributionConfigs loads config/default.yaml and
// config/otlp-export.yaml through the collector's own config provider with
// this receiver's factory and the upstream ones they use, and validates
// them.
func TestDistributionConfigs(t *testing.T) {
	receivers, err := otelcol.MakeFactoryMap[receiver.Factory](NewFactory())
	require.NoError(t, err)
	processors, err := otelcol.MakeFactoryMap[processor.Factory](batchprocessor.NewFactory())
	require.NoError(t, err)
	exporters, err := otelcol.MakeFactoryMap[exporter.Factory](debugexporter.NewFactory(), otlpexporter.NewFactory())
	require.NoError(t, err)
	factories := otelcol.Factories{
		Receivers: receivers, Processors: processors, Exporters: exporters,
		Telemetry: otelconftelemetry.NewFactory(),
	}

	t.Setenv("OTLP_ENDPOINT", "collector.test:14317")
	for _, name := range []string{"default.yaml", "otlp-export.yaml"} {
		t.Run(name, func(t *testing.T) {
			path, err := filepath.Abs(filepath.Join("..", "..", "config", name))
			require.NoError(t, err)
			provider, err := otelcol.NewConfigProvider(otelcol.ConfigProviderSettings{
				ResolverSettings: confmap.ResolverSettings{
					URIs:              []string{"file:" + path},
					ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
				},
			})
			require.NoError(t, err)
			cfg, err := provider.Get(context.Background(), factories)
			require.NoError(t, err)
			require.NoError(t, cfg.Validate())
			rc, ok := cfg.Receivers[component.NewID(componentType())].(*Config)
			require.True(t, ok)
			require.NoError(t, rc.Validate())
			assert.True(t, rc.Probes.Process.Enabled)
			assert.True(t, rc.Filters.ExcludeSelf)
			assert.Len(t, cfg.Service.Pipelines, 2, "logs and traces")
			if name == "otlp-export.yaml" {
				ec, ok := cfg.Exporters[component.MustNewID("otlp")].(*otlpexporter.Config)
				require.True(t, ok)
				assert.Equal(t, "collector.test:14317", ec.ClientConfig.Endpoint, "${env:OTLP_ENDPOINT}")
			}
		})
	}
}

package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/otelcol"
)

// TestShippedConfigsAreValid loads every config under config/ through the
// collector's own config provider with this distribution's factories and
// validates it, as `otelcol-trace validate` would.
func TestShippedConfigsAreValid(t *testing.T) {
	factories, err := components()
	require.NoError(t, err)
	paths, err := filepath.Glob(filepath.Join("..", "..", "config", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)

	t.Setenv("OTLP_ENDPOINT", "collector.test:14317")
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			abs, err := filepath.Abs(path)
			require.NoError(t, err)
			provider, err := otelcol.NewConfigProvider(otelcol.ConfigProviderSettings{
				ResolverSettings: confmap.ResolverSettings{
					URIs:              []string{"file:" + abs},
					ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
				},
			})
			require.NoError(t, err)
			cfg, err := provider.Get(context.Background(), factories)
			require.NoError(t, err)
			require.NoError(t, cfg.Validate())
			if filepath.Base(path) == "otlp-export.yaml" {
				ec, ok := cfg.Exporters[component.MustNewID("otlp_grpc")].(*otlpexporter.Config)
				require.True(t, ok)
				require.Equal(t, "collector.test:14317", ec.ClientConfig.Endpoint, "${env:OTLP_ENDPOINT}")
			}
		})
	}
}

package httpspanconnector

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
)

func loadConfig(t *testing.T, id string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(id)
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestLoadConfig(t *testing.T) {
	assert.Equal(t, createDefaultConfig(), loadConfig(t, "httpspans"))
	got := loadConfig(t, "httpspans/custom")
	assert.Equal(t, &Config{IncludeBodies: false, FirstByteEvents: false, ResourceAttributePrefixes: []string{"deployment."}}, got)
	require.NoError(t, got.Validate())
	err := loadConfig(t, "httpspans/bad_prefix").Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "resource_attribute_prefixes[0] must not be empty")
	assert.Contains(t, err.Error(), `resource_attribute_prefixes[1] "http.request." would move request attributes`)
}

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, component.MustNewType("httpspans"), f.Type())
	assert.Equal(t, component.StabilityLevelAlpha, f.LogsToTracesStability())
	cfg := f.CreateDefaultConfig()
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	c, err := f.CreateLogsToTraces(context.Background(), connectortest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	require.NoError(t, err)
	assert.False(t, c.Capabilities().MutatesData)
	_, err = f.CreateLogsToLogs(context.Background(), connectortest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	require.Error(t, err)
}

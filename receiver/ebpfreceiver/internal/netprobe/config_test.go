package netprobe

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func loadConfig(t *testing.T, key string) Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(key)
	require.NoError(t, err)
	cfg := NewDefaultConfig()
	require.NoError(t, sub.Unmarshal(&cfg))
	return cfg
}

func TestLoadConfig(t *testing.T) {
	cfg := loadConfig(t, "network")
	assert.Equal(t, Config{Enabled: true, IncludeFailed: false, RingBufferSize: 256 << 10, MaxTrackedSockets: 2048}, cfg)
	require.NoError(t, cfg.Validate())
	def := NewDefaultConfig()
	assert.False(t, def.Enabled)
	require.NoError(t, def.Validate())
}

func TestConfigValidateNamesTheField(t *testing.T) {
	for key, field := range map[string]string{
		"network/ring_too_small":                "ring_buffer_size: 4096",
		"network/max_tracked_sockets_too_small": "max_tracked_sockets: 1 out of range",
	} {
		cfg := loadConfig(t, key)
		err := cfg.Validate()
		require.Error(t, err, key)
		assert.Contains(t, err.Error(), field, key)
	}
}

package snapshotreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	id := component.MustNewIDWithName(typeStr, name)
	if name == "" {
		id = component.MustNewID(typeStr)
	}
	sub, err := cm.Sub(id.String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestLoadConfig(t *testing.T) {
	def := loadConfig(t, "")
	assert.Equal(t, defaultEndpoint, def.NetAddr.Endpoint)
	assert.EqualError(t, confmap.Validate(def), "tokens: at least one token is required")

	c := loadConfig(t, "custom")
	require.NoError(t, confmap.Validate(c))
	assert.Equal(t, "0.0.0.0:14320", c.NetAddr.Endpoint)
	assert.Equal(t, []configopaque.String{"client-token-0123456789"}, c.Tokens)
	assert.Equal(t, []configopaque.String{"api-token-0123456789abc"}, c.APITokens)
	assert.Equal(t, int64(1<<20), c.MaxSnapshotBytes)
	assert.Equal(t, 5*time.Second, c.SnapshotTimeout)
	assert.Equal(t, 2*time.Second, c.HeartbeatInterval)

	tlsCfg := loadConfig(t, "tls")
	require.True(t, tlsCfg.TLS.HasValue())
	assert.Equal(t, "server.crt", tlsCfg.TLS.Get().CertFile)
}

func TestValidateNamesTheField(t *testing.T) {
	tests := map[string][]string{
		"short_token": {"tokens[0]: must be at least 16 characters"},
		"no_tokens":   {"tokens: at least one token is required"},
		"bad_limits":  {"max_snapshot_bytes: must be positive", "snapshot_timeout: must be positive", "heartbeat_interval: must be positive"},
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			err := loadConfig(t, name).Validate()
			require.Error(t, err)
			for _, w := range want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	c := createDefaultConfig().(*Config)
	c.Tokens = []configopaque.String{"client-token-0123456789"}
	c.MaxRequestBodySize = 1024
	assert.ErrorContains(t, c.Validate(), "max_snapshot_bytes: 16777216 exceeds max_request_body_size 1024")
	c.MaxRequestBodySize = 0
	c.NetAddr.Endpoint = ""
	assert.ErrorContains(t, c.Validate(), "endpoint: must not be empty")
	c.NetAddr.Endpoint = "localhost:1"
	c.APITokens = []configopaque.String{"x"}
	assert.ErrorContains(t, c.Validate(), "api_tokens[0]: must be at least 16 characters")
}

package socketprobe

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

func TestConfigLoad(t *testing.T) {
	cfg := loadConfig(t, "socket")
	assert.Equal(t, Config{
		Enabled: true, Ports: []int{80, 8080}, Addresses: []string{"10.0.0.0/8", "::1", "192.168.1.7"},
		MaxPayloadBytes: 4096,
	}, cfg)
	require.NoError(t, cfg.Validate())
	def := NewDefaultConfig()
	assert.False(t, def.Enabled, "the socket probe is opt-in")
	require.NoError(t, def.Validate())
}

func TestConfigValidateNamesTheField(t *testing.T) {
	for key, field := range map[string]string{
		"bad_port":        "ports[0]",
		"bad_port_high":   "ports[0]",
		"bad_address":     "addresses[0]",
		"bad_max_payload": "max_payload_bytes",
	} {
		t.Run(key, func(t *testing.T) {
			cfg := loadConfig(t, key)
			err := cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), field)
		})
	}
}

func TestParsePrefix(t *testing.T) {
	p, err := parsePrefix("10.0.0.0/8")
	require.NoError(t, err)
	assert.Equal(t, "::ffff:10.0.0.0/104", p.String())
	p, err = parsePrefix("::1")
	require.NoError(t, err)
	assert.Equal(t, "::1/128", p.String())
	p, err = parsePrefix("127.0.0.1")
	require.NoError(t, err)
	assert.Equal(t, 128, p.Bits())
}

package tlsprobe

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/probe"
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
	cfg := loadConfig(t, "tls")
	assert.Equal(t, Config{
		Enabled: true, OpenSSL: true, GnuTLS: false, GoTLS: true, MaxPayloadBytes: 131072,
		SystemLibraries: false, LibraryPaths: []string{"/opt/app/lib/libssl.so.3"}, RescanInterval: 2 * time.Second,
	}, cfg)
	require.NoError(t, cfg.Validate())
	def := NewDefaultConfig()
	require.NoError(t, def.Validate())
}

func TestConfigValidateNamesTheField(t *testing.T) {
	for key, field := range map[string]string{
		"bad_max_payload":  "max_payload_bytes",
		"bad_zero_payload": "max_payload_bytes",
		"bad_rescan":       "rescan_interval",
		"bad_library_path": "library_paths[0]",
		"bad_no_library":   "openssl, gnutls and go_tls",
	} {
		t.Run(key, func(t *testing.T) {
			cfg := loadConfig(t, key)
			err := cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), field)
			require.ErrorContains(t, New(cfg).Start(context.Background(), probe.Env{}), field)
		})
	}
}

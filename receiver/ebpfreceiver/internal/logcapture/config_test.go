package logcapture

import (
	"path/filepath"
	"testing"
	"time"

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
	cfg := loadConfig(t, "logcapture")
	assert.Equal(t, Config{
		Enabled:          true,
		Include:          []string{`\.log$`, `^/var/log/`},
		Exclude:          []string{`/debug\.log$`},
		Console:          ConsoleConfig{Streams: []string{"stdout", "stderr"}},
		MaxBytesPerWrite: 4096,
		MaxLineBytes:     1024,
		FlushTimeout:     500 * time.Millisecond,
		ScanExisting:     false,
		RingBufferSize:   1 << 20,
		MaxTrackedFDs:    2048,
	}, cfg)
	require.NoError(t, cfg.Validate())
	def := NewDefaultConfig()
	assert.False(t, def.Enabled)
	require.NoError(t, def.Validate())
}

func TestConfigValidateNamesTheField(t *testing.T) {
	for key, field := range map[string]string{
		"logcapture/bad_include":        `include: pattern "(unclosed"`,
		"logcapture/bad_stream":         `console.streams: unknown stream "stdin"`,
		"logcapture/write_too_big":      "max_bytes_per_write: 100000 out of range",
		"logcapture/flush_too_short":    "flush_timeout: 1ms out of range",
		"logcapture/nothing_to_capture": "include: at least one pattern",
	} {
		cfg := loadConfig(t, key)
		err := cfg.Validate()
		require.Error(t, err, key)
		assert.Contains(t, err.Error(), field, key)
	}
}

func TestDefaultPatterns(t *testing.T) {
	cfg := NewDefaultConfig()
	m, err := newPathMatcher(&cfg)
	require.NoError(t, err)
	for path, want := range map[string]bool{
		"/tmp/x/willsee.log":         true,
		"/tmp/x/wontsee.txt":         false,
		"/var/log/syslog":            true,
		"/srv/app/logs/current":      true,
		"/srv/app/catalog/x":         false,
		"/srv/app/log.txt":           false,
		"/srv/app/server.log.1":      false,
		"/home/u/.config/backlog/aa": false,
	} {
		assert.Equal(t, want, m.match(path), path)
	}
	cfg.Exclude = []string{`/debug\.log$`}
	m, err = newPathMatcher(&cfg)
	require.NoError(t, err)
	assert.False(t, m.match("/var/log/debug.log"), "exclude wins")
}

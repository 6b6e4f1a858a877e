package syscallprobe

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
	cfg := loadConfig(t, "syscall")
	assert.Equal(t, Config{Enabled: true, Syscalls: []string{"openat", "connect", "mmap"}, RingBufferSize: 128 << 10}, cfg)
	require.NoError(t, cfg.Validate())
	def := NewDefaultConfig()
	assert.False(t, def.Enabled)
	require.NoError(t, def.Validate(), "a disabled probe needs no list")
}

func TestConfigValidateNamesTheField(t *testing.T) {
	for key, field := range map[string]string{
		"syscall/unknown":              `syscalls: unknown syscall "no_such_call"`,
		"syscall/enabled_without_list": "syscalls: must name at least one syscall",
		"syscall/twice":                `syscalls: "read" listed twice`,
	} {
		cfg := loadConfig(t, key)
		err := cfg.Validate()
		require.Error(t, err, key)
		assert.Contains(t, err.Error(), field, key)
	}
}

func TestNames(t *testing.T) {
	assert.Equal(t, "openat", Name(257))
	assert.Equal(t, "syscall_999", Name(999))
	nr, ok := Number("connect")
	assert.True(t, ok)
	assert.Equal(t, uint32(42), nr)
	_, ok = Number("")
	assert.False(t, ok)
	assert.Equal(t, "ENOENT", ErrnoName(-2))
	assert.Equal(t, "ECONNREFUSED", ErrnoName(-111))
	assert.Equal(t, "EAGAIN", ErrnoName(-11))
	assert.Equal(t, "errno_4000", ErrnoName(-4000))
}

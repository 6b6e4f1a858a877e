package fileprobe

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
	cfg := loadConfig(t, "file")
	assert.Equal(t, Config{
		Enabled:              true,
		Events:               []string{EventOpen, EventClose},
		IncludeFailed:        false,
		RingBufferSize:       1 << 20,
		MaxTrackedFDs:        4096,
		ResolveRelativePaths: false,
	}, cfg)
	require.NoError(t, cfg.Validate())
	def := NewDefaultConfig()
	assert.False(t, def.Enabled, "the probe is off unless enabled")
	require.NoError(t, def.Validate())
}

func TestConfigValidateNamesTheField(t *testing.T) {
	for key, field := range map[string]string{
		"file/unknown_event":             `events: unknown event "chmod"`,
		"file/no_events":                 "events: must name at least one",
		"file/ring_not_power_of_two":     "ring_buffer_size: 100000",
		"file/max_tracked_fds_too_small": "max_tracked_fds: 10 out of range",
	} {
		t.Run(key, func(t *testing.T) {
			cfg := loadConfig(t, key)
			err := cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), field)
		})
	}
}

func TestOpenFlagsString(t *testing.T) {
	for flags, want := range map[uint32]string{
		0:                                 "O_RDONLY",
		oWronly | oCreat | oTrunc:         "O_WRONLY|O_CREAT|O_TRUNC",
		oRdwr | oAppend | oCloexec:        "O_RDWR|O_APPEND|O_CLOEXEC",
		oWronly | oSyncBit | oDsync:       "O_WRONLY|O_SYNC",
		oRdwr | oTmpfileB | oDirectory:    "O_RDWR|O_TMPFILE",
		oDirectory | oNofollow | oCloexec: "O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC",
		oWronly | 0o100000000:             "O_WRONLY|0100000000",
	} {
		assert.Equal(t, want, OpenFlagsString(flags), "flags %o", flags)
	}
	assert.True(t, OpenForWriting(oWronly))
	assert.True(t, OpenForWriting(oRdwr|oCreat))
	assert.False(t, OpenForWriting(oCloexec))
}

func TestSplitPath(t *testing.T) {
	for p, want := range map[string][2]string{
		"/var/log/app.log": {"/var/log", "app.log"},
		"/x":               {"/", "x"},
		"rel.txt":          {".", "rel.txt"},
		"a/b":              {"a", "b"},
	} {
		dir, name := splitPath(p)
		assert.Equal(t, want, [2]string{dir, name}, p)
	}
}

func TestDecodeRejectsShortAndUnknown(t *testing.T) {
	_, err := decodeEvent(make([]byte, 10))
	require.Error(t, err)
	raw := make([]byte, eventSize)
	raw[0] = 99
	_, err = decodeEvent(raw)
	require.ErrorContains(t, err, "unknown type 99")
	raw[0] = evRename
	_, err = decodeEvent(raw[:eventSize])
	require.ErrorContains(t, err, "want 1152")
	raw[0] = evOpen
	raw[offPathLen] = 0xff // a path longer than the record
	raw[offPathLen+1] = 0x0f
	_, err = decodeEvent(raw[:closeSize+8])
	require.ErrorContains(t, err, "path of")
}

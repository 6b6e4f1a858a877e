package localstoreexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(name)
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestLoadConfig(t *testing.T) {
	assert.Equal(t, createDefaultConfig(), loadConfig(t, component.MustNewID(typeStr).String()))
	assert.NoError(t, loadConfig(t, "localstore").Validate())

	got := loadConfig(t, component.MustNewIDWithName(typeStr, "custom").String())
	want := &Config{
		Directory: "/var/tmp/otelcol-trace-test",
		Batch:     BatchConfig{MaxRecords: 500, FlushInterval: 200 * time.Millisecond, QueueSize: 10},
		Retention: RetentionConfig{
			MaxAge: 24 * time.Hour, MaxSizeMiB: 64, CheckInterval: 30 * time.Second,
			MinuteRollups: 6 * time.Hour, HourRollups: 168 * time.Hour,
		},
	}
	assert.Equal(t, want, got)
	assert.NoError(t, got.Validate())
}

func TestConfigValidate(t *testing.T) {
	for name, field := range map[string]string{
		"bad_max_records":    "batch.max_records",
		"bad_flush_interval": "batch.flush_interval",
		"bad_queue_size":     "batch.queue_size",
		"bad_max_age":        "retention.max_age",
		"bad_max_size":       "retention.max_size_mib",
		"bad_check_interval": "retention.check_interval",
		"bad_rollups":        "retention.hour_rollups",
	} {
		t.Run(name, func(t *testing.T) {
			err := loadConfig(t, typeStr+"/"+name).Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), field)
		})
	}
}

func TestConfigStruct(t *testing.T) {
	assert.NoError(t, componenttest.CheckConfigStruct(createDefaultConfig()))
}

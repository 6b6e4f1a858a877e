package ebpfreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/processprobe"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	id := component.MustNewIDWithName(typeStr, name)
	if name == "" {
		id = component.NewID(componentType())
	}
	sub, err := cm.Sub(id.String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestLoadConfig(t *testing.T) {
	def := loadConfig(t, "")
	assert.Equal(t, createDefaultConfig(), def)
	require.NoError(t, confmap.Validate(def))

	cfg := loadConfig(t, "custom")
	require.NoError(t, confmap.Validate(cfg))
	probes := createDefaultConfig().(*Config).Probes
	probes.Process = processprobe.Config{
		Enabled: true, MaxArgs: 16, MaxArgsBytes: 1024, MaxTrackedProcesses: 1000, Spans: true,
	}
	want := &Config{
		Probes:     probes,
		RingBuffer: RingBufferConfig{Size: 4 << 20, WakeupBytes: 64 << 10, PollInterval: 100 * time.Millisecond},
		Filters: FiltersConfig{
			PIDs: []int{1234}, FollowChildren: true, Comms: []string{"curl", "python3"},
			UIDs: []int{0, 1000}, CgroupIDs: []uint64{4242},
			ExcludePIDs: []int{99}, ExcludeComms: []string{"sshd"}, ExcludeUIDs: []int{65534},
			ExcludeCgroupIDs: []uint64{77}, ExcludeSelf: true,
		},
		QueueSize:     5000,
		FlushInterval: time.Second,
	}
	assert.Equal(t, want, cfg)
}

func TestConfigValidateNamesField(t *testing.T) {
	for name, wantErr := range map[string]string{
		"bad_ring_size":      "ring_buffer.size must be a power of two, got 12345",
		"bad_ring_page":      "ring_buffer.size must be a multiple of the page size",
		"bad_wakeup":         "ring_buffer.wakeup_bytes must be between 0 and ring_buffer.size-1, got 65536",
		"bad_poll":           "ring_buffer.poll_interval must be between 1ms and 10s, got 0s",
		"bad_self":           "filters.exclude_self cannot be false",
		"bad_pid":            "filters.pids: pid must be positive, got 0",
		"bad_exclude_pid":    "filters.exclude_pids: pid 10 is also in filters.pids",
		"bad_follow":         "filters.follow_children needs filters.pids or filters.exclude_pids",
		"bad_comm":           `filters.comms: comm must be 1 to 15 bytes, got "a-name-longer-than-15"`,
		"bad_uid":            "filters.exclude_uids: uid must be between 0 and 4294967295, got -1",
		"bad_cgroup":         "filters.cgroup_ids: cgroup id must be positive",
		"bad_queue":          "queue_size must be at least 1, got 0",
		"bad_flush":          "flush_interval must be positive, got 0s",
		"bad_max_args":       "probes::process: max_args must be at least 1, got 0",
		"bad_max_args_bytes": "probes::process: max_args_bytes must be between 1 and 4095, got 5000",
		"bad_tracked":        "probes::process: max_tracked_processes must be at least 1, got 0",
		"no_probe":           "probes: no probe is enabled",
	} {
		t.Run(name, func(t *testing.T) {
			cfg := loadConfig(t, name)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), wantErr)
		})
	}
}

func TestConfigRejectsUnknownField(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	err := confmap.NewFromStringMap(map[string]any{"filters": map[string]any{"pid": []int{1}}}).Unmarshal(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pid")
}

package topologyprocessor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.MustNewIDWithName(typeStr, name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestLoadConfig(t *testing.T) {
	def := loadConfig(t, "")
	assert.Equal(t, createDefaultConfig(), def)
	require.NoError(t, confmap.Validate(def))

	got := loadConfig(t, "custom")
	want := &Config{
		CgroupRoot:      "/host/sys/fs/cgroup",
		ProcRoot:        "/host/proc",
		HostName:        "node-1",
		DockerEndpoints: []string{"unix:///run/podman/podman.sock", "http://127.0.0.1:2375"},
		OCIStateDirs:    []string{"/run/containerd/io.containerd.runtime.v2.task"},
		RuntimeTimeout:  time.Second,
		WaitTimeout:     0,
		RescanInterval:  30 * time.Second,
		WatchCgroups:    false,
		Cache:           CacheConfig{MaxEntries: 1000, RemovedTTL: time.Hour, ProcessTTL: 2 * time.Second},
		ContainerLabels: []string{"app.*", "team"},
	}
	assert.Equal(t, want, got)
	require.NoError(t, confmap.Validate(got))
}

func TestConfigValidateNamesTheField(t *testing.T) {
	tests := []struct {
		name string
		msgs []string
	}{
		{"bad_endpoint", []string{"docker_endpoints[0]", "scheme must be unix or http"}},
		{"bad_relative_socket", []string{"docker_endpoints[0]", "absolute socket path"}},
		{"bad_oci_dir", []string{"oci_state_dirs[0] must be an absolute path"}},
		{"bad_timeouts", []string{"runtime_timeout must be positive", "wait_timeout must not be negative"}},
		{"bad_wait", []string{"wait_timeout must be at most 10s"}},
		{"bad_rescan", []string{"rescan_interval must be at least 100ms"}},
		{"bad_cache", []string{"cache.max_entries must be positive", "cache.removed_ttl must be positive", "cache.process_ttl must be positive"}},
		{"bad_label_pattern", []string{"container_labels[0]", "not a valid pattern"}},
		{"bad_proc_root", []string{"proc_root must not be empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loadConfig(t, tt.name).Validate()
			require.Error(t, err)
			for _, m := range tt.msgs {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
}

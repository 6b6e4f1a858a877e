package httpparse

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
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(typeStr)
	require.NoError(t, err)
	def := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(def))
	assert.Equal(t, createDefaultConfig(), def)
	require.NoError(t, confmap.Validate(def))

	got := loadConfig(t, "custom")
	want := &Config{
		PassRawPayloads:               true,
		MaxBodyBytes:                  1024,
		MaxHeaderBytes:                32768,
		DecodeContentEncoding:         false,
		CaptureHeaders:                false,
		IdleTimeout:                   5 * time.Second,
		MaxConnections:                100,
		MaxBufferedBytesPerConnection: 65536,
		MaxPendingRequests:            4,
		SSE:                           SSEConfig{MaxEvents: 10, MaxEventBytes: 512, MaxTextBytes: 2048},
		Redaction:                     RedactionConfig{Headers: []string{"X-Session-Token"}, JSONFields: []string{"ssn"}},
		Include:                       &FilterConfig{Methods: []string{"GET", "POST"}, Hosts: []string{"*.openai.com", "api.anthropic.com"}, Paths: []string{"^/v1/"}},
		Exclude:                       &FilterConfig{StatusCodes: []string{"404", "3xx"}},
	}
	assert.Equal(t, want, got)
	require.NoError(t, confmap.Validate(got))
}

func TestValidate(t *testing.T) {
	cases := map[string][]string{
		"bad_idle": {"idle_timeout must be positive"},
		"bad_limits": {
			"max_connections must be positive", "max_pending_requests must be positive",
			"max_buffered_bytes_per_connection must be positive", "max_header_bytes must be at least 256",
			"max_body_bytes must not be negative",
		},
		"bad_sse": {"sse.max_events must not be negative", "sse.max_event_bytes must be positive", "sse.max_text_bytes must not be negative"},
		"bad_filters": {
			`include.paths[0] "(unclosed" is not a valid regular expression`, `include.hosts[0] "[bad" is not a valid glob`,
			`exclude.status_codes[0]: "6xx" is neither`, `exclude.status_codes[1]: "abc" is neither`, "exclude.methods[0] must not be empty",
		},
		"bad_redaction": {"redaction.headers[0] must not be empty", "redaction.json_fields[0] must not be empty"},
	}
	for name, msgs := range cases {
		t.Run(name, func(t *testing.T) {
			err := loadConfig(t, name).Validate()
			require.Error(t, err)
			for _, m := range msgs {
				assert.Contains(t, err.Error(), m)
			}
		})
	}
}

func TestUnknownField(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	err := confmap.NewFromStringMap(map[string]any{"max_body_byte": 1}).Unmarshal(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "max_body_byte")
}

// TestExamplePipeline checks the httpparse and httpspans parts of the
// example pipeline (testdata/example-pipeline.yaml) against their configs.
func TestExamplePipeline(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "example-pipeline.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub("processors::httpparse")
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, []string{"^/healthz$", "^/metrics$"}, cfg.Exclude.Paths)
	logs, err := cm.Sub("service::pipelines::logs/http")
	require.NoError(t, err)
	assert.Equal(t, []any{"httpparse"}, logs.Get("processors"))
	assert.Contains(t, logs.Get("exporters"), "httpspans")
	assert.Equal(t, []any{"httpspans"}, cm.Get("service::pipelines::traces/http::receivers"))
}

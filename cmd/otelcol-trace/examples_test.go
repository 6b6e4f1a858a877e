package main

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/otelcol"
)

// exampleEnv holds the variables the example configurations and README
// snippets read through ${env:...}; tokens are 32 characters, like
// `openssl rand -hex 16`.
var exampleEnv = map[string]string{
	"SNAPSHOT_TOKEN":        "0123456789abcdef0123456789abcdef",
	"SNAPSHOT_CLIENT_TOKEN": "fedcba9876543210fedcba9876543210",
	"SNAPSHOT_API_TOKEN":    "00112233445566778899aabbccddeeff",
}

// validateConfigFile loads path through the collector's own config provider
// with this distribution's factories and validates it, as
// `otelcol-trace validate` would.
func validateConfigFile(t *testing.T, path string) {
	t.Helper()
	factories, err := components()
	require.NoError(t, err)
	abs, err := filepath.Abs(path)
	require.NoError(t, err)
	provider, err := otelcol.NewConfigProvider(otelcol.ConfigProviderSettings{
		ResolverSettings: confmap.ResolverSettings{
			URIs:              []string{"file:" + abs},
			ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
		},
	})
	require.NoError(t, err)
	cfg, err := provider.Get(context.Background(), factories)
	require.NoError(t, err, "%s", path)
	require.NoError(t, cfg.Validate(), "%s", path)
}

// TestExampleConfigsAreValid validates every configuration under examples/,
// so an example that the collector would refuse fails CI.
func TestExampleConfigsAreValid(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "*.yaml"))
	require.NoError(t, err)
	more, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "*.yml"))
	require.NoError(t, err)
	paths = append(paths, more...)
	require.NotEmpty(t, paths)
	for k, v := range exampleEnv {
		t.Setenv(k, v)
	}
	for _, path := range paths {
		rel, err := filepath.Rel(filepath.Join("..", ".."), path)
		require.NoError(t, err)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			validateConfigFile(t, path)
		})
	}
}

// TestSnapshotReceiverReadmeConfig validates the complete configurations
// (yaml blocks that start with "receivers:") of the snapshot receiver's
// README.
func TestSnapshotReceiverReadmeConfig(t *testing.T) {
	for k, v := range exampleEnv {
		t.Setenv(k, v)
	}
	blocks := yamlBlocks(t, filepath.Join("..", "..", "receiver", "snapshotreceiver", "README.md"))
	n := 0
	for i, b := range blocks {
		if !strings.HasPrefix(b, "receivers:") {
			continue // a fragment
		}
		n++
		path := filepath.Join(t.TempDir(), "readme.yaml")
		require.NoError(t, os.WriteFile(path, []byte(b), 0o600))
		t.Run("block"+string(rune('0'+i)), func(t *testing.T) {
			validateConfigFile(t, path)
		})
	}
	require.Positive(t, n, "the README has a complete configuration")
}

// yamlBlocks returns the contents of the ```yaml blocks of a Markdown file.
func yamlBlocks(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var blocks []string
	var cur *strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(line) == "```yaml":
			cur = &strings.Builder{}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	require.NoError(t, sc.Err())
	return blocks
}

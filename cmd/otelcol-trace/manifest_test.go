package main

import (
	"go/parser"
	"go/token"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// manifestEntry is one component of builder-config.yaml.
type manifestEntry struct {
	GoMod  string `yaml:"gomod"`
	Import string `yaml:"import"`
}

// importPath is the package the generated code imports for the entry: its
// explicit import, else the module path of gomod.
func (e manifestEntry) importPath() string {
	if e.Import != "" {
		return e.Import
	}
	return strings.Fields(e.GoMod)[0]
}

// TestManifestMatchesComponents checks that the generated components.go
// imports exactly the components builder-config.yaml names, so that the
// manifest and the committed distribution never drift apart even where OCB
// is not installed (CI also regenerates and diffs).
func TestManifestMatchesComponents(t *testing.T) {
	raw, err := os.ReadFile("../../builder-config.yaml")
	require.NoError(t, err)
	var manifest struct {
		Receivers  []manifestEntry `yaml:"receivers"`
		Processors []manifestEntry `yaml:"processors"`
		Exporters  []manifestEntry `yaml:"exporters"`
		Connectors []manifestEntry `yaml:"connectors"`
		Extensions []manifestEntry `yaml:"extensions"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &manifest))

	var want []string
	for _, kind := range [][]manifestEntry{manifest.Receivers, manifest.Processors, manifest.Exporters, manifest.Connectors, manifest.Extensions} {
		for _, e := range kind {
			want = append(want, e.importPath())
		}
	}

	file, err := parser.ParseFile(token.NewFileSet(), "components.go", nil, parser.ImportsOnly)
	require.NoError(t, err)
	var got []string
	for _, imp := range file.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		require.NoError(t, err)
		if imp.Name != nil && imp.Name.Name != "otelconftelemetry" {
			got = append(got, path)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	require.Equal(t, want, got, "components.go and builder-config.yaml disagree: run make generate-dist")
}

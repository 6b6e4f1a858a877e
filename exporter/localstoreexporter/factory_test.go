package localstoreexporter

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
)

func TestNewFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, component.MustNewType("localstore"), f.Type())
	cfg := f.CreateDefaultConfig().(*Config)
	require.NoError(t, cfg.Validate())
	assert.Empty(t, cfg.Directory, "the default directory is resolved at start")
	assert.Equal(t, component.StabilityLevelAlpha, f.LogsStability())
	assert.Equal(t, component.StabilityLevelAlpha, f.TracesStability())
	assert.Equal(t, component.StabilityLevelAlpha, f.MetricsStability())
}

// TestSignalsShareOneStore starts the logs, traces and metrics exporters of
// one configuration: they must share one writer, or the second Start would
// fail on the directory lock.
func TestSignalsShareOneStore(t *testing.T) {
	ctx := context.Background()
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.Directory = t.TempDir()
	set := exportertest.NewNopSettings(f.Type())
	le, err := f.CreateLogs(ctx, set, cfg)
	require.NoError(t, err)
	te, err := f.CreateTraces(ctx, set, cfg)
	require.NoError(t, err)
	me, err := f.CreateMetrics(ctx, set, cfg)
	require.NoError(t, err)
	host := componenttest.NewNopHost()
	require.NoError(t, le.Start(ctx, host))
	require.NoError(t, te.Start(ctx, host))
	require.NoError(t, me.Start(ctx, host))
	require.NoError(t, le.ConsumeLogs(ctx, sampleLogs(1)))
	require.NoError(t, le.Shutdown(ctx))
	// The store stays open for the other two.
	require.NoError(t, te.ConsumeTraces(ctx, sampleTraces()))
	require.NoError(t, te.Shutdown(ctx))
	require.NoError(t, me.ConsumeMetrics(ctx, sampleMetrics()))
	require.NoError(t, me.Shutdown(ctx))

	r := openReader(t, cfg.Directory)
	n, err := r.Count(ctx, storeFilter())
	require.NoError(t, err)
	assert.EqualValues(t, len(sampleEvents)+1+1+2, n, "events and a log line, one span, two metric points")
}

func TestShutdownWithoutStart(t *testing.T) {
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.Directory = t.TempDir()
	le, err := f.CreateLogs(context.Background(), exportertest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, le.Shutdown(context.Background()))
}

func TestStartFailsClearly(t *testing.T) {
	ctx := context.Background()
	f := NewFactory()
	dir := t.TempDir()
	newExp := func() component.Component {
		cfg := f.CreateDefaultConfig().(*Config)
		cfg.Directory = dir
		e, err := f.CreateLogs(ctx, exportertest.NewNopSettings(f.Type()), cfg)
		require.NoError(t, err)
		return e
	}
	first := newExp()
	require.NoError(t, first.Start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(t, first.Shutdown(ctx)) }()
	err := newExp().Start(ctx, componenttest.NewNopHost())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "locked")
	assert.Contains(t, err.Error(), dir)
}

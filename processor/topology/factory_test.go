package topologyprocessor

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor/processortest"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, component.MustNewType("topology"), f.Type())
	assert.Equal(t, component.StabilityLevelAlpha, f.LogsStability())
	assert.Equal(t, component.StabilityLevelAlpha, f.TracesStability())
	assert.Equal(t, component.StabilityLevelAlpha, f.MetricsStability())
	cfg := f.CreateDefaultConfig()
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	require.NoError(t, cfg.(*Config).Validate())
}

func TestFactoryCreatesAllSignals(t *testing.T) {
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.DockerEndpoints = nil
	cfg.OCIStateDirs = nil
	ctx := context.Background()
	set := processortest.NewNopSettings(f.Type())
	lp, err := f.CreateLogs(ctx, set, cfg, consumertest.NewNop())
	if runtime.GOOS != "linux" {
		require.ErrorContains(t, err, "not supported on this platform")
		return
	}
	require.NoError(t, err)
	tp, err := f.CreateTraces(ctx, set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	mp, err := f.CreateMetrics(ctx, set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	assert.True(t, lp.Capabilities().MutatesData)
	host := componenttest.NewNopHost()
	for _, c := range []component.Component{lp, tp, mp} {
		require.NoError(t, c.Start(ctx, host))
	}
	for _, c := range []component.Component{lp, tp, mp} {
		require.NoError(t, c.Shutdown(ctx))
	}
}

func TestFactoryRejectsBadCgroupRoot(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("linux-only: cgroupfs")
	}
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.CgroupRoot = t.TempDir()
	_, err := f.CreateLogs(context.Background(), processortest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	require.ErrorContains(t, err, "cgroup_root")
}

package ebpfreceiver

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, "ebpf", f.Type().String())
	assert.Equal(t, component.StabilityLevelAlpha, f.LogsStability())
	assert.Equal(t, component.StabilityLevelAlpha, f.TracesStability())
	cfg := f.CreateDefaultConfig().(*Config)
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	require.NoError(t, cfg.Validate())
	assert.True(t, cfg.Filters.ExcludeSelf)
	assert.True(t, cfg.Probes.Process.Enabled)
}

func TestFactorySharesOneReceiverPerConfig(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the receiver exists only on Linux")
	}
	f := NewFactory()
	set := receivertest.NewNopSettings(f.Type())
	cfg := f.CreateDefaultConfig()
	l, err := f.CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	tr, err := f.CreateTraces(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	assert.Same(t, l, tr)
	other, err := f.CreateLogs(context.Background(), set, f.CreateDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	assert.NotSame(t, l, other)
	// Shutdown without Start is fine and forgets the instance.
	require.NoError(t, l.Shutdown(context.Background()))
	again, err := f.CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	assert.NotSame(t, l, again)
}

//go:build !linux

package ebpfreceiver

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
)

func TestCreateFailsOffLinux(t *testing.T) {
	f := NewFactory()
	_, err := f.CreateLogs(context.Background(), receivertest.NewNopSettings(f.Type()), f.CreateDefaultConfig(), consumertest.NewNop())
	require.ErrorContains(t, err, "not supported on this platform")
}

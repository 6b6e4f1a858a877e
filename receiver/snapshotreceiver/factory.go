// Package snapshotreceiver implements the `snapshot` receiver: Go programs
// that import github.com/otelcol-trace/otelcol-trace/snapshot connect to it,
// it orders snapshots of them (through its trigger API) and emits each
// snapshot as OTLP log records (docs/events.md, "Snapshots").
package snapshotreceiver

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
)

// typeStr is the receiver's component type.
const typeStr = "snapshot"

// defaultEndpoint is where the receiver listens by default.
const defaultEndpoint = "localhost:4320"

// NewFactory returns the factory of the snapshot receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		component.MustNewType(typeStr),
		createDefaultConfig,
		receiver.WithLogs(createLogsReceiver, component.StabilityLevelAlpha),
	)
}

func createDefaultConfig() component.Config {
	server := confighttp.NewDefaultServerConfig()
	server.NetAddr.Endpoint = defaultEndpoint
	return &Config{
		ServerConfig:      server,
		MaxSnapshotBytes:  16 << 20,
		SnapshotTimeout:   30 * time.Second,
		HeartbeatInterval: 15 * time.Second,
	}
}

func createLogsReceiver(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return newSnapshotReceiver(cfg.(*Config), set, next)
}

// Package httpparse implements the httpparse logs processor: it reassembles
// the net.payload records that the eBPF receiver's tls and socket probes
// capture into HTTP/1 exchanges, one http.exchange record per request and
// response pair, with Server-Sent Events streams merged into readable text.
// See README.md and docs/events.md.
package httpparse

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
)

const (
	// typeStr is the component type.
	typeStr = "httpparse"
	// stability of the logs processor.
	stability = component.StabilityLevelAlpha
	// scopeName is the instrumentation scope of the records and telemetry
	// this processor produces.
	scopeName = "github.com/otelcol-trace/otelcol-trace/processor/httpparse"
)

// NewFactory returns the factory of the httpparse processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		component.MustNewType(typeStr),
		createDefaultConfig,
		processor.WithLogs(createLogsProcessor, stability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		MaxBodyBytes:                  8 << 10,
		MaxHeaderBytes:                64 << 10,
		DecodeContentEncoding:         true,
		CaptureHeaders:                true,
		IdleTimeout:                   30 * time.Second,
		MaxConnections:                4096,
		MaxBufferedBytesPerConnection: 256 << 10,
		MaxPendingRequests:            16,
		SSE: SSEConfig{
			MaxEvents:     64,
			MaxEventBytes: 4 << 10,
			MaxTextBytes:  64 << 10,
		},
	}
}

func createLogsProcessor(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	p, err := newProcessor(set, cfg.(*Config), next)
	if err != nil {
		return nil, err
	}
	return p.asProcessor(ctx, set, cfg)
}

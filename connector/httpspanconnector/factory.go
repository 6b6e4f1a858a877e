// Package httpspanconnector implements the httpspans connector: it turns
// each http.exchange record that the httpparse processor emits into a
// CLIENT or SERVER span, joined to the request's W3C trace context when the
// request carried a traceparent header. A processor cannot change the signal
// type, hence a connector (logs in, traces out).
package httpspanconnector

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
)

const (
	// typeStr is the component type.
	typeStr = "httpspans"
	// stability of the logs-to-traces connector.
	stability = component.StabilityLevelAlpha
	// scopeName is the instrumentation scope of the spans and telemetry.
	scopeName = "github.com/otelcol-trace/otelcol-trace/connector/httpspanconnector"
)

// NewFactory returns the factory of the httpspans connector.
func NewFactory() connector.Factory {
	return connector.NewFactory(
		component.MustNewType(typeStr),
		createDefaultConfig,
		connector.WithLogsToTraces(createLogsToTraces, stability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{IncludeBodies: true, FirstByteEvents: true}
}

func createLogsToTraces(_ context.Context, set connector.Settings, cfg component.Config, next consumer.Traces) (connector.Logs, error) {
	return newConnector(set, cfg.(*Config), next)
}

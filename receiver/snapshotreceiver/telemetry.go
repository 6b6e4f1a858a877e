package snapshotreceiver

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Reasons of otelcol_snapshot_requests_refused_total.
const (
	reasonMissingToken = "missing_token"
	reasonInvalidToken = "invalid_token"
	reasonTooLarge     = "too_large"
	reasonBadRequest   = "bad_request"
	reasonUnknown      = "unknown_session"
)

// telemetry holds the receiver's own metrics (see metadata.yaml).
type telemetry struct {
	refused    metric.Int64Counter
	received   metric.Int64Counter
	failed     metric.Int64Counter
	connected  metric.Int64UpDownCounter
	receiverID attribute.KeyValue
}

func newTelemetry(set component.TelemetrySettings, id component.ID) (*telemetry, error) {
	m := set.MeterProvider.Meter(scopeName)
	t := &telemetry{receiverID: attribute.String("receiver", id.String())}
	var err error
	if t.refused, err = m.Int64Counter("otelcol_snapshot_requests_refused_total",
		metric.WithDescription("Requests the snapshot receiver refused, by reason."), metric.WithUnit("{request}")); err != nil {
		return nil, fmt.Errorf("create refused counter: %w", err)
	}
	if t.received, err = m.Int64Counter("otelcol_snapshot_snapshots_received_total",
		metric.WithDescription("Snapshots received from connected processes."), metric.WithUnit("{snapshot}")); err != nil {
		return nil, fmt.Errorf("create received counter: %w", err)
	}
	if t.failed, err = m.Int64Counter("otelcol_snapshot_orders_failed_total",
		metric.WithDescription("Snapshot orders that produced no snapshot, by reason (timeout, busy, disconnected)."), metric.WithUnit("{order}")); err != nil {
		return nil, fmt.Errorf("create failed counter: %w", err)
	}
	if t.connected, err = m.Int64UpDownCounter("otelcol_snapshot_processes_connected",
		metric.WithDescription("Processes connected to the snapshot receiver."), metric.WithUnit("{process}")); err != nil {
		return nil, fmt.Errorf("create connected gauge: %w", err)
	}
	return t, nil
}

func (t *telemetry) refuse(ctx context.Context, reason string) {
	t.refused.Add(ctx, 1, metric.WithAttributes(t.receiverID, attribute.String("reason", reason)))
}

func (t *telemetry) orderFailed(ctx context.Context, reason string) {
	t.failed.Add(ctx, 1, metric.WithAttributes(t.receiverID, attribute.String("reason", reason)))
}

package localstoreexporter

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

const scopeName = "github.com/otelcol-trace/otelcol-trace/exporter/localstoreexporter"

// Reasons of otelcol_localstore_records_dropped and
// otelcol_localstore_records_deleted.
const (
	reasonDiskFull   = "disk_full"
	reasonWriteError = "write_error"
	reasonShutdown   = "shutdown"
	reasonMaxAge     = "max_age"
	reasonMaxSize    = "max_size"
)

// storeTelemetry holds the exporter's own metrics (see metadata.yaml).
type storeTelemetry struct {
	attrs   attribute.Set
	written metric.Int64Counter
	dropped metric.Int64Counter
	deleted metric.Int64Counter
	batches metric.Int64Counter
	reg     metric.Registration
}

func newStoreTelemetry(set component.TelemetrySettings, id component.ID, size func() int64) (*storeTelemetry, error) {
	m := set.MeterProvider.Meter(scopeName)
	t := &storeTelemetry{attrs: attribute.NewSet(attribute.String("exporter", id.String()))}
	var err error
	if t.written, err = m.Int64Counter("otelcol_localstore_records_written",
		metric.WithDescription("Records (log records, spans, metric data points) committed to the local store."),
		metric.WithUnit("{record}")); err != nil {
		return nil, fmt.Errorf("create written counter: %w", err)
	}
	if t.dropped, err = m.Int64Counter("otelcol_localstore_records_dropped",
		metric.WithDescription("Records accepted by the exporter that could not be stored, by reason (disk_full, write_error, shutdown)."),
		metric.WithUnit("{record}")); err != nil {
		return nil, fmt.Errorf("create dropped counter: %w", err)
	}
	if t.deleted, err = m.Int64Counter("otelcol_localstore_records_deleted",
		metric.WithDescription("Stored records deleted by retention, by reason (max_age, max_size)."),
		metric.WithUnit("{record}")); err != nil {
		return nil, fmt.Errorf("create deleted counter: %w", err)
	}
	if t.batches, err = m.Int64Counter("otelcol_localstore_batches",
		metric.WithDescription("Write transactions committed to the local store."),
		metric.WithUnit("{batch}")); err != nil {
		return nil, fmt.Errorf("create batches counter: %w", err)
	}
	gauge, err := m.Int64ObservableGauge("otelcol_localstore_size_bytes",
		metric.WithDescription("Size of the local store's database file and its write-ahead log."),
		metric.WithUnit("By"))
	if err != nil {
		return nil, fmt.Errorf("create size gauge: %w", err)
	}
	if t.reg, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(gauge, size(), metric.WithAttributeSet(t.attrs))
		return nil
	}, gauge); err != nil {
		return nil, fmt.Errorf("register size gauge: %w", err)
	}
	return t, nil
}

func (t *storeTelemetry) withReason(reason string) metric.MeasurementOption {
	return metric.WithAttributes(append(t.attrs.ToSlice(), attribute.String("reason", reason))...)
}

func (t *storeTelemetry) recordWritten(ctx context.Context, n int) {
	t.written.Add(ctx, int64(n), metric.WithAttributeSet(t.attrs))
	t.batches.Add(ctx, 1, metric.WithAttributeSet(t.attrs))
}

func (t *storeTelemetry) recordDropped(ctx context.Context, n int, reason string) {
	t.dropped.Add(ctx, int64(n), t.withReason(reason))
}

func (t *storeTelemetry) recordDeleted(ctx context.Context, n int64, reason string) {
	if n > 0 {
		t.deleted.Add(ctx, n, t.withReason(reason))
	}
}

func (t *storeTelemetry) close() {
	if t.reg != nil {
		_ = t.reg.Unregister()
	}
}

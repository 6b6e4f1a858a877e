package ebpfreceiver

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

const (
	scopeName = "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver"

	metricLost = "otelcol_ebpf_events_lost"
	metricRead = "otelcol_ebpf_events"

	lossWarnInterval = 10 * time.Second
)

// telemetry holds the receiver's own metrics and the rate-limited loss
// warnings.
type telemetry struct {
	receiverID string
	logger     *zap.Logger
	lost       metric.Int64Counter
	read       metric.Int64Counter

	mu       sync.Mutex
	warnings map[lossKey]*lossWarning
	now      func() time.Time
}

type lossKey struct{ probe, reason string }

type lossWarning struct {
	last    time.Time
	pending int64
}

func newTelemetry(set component.TelemetrySettings, receiverID string) (*telemetry, error) {
	meter := set.MeterProvider.Meter(scopeName)
	lost, err := meter.Int64Counter(metricLost,
		metric.WithDescription("Events of the ebpf receiver that did not reach the pipeline (Prometheus: otelcol_ebpf_events_lost_total)."),
		metric.WithUnit("{event}"))
	if err != nil {
		return nil, fmt.Errorf("create metric %s: %w", metricLost, err)
	}
	read, err := meter.Int64Counter(metricRead,
		metric.WithDescription("Events the ebpf receiver read from the kernel (Prometheus: otelcol_ebpf_events_total)."),
		metric.WithUnit("{event}"))
	if err != nil {
		return nil, fmt.Errorf("create metric %s: %w", metricRead, err)
	}
	return &telemetry{
		receiverID: receiverID, logger: set.Logger, lost: lost, read: read,
		warnings: map[lossKey]*lossWarning{}, now: time.Now,
	}, nil
}

// Lost counts n events of probe lost for reason and logs a warning at most
// every lossWarnInterval per (probe, reason), with the count since the last.
func (t *telemetry) Lost(probe, reason string, n int64) {
	if n <= 0 {
		return
	}
	t.lost.Add(context.Background(), n, metric.WithAttributes(
		attribute.String("receiver", t.receiverID),
		attribute.String("probe", probe),
		attribute.String("reason", reason)))
	t.mu.Lock()
	k := lossKey{probe, reason}
	w := t.warnings[k]
	if w == nil {
		w = &lossWarning{}
		t.warnings[k] = w
	}
	w.pending += n
	now := t.now()
	if now.Sub(w.last) < lossWarnInterval {
		t.mu.Unlock()
		return
	}
	count := w.pending
	w.pending = 0
	w.last = now
	t.mu.Unlock()
	t.logger.Warn("ebpf receiver lost events",
		zap.String("probe", probe), zap.String("reason", reason), zap.Int64("count", count),
		zap.Duration("warnings_at_most_every", lossWarnInterval))
}

// CountRead counts n events read from the kernel by probe.
func (t *telemetry) CountRead(probe string, n int64) {
	t.read.Add(context.Background(), n, metric.WithAttributes(
		attribute.String("receiver", t.receiverID),
		attribute.String("probe", probe)))
}

package topologyprocessor // import "github.com/otelcol-trace/otelcol-trace/processor/topology"

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

const scopeName = "github.com/otelcol-trace/otelcol-trace/processor/topology"

// telemetry holds the processor's own metrics (see metadata.yaml).
type telemetry struct {
	missing       metric.Int64Counter
	runtimeErrors metric.Int64Counter
	evictions     metric.Int64Counter
	waitTimeouts  metric.Int64Counter
	entries       metric.Int64ObservableGauge
	reg           metric.Registration
}

func newTelemetry(set component.TelemetrySettings) (*telemetry, error) {
	m := set.MeterProvider.Meter(scopeName)
	t := &telemetry{}
	var err error
	if t.missing, err = m.Int64Counter("otelcol_topology_metadata_missing",
		metric.WithDescription("Records or spans that left the processor without (part of) their topology metadata, by reason."),
		metric.WithUnit("{record}")); err != nil {
		return nil, fmt.Errorf("create metric otelcol_topology_metadata_missing: %w", err)
	}
	if t.runtimeErrors, err = m.Int64Counter("otelcol_topology_runtime_errors",
		metric.WithDescription("Failed calls to a container runtime's API or state directory."),
		metric.WithUnit("{call}")); err != nil {
		return nil, fmt.Errorf("create metric otelcol_topology_runtime_errors: %w", err)
	}
	if t.evictions, err = m.Int64Counter("otelcol_topology_cache_evictions",
		metric.WithDescription("Cgroups dropped from the cache, by reason (expired, size)."),
		metric.WithUnit("{cgroup}")); err != nil {
		return nil, fmt.Errorf("create metric otelcol_topology_cache_evictions: %w", err)
	}
	if t.waitTimeouts, err = m.Int64Counter("otelcol_topology_wait_timeouts",
		metric.WithDescription("Batches that stopped waiting for new metadata at wait_timeout."),
		metric.WithUnit("{batch}")); err != nil {
		return nil, fmt.Errorf("create metric otelcol_topology_wait_timeouts: %w", err)
	}
	if t.entries, err = m.Int64ObservableGauge("otelcol_topology_cache_entries",
		metric.WithDescription("Cgroups in the cache."),
		metric.WithUnit("{cgroup}")); err != nil {
		return nil, fmt.Errorf("create metric otelcol_topology_cache_entries: %w", err)
	}
	return t, nil
}

// observeEntries registers the callback reporting the cache size.
func (t *telemetry) observeEntries(set component.TelemetrySettings, entries func() int) error {
	reg, err := set.MeterProvider.Meter(scopeName).RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(t.entries, int64(entries()))
		return nil
	}, t.entries)
	if err != nil {
		return fmt.Errorf("register otelcol_topology_cache_entries callback: %w", err)
	}
	t.reg = reg
	return nil
}

func (t *telemetry) close() {
	if t.reg != nil {
		_ = t.reg.Unregister()
	}
}

func reasonAttr(reason string) metric.AddOption {
	return metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", reason)))
}

func endpointAttr(endpoint string) metric.AddOption {
	return metric.WithAttributeSet(attribute.NewSet(attribute.String("endpoint", endpoint)))
}

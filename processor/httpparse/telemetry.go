package httpparse

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// telemetry holds the processor's own counters (see metadata.yaml).
type telemetry struct {
	exchanges        metric.Int64Counter
	exchangesDropped metric.Int64Counter
	recordsDropped   metric.Int64Counter
	bytesDropped     metric.Int64Counter
	gaps             metric.Int64Counter
	parseErrors      metric.Int64Counter
	limitHits        metric.Int64Counter
	processor        attribute.KeyValue
}

func newTelemetry(set component.TelemetrySettings, id component.ID) (*telemetry, error) {
	m := set.MeterProvider.Meter(scopeName)
	t := &telemetry{processor: attribute.String("processor", id.String())}
	var err error
	mk := func(dst *metric.Int64Counter, name, desc, unit string) {
		if err != nil {
			return
		}
		*dst, err = m.Int64Counter(name, metric.WithDescription(desc), metric.WithUnit(unit))
		if err != nil {
			err = fmt.Errorf("create counter %s: %w", name, err)
		}
	}
	mk(&t.exchanges, "otelcol_httpparse_exchanges", "HTTP exchanges emitted, by outcome (complete, incomplete).", "{exchange}")
	mk(&t.exchangesDropped, "otelcol_httpparse_exchanges_dropped", "HTTP exchanges not emitted, by reason (filtered, unpaired_response, partial_request).", "{exchange}")
	mk(&t.recordsDropped, "otelcol_httpparse_records_dropped", "Payload records not used, by reason (bad_record, duplicate).", "{record}")
	mk(&t.bytesDropped, "otelcol_httpparse_bytes_dropped", "Payload bytes not parsed, by reason (unparsed, not_http, upgraded).", "By")
	mk(&t.gaps, "otelcol_httpparse_gaps", "Holes in a connection's record sequence, by reason (truncated, buffer_full, idle).", "{gap}")
	mk(&t.parseErrors, "otelcol_httpparse_parse_errors", "Malformed HTTP messages.", "{error}")
	mk(&t.limitHits, "otelcol_httpparse_limit_hits", "Times a bound ended state early, by limit (max_connections, max_pending_requests).", "{event}")
	return t, err
}

// counts accumulates what one pass counted, recorded once at its end.
type counts struct {
	complete, incomplete                        int64
	filtered, unpaired, partialRequests         int64
	badRecords, duplicates                      int64
	unparsedBytes, notHTTPBytes, upgradedBytes  int64
	gapTruncated, gapBufferFull, gapIdle        int64
	parseErrors, limitConnections, limitPending int64
}

func (t *telemetry) record(ctx context.Context, c *counts) {
	add := func(ctr metric.Int64Counter, n int64, kv ...attribute.KeyValue) {
		if n > 0 {
			ctr.Add(ctx, n, metric.WithAttributes(append(kv, t.processor)...))
		}
	}
	add(t.exchanges, c.complete, attribute.String("outcome", "complete"))
	add(t.exchanges, c.incomplete, attribute.String("outcome", "incomplete"))
	add(t.exchangesDropped, c.filtered, attribute.String("reason", "filtered"))
	add(t.exchangesDropped, c.unpaired, attribute.String("reason", "unpaired_response"))
	add(t.exchangesDropped, c.partialRequests, attribute.String("reason", "partial_request"))
	add(t.recordsDropped, c.badRecords, attribute.String("reason", "bad_record"))
	add(t.recordsDropped, c.duplicates, attribute.String("reason", "duplicate"))
	add(t.bytesDropped, c.unparsedBytes, attribute.String("reason", "unparsed"))
	add(t.bytesDropped, c.notHTTPBytes, attribute.String("reason", "not_http"))
	add(t.bytesDropped, c.upgradedBytes, attribute.String("reason", "upgraded"))
	add(t.gaps, c.gapTruncated, attribute.String("reason", "truncated"))
	add(t.gaps, c.gapBufferFull, attribute.String("reason", "buffer_full"))
	add(t.gaps, c.gapIdle, attribute.String("reason", "idle"))
	add(t.parseErrors, c.parseErrors)
	add(t.limitHits, c.limitConnections, attribute.String("limit", "max_connections"))
	add(t.limitHits, c.limitPending, attribute.String("limit", "max_pending_requests"))
}

package httpspanconnector

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-trace/otelcol-trace/internal/ratelog"
)

const exchangeEventName = "http.exchange"

// isBodyAttr reports whether k holds captured content, left off spans when
// IncludeBodies is off.
func isBodyAttr(k string) bool {
	switch k {
	case "http.request.body.content", "http.response.body.content", "sse.events", "sse.text", "sse.thinking", "sse.tool_input":
		return true
	}
	return false
}

type httpSpans struct {
	component.StartFunc
	component.ShutdownFunc

	cfg      *Config
	logger   *zap.Logger
	next     consumer.Traces
	prefixes []string
	spans    metric.Int64Counter
	dropped  metric.Int64Counter
	attr     attribute.KeyValue
	// dropLog writes the drop warning at most once per dropLogInterval.
	dropLog *ratelog.Logger
}

// dropLogInterval rate-limits the warning about dropped records.
const dropLogInterval = 10 * time.Second

func newConnector(set connector.Settings, cfg *Config, next consumer.Traces) (*httpSpans, error) {
	m := set.MeterProvider.Meter(scopeName)
	spans, err := m.Int64Counter("otelcol_httpspans_spans", metric.WithDescription("Spans made from http.exchange records, by parent (traceparent, root)."), metric.WithUnit("{span}"))
	if err != nil {
		return nil, fmt.Errorf("create counter otelcol_httpspans_spans: %w", err)
	}
	dropped, err := m.Int64Counter("otelcol_httpspans_records_dropped", metric.WithDescription("http.exchange records that gave no span, by reason (no_method)."), metric.WithUnit("{record}"))
	if err != nil {
		return nil, fmt.Errorf("create counter otelcol_httpspans_records_dropped: %w", err)
	}
	return &httpSpans{
		cfg:      cfg,
		logger:   set.Logger,
		next:     next,
		prefixes: append([]string{"process.", "container.", "k8s.", "linux.cgroup.id", "service."}, cfg.ResourceAttributePrefixes...),
		spans:    spans,
		dropped:  dropped,
		attr:     attribute.String("connector", set.ID.String()),
		dropLog:  ratelog.New(set.Logger, dropLogInterval),
	}, nil
}

// Capabilities reports that the connector does not modify its input.
func (c *httpSpans) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

// ConsumeLogs turns http.exchange records into spans; other records are ignored.
func (c *httpSpans) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	td := ptrace.NewTraces()
	groups := map[string]ptrace.SpanSlice{}
	var withParent, roots, dropped int64
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		resKey := "" // computed once per resource, when it has an exchange
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				if lr.EventName() != exchangeEventName {
					continue
				}
				if _, ok := lr.Attributes().Get("http.request.method"); !ok {
					dropped++
					continue
				}
				if resKey == "" {
					resKey = fmt.Sprint(rl.Resource().Attributes().AsRaw())
				}
				spans := c.spansFor(td, groups, resKey, rl.Resource(), lr.Attributes())
				if c.makeSpan(spans.AppendEmpty(), lr) {
					withParent++
				} else {
					roots++
				}
			}
		}
	}
	if withParent > 0 {
		c.spans.Add(ctx, withParent, metric.WithAttributes(c.attr, attribute.String("parent", "traceparent")))
	}
	if roots > 0 {
		c.spans.Add(ctx, roots, metric.WithAttributes(c.attr, attribute.String("parent", "root")))
	}
	if dropped > 0 {
		c.dropped.Add(ctx, dropped, metric.WithAttributes(c.attr, attribute.String("reason", "no_method")))
		c.dropLog.Warn("no_method", "httpspans: http.exchange records without http.request.method were skipped (logged at most every 10s; see otelcol_httpspans_records_dropped)",
			zap.Int64("count", dropped))
	}
	if td.SpanCount() == 0 {
		return nil
	}
	return c.next.ConsumeTraces(ctx, td)
}

func (c *httpSpans) isResourceAttr(k string) bool {
	for _, p := range c.prefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// spansFor returns the span slice of the record's process (one
// ResourceSpans per resource and process); resKey identifies res.
func (c *httpSpans) spansFor(td ptrace.Traces, groups map[string]ptrace.SpanSlice, resKey string, res pcommon.Resource, attrs pcommon.Map) ptrace.SpanSlice {
	var key strings.Builder
	key.WriteString(resKey)
	attrs.Range(func(k string, v pcommon.Value) bool {
		if c.isResourceAttr(k) {
			key.WriteString(k)
			key.WriteByte('=')
			key.WriteString(v.AsString())
			key.WriteByte(';')
		}
		return true
	})
	if s, ok := groups[key.String()]; ok {
		return s
	}
	rs := td.ResourceSpans().AppendEmpty()
	ra := rs.Resource().Attributes()
	res.Attributes().CopyTo(ra)
	attrs.Range(func(k string, v pcommon.Value) bool {
		if c.isResourceAttr(k) {
			v.CopyTo(ra.PutEmpty(k))
		}
		return true
	})
	if _, ok := ra.Get("service.name"); !ok {
		if v, ok := ra.Get("process.executable.name"); ok && v.Str() != "" {
			ra.PutStr("service.name", v.Str())
		} else {
			ra.PutStr("service.name", "unknown_service")
		}
	}
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(scopeName)
	groups[key.String()] = ss.Spans()
	return ss.Spans()
}

// makeSpan fills span from one exchange; it reports whether the span joined
// the trace of a traceparent header.
func (c *httpSpans) makeSpan(span ptrace.Span, lr plog.LogRecord) bool {
	a := lr.Attributes()
	get := func(k string) string {
		if v, ok := a.Get(k); ok {
			return v.AsString()
		}
		return ""
	}
	method := get("http.request.method")
	name := method
	if method == "_OTHER" {
		name = "HTTP"
	}
	target := get("http.route")
	if target == "" {
		target = get("url.path")
	}
	if target != "" {
		name += " " + target
	}
	span.SetName(name)
	client := get("connection.role") != "server"
	if client {
		span.SetKind(ptrace.SpanKindClient)
	} else {
		span.SetKind(ptrace.SpanKindServer)
	}
	start := lr.Timestamp()
	if start == 0 {
		start = lr.ObservedTimestamp()
	}
	span.SetStartTimestamp(start)
	end := start
	if d, ok := a.Get("http.exchange.duration"); ok && d.Type() == pcommon.ValueTypeDouble && d.Double() > 0 {
		end = start + pcommon.Timestamp(d.Double()*float64(time.Second))
	}
	span.SetEndTimestamp(end)

	sa := span.Attributes()
	sa.EnsureCapacity(a.Len())
	a.Range(func(k string, v pcommon.Value) bool {
		if c.isResourceAttr(k) || (!c.cfg.IncludeBodies && isBodyAttr(k)) {
			return true
		}
		v.CopyTo(sa.PutEmpty(k))
		return true
	})

	if v, ok := a.Get("http.response.status_code"); ok {
		code := v.Int()
		if code >= 500 || (client && code >= 400) {
			span.Status().SetCode(ptrace.StatusCodeError)
			span.Status().SetMessage(strconv.FormatInt(code, 10))
			sa.PutStr("error.type", strconv.FormatInt(code, 10))
		}
	}

	if c.cfg.FirstByteEvents {
		if v, ok := a.Get("http.exchange.time_to_first_byte"); ok && v.Type() == pcommon.ValueTypeDouble {
			ev := span.Events().AppendEmpty()
			ev.SetName("http.response.first_byte")
			ev.SetTimestamp(start + pcommon.Timestamp(v.Double()*float64(time.Second)))
		}
		if v, ok := a.Get("sse.time_to_first_event"); ok && v.Type() == pcommon.ValueTypeDouble {
			ev := span.Events().AppendEmpty()
			ev.SetName("sse.first_event")
			ev.SetTimestamp(start + pcommon.Timestamp(v.Double()*float64(time.Second)))
		}
	}

	span.SetSpanID(randomSpanID())
	if tid, pid, flags, ok := parseTraceparent(firstHeader(a, "http.request.header.traceparent")); ok {
		span.SetTraceID(tid)
		span.SetParentSpanID(pid)
		span.SetFlags(uint32(flags))
		if ts := firstHeader(a, "http.request.header.tracestate"); ts != "" {
			span.TraceState().FromRaw(ts)
		}
		return true
	}
	span.SetTraceID(randomTraceID())
	return false
}

// firstHeader returns the first value of a header attribute (a string
// array, or a plain string).
func firstHeader(a pcommon.Map, k string) string {
	v, ok := a.Get(k)
	if !ok {
		return ""
	}
	if v.Type() == pcommon.ValueTypeSlice {
		if v.Slice().Len() == 0 {
			return ""
		}
		return v.Slice().At(0).AsString()
	}
	return v.AsString()
}

// parseTraceparent parses a W3C traceparent header
// (version-traceid-parentid-flags).
func parseTraceparent(s string) (pcommon.TraceID, pcommon.SpanID, byte, bool) {
	var tid pcommon.TraceID
	var pid pcommon.SpanID
	s = strings.TrimSpace(s)
	if len(s) < 55 || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return tid, pid, 0, false
	}
	if len(s) > 55 && (s[:2] == "00" || s[55] != '-') {
		return tid, pid, 0, false // version 00 has exactly four fields
	}
	var ver, flags [1]byte
	if _, err := hex.Decode(ver[:], []byte(s[:2])); err != nil || ver[0] == 0xff {
		return tid, pid, 0, false
	}
	if !isLowerHex(s[3:35]) || !isLowerHex(s[36:52]) || !isLowerHex(s[53:55]) {
		return tid, pid, 0, false
	}
	_, _ = hex.Decode(tid[:], []byte(s[3:35]))
	_, _ = hex.Decode(pid[:], []byte(s[36:52]))
	_, _ = hex.Decode(flags[:], []byte(s[53:55]))
	if tid.IsEmpty() || pid.IsEmpty() {
		return tid, pid, 0, false
	}
	return tid, pid, flags[0], true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func randomTraceID() pcommon.TraceID {
	var id pcommon.TraceID
	for id.IsEmpty() {
		hi, lo := rand.Uint64(), rand.Uint64()
		for i := range 8 {
			id[i] = byte(hi >> (56 - 8*i))
			id[8+i] = byte(lo >> (56 - 8*i))
		}
	}
	return id
}

func randomSpanID() pcommon.SpanID {
	var id pcommon.SpanID
	for id.IsEmpty() {
		v := rand.Uint64()
		for i := range 8 {
			id[i] = byte(v >> (56 - 8*i))
		}
	}
	return id
}

package localstoreexporter

import (
	"encoding/base64"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-trace/otelcol-trace/exporter/localstoreexporter/store"
)

// Attribute names (docs/events.md) the store extracts into indexed columns.
const (
	attrPID           = "process.pid"
	attrProcessName   = "process.executable.name"
	attrContainerID   = "container.id"
	attrContainerName = "container.name"
	attrServiceName   = "service.name"
	attrSource        = "otelcol.trace.source"
)

// byteAttributes are summed into the bytes column (and the roll-ups).
var byteAttributes = [...]string{
	"fs.read.bytes", "fs.write.bytes",
	"net.sent.bytes", "net.received.bytes",
	"payload.length",
	"http.request.body.size", "http.response.body.size",
}

// recordConverter turns pdata into store records. It keeps a scratch buffer,
// so one converter must not be used concurrently.
type recordConverter struct {
	buf []byte
	now func() time.Time
}

func newRecordConverter() *recordConverter {
	return &recordConverter{now: time.Now}
}

// lookup finds key on the record first, then on the resource, as
// docs/events.md says readers must.
func lookup(rec, res pcommon.Map, key string) (pcommon.Value, bool) {
	if v, ok := rec.Get(key); ok {
		return v, true
	}
	return res.Get(key)
}

func lookupStr(rec, res pcommon.Map, key string) string {
	if v, ok := lookup(rec, res, key); ok {
		return v.AsString()
	}
	return ""
}

func lookupInt(rec, res pcommon.Map, key string) int64 {
	v, ok := lookup(rec, res, key)
	if !ok {
		return 0
	}
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return v.Int()
	case pcommon.ValueTypeDouble:
		return int64(v.Double())
	case pcommon.ValueTypeStr:
		n, _ := strconv.ParseInt(v.Str(), 10, 64)
		return n
	}
	return 0
}

func sumBytes(attrs pcommon.Map) int64 {
	var total int64
	for _, k := range byteAttributes {
		if v, ok := attrs.Get(k); ok && v.Type() == pcommon.ValueTypeInt && v.Int() > 0 {
			total += v.Int()
		}
	}
	return total
}

// fill sets the columns common to all kinds from the record's and the
// resource's attributes.
func (c *recordConverter) fill(r *store.Record, attrs, res pcommon.Map) {
	r.PID = lookupInt(attrs, res, attrPID)
	r.ProcessName = lookupStr(attrs, res, attrProcessName)
	r.ContainerID = lookupStr(attrs, res, attrContainerID)
	r.ContainerName = lookupStr(attrs, res, attrContainerName)
	r.ServiceName = lookupStr(attrs, res, attrServiceName)
	r.Source = lookupStr(attrs, res, attrSource)
	r.Bytes = sumBytes(attrs)
	r.Attributes = c.mapJSON(attrs)
}

func (c *recordConverter) timeOr(ts, fallback pcommon.Timestamp) int64 {
	if ts != 0 {
		return int64(ts)
	}
	if fallback != 0 {
		return int64(fallback)
	}
	return c.now().UnixNano()
}

func (c *recordConverter) logs(ld plog.Logs, out []store.Record) []store.Record {
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		res := rl.Resource().Attributes()
		resJSON := c.mapJSON(res)
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			extra := c.scopeJSON(sl.Scope())
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				r := store.Record{
					Kind:             store.KindLog,
					TimeUnixNano:     c.timeOr(lr.Timestamp(), lr.ObservedTimestamp()),
					ObservedUnixNano: int64(lr.ObservedTimestamp()),
					EventName:        lr.EventName(),
					SeverityNumber:   int32(lr.SeverityNumber()),
					SeverityText:     lr.SeverityText(),
					Resource:         resJSON,
					Extra:            extra,
				}
				if r.EventName == "" {
					r.EventName = store.EventNameLogLine
				}
				if !lr.TraceID().IsEmpty() {
					r.TraceID = lr.TraceID().String()
				}
				if !lr.SpanID().IsEmpty() {
					r.SpanID = lr.SpanID().String()
				}
				if lr.Body().Type() != pcommon.ValueTypeEmpty {
					r.BodyType = lr.Body().Type().String()
					r.Body = c.valueJSON(lr.Body())
				}
				c.fill(&r, lr.Attributes(), res)
				out = append(out, r)
			}
		}
	}
	return out
}

func (c *recordConverter) traces(td ptrace.Traces, out []store.Record) []store.Record {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := rs.Resource().Attributes()
		resJSON := c.mapJSON(res)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			spans := ss.Spans()
			for k := 0; k < spans.Len(); k++ {
				sp := spans.At(k)
				r := store.Record{
					Kind:             store.KindSpan,
					TimeUnixNano:     c.timeOr(sp.StartTimestamp(), sp.EndTimestamp()),
					ObservedUnixNano: int64(sp.EndTimestamp()),
					EndUnixNano:      int64(sp.EndTimestamp()),
					EventName:        store.EventNameSpan,
					Name:             sp.Name(),
					TraceID:          sp.TraceID().String(),
					SpanID:           sp.SpanID().String(),
					Resource:         resJSON,
				}
				if !sp.ParentSpanID().IsEmpty() {
					r.ParentSpanID = sp.ParentSpanID().String()
				}
				if sp.Status().Code() == ptrace.StatusCodeError {
					r.SeverityNumber, r.SeverityText = int32(plog.SeverityNumberWarn), "WARN"
				}
				c.fill(&r, sp.Attributes(), res)
				r.Extra = c.spanExtraJSON(ss.Scope(), sp)
				out = append(out, r)
			}
		}
	}
	return out
}

func (c *recordConverter) metrics(md pmetric.Metrics, out []store.Record) []store.Record {
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		res := rm.Resource().Attributes()
		resJSON := c.mapJSON(res)
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sm := sms.At(j)
			ms := sm.Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				extra := c.metricExtraJSON(sm.Scope(), m)
				add := func(ts pcommon.Timestamp, attrs pcommon.Map, body string) {
					r := store.Record{
						Kind:             store.KindMetric,
						TimeUnixNano:     c.timeOr(ts, 0),
						ObservedUnixNano: int64(ts),
						EventName:        store.EventNameMetric,
						Name:             m.Name(),
						BodyType:         "Metric",
						Body:             body,
						Resource:         resJSON,
						Extra:            extra,
					}
					c.fill(&r, attrs, res)
					out = append(out, r)
				}
				switch m.Type() {
				case pmetric.MetricTypeGauge:
					c.numberPoints(m.Gauge().DataPoints(), add)
				case pmetric.MetricTypeSum:
					c.numberPoints(m.Sum().DataPoints(), add)
				case pmetric.MetricTypeHistogram:
					dps := m.Histogram().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						dp := dps.At(d)
						add(dp.Timestamp(), dp.Attributes(), c.countSumJSON(dp.Count(), dp.Sum()))
					}
				case pmetric.MetricTypeExponentialHistogram:
					dps := m.ExponentialHistogram().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						dp := dps.At(d)
						add(dp.Timestamp(), dp.Attributes(), c.countSumJSON(dp.Count(), dp.Sum()))
					}
				case pmetric.MetricTypeSummary:
					dps := m.Summary().DataPoints()
					for d := 0; d < dps.Len(); d++ {
						dp := dps.At(d)
						add(dp.Timestamp(), dp.Attributes(), c.countSumJSON(dp.Count(), dp.Sum()))
					}
				}
			}
		}
	}
	return out
}

func (c *recordConverter) numberPoints(dps pmetric.NumberDataPointSlice, add func(pcommon.Timestamp, pcommon.Map, string)) {
	for d := 0; d < dps.Len(); d++ {
		dp := dps.At(d)
		b := c.buf[:0]
		if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
			b = strconv.AppendInt(b, dp.IntValue(), 10)
		} else {
			b = appendFloat(b, dp.DoubleValue())
		}
		c.buf = b
		add(dp.Timestamp(), dp.Attributes(), string(b))
	}
}

func (c *recordConverter) countSumJSON(count uint64, sum float64) string {
	b := append(c.buf[:0], `{"count":`...)
	b = strconv.AppendUint(b, count, 10)
	b = append(b, `,"sum":`...)
	b = appendFloat(b, sum)
	b = append(b, '}')
	c.buf = b
	return string(b)
}

func (c *recordConverter) scopeJSON(s pcommon.InstrumentationScope) string {
	if s.Name() == "" {
		return ""
	}
	b := append(c.buf[:0], `{"scope.name":`...)
	b = appendString(b, s.Name())
	b = append(b, '}')
	c.buf = b
	return string(b)
}

func (c *recordConverter) spanExtraJSON(s pcommon.InstrumentationScope, sp ptrace.Span) string {
	b := append(c.buf[:0], `{"span.kind":`...)
	b = appendString(b, sp.Kind().String())
	b = append(b, `,"status.code":`...)
	b = appendString(b, sp.Status().Code().String())
	if msg := sp.Status().Message(); msg != "" {
		b = append(b, `,"status.message":`...)
		b = appendString(b, msg)
	}
	if s.Name() != "" {
		b = append(b, `,"scope.name":`...)
		b = appendString(b, s.Name())
	}
	b = append(b, '}')
	c.buf = b
	return string(b)
}

func (c *recordConverter) metricExtraJSON(s pcommon.InstrumentationScope, m pmetric.Metric) string {
	b := append(c.buf[:0], `{"metric.type":`...)
	b = appendString(b, m.Type().String())
	if m.Unit() != "" {
		b = append(b, `,"metric.unit":`...)
		b = appendString(b, m.Unit())
	}
	if s.Name() != "" {
		b = append(b, `,"scope.name":`...)
		b = appendString(b, s.Name())
	}
	b = append(b, '}')
	c.buf = b
	return string(b)
}

func (c *recordConverter) mapJSON(m pcommon.Map) string {
	c.buf = appendMap(c.buf[:0], m)
	return string(c.buf)
}

func (c *recordConverter) valueJSON(v pcommon.Value) string {
	c.buf = appendValue(c.buf[:0], v)
	return string(c.buf)
}

// appendValue appends v as JSON: bytes as base64 strings, NaN and the
// infinities as the strings "NaN", "Infinity", "-Infinity".
func appendValue(b []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return appendString(b, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(b, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		return appendFloat(b, v.Double())
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(b, v.Bool())
	case pcommon.ValueTypeBytes:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v.Bytes().AsRaw())
		return append(b, '"')
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		b = append(b, '[')
		for i := 0; i < s.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, s.At(i))
		}
		return append(b, ']')
	case pcommon.ValueTypeMap:
		return appendMap(b, v.Map())
	}
	return append(b, "null"...)
}

func appendMap(b []byte, m pcommon.Map) []byte {
	b = append(b, '{')
	first := true
	for k, v := range m.All() {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, k)
		b = append(b, ':')
		b = appendValue(b, v)
	}
	return append(b, '}')
}

func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

package httpspanconnector

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestParseTraceparent(t *testing.T) {
	cases := []struct {
		in string
		ok bool
	}{
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", true},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", true},
		{"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future", true},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", false},
		{"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false},
		{"00-00000000000000000000000000000000-00f067aa0ba902b7-01", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false},
		{"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false},
		{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", false},
		{"garbage", false},
		{"", false},
	}
	for _, tc := range cases {
		tid, pid, _, ok := parseTraceparent(tc.in)
		assert.Equal(t, tc.ok, ok, tc.in)
		if ok {
			assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", tid.String())
			assert.Equal(t, "00f067aa0ba902b7", pid.String())
		}
	}
}

func newTestConnector(t *testing.T, cfg *Config) (*consumertest.TracesSink, func(plog.Logs)) {
	t.Helper()
	sink := new(consumertest.TracesSink)
	f := NewFactory()
	if cfg == nil {
		cfg = f.CreateDefaultConfig().(*Config)
	}
	c, err := f.CreateLogsToTraces(context.Background(), connectortest.NewNopSettings(f.Type()), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, c.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, c.Shutdown(context.Background())) })
	return sink, func(ld plog.Logs) { require.NoError(t, c.ConsumeLogs(context.Background(), ld)) }
}

func exchangeLogs(mut ...func(a pcommon.Map)) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("host.name", "h")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for i, m := range mut {
		lr := lrs.AppendEmpty()
		lr.SetEventName("http.exchange")
		lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Unix(1000, int64(i))))
		a := lr.Attributes()
		a.PutStr("http.request.method", "GET")
		a.PutStr("url.path", "/x")
		a.PutDouble("http.exchange.duration", 0.25)
		a.PutDouble("http.exchange.time_to_first_byte", 0.1)
		a.PutInt("process.pid", 7)
		a.PutStr("process.executable.name", "curl")
		a.PutStr("connection.role", "client")
		a.PutStr("http.response.body.content", "secret-ish body")
		m(a)
	}
	other := lrs.AppendEmpty()
	other.SetEventName("process.exec")
	return ld
}

func TestSpanShape(t *testing.T) {
	sink, consume := newTestConnector(t, nil)
	consume(exchangeLogs(
		func(a pcommon.Map) { a.PutInt("http.response.status_code", 404) },
		func(a pcommon.Map) {
			a.PutStr("connection.role", "server")
			a.PutInt("http.response.status_code", 404)
			a.PutStr("http.route", "/users/{id}")
		},
		func(a pcommon.Map) {
			a.PutStr("connection.role", "server")
			a.PutInt("http.response.status_code", 503)
			a.PutInt("process.pid", 8)
		},
		func(a pcommon.Map) {
			a.PutStr("http.request.method", "_OTHER")
			a.PutStr("http.request.method_original", "PROPFIND")
		},
	))
	require.Equal(t, 1, len(sink.AllTraces()))
	td := sink.AllTraces()[0]
	require.Equal(t, 4, td.SpanCount())
	require.Equal(t, 2, td.ResourceSpans().Len(), "one ResourceSpans per process")
	rs := td.ResourceSpans().At(0)
	assert.Equal(t, map[string]any{"host.name": "h", "process.pid": int64(7), "process.executable.name": "curl", "service.name": "curl"}, rs.Resource().Attributes().AsRaw())
	spans := rs.ScopeSpans().At(0).Spans()
	require.Equal(t, 3, spans.Len())

	client404 := spans.At(0)
	assert.Equal(t, "GET /x", client404.Name())
	assert.Equal(t, ptrace.SpanKindClient, client404.Kind())
	assert.Equal(t, ptrace.StatusCodeError, client404.Status().Code())
	assert.Equal(t, "404", client404.Attributes().AsRaw()["error.type"])
	assert.Equal(t, 250*time.Millisecond, client404.EndTimestamp().AsTime().Sub(client404.StartTimestamp().AsTime()))
	assert.True(t, client404.ParentSpanID().IsEmpty())
	assert.False(t, client404.TraceID().IsEmpty())
	_, hasPid := client404.Attributes().Get("process.pid")
	assert.False(t, hasPid, "process attributes live on the resource")
	require.Equal(t, 1, client404.Events().Len())
	assert.Equal(t, "http.response.first_byte", client404.Events().At(0).Name())

	server404 := spans.At(1)
	assert.Equal(t, "GET /users/{id}", server404.Name())
	assert.Equal(t, ptrace.SpanKindServer, server404.Kind())
	assert.Equal(t, ptrace.StatusCodeUnset, server404.Status().Code(), "4xx is not an error on a server span")

	other := spans.At(2)
	assert.Equal(t, "HTTP /x", other.Name())

	server503 := td.ResourceSpans().At(1).ScopeSpans().At(0).Spans().At(0)
	assert.Equal(t, ptrace.StatusCodeError, server503.Status().Code())
	assert.NotEqual(t, client404.TraceID(), server404.TraceID(), "spans without traceparent start their own traces")
}

func TestIncludeBodiesOff(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.IncludeBodies = false
	cfg.FirstByteEvents = false
	sink, consume := newTestConnector(t, cfg)
	consume(exchangeLogs(func(pcommon.Map) {}))
	span := sink.AllTraces()[0].ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	_, ok := span.Attributes().Get("http.response.body.content")
	assert.False(t, ok)
	assert.Equal(t, 0, span.Events().Len())
}

func TestTraceparentJoinsTrace(t *testing.T) {
	sink, consume := newTestConnector(t, nil)
	consume(exchangeLogs(func(a pcommon.Map) {
		a.PutEmptySlice("http.request.header.traceparent").AppendEmpty().SetStr("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		a.PutEmptySlice("http.request.header.tracestate").AppendEmpty().SetStr("vendor=x")
	}))
	span := sink.AllTraces()[0].ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", span.TraceID().String())
	assert.Equal(t, "00f067aa0ba902b7", span.ParentSpanID().String())
	assert.NotEqual(t, "00f067aa0ba902b7", span.SpanID().String())
	assert.Equal(t, "vendor=x", span.TraceState().AsRaw())
	assert.Equal(t, uint32(1), span.Flags())
}

func TestNoExchangesNoTraces(t *testing.T) {
	sink, consume := newTestConnector(t, nil)
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().SetEventName("net.payload")
	consume(ld)
	assert.Empty(t, sink.AllTraces())
}

package httpspanconnector

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
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
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-trace/otelcol-trace/processor/httpparse"
)

// payloadLogs turns a recorded fixture of the httpparse processor into
// net.payload records (docs/events.md), from the client's or the server's view.
func payloadLogs(t *testing.T, name string, server bool) plog.Logs {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "processor", "httpparse", "testdata", "fixtures", name+".json"))
	require.NoError(t, err)
	var fx struct {
		Chunks []struct {
			Dir  string `json:"dir"`
			T    int64  `json:"t_ns"`
			Data []byte `json:"data"`
		} `json:"chunks"`
	}
	require.NoError(t, json.Unmarshal(b, &fx))
	base := time.Unix(1_780_000_000, 0)
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("host.name", "testhost")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for i, ch := range fx.Chunks {
		lr := lrs.AppendEmpty()
		lr.SetEventName("net.payload")
		lr.SetTimestamp(pcommon.NewTimestampFromTime(base.Add(time.Duration(ch.T))))
		lr.Body().SetEmptyBytes().FromRaw(ch.Data)
		a := lr.Attributes()
		tx := (ch.Dir == "c2s") != server
		if tx {
			a.PutStr("network.io.direction", "transmit")
		} else {
			a.PutStr("network.io.direction", "receive")
		}
		a.PutStr("connection.id", "100:socket:"+name)
		a.PutInt("connection.sequence", int64(i))
		a.PutStr("payload.source", "socket")
		a.PutInt("payload.length", int64(len(ch.Data)))
		a.PutInt("process.pid", 100)
		a.PutStr("process.executable.name", "app")
	}
	return ld
}

// TestPipeline runs recorded payloads through the real httpparse processor
// into this connector and checks the spans and their parents.
func TestPipeline(t *testing.T) {
	for _, server := range []bool{false, true} {
		t.Run(map[bool]string{false: "client", true: "server"}[server], func(t *testing.T) {
			ctx := context.Background()
			traces := new(consumertest.TracesSink)
			cf := NewFactory()
			conn, err := cf.CreateLogsToTraces(ctx, connectortest.NewNopSettings(cf.Type()), cf.CreateDefaultConfig(), traces)
			require.NoError(t, err)
			pf := httpparse.NewFactory()
			proc, err := pf.CreateLogs(ctx, processortest.NewNopSettings(pf.Type()), pf.CreateDefaultConfig(), conn)
			require.NoError(t, err)
			host := componenttest.NewNopHost()
			require.NoError(t, conn.Start(ctx, host))
			require.NoError(t, proc.Start(ctx, host))

			require.NoError(t, proc.ConsumeLogs(ctx, payloadLogs(t, "keepalive", server)))
			require.NoError(t, proc.ConsumeLogs(ctx, payloadLogs(t, "openai_sse", server)))
			require.NoError(t, proc.ConsumeLogs(ctx, payloadLogs(t, "idle_sse", server)))
			// the never-ending stream is flushed at shutdown
			require.NoError(t, proc.Shutdown(ctx))
			require.NoError(t, conn.Shutdown(ctx))

			var spans []ptrace.Span
			for _, td := range traces.AllTraces() {
				for i := 0; i < td.ResourceSpans().Len(); i++ {
					rs := td.ResourceSpans().At(i)
					assert.Equal(t, "app", rs.Resource().Attributes().AsRaw()["service.name"])
					ss := rs.ScopeSpans().At(0).Spans()
					for j := 0; j < ss.Len(); j++ {
						spans = append(spans, ss.At(j))
					}
				}
			}
			require.Len(t, spans, 5)
			names := []string{}
			for _, s := range spans {
				names = append(names, s.Name())
				if server {
					assert.Equal(t, ptrace.SpanKindServer, s.Kind())
				} else {
					assert.Equal(t, ptrace.SpanKindClient, s.Kind())
				}
			}
			assert.Equal(t, []string{"GET /text", "POST /json", "GET /fail", "POST /v1/chat/completions", "GET /v1/stuck"}, names)

			post := spans[1]
			assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", post.TraceID().String(), "joins the traceparent's trace")
			assert.Equal(t, "00f067aa0ba902b7", post.ParentSpanID().String())
			for _, i := range []int{0, 2, 3, 4} {
				assert.True(t, spans[i].ParentSpanID().IsEmpty(), spans[i].Name())
				assert.NotEqual(t, post.TraceID(), spans[i].TraceID())
			}
			assert.Equal(t, ptrace.StatusCodeError, spans[2].Status().Code())
			assert.Equal(t, int64(500), spans[2].Attributes().AsRaw()["http.response.status_code"])
			assert.Equal(t, ptrace.StatusCodeUnset, spans[0].Status().Code())

			sse := spans[3]
			assert.Equal(t, "Hello, world! I am a streamed answer.", sse.Attributes().AsRaw()["sse.text"])
			require.Equal(t, 2, sse.Events().Len())
			assert.Equal(t, "sse.first_event", sse.Events().At(1).Name())
			assert.Greater(t, sse.EndTimestamp(), sse.Events().At(1).Timestamp())

			stuck := spans[4]
			assert.Equal(t, true, stuck.Attributes().AsRaw()["http.exchange.incomplete"])
			assert.Equal(t, true, stuck.Attributes().AsRaw()["sse.incomplete"])
		})
	}
}

package httpparse

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// fixture is a connection recorded by internal/fixturegen.
type fixture struct {
	Name   string `json:"name"`
	Chunks []struct {
		Dir  string `json:"dir"`
		T    int64  `json:"t_ns"`
		Data []byte `json:"data"`
	} `json:"chunks"`
}

func loadFixture(tb testing.TB, name string) fixture {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fixtures", name+".json"))
	require.NoError(tb, err)
	var fx fixture
	require.NoError(tb, json.Unmarshal(b, &fx))
	require.NotEmpty(tb, fx.Chunks, name)
	return fx
}

// recSpec is one payload record to build.
type recSpec struct {
	seq      int64
	transmit bool
	ts       time.Time
	data     []byte
	length   int64 // payload.length; len(data) when 0
}

// recView says from which process's view a fixture is turned into records.
type recView struct {
	connID   string
	server   bool   // the records are the server process's view
	withRole bool   // set connection.role
	source   string // payload.source
	base     time.Time
}

func defaultCapture() recView {
	return recView{connID: "4242:openssl:7f00aa", source: "openssl", base: time.Unix(1_780_000_000, 0)}
}

// specs turns a fixture into records: c2s bytes are transmitted by the
// client (received by the server), s2c the other way round.
func (fx fixture) specs(c recView) []recSpec {
	out := make([]recSpec, 0, len(fx.Chunks))
	for i, ch := range fx.Chunks {
		tx := ch.Dir == "c2s"
		if c.server {
			tx = !tx
		}
		out = append(out, recSpec{seq: int64(i), transmit: tx, ts: c.base.Add(time.Duration(ch.T)), data: ch.Data})
	}
	return out
}

// toLogs builds the net.payload records of specs as docs/events.md says.
func toLogs(c recView, specs []recSpec) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("host.name", "testhost")
	rl.Resource().Attributes().PutStr("otelcol.trace.source", "ebpf/tls")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for _, s := range specs {
		lr := lrs.AppendEmpty()
		lr.SetEventName("net.payload")
		lr.SetTimestamp(pcommon.NewTimestampFromTime(s.ts))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(s.ts.Add(time.Millisecond)))
		lr.Body().SetEmptyBytes().FromRaw(s.data)
		a := lr.Attributes()
		if s.transmit {
			a.PutStr("network.io.direction", "transmit")
		} else {
			a.PutStr("network.io.direction", "receive")
		}
		a.PutStr("payload.source", c.source)
		a.PutStr("connection.id", c.connID)
		a.PutInt("connection.sequence", s.seq)
		l := s.length
		if l == 0 {
			l = int64(len(s.data))
		}
		a.PutInt("payload.length", l)
		a.PutInt("payload.offset", 0)
		a.PutInt("payload.chunk.index", 0)
		a.PutInt("payload.chunk.count", 1)
		if l > int64(len(s.data)) {
			a.PutBool("payload.truncated", true)
		}
		a.PutDouble("payload.call.duration", 0.000010)
		a.PutInt("process.pid", 4242)
		a.PutInt("thread.id", 4243)
		a.PutStr("process.executable.name", "app")
		a.PutInt("linux.cgroup.id", 99)
		if c.withRole {
			if c.server {
				a.PutStr("connection.role", "server")
			} else {
				a.PutStr("connection.role", "client")
			}
		}
		a.PutStr("network.peer.address", "127.0.0.1")
		a.PutInt("network.peer.port", 8080)
		a.PutStr("network.local.address", "127.0.0.1")
		a.PutInt("network.local.port", 50000)
	}
	return ld
}

// harness is a started processor with a sink and readable telemetry.
type harness struct {
	t    *testing.T
	proc processor.Logs
	p    *httpParseProcessor
	sink *consumertest.LogsSink
	tel  *componenttest.Telemetry
}

func newHarness(t *testing.T, mutate func(*Config)) *harness {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	if mutate != nil {
		mutate(cfg)
	}
	require.NoError(t, cfg.Validate())
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	set := processortest.NewNopSettings(NewFactory().Type())
	set.TelemetrySettings = tel.NewTelemetrySettings()
	sink := new(consumertest.LogsSink)
	p, err := newProcessor(set, cfg, sink)
	require.NoError(t, err)
	proc, err := p.asProcessor(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, proc.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { _ = proc.Shutdown(context.Background()) })
	return &harness{t: t, proc: proc, p: p, sink: sink, tel: tel}
}

func (h *harness) consume(ld plog.Logs) {
	h.t.Helper()
	require.NoError(h.t, h.proc.ConsumeLogs(context.Background(), ld))
}

// flush ends every connection as an idle flush would.
func (h *harness) flush() {
	h.t.Helper()
	require.NoError(h.t, h.p.flushIdle(context.Background(), time.Now().Add(time.Hour), false))
}

// exchanges returns the http.exchange records received so far.
func (h *harness) exchanges() []plog.LogRecord {
	var out []plog.LogRecord
	for _, ld := range h.sink.AllLogs() {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			sls := ld.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					if lrs.At(k).EventName() == "http.exchange" {
						out = append(out, lrs.At(k))
					}
				}
			}
		}
	}
	return out
}

// counter returns the sum of a counter's points whose attribute key has value val
// (all points when key is empty).
func (h *harness) counter(name, key, val string) int64 {
	h.t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(h.t, ok, "metric %s is not an int64 sum", name)
	var n int64
	for _, dp := range sum.DataPoints {
		if key == "" {
			n += dp.Value
			continue
		}
		if v, ok := dp.Attributes.Value(attribute.Key(key)); ok && v.AsString() == val {
			n += dp.Value
		}
	}
	return n
}

func str(lr plog.LogRecord, k string) string {
	v, ok := lr.Attributes().Get(k)
	if !ok {
		return "<absent>"
	}
	if v.Type() == pcommon.ValueTypeSlice {
		return fmt.Sprint(v.Slice().AsRaw())
	}
	return v.AsString()
}

func num(lr plog.LogRecord, k string) int64 {
	v, ok := lr.Attributes().Get(k)
	if !ok {
		return -1
	}
	return v.Int()
}

func flag(lr plog.LogRecord, k string) bool {
	v, ok := lr.Attributes().Get(k)
	return ok && v.Bool()
}

func has(lr plog.LogRecord, k string) bool {
	_, ok := lr.Attributes().Get(k)
	return ok
}

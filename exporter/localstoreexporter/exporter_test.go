package localstoreexporter

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-trace/otelcol-trace/exporter/localstoreexporter/store"
)

type sampleEvent struct {
	name      string
	pid       int64
	comm      string
	container string
	attrs     map[string]any
}

var sampleEvents = []sampleEvent{
	{"process.exec", 100, "nginx", "", map[string]any{"process.command_args": []any{"nginx", "-g", "daemon off;"}}},
	{"fs.open", 100, "nginx", "c0ffee00112233", map[string]any{"file.path": "/etc/nginx/nginx.conf", "fs.fd": int64(3)}},
	{"fs.close", 100, "nginx", "c0ffee00112233", map[string]any{"file.path": "/etc/nginx/nginx.conf", "fs.read.bytes": int64(2048), "fs.write.bytes": int64(0)}},
	{"net.connect", 200, "curl", "", map[string]any{"network.peer.address": "10.0.0.1", "network.peer.port": int64(443), "error.type": "ECONNREFUSED"}},
}

// sampleLogs builds the sample events as the ebpf receiver would (process
// attributes on the record, the source on the resource), n times, plus one
// plain log line and one net.payload with a bytes body.
func sampleLogs(n int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("host.name", "h1")
	rl.Resource().Attributes().PutStr("otelcol.trace.source", "ebpf")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("ebpf")
	base := time.Now().Add(-time.Minute)
	for i := range n {
		for j, e := range sampleEvents {
			lr := sl.LogRecords().AppendEmpty()
			lr.SetEventName(e.name)
			lr.SetTimestamp(pcommon.NewTimestampFromTime(base.Add(time.Duration(i*len(sampleEvents)+j) * time.Millisecond)))
			lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(time.Now()))
			lr.SetSeverityNumber(plog.SeverityNumberInfo)
			a := lr.Attributes()
			a.PutInt("process.pid", e.pid)
			a.PutStr("process.executable.name", e.comm)
			if e.container != "" {
				a.PutStr("container.id", e.container)
			}
			if err := a.FromRaw(merge(a.AsRaw(), e.attrs)); err != nil {
				panic(err)
			}
		}
	}
	lr := sl.LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(base))
	lr.Body().SetStr("GET / 200\tok")
	lr.Attributes().PutStr("log.iostream", "stdout")
	lr.Attributes().PutInt("process.pid", 100)
	return ld
}

func merge(a, b map[string]any) map[string]any {
	for k, v := range b {
		a[k] = v
	}
	return a
}

func payloadLogs() plog.Logs {
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName("net.payload")
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
	lr.Body().SetEmptyBytes().FromRaw([]byte("GET / HTTP/1.1\r\n\x00\xff"))
	lr.Attributes().PutInt("payload.length", 18)
	lr.Attributes().PutDouble("weird", math.NaN())
	lr.Attributes().PutStr("bad.utf8", "a\xffb\"c")
	return ld
}

// sampleTraces is one process span with the process attributes on the
// resource, as docs/events.md puts them.
func sampleTraces() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutInt("process.pid", 300)
	rs.Resource().Attributes().PutStr("process.executable.name", "make")
	rs.Resource().Attributes().PutStr("service.name", "make")
	sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetName("make")
	sp.SetTraceID(pcommon.TraceID{1, 2, 3})
	sp.SetSpanID(pcommon.SpanID{4, 5, 6})
	start := time.Now().Add(-2 * time.Second)
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(1500 * time.Millisecond)))
	sp.Status().SetCode(ptrace.StatusCodeError)
	sp.Attributes().PutInt("process.exit.code", 2)
	return td
}

func sampleMetrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("otelcol_ebpf_events_total")
	dps := m.SetEmptySum().DataPoints()
	for i, probe := range []string{"file", "network"} {
		dp := dps.AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
		dp.SetIntValue(int64(10 * (i + 1)))
		dp.Attributes().PutStr("probe", probe)
	}
	return md
}

func storeFilter() store.Filter { return store.Filter{} }

func openReader(t *testing.T, dir string) *store.Reader {
	t.Helper()
	r, err := store.OpenReader(context.Background(), dir, time.Second)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func newTestStore(t *testing.T, cfg *Config) (*localStore, *componenttest.Telemetry) {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	set := exportertest.NewNopSettings(NewFactory().Type())
	set.TelemetrySettings = tel.NewTelemetrySettings()
	return newLocalStore(cfg, set), tel
}

func testConfig(dir string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Directory = dir
	cfg.Batch.FlushInterval = 20 * time.Millisecond
	return cfg
}

// counterValue sums the data points of an int64 counter whose attributes
// include reason (any reason when empty).
func counterValue(t *testing.T, tel *componenttest.Telemetry, name, reason string) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	if err != nil {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is a sum of int64", name)
	var total int64
	for _, dp := range sum.DataPoints {
		r, _ := dp.Attributes.Value("reason")
		if reason == "" || r.AsString() == reason {
			total += dp.Value
		}
	}
	return total
}

func TestExporterStoresAllSignals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := NewFactory()
	cfg := testConfig(dir)
	tel := componenttest.NewTelemetry()
	defer func() { _ = tel.Shutdown(ctx) }()
	set := exportertest.NewNopSettings(f.Type())
	set.TelemetrySettings = tel.NewTelemetrySettings()
	le, err := f.CreateLogs(ctx, set, cfg)
	require.NoError(t, err)
	te, err := f.CreateTraces(ctx, set, cfg)
	require.NoError(t, err)
	me, err := f.CreateMetrics(ctx, set, cfg)
	require.NoError(t, err)
	host := componenttest.NewNopHost()
	require.NoError(t, le.Start(ctx, host))
	require.NoError(t, te.Start(ctx, host))
	require.NoError(t, me.Start(ctx, host))

	require.NoError(t, le.ConsumeLogs(ctx, sampleLogs(3)))
	require.NoError(t, le.ConsumeLogs(ctx, payloadLogs()))
	require.NoError(t, te.ConsumeTraces(ctx, sampleTraces()))
	require.NoError(t, me.ConsumeMetrics(ctx, sampleMetrics()))

	// The writer commits on its flush interval while the collector runs.
	r := openReader(t, dir)
	want := int64(3*len(sampleEvents) + 1 + 1 + 1 + 2)
	require.Eventually(t, func() bool {
		n, err := r.Count(ctx, store.Filter{})
		return err == nil && n == want
	}, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, want, counterValue(t, tel, "otelcol_localstore_records_written", ""))
	size, err := tel.GetMetric("otelcol_localstore_size_bytes")
	require.NoError(t, err)
	gauge, ok := size.Data.(metricdata.Gauge[int64])
	require.True(t, ok)
	require.Len(t, gauge.DataPoints, 1)
	assert.Greater(t, gauge.DataPoints[0].Value, int64(4096), "the size gauge reports the database file")
	exporterID, _ := gauge.DataPoints[0].Attributes.Value("exporter")
	assert.True(t, strings.HasPrefix(exporterID.AsString(), "localstore"), exporterID.AsString())

	// Columns come from the record, then the resource.
	recs, err := r.Last(ctx, store.Filter{EventNames: []string{"fs.close"}}, 1, nil)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	got := recs[0]
	assert.Equal(t, store.KindLog, got.Kind)
	assert.EqualValues(t, 100, got.PID)
	assert.Equal(t, "nginx", got.ProcessName)
	assert.Equal(t, "c0ffee00112233", got.ContainerID)
	assert.Equal(t, "ebpf", got.Source)
	assert.EqualValues(t, 2048, got.Bytes)
	var attrs map[string]any
	require.NoError(t, json.Unmarshal([]byte(got.Attributes), &attrs))
	assert.Equal(t, "/etc/nginx/nginx.conf", attrs["file.path"])
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(got.Resource), &res))
	assert.Equal(t, "h1", res["host.name"])

	spans, err := r.Last(ctx, store.Filter{Kinds: []string{store.KindSpan}}, 0, nil)
	require.NoError(t, err)
	require.Len(t, spans, 1)
	assert.Equal(t, store.EventNameSpan, spans[0].EventName)
	assert.Equal(t, "make", spans[0].Name)
	assert.EqualValues(t, 300, spans[0].PID, "process attributes of spans are on the resource")
	assert.Equal(t, "make", spans[0].ProcessName)
	assert.Equal(t, "make", spans[0].ServiceName)
	assert.Equal(t, int64(1500*time.Millisecond), spans[0].EndUnixNano-spans[0].TimeUnixNano)
	assert.Equal(t, "01020300000000000000000000000000", spans[0].TraceID)
	assert.Contains(t, spans[0].Extra, `"status.code":"Error"`)

	lines, err := r.Last(ctx, store.Filter{EventNames: []string{store.EventNameLogLine}}, 0, nil)
	require.NoError(t, err)
	require.Len(t, lines, 1)
	assert.Equal(t, `"GET / 200\tok"`, lines[0].Body)

	payload, err := r.Last(ctx, store.Filter{EventNames: []string{"net.payload"}}, 0, nil)
	require.NoError(t, err)
	require.Len(t, payload, 1)
	assert.Equal(t, "Bytes", payload[0].BodyType)
	var b64 string
	require.NoError(t, json.Unmarshal([]byte(payload[0].Body), &b64))
	raw, err := base64.StdEncoding.DecodeString(b64)
	require.NoError(t, err)
	assert.Equal(t, []byte("GET / HTTP/1.1\r\n\x00\xff"), raw)
	require.NoError(t, json.Unmarshal([]byte(payload[0].Attributes), &attrs), "NaN and bad UTF-8 still give valid JSON")
	assert.Equal(t, "NaN", attrs["weird"])
	assert.Equal(t, "a\ufffdb\"c", attrs["bad.utf8"])

	points, err := r.Last(ctx, store.Filter{EventNames: []string{store.EventNameMetric}}, 0, nil)
	require.NoError(t, err)
	require.Len(t, points, 2)
	assert.Equal(t, "otelcol_ebpf_events_total", points[0].Name)
	assert.ElementsMatch(t, []string{"10", "20"}, []string{points[0].Body, points[1].Body})

	require.NoError(t, le.Shutdown(ctx))
	require.NoError(t, te.Shutdown(ctx))
	require.NoError(t, me.Shutdown(ctx))
	assert.ErrorIs(t, le.ConsumeLogs(ctx, sampleLogs(1)), errShutDown)
}

func TestBatchesByMaxRecords(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t.TempDir())
	cfg.Batch.FlushInterval = time.Hour // only max_records and shutdown flush
	cfg.Batch.MaxRecords = 10
	ls, tel := newTestStore(t, cfg)
	flushed := make(chan int, 100)
	ls.onFlush = func(n int, err error) {
		assert.NoError(t, err)
		flushed <- n
	}
	require.NoError(t, ls.start(ctx, componenttest.NewNopHost()))
	// 5 records per call: a batch commits after the second call.
	require.NoError(t, ls.consumeLogs(ctx, sampleLogs(1)))
	select {
	case n := <-flushed:
		t.Fatalf("committed %d records before max_records was reached", n)
	default:
	}
	require.NoError(t, ls.consumeLogs(ctx, sampleLogs(1)))
	select {
	case n := <-flushed:
		assert.Equal(t, 10, n)
	case <-time.After(10 * time.Second):
		t.Fatal("no batch committed after max_records records")
	}
	require.NoError(t, ls.consumeLogs(ctx, sampleLogs(1)))
	require.NoError(t, ls.shutdown(ctx))
	assert.Equal(t, 5, <-flushed, "shutdown commits the partial batch")
	assert.EqualValues(t, 15, counterValue(t, tel, "otelcol_localstore_records_written", ""))
	assert.EqualValues(t, 2, counterValue(t, tel, "otelcol_localstore_batches", ""))
}

func TestDiskFullIsCountedNotFatal(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t.TempDir())
	cfg.Retention.MaxSizeMiB = 0
	ls, tel := newTestStore(t, cfg)
	ls.maxPageCount = 80
	host := &statusHost{}
	require.NoError(t, ls.start(ctx, host))
	defer func() { require.NoError(t, ls.shutdown(ctx)) }()
	fillUntilDropped(t, ls, tel)
	require.Eventually(t, func() bool { return host.last() == componentstatus.StatusRecoverableError }, 10*time.Second, 5*time.Millisecond)

	// Once there is room again, writes resume and the status is OK. (The
	// requests still queued may fill the store again: make room and write
	// until a write gets through.)
	written := counterValue(t, tel, "otelcol_localstore_records_written", "")
	require.Eventually(t, func() bool {
		_, err := ls.writer.ApplyRetention(ctx, time.Now(), store.Retention{MaxAge: time.Nanosecond})
		require.NoError(t, err)
		require.NoError(t, ls.consumeLogs(ctx, sampleLogs(1)))
		return counterValue(t, tel, "otelcol_localstore_records_written", "") > written && host.last() == componentstatus.StatusOK
	}, 20*time.Second, 50*time.Millisecond)
}

// statusHost records the component status events reported to it.
type statusHost struct {
	mu     sync.Mutex
	events []*componentstatus.Event
}

func (h *statusHost) GetExtensions() map[component.ID]component.Component { return nil }

func (h *statusHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
}

func (h *statusHost) last() componentstatus.Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.events) == 0 {
		return componentstatus.StatusNone
	}
	return h.events[len(h.events)-1].Status()
}

// fillUntilDropped writes until the store reports records dropped for a full
// disk, checking that the exporter keeps accepting data.
func fillUntilDropped(t *testing.T, ls *localStore, tel *componenttest.Telemetry) {
	t.Helper()
	ctx := context.Background()
	big := strings.Repeat("z", 2000)
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; counterValue(t, tel, "otelcol_localstore_records_dropped", reasonDiskFull) == 0; i++ {
		require.True(t, time.Now().Before(deadline), "no disk_full drop after %d requests", i)
		ld := sampleLogs(5)
		lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
		for j := 0; j < lrs.Len(); j++ {
			lrs.At(j).Attributes().PutStr("padding", fmt.Sprint(i, big))
		}
		// A full disk must not fail the pipeline; a full queue blocks.
		require.NoError(t, ls.consumeLogs(ctx, ld))
	}
	assert.Zero(t, counterValue(t, tel, "otelcol_localstore_records_dropped", reasonWriteError))
}

// TestRealFullDisk writes into a 1 MiB tmpfs until it is full.
func TestRealFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount tmpfs: %v: %s", err, out)
	}
	defer func() { _ = exec.Command("umount", "-l", dir).Run() }()
	ctx := context.Background()
	cfg := testConfig(dir)
	cfg.Retention.MaxSizeMiB = 0
	ls, tel := newTestStore(t, cfg)
	require.NoError(t, ls.start(ctx, componenttest.NewNopHost()))
	fillUntilDropped(t, ls, tel)
	require.NoError(t, ls.shutdown(ctx))
}

func TestRetentionIsPeriodic(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.Retention.MaxAge = time.Hour
	cfg.Retention.CheckInterval = 50 * time.Millisecond
	ls, tel := newTestStore(t, cfg)
	require.NoError(t, ls.start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(t, ls.shutdown(ctx)) }()

	old := sampleLogs(2)
	lrs := old.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	for i := 0; i < lrs.Len(); i++ {
		lrs.At(i).SetTimestamp(pcommon.NewTimestampFromTime(time.Now().Add(-2 * time.Hour)))
		lrs.At(i).Attributes().PutStr("process.executable.name", "old")
	}
	require.NoError(t, ls.consumeLogs(ctx, old))
	require.NoError(t, ls.consumeLogs(ctx, sampleLogs(1)))
	r := openReader(t, dir)
	require.Eventually(t, func() bool {
		n, err := r.Count(ctx, store.Filter{})
		return err == nil && n == int64(len(sampleEvents)+1)
	}, 10*time.Second, 10*time.Millisecond, "old records are deleted by a later retention check")
	n, err := r.Count(ctx, store.Filter{ProcessNames: []string{"old"}})
	require.NoError(t, err)
	assert.Zero(t, n)
	// The counter is added to right after the delete commits.
	require.Eventually(t, func() bool {
		return counterValue(t, tel, "otelcol_localstore_records_deleted", reasonMaxAge) == int64(2*len(sampleEvents)+1)
	}, 10*time.Second, 10*time.Millisecond)
}

package httpparse

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

// fixtureCase is what one recorded connection must become.
type fixtureCase struct {
	name  string
	check func(t *testing.T, ex []plog.LogRecord)
	// flush: the stream does not end, exchanges appear only after an idle flush
	flush bool
}

func fixtureCases() []fixtureCase {
	return []fixtureCase{
		{name: "chunked", check: func(t *testing.T, ex []plog.LogRecord) {
			require.Len(t, ex, 1)
			e := ex[0]
			assert.Equal(t, "GET", str(e, "http.request.method"))
			assert.Equal(t, "/chunked", str(e, "url.path"))
			assert.Equal(t, int64(200), num(e, "http.response.status_code"))
			var want strings.Builder
			for i := range 5 {
				fmt.Fprintf(&want, "part %d of a streamed plain-text body\n", i)
			}
			assert.Equal(t, want.String(), str(e, "http.response.body.content"))
			assert.Equal(t, int64(want.Len()), num(e, "http.response.body.size"))
			assert.Equal(t, "[chunked]", str(e, "http.response.header.transfer-encoding"))
			assert.False(t, has(e, "http.exchange.incomplete"))
			assert.Equal(t, "1.1", str(e, "network.protocol.version"))
			assert.Equal(t, "Go-http-client/1.1", str(e, "user_agent.original"))
		}},
		{name: "keepalive", check: func(t *testing.T, ex []plog.LogRecord) {
			require.Len(t, ex, 3)
			assert.Equal(t, "/text", str(ex[0], "url.path"))
			assert.Equal(t, "name=ada&x=1", str(ex[0], "url.query"))
			assert.Equal(t, "hello ada", str(ex[0], "http.response.body.content"))
			assert.True(t, strings.HasPrefix(str(ex[0], "url.full"), "https://127.0.0.1:"), str(ex[0], "url.full"))
			assert.True(t, strings.HasSuffix(str(ex[0], "url.full"), "/text?name=ada&x=1"), str(ex[0], "url.full"))
			assert.Equal(t, "127.0.0.1", str(ex[0], "server.address"))

			post := ex[1]
			assert.Equal(t, "POST", str(post, "http.request.method"))
			assert.Equal(t, "[[REDACTED]]", str(post, "http.request.header.authorization"))
			assert.Equal(t, "[[REDACTED]]", str(post, "http.response.header.set-cookie"))
			assert.Equal(t, "[00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01]", str(post, "http.request.header.traceparent"))
			assert.Equal(t, `{"id":42,"name":"widget","tags":["a","b"],"password":"[REDACTED]","note":"x"}`, str(post, "http.request.body.content"))
			assert.Equal(t, int64(74), num(post, "http.request.body.size"))
			assert.Equal(t, `{"received":74,"method":"POST"}`, str(post, "http.response.body.content"))
			assert.NotContains(t, fmt.Sprint(post.Attributes().AsRaw()), "sk-secret-token")

			assert.Equal(t, int64(500), num(ex[2], "http.response.status_code"))
			assert.Equal(t, "WARN", ex[2].SeverityText())
			assert.Equal(t, "backend exploded\n", str(ex[2], "http.response.body.content"))
			for _, e := range ex {
				assert.False(t, has(e, "http.exchange.incomplete"))
				assert.Greater(t, e.Attributes().AsRaw()["http.exchange.duration"], 0.0)
				assert.Equal(t, int64(4242), num(e, "process.pid"))
				assert.Equal(t, int64(99), num(e, "linux.cgroup.id"))
				assert.Equal(t, "4242:openssl:7f00aa", str(e, "connection.id"))
				assert.False(t, has(e, "connection.sequence"))
				assert.False(t, has(e, "network.io.direction"))
			}
		}},
		{name: "pipelined", check: func(t *testing.T, ex []plog.LogRecord) {
			require.Len(t, ex, 3)
			assert.Equal(t, "hello one", str(ex[0], "http.response.body.content"))
			assert.Equal(t, "abcdefghijklmnopqrstuvwxyz", str(ex[1], "http.response.body.content"))
			assert.Equal(t, "/data", str(ex[1], "url.path"))
			assert.Equal(t, "hello three", str(ex[2], "http.response.body.content"))
			assert.Equal(t, "pipeliner/1", str(ex[2], "user_agent.original"))
		}},
		{name: "nobody", check: func(t *testing.T, ex []plog.LogRecord) {
			require.Len(t, ex, 4)
			assert.Equal(t, int64(204), num(ex[0], "http.response.status_code"))
			assert.Equal(t, int64(304), num(ex[1], "http.response.status_code"))
			assert.Equal(t, "HEAD", str(ex[2], "http.request.method"))
			assert.Equal(t, int64(0), num(ex[2], "http.response.body.size"))
			assert.Equal(t, "[26]", str(ex[2], "http.response.header.content-length"))
			assert.Equal(t, "GET", str(ex[3], "http.request.method"))
			assert.Equal(t, "abcdefghijklmnopqrstuvwxyz", str(ex[3], "http.response.body.content"))
			for _, e := range ex {
				assert.False(t, has(e, "http.exchange.incomplete"))
			}
		}},
		{name: "expect100", check: func(t *testing.T, ex []plog.LogRecord) {
			require.Len(t, ex, 1)
			e := ex[0]
			assert.Equal(t, "POST", str(e, "http.request.method"))
			assert.Equal(t, "[100-continue]", str(e, "http.request.header.expect"))
			assert.Equal(t, int64(1), num(e, "http.response.informational_count"))
			assert.Equal(t, int64(64<<10), num(e, "http.request.body.size"))
			assert.Equal(t, int64(200<<10), num(e, "http.response.body.size"))
			assert.True(t, flag(e, "http.response.body.truncated"))
			assert.Len(t, str(e, "http.response.body.content"), 8<<10)
			assert.True(t, strings.HasPrefix(str(e, "user_agent.original"), "curl/"), str(e, "user_agent.original"))
			assert.False(t, has(e, "http.exchange.incomplete"))
		}},
		{name: "gzip", check: func(t *testing.T, ex []plog.LogRecord) {
			require.Len(t, ex, 1)
			e := ex[0]
			body := str(e, "http.response.body.content")
			assert.True(t, strings.HasPrefix(body, `{"id":42,"name":"widget","tags":["a","b"],"password":"[REDACTED]","note":"compressible `), body)
			assert.Equal(t, "[[REDACTED]]", str(e, "http.request.header.cookie"))
			assert.Equal(t, int64(107), num(e, "http.response.body.size"))
		}},
		{name: "openai_sse", check: func(t *testing.T, ex []plog.LogRecord) {
			require.Len(t, ex, 1)
			e := ex[0]
			assert.Equal(t, "Hello, world! I am a streamed answer.", str(e, "sse.text"))
			assert.Equal(t, "openai.chat_completions", str(e, "sse.format"))
			assert.True(t, flag(e, "sse.done"))
			assert.False(t, flag(e, "sse.incomplete"))
			assert.Equal(t, int64(8), num(e, "sse.event_count"))
			assert.Greater(t, e.Attributes().AsRaw()["sse.time_to_first_event"], 0.0)
			evs, _ := e.Attributes().Get("sse.events")
			require.Equal(t, 8, evs.Slice().Len())
			assert.Equal(t, "[DONE]", evs.Slice().At(7).Map().AsRaw()["data"])
			assert.Equal(t, "[[REDACTED]]", str(e, "http.request.header.authorization"))
		}},
		{name: "anthropic_sse", check: func(t *testing.T, ex []plog.LogRecord) {
			require.Len(t, ex, 1)
			e := ex[0]
			assert.Equal(t, "Bonjour le monde \u00e9t\u00e9 \u2603", str(e, "sse.text"))
			assert.Equal(t, "Let me think.", str(e, "sse.thinking"))
			assert.Equal(t, `{"city": "Paris"}`, str(e, "sse.tool_input"))
			assert.Equal(t, "anthropic.messages", str(e, "sse.format"))
			assert.True(t, flag(e, "sse.done"))
			assert.Equal(t, int64(17), num(e, "sse.event_count"))
			assert.Equal(t, "[[REDACTED]]", str(e, "http.request.header.x-api-key"))
			assert.True(t, strings.HasPrefix(str(e, "user_agent.original"), "Python-urllib/3."), str(e, "user_agent.original"))
			evs, _ := e.Attributes().Get("sse.events")
			assert.Equal(t, "message_start", evs.Slice().At(0).Map().AsRaw()["event"])
		}},
		{name: "idle_sse", flush: true, check: func(t *testing.T, ex []plog.LogRecord) {
			require.Len(t, ex, 1)
			e := ex[0]
			assert.True(t, flag(e, "http.exchange.incomplete"))
			assert.True(t, flag(e, "sse.incomplete"))
			assert.Equal(t, int64(2), num(e, "sse.event_count"))
			assert.Equal(t, "tok0 tok1 ", str(e, "sse.text"))
			evs, _ := e.Attributes().Get("sse.events")
			assert.Equal(t, "1", evs.Slice().At(1).Map().AsRaw()["id"])
		}},
		{name: "garbage", flush: true, check: func(t *testing.T, ex []plog.LogRecord) {
			assert.Empty(t, ex)
		}},
	}
}

// TestFixtures runs every recorded connection through the processor from
// the client's and the server's view, with and without connection.role,
// in order, shuffled within one batch, and one record per batch in
// swapped pairs with duplicates.
func TestFixtures(t *testing.T) {
	deliveries := []string{"in_order", "shuffled_batch", "swapped_pairs_with_duplicates"}
	for _, fc := range fixtureCases() {
		fx := loadFixture(t, fc.name)
		for _, server := range []bool{false, true} {
			for _, withRole := range []bool{false, true} {
				for _, delivery := range deliveries {
					name := fmt.Sprintf("%s/server=%v/role=%v/%s", fc.name, server, withRole, delivery)
					t.Run(name, func(t *testing.T) {
						h := newHarness(t, nil)
						c := defaultCapture()
						c.server, c.withRole = server, withRole
						specs := fx.specs(c)
						switch delivery {
						case "in_order":
							h.consume(toLogs(c, specs))
						case "shuffled_batch":
							rng := rand.New(rand.NewPCG(7, uint64(len(specs))))
							rng.Shuffle(len(specs), func(i, j int) { specs[i], specs[j] = specs[j], specs[i] })
							h.consume(toLogs(c, specs))
						default:
							for i := 0; i < len(specs); i += 2 {
								if i+1 < len(specs) {
									h.consume(toLogs(c, specs[i+1:i+2]))
								}
								h.consume(toLogs(c, specs[i:i+1]))
								h.consume(toLogs(c, specs[i:i+1])) // duplicate
							}
							assert.Equal(t, int64((len(specs)+1)/2), h.counter("otelcol_httpparse_records_dropped", "reason", "duplicate"))
						}
						if fc.flush {
							assert.Empty(t, h.exchanges(), "nothing may be emitted before the idle flush")
							h.flush()
						}
						ex := h.exchanges()
						fc.check(t, ex)
						for _, e := range ex {
							role := "client"
							if server {
								role = "server"
							}
							assert.Equal(t, role, str(e, "connection.role"))
						}
						if fc.name == "garbage" {
							assert.Positive(t, h.counter("otelcol_httpparse_bytes_dropped", "reason", "not_http")+
								h.counter("otelcol_httpparse_bytes_dropped", "reason", "unparsed"))
						}
					})
				}
			}
		}
	}
}

// TestGapFlagged drops one record of a keep-alive connection: the records
// after it wait in the reorder buffer until the idle flush declares the gap.
func TestGapFlagged(t *testing.T) {
	h := newHarness(t, nil)
	c := defaultCapture()
	specs := loadFixture(t, "keepalive").specs(c)
	require.Len(t, specs, 6)
	h.consume(toLogs(c, append(specs[:2:2], specs[3:]...))) // seq 2 (POST request) lost
	require.Len(t, h.exchanges(), 1, "exchanges after the hole must wait for it")
	h.flush()
	ex := h.exchanges()
	require.Len(t, ex, 2)
	assert.False(t, has(ex[0], "http.exchange.gap"))
	assert.Equal(t, "/fail", str(ex[1], "url.path"))
	assert.True(t, flag(ex[1], "http.exchange.gap"))
	assert.Equal(t, int64(500), num(ex[1], "http.response.status_code"))
	assert.Equal(t, int64(1), h.counter("otelcol_httpparse_gaps", "reason", "idle"))
	assert.Equal(t, int64(1), h.counter("otelcol_httpparse_exchanges_dropped", "reason", "unpaired_response"))
}

// TestGapBufferFull: a hole is declared as soon as the records waiting
// behind it exceed max_buffered_bytes_per_connection.
func TestGapBufferFull(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxBufferedBytesPerConnection = 100 })
	c := defaultCapture()
	specs := loadFixture(t, "keepalive").specs(c)
	h.consume(toLogs(c, append(specs[:2:2], specs[3:]...)))
	ex := h.exchanges()
	require.Len(t, ex, 2)
	assert.True(t, flag(ex[1], "http.exchange.gap"))
	assert.Equal(t, int64(1), h.counter("otelcol_httpparse_gaps", "reason", "buffer_full"))
}

// TestTruncatedCapture covers records cut at the capture limit and a
// capture that stops in the middle of a response.
func TestTruncatedCapture(t *testing.T) {
	t.Run("cut_inside_body", func(t *testing.T) {
		h := newHarness(t, nil)
		c := defaultCapture()
		specs := loadFixture(t, "expect100").specs(c)
		// cut a request body chunk in the middle of the upload to 100 bytes
		cut := -1
		for i, s := range specs {
			if s.transmit && i > 3 && len(s.data) > 1000 {
				cut = i
				break
			}
		}
		require.Positive(t, cut)
		specs[cut].length = int64(len(specs[cut].data))
		specs[cut].data = specs[cut].data[:100]
		h.consume(toLogs(c, specs))
		ex := h.exchanges()
		require.Len(t, ex, 1)
		assert.Equal(t, int64(64<<10), num(ex[0], "http.request.body.size"), "missing bytes still count")
		assert.True(t, flag(ex[0], "http.request.body.truncated"))
		assert.Equal(t, int64(200), num(ex[0], "http.response.status_code"))
		assert.False(t, has(ex[0], "http.exchange.incomplete"))
		assert.Equal(t, int64(1), h.counter("otelcol_httpparse_gaps", "reason", "truncated"))
	})
	t.Run("cut_inside_head", func(t *testing.T) {
		h := newHarness(t, nil)
		c := defaultCapture()
		specs := loadFixture(t, "keepalive").specs(c)
		specs[3].length = int64(len(specs[3].data)) // the POST's response
		specs[3].data = specs[3].data[:20]
		h.consume(toLogs(c, specs))
		ex := h.exchanges()
		require.Len(t, ex, 3)
		assert.Equal(t, "/json", str(ex[1], "url.path"))
		assert.True(t, flag(ex[1], "http.exchange.incomplete"))
		assert.True(t, flag(ex[1], "http.exchange.gap"))
		assert.False(t, has(ex[1], "http.response.status_code"))
		assert.Equal(t, int64(500), num(ex[2], "http.response.status_code"))
		assert.False(t, has(ex[2], "http.exchange.incomplete"))
	})
	t.Run("capture_ends_mid_response", func(t *testing.T) {
		h := newHarness(t, nil)
		c := defaultCapture()
		specs := loadFixture(t, "keepalive").specs(c)
		last := &specs[len(specs)-1]
		last.data = last.data[:len(last.data)-8]
		h.consume(toLogs(c, specs))
		require.Len(t, h.exchanges(), 2)
		h.flush()
		ex := h.exchanges()
		require.Len(t, ex, 3)
		assert.True(t, flag(ex[2], "http.exchange.incomplete"))
		assert.Equal(t, int64(500), num(ex[2], "http.response.status_code"))
		assert.Equal(t, int64(9), num(ex[2], "http.response.body.size"))
	})
	t.Run("capture_ends_before_response", func(t *testing.T) {
		h := newHarness(t, nil)
		c := defaultCapture()
		specs := loadFixture(t, "keepalive").specs(c)
		h.consume(toLogs(c, specs[:5]))
		h.flush()
		ex := h.exchanges()
		require.Len(t, ex, 3)
		assert.True(t, flag(ex[2], "http.exchange.incomplete"))
		assert.False(t, has(ex[2], "http.response.status_code"))
	})
	t.Run("garbage_between_messages", func(t *testing.T) {
		h := newHarness(t, nil)
		c := defaultCapture()
		specs := loadFixture(t, "keepalive").specs(c)
		junk := recSpec{transmit: true, ts: specs[1].ts, data: []byte("\x16\x03\x01\x00\xa5garbage\r\n\r\n")}
		// the junk takes sequence 2; the rest moves up by one
		withJunk := append([]recSpec{}, specs[:2]...)
		withJunk = append(withJunk, junk)
		for _, s := range specs[2:] {
			withJunk = append(withJunk, s)
		}
		for i := range withJunk {
			withJunk[i].seq = int64(i)
		}
		h.consume(toLogs(c, withJunk))
		ex := h.exchanges()
		require.Len(t, ex, 3, "the parser resynchronizes on the next request")
		assert.Equal(t, "/json", str(ex[1], "url.path"))
		assert.Positive(t, h.counter("otelcol_httpparse_parse_errors", "", ""))
	})
}

// TestIdleTimerFlushesStream waits for the real timer goroutine to flush a
// stream that never ends.
func TestIdleTimerFlushesStream(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.IdleTimeout = 50 * time.Millisecond })
	c := defaultCapture()
	h.consume(toLogs(c, loadFixture(t, "idle_sse").specs(c)))
	require.Eventually(t, func() bool { return len(h.exchanges()) == 1 }, 10*time.Second, 10*time.Millisecond)
	e := h.exchanges()[0]
	assert.True(t, flag(e, "sse.incomplete"))
	assert.Equal(t, "tok0 tok1 ", str(e, "sse.text"))
	assert.Equal(t, int64(1), h.counter("otelcol_httpparse_exchanges", "outcome", "incomplete"))
}

// TestShutdownFlushes: pending exchanges are emitted when the processor stops.
func TestShutdownFlushes(t *testing.T) {
	h := newHarness(t, nil)
	c := defaultCapture()
	h.consume(toLogs(c, loadFixture(t, "idle_sse").specs(c)))
	require.Empty(t, h.exchanges())
	require.NoError(t, h.proc.Shutdown(t.Context()))
	require.Len(t, h.exchanges(), 1)
}

func TestFilters(t *testing.T) {
	c := defaultCapture()
	specs := loadFixture(t, "keepalive").specs(c)
	cases := []struct {
		name  string
		cfg   func(*Config)
		paths []string
	}{
		{"include_method", func(c *Config) { c.Include = &FilterConfig{Methods: []string{"post"}} }, []string{"/json"}},
		{"exclude_5xx", func(c *Config) { c.Exclude = &FilterConfig{StatusCodes: []string{"5xx"}} }, []string{"/text", "/json"}},
		{"include_path_regexp", func(c *Config) { c.Include = &FilterConfig{Paths: []string{"^/(text|fail)$"}} }, []string{"/text", "/fail"}},
		{"include_host_glob", func(c *Config) { c.Include = &FilterConfig{Hosts: []string{"127.0.0.*"}} }, []string{"/text", "/json", "/fail"}},
		{"include_other_host", func(c *Config) { c.Include = &FilterConfig{Hosts: []string{"api.example.com"}} }, nil},
		{"include_and_exclude", func(c *Config) {
			c.Include = &FilterConfig{Methods: []string{"GET"}}
			c.Exclude = &FilterConfig{StatusCodes: []string{"500"}}
		}, []string{"/text"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.cfg)
			h.consume(toLogs(c, specs))
			var got []string
			for _, e := range h.exchanges() {
				got = append(got, str(e, "url.path"))
			}
			assert.Equal(t, tc.paths, got)
			assert.Equal(t, int64(3-len(tc.paths)), h.counter("otelcol_httpparse_exchanges_dropped", "reason", "filtered"))
		})
	}
}

func TestRedactionConfig(t *testing.T) {
	c := defaultCapture()
	specs := loadFixture(t, "keepalive").specs(c)
	t.Run("extra_header_and_field", func(t *testing.T) {
		h := newHarness(t, func(c *Config) {
			c.Redaction.Headers = []string{"User-Agent"}
			c.Redaction.JSONFields = []string{"name"}
		})
		h.consume(toLogs(c, specs))
		post := h.exchanges()[1]
		assert.Equal(t, "[[REDACTED]]", str(post, "http.request.header.user-agent"))
		assert.Equal(t, `{"id":42,"name":"[REDACTED]","tags":["a","b"],"password":"[REDACTED]","note":"x"}`, str(post, "http.request.body.content"))
	})
	t.Run("defaults_disabled", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.Redaction.DisableDefaults = true })
		h.consume(toLogs(c, specs))
		post := h.exchanges()[1]
		assert.Equal(t, "[Bearer sk-secret-token]", str(post, "http.request.header.authorization"))
	})
	t.Run("headers_off_keeps_traceparent", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.CaptureHeaders = false })
		h.consume(toLogs(c, specs))
		post := h.exchanges()[1]
		assert.False(t, has(post, "http.request.header.authorization"))
		assert.False(t, has(post, "http.request.header.content-type"))
		assert.True(t, has(post, "http.request.header.traceparent"))
	})
}

// TestRawPayloadsAndOtherRecords: other records pass untouched; raw payload
// records are dropped by default and kept with pass_raw_payloads.
func TestRawPayloadsAndOtherRecords(t *testing.T) {
	c := defaultCapture()
	specs := loadFixture(t, "keepalive").specs(c)
	for _, pass := range []bool{false, true} {
		t.Run(fmt.Sprint("pass=", pass), func(t *testing.T) {
			h := newHarness(t, func(cfg *Config) { cfg.PassRawPayloads = pass })
			ld := toLogs(c, specs)
			other := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().AppendEmpty()
			other.SetEventName("process.exec")
			bad := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().AppendEmpty()
			bad.SetEventName("net.payload") // no connection.id
			h.consume(ld)
			names := map[string]int{}
			for _, out := range h.sink.AllLogs() {
				for i := 0; i < out.ResourceLogs().Len(); i++ {
					for j := 0; j < out.ResourceLogs().At(i).ScopeLogs().Len(); j++ {
						lrs := out.ResourceLogs().At(i).ScopeLogs().At(j).LogRecords()
						for k := 0; k < lrs.Len(); k++ {
							names[lrs.At(k).EventName()]++
						}
					}
				}
			}
			want := map[string]int{"process.exec": 1, "http.exchange": 3}
			if pass {
				want["net.payload"] = len(specs) + 1
			}
			assert.Equal(t, want, names)
			assert.Equal(t, int64(1), h.counter("otelcol_httpparse_records_dropped", "reason", "bad_record"))
		})
	}
}

// TestMaxConnections: a new connection over the limit flushes the least
// recently used one.
func TestMaxConnections(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxConnections = 1 })
	c1, c2 := defaultCapture(), defaultCapture()
	c2.connID = "4242:openssl:other"
	fx := loadFixture(t, "keepalive")
	s1, s2 := fx.specs(c1), fx.specs(c2)
	h.consume(toLogs(c1, s1[:1]))
	h.consume(toLogs(c2, s2))
	ex := h.exchanges()
	require.Len(t, ex, 4)
	assert.True(t, flag(ex[0], "http.exchange.incomplete"))
	assert.Equal(t, "4242:openssl:7f00aa", str(ex[0], "connection.id"))
	assert.Equal(t, int64(1), h.counter("otelcol_httpparse_limit_hits", "limit", "max_connections"))
}

// TestConcurrentConsume feeds many connections from several goroutines.
func TestConcurrentConsume(t *testing.T) {
	h := newHarness(t, nil)
	fx := loadFixture(t, "keepalive")
	const workers, conns = 4, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range conns {
				c := defaultCapture()
				c.connID = fmt.Sprintf("%d:socket:%d:1", w, i)
				specs := fx.specs(c)
				for j := range specs {
					assert.NoError(t, h.proc.ConsumeLogs(t.Context(), toLogs(c, specs[j:j+1])))
				}
			}
		}()
	}
	wg.Wait()
	assert.Len(t, h.exchanges(), workers*conns*3)
}

// TestQuietKeepAlive: a keep-alive connection silent for longer than the
// idle timeout keeps its place in the sequence, so the next request is
// parsed at once and without a gap.
func TestQuietKeepAlive(t *testing.T) {
	h := newHarness(t, nil)
	c := defaultCapture()
	specs := loadFixture(t, "keepalive").specs(c)
	h.consume(toLogs(c, specs[:2]))
	require.NoError(t, h.p.flushIdle(t.Context(), time.Now().Add(2*h.p.cfg.IdleTimeout), false))
	h.consume(toLogs(c, specs[2:]))
	ex := h.exchanges()
	require.Len(t, ex, 3)
	for _, e := range ex {
		assert.False(t, has(e, "http.exchange.gap"))
		assert.False(t, has(e, "http.exchange.incomplete"))
	}
}

// TestReusedConnectionID: sequence 0 again on an idle connection is a new
// connection (a TLS object reused at the same address), not a duplicate.
func TestReusedConnectionID(t *testing.T) {
	h := newHarness(t, nil)
	c := defaultCapture()
	specs := loadFixture(t, "keepalive").specs(c)
	h.consume(toLogs(c, specs))
	again := append([]recSpec{}, specs[:2]...)
	for i := range again {
		again[i].ts = again[i].ts.Add(time.Second)
	}
	h.consume(toLogs(c, again))
	ex := h.exchanges()
	require.Len(t, ex, 4)
	assert.Equal(t, "/text", str(ex[3], "url.path"))
	assert.Zero(t, h.counter("otelcol_httpparse_records_dropped", "reason", "duplicate"))
}

func TestQueryRedaction(t *testing.T) {
	r := newRedactor(RedactionConfig{JSONFields: []string{"token"}})
	assert.Equal(t, "a=1&sig=[REDACTED]&token=[REDACTED]&AWSAccessKeyId=[REDACTED]&x=2",
		r.queryString("a=1&sig=abc&token=t0k&AWSAccessKeyId=AK&x=2"))
	assert.Equal(t, "password=[REDACTED]", r.queryString("password=hunter2"))
	assert.Equal(t, "sig=abc", newRedactor(RedactionConfig{DisableDefaults: true}).queryString("sig=abc"))
}

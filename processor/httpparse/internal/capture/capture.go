// Package capture records the bytes that real HTTP clients (Go net/http,
// curl, python urllib) and a real Go net/http server exchange over loopback,
// through a recording TCP proxy on 127.0.0.1. Each recorded connection lists
// the chunks in the order the proxy's reads returned, with the direction
// (c2s: client to server, s2c: server to client), the time since the
// connection was accepted, and the bytes. Every proxy read is one chunk, so
// a recording keeps the segmentation the real programs produced. It is used
// by cmd fixturegen (committed fixtures) and by the live tests.
package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Chunk is one read the proxy made.
type Chunk struct {
	Dir  string `json:"dir"`
	T    int64  `json:"t_ns"`
	Data []byte `json:"data"`
}

// Fixture is one recorded connection.
type Fixture struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Client      string  `json:"client"`
	Server      string  `json:"server"`
	Chunks      []Chunk `json:"chunks"`
}

// recorder is a TCP proxy that records the first connection it carries.
type recorder struct {
	ln     net.Listener
	target string
	bufLen int
	// cutAtClientEOF closes both sides when the client stops sending, so
	// that whatever the server would write afterwards is not recorded.
	cutAtClientEOF bool
	mu             sync.Mutex
	chunks         []Chunk
	start          time.Time
	done           chan struct{}
}

func newRecorder(target string, bufLen int, cutAtClientEOF bool) (*recorder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	r := &recorder{ln: ln, target: target, bufLen: bufLen, cutAtClientEOF: cutAtClientEOF, done: make(chan struct{})}
	go r.serve()
	return r, nil
}

func (r *recorder) addr() string { return r.ln.Addr().String() }

func (r *recorder) serve() {
	c, err := r.ln.Accept()
	if err != nil {
		close(r.done)
		return
	}
	_ = r.ln.Close()
	s, err := net.Dial("tcp", r.target)
	if err != nil {
		_ = c.Close()
		close(r.done)
		return
	}
	r.start = time.Now()
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dir string, from, to net.Conn) {
		defer wg.Done()
		buf := make([]byte, r.bufLen)
		for {
			n, err := from.Read(buf)
			if n > 0 {
				r.mu.Lock()
				r.chunks = append(r.chunks, Chunk{Dir: dir, T: time.Since(r.start).Nanoseconds(), Data: bytes.Clone(buf[:n])})
				r.mu.Unlock()
				if _, werr := to.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		if dir == "c2s" && r.cutAtClientEOF {
			_ = from.Close()
			_ = to.Close()
			return
		}
		if tc, ok := to.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}
	go pipe("c2s", c, s)
	go pipe("s2c", s, c)
	wg.Wait()
	_ = c.Close()
	_ = s.Close()
	close(r.done)
}

func (r *recorder) wait(d time.Duration) error {
	select {
	case <-r.done:
		return nil
	case <-time.After(d):
		_ = r.ln.Close()
		return errors.New("connection did not finish")
	}
}

const loremJSON = `{"id":42,"name":"widget","tags":["a","b"],"password":"hunter2","note":"%s"}`

func newServer(stuck <-chan struct{}) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		for i := range 5 {
			fmt.Fprintf(w, "part %d of a streamed plain-text body\n", i)
			w.(http.Flusher).Flush()
			time.Sleep(3 * time.Millisecond)
		}
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Set-Cookie", "session=abc123; HttpOnly")
		fmt.Fprintf(w, `{"received":%d,"method":%q}`, len(body), r.Method)
	})
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "hello %s", r.URL.Query().Get("name"))
	})
	mux.HandleFunc("/204", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/304", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		w.WriteHeader(http.StatusNotModified)
	})
	mux.HandleFunc("/data", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "26")
		_, _ = io.WriteString(w, "abcdefghijklmnopqrstuvwxyz")
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "backend exploded", http.StatusInternalServerError)
	})
	mux.HandleFunc("/upload", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/plain")
		big := bytes.Repeat([]byte("0123456789abcdef"), 200<<10/16)
		w.Header().Set("Content-Length", fmt.Sprint(len(big)))
		_, _ = w.Write(big)
		_ = n
	})
	mux.HandleFunc("/gzip", func(w http.ResponseWriter, _ *http.Request) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		fmt.Fprintf(zw, loremJSON, strings.Repeat("compressible ", 20))
		_ = zw.Close()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", fmt.Sprint(b.Len()))
		_, _ = w.Write(b.Bytes())
	})
	mux.HandleFunc("/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		parts := []string{"Hello", ", world", "! I am", " a streamed", " answer."}
		send := func(s string) {
			fmt.Fprintf(w, "data: %s\n\n", s)
			w.(http.Flusher).Flush()
			time.Sleep(2 * time.Millisecond)
		}
		send(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-test","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`)
		for _, p := range parts {
			b, _ := json.Marshal(p)
			send(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-test","choices":[{"index":0,"delta":{"content":` + string(b) + `},"finish_reason":null}]}`)
		}
		send(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-test","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`)
		send("[DONE]")
	})
	mux.HandleFunc("/v1/messages", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		send := func(ev, data string) {
			fmt.Fprintf(w, "event: %s\r\ndata: %s\r\n\r\n", ev, data)
			w.(http.Flusher).Flush()
			time.Sleep(2 * time.Millisecond)
		}
		send("message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-test","content":[]}}`)
		send("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}`)
		send("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me think."}}`)
		send("content_block_stop", `{"type":"content_block_stop","index":0}`)
		_, _ = io.WriteString(w, ": keep-alive comment\r\n\r\n")
		send("ping", `{"type":"ping"}`)
		send("content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}`)
		for _, p := range []string{"Bonjour", " le", " monde", " \u00e9t\u00e9 \u2603"} {
			b, _ := json.Marshal(p)
			send("content_block_delta", `{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":`+string(b)+`}}`)
		}
		send("content_block_stop", `{"type":"content_block_stop","index":1}`)
		send("content_block_start", `{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"tu_1","name":"get_weather","input":{}}}`)
		send("content_block_delta", `{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\": "}}`)
		send("content_block_delta", `{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"\"Paris\"}"}}`)
		send("content_block_stop", `{"type":"content_block_stop","index":2}`)
		send("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":12}}`)
		send("message_stop", `{"type":"message_stop"}`)
	})
	mux.HandleFunc("/v1/stuck", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 2 {
			fmt.Fprintf(w, "id: %d\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok%d \"}}]}\n\n", i, i)
			w.(http.Flusher).Flush()
		}
		<-stuck
	})
	return mux
}

type scenario struct {
	name, desc, client string
	tool               string // external program the client is, if any
	bufLen             int
	run                func(proxy string) error
}

func goClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, DisableCompression: true}, Timeout: 10 * time.Second}
}

func drain(resp *http.Response, err error) error {
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return err
}

func runCmd(name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, out)
	}
	return nil
}

func scenarios() []scenario {
	return []scenario{
		{name: "chunked", desc: "GET answered with a chunked text body flushed in 5 pieces", client: "go net/http", bufLen: 32 << 10,
			run: func(p string) error {
				c := goClient()
				defer c.CloseIdleConnections()
				return drain(c.Get("http://" + p + "/chunked"))
			}},
		{name: "keepalive", desc: "three requests on one keep-alive connection: GET with query, POST JSON with Authorization, GET 500", client: "go net/http", bufLen: 32 << 10,
			run: func(p string) error {
				c := goClient()
				defer c.CloseIdleConnections()
				if err := drain(c.Get("http://" + p + "/text?name=ada&x=1")); err != nil {
					return err
				}
				req, _ := http.NewRequest(http.MethodPost, "http://"+p+"/json", strings.NewReader(fmt.Sprintf(loremJSON, "x")))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer sk-secret-token")
				req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
				if err := drain(c.Do(req)); err != nil {
					return err
				}
				return drain(c.Get("http://" + p + "/fail"))
			}},
		{name: "pipelined", desc: "three GET requests written in one write before any response (HTTP pipelining)", client: "raw net.Conn", bufLen: 32 << 10,
			run: func(p string) error {
				conn, err := net.Dial("tcp", p)
				if err != nil {
					return err
				}
				defer conn.Close()
				reqs := "GET /text?name=one HTTP/1.1\r\nHost: " + p + "\r\nUser-Agent: pipeliner/1\r\n\r\n" +
					"GET /data HTTP/1.1\r\nHost: " + p + "\r\nUser-Agent: pipeliner/1\r\n\r\n" +
					"GET /text?name=three HTTP/1.1\r\nHost: " + p + "\r\nUser-Agent: pipeliner/1\r\nConnection: close\r\n\r\n"
				if _, err := io.WriteString(conn, reqs); err != nil {
					return err
				}
				br := bufio.NewReader(conn)
				for range 3 {
					if err := drain(http.ReadResponse(br, nil)); err != nil {
						return err
					}
				}
				return nil
			}},
		{name: "nobody", desc: "204, 304, HEAD (Content-Length without body) then GET of the same resource, one connection", client: "go net/http", bufLen: 32 << 10,
			run: func(p string) error {
				c := goClient()
				defer c.CloseIdleConnections()
				if err := drain(c.Get("http://" + p + "/204")); err != nil {
					return err
				}
				req, _ := http.NewRequest(http.MethodGet, "http://"+p+"/304", nil)
				req.Header.Set("If-None-Match", `"v1"`)
				if err := drain(c.Do(req)); err != nil {
					return err
				}
				if err := drain(c.Head("http://" + p + "/data")); err != nil {
					return err
				}
				return drain(c.Get("http://" + p + "/data"))
			}},
		{name: "expect100", desc: "curl POST of 64 KiB with Expect: 100-continue; 200 KiB response; proxy reads of 4 KiB split both bodies into many chunks", client: "curl", tool: "curl", bufLen: 4 << 10,
			run: func(p string) error {
				f, err := os.CreateTemp("", "body")
				if err != nil {
					return err
				}
				defer os.Remove(f.Name())
				_, _ = f.Write(bytes.Repeat([]byte("x"), 64<<10))
				_ = f.Close()
				return runCmd("curl", "-sS", "-o", "/dev/null", "-H", "Expect: 100-continue", "-H", "Content-Type: application/octet-stream",
					"--data-binary", "@"+f.Name(), "http://"+p+"/upload")
			}},
		{name: "gzip", desc: "curl --compressed GET of a gzip-encoded JSON body", client: "curl", tool: "curl", bufLen: 32 << 10,
			run: func(p string) error {
				return runCmd("curl", "-sS", "-o", "/dev/null", "--compressed", "-H", "Cookie: id=42", "http://"+p+"/gzip")
			}},
		{name: "openai_sse", desc: "curl -N POST to an OpenAI-style chat/completions stream (chunked SSE, data: [DONE])", client: "curl", tool: "curl", bufLen: 32 << 10,
			run: func(p string) error {
				return runCmd("curl", "-sS", "-N", "-o", "/dev/null", "-H", "Content-Type: application/json", "-H", "Authorization: Bearer sk-test",
					"-d", `{"model":"gpt-test","stream":true,"messages":[{"role":"user","content":"hi"}]}`, "http://"+p+"/v1/chat/completions")
			}},
		{name: "anthropic_sse", desc: "python urllib POST to an Anthropic-style messages stream (CRLF line ends, comment, thinking, text, tool input)", client: "python3 urllib", tool: "python3", bufLen: 32 << 10,
			run: func(p string) error {
				script := `import urllib.request,sys
r=urllib.request.Request("http://` + p + `/v1/messages",data=b'{"model":"claude-test","stream":true}',headers={"x-api-key":"sk-ant-secret","content-type":"application/json","anthropic-version":"2023-06-01"})
with urllib.request.urlopen(r) as f:
    f.read()
`
				return runCmd("python3", "-c", script)
			}},
		{name: "idle_sse", desc: "Go client reads two events of a stream that never ends, then the capture stops", client: "go net/http", bufLen: 32 << 10,
			run: func(p string) error {
				c := goClient()
				resp, err := c.Get("http://" + p + "/v1/stuck")
				if err != nil {
					return err
				}
				br := bufio.NewReader(resp.Body)
				events := 0
				for events < 2 {
					line, err := br.ReadString('\n')
					if err != nil {
						return err
					}
					if line == "\n" {
						events++
					}
				}
				_ = resp.Body.Close()
				c.CloseIdleConnections()
				return nil
			}},
		{name: "garbage", desc: "random binary bytes to a TCP echo server (not HTTP)", client: "raw net.Conn", bufLen: 32 << 10,
			run: func(p string) error {
				conn, err := net.Dial("tcp", p)
				if err != nil {
					return err
				}
				defer conn.Close()
				rng := rand.New(rand.NewPCG(1, 2))
				b := make([]byte, 3000)
				for i := range b {
					b[i] = byte(rng.UintN(256))
				}
				if _, err := conn.Write(b); err != nil {
					return err
				}
				_ = conn.(*net.TCPConn).CloseWrite()
				_, err = io.Copy(io.Discard, conn)
				return err
			}},
	}
}

func echoServer() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				_, _ = io.Copy(c, c)
				_ = c.Close()
			}()
		}
	}()
	return ln, nil
}

// Lab is the servers the scenarios talk to: a Go net/http server and a TCP
// echo server on 127.0.0.1.
type Lab struct {
	ln, echo net.Listener
	srv      *http.Server
	stuck    chan struct{}
}

// Start starts the servers.
func Start() (*Lab, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	l := &Lab{ln: ln, stuck: make(chan struct{})}
	l.srv = &http.Server{Handler: newServer(l.stuck), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = l.srv.Serve(ln) }()
	if l.echo, err = echoServer(); err != nil {
		_ = l.srv.Close()
		return nil, fmt.Errorf("echo server: %w", err)
	}
	return l, nil
}

// Close stops the servers.
func (l *Lab) Close() {
	close(l.stuck)
	_ = l.srv.Close()
	_ = l.echo.Close()
}

// Names returns the scenario names, in recording order.
func Names() []string {
	var out []string
	for _, sc := range scenarios() {
		out = append(out, sc.name)
	}
	return out
}

// Tool returns the external program a scenario's client is ("curl",
// "python3"), or "" when the client is written in Go.
func Tool(name string) string {
	for _, sc := range scenarios() {
		if sc.name == name {
			return sc.tool
		}
	}
	return ""
}

// Record runs one scenario through a recording proxy and returns the
// connection it recorded.
func (l *Lab) Record(name string) (Fixture, error) {
	for _, sc := range scenarios() {
		if sc.name != name {
			continue
		}
		target, server := l.ln.Addr().String(), "go net/http"
		if sc.name == "garbage" {
			target, server = l.echo.Addr().String(), "tcp echo"
		}
		rec, err := newRecorder(target, sc.bufLen, sc.name == "idle_sse")
		if err != nil {
			return Fixture{}, err
		}
		if err := sc.run(rec.addr()); err != nil {
			_ = rec.ln.Close()
			return Fixture{}, fmt.Errorf("scenario %s: %w", sc.name, err)
		}
		if err := rec.wait(10 * time.Second); err != nil {
			return Fixture{}, fmt.Errorf("scenario %s: %w", sc.name, err)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return Fixture{Name: sc.name, Description: sc.desc, Client: sc.client, Server: server, Chunks: rec.chunks}, nil
	}
	return Fixture{}, fmt.Errorf("no scenario %q", name)
}

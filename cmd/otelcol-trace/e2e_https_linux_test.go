//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// httpsServerScript is a loopback HTTPS server (Python's http.server in
// OpenSSL, through the system libssl). It prints its port, then answers
// every GET with 200 and a fixed body that echoes nothing of the request.
const httpsServerScript = `import http.server, ssl, sys

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = b"e2e ok\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
`

// TestEndToEndHTTPSExchanges runs the real binary on config/https.yaml
// (exporting to the file exporter instead of debug), makes an HTTPS request
// with the real curl (OpenSSL) to a loopback Python HTTPS server, and finds
// in the OTLP/JSON output the client's http.exchange record (with the
// Authorization header redacted), the client span "GET /e2e/<marker>" made
// by the httpspans connector, the server side's exchange and span, no raw
// net.payload record, and the secret nowhere.
func TestEndToEndHTTPSExchanges(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the ebpf receiver's tls probe loads BPF programs and uprobes (run the tests as root, as CI does)")
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not found: the test's HTTPS client is the real curl (OpenSSL); install curl")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: the test's HTTPS server is Python's http.server with ssl; install python3")
	}
	bin, err := buildOnce()
	require.NoError(t, err)

	port := startPythonHTTPSServer(t, python)
	output := filepath.Join(t.TempDir(), "https.json")
	collector := startCollector(t, bin, "https", httpsTestConfig(t, output))

	unique := strconv.FormatInt(time.Now().UnixNano(), 36)
	marker := "e2e-marker-" + unique
	secret := "e2e-secret-XYZ-" + unique
	path := "/e2e/" + unique
	url := fmt.Sprintf("https://127.0.0.1:%d%s?q=1", port, path)

	// The system libssl is hooked before the collector reports ready, but
	// uprobes attach by discovery: retry the request (a new connection
	// each time) until its exchange reaches the file, within a deadline.
	var exchange plog.LogRecord
	deadline := time.Now().Add(60 * time.Second)
	for attempt := 1; ; attempt++ {
		runCurl(t, curl, secret, marker, url)
		found := false
		waitUntil := time.Now().Add(5 * time.Second)
		for !found && time.Now().Before(waitUntil) {
			if recs := findExchanges(t, output, path, "client"); len(recs) > 0 {
				exchange, found = recs[0], true
				break
			}
			time.Sleep(100 * time.Millisecond) // polling interval, bounded by waitUntil
		}
		if found {
			t.Logf("client exchange found after %d request(s)", attempt)
			break
		}
		require.True(t, time.Now().Before(deadline),
			"no http.exchange for %s reached %s within 60s (%d requests)", path, output, attempt)
	}

	attrs := exchange.Attributes()
	assert.Equal(t, "GET", attrString(attrs, "http.request.method"))
	assert.Equal(t, path, attrString(attrs, "url.path"))
	assert.Equal(t, "q=1", attrString(attrs, "url.query"))
	assert.Equal(t, "https", attrString(attrs, "url.scheme"))
	assert.Equal(t, url, attrString(attrs, "url.full"))
	assert.Equal(t, int64(port), attrInt(attrs, "server.port"))
	assert.Equal(t, "client", attrString(attrs, "connection.role"))
	assert.Equal(t, int64(200), attrInt(attrs, "http.response.status_code"))
	assert.Equal(t, "curl", attrString(attrs, "process.executable.name"))
	assert.Equal(t, []string{"[REDACTED]"}, attrStrings(attrs, "http.request.header.authorization"))
	assert.Equal(t, []string{marker}, attrStrings(attrs, "http.request.header.x-marker"))
	assert.Equal(t, "e2e ok\n", attrString(attrs, "http.response.body.content"))
	assert.Equal(t, plog.SeverityNumberInfo, exchange.SeverityNumber())
	assert.NotZero(t, exchange.Timestamp())

	// The span of the client exchange, and the server side (the Python
	// process is traced too) as an exchange and a SERVER span.
	name := "GET " + path
	var client, server *foundSpan
	require.Eventually(t, func() bool {
		client = findSpan(t, output, name, ptrace.SpanKindClient)
		server = findSpan(t, output, name, ptrace.SpanKindServer)
		return client != nil && server != nil
	}, 30*time.Second, 100*time.Millisecond, "spans %q of kind CLIENT and SERVER not both in %s (client %v, server %v)",
		name, output, client != nil, server != nil)
	assert.Equal(t, path, attrString(client.span.Attributes(), "url.path"))
	assert.Equal(t, int64(200), attrInt(client.span.Attributes(), "http.response.status_code"))
	assert.Equal(t, []string{"[REDACTED]"}, attrStrings(client.span.Attributes(), "http.request.header.authorization"))
	assert.Equal(t, ptrace.StatusCodeUnset, client.span.Status().Code())
	assert.False(t, client.span.TraceID().IsEmpty())
	assert.GreaterOrEqual(t, client.span.EndTimestamp(), client.span.StartTimestamp())
	assert.Equal(t, "curl", attrString(client.resource, "process.executable.name"))
	assert.Equal(t, "curl", attrString(client.resource, "service.name"))
	assert.NotEqual(t, attrInt(client.resource, "process.pid"), attrInt(server.resource, "process.pid"))

	servers := findExchanges(t, output, path, "server")
	require.NotEmpty(t, servers, "the server side's http.exchange")
	assert.Equal(t, []string{"[REDACTED]"}, attrStrings(servers[0].Attributes(), "http.request.header.authorization"))
	assert.Equal(t, int64(200), attrInt(servers[0].Attributes(), "http.response.status_code"))
	assert.True(t, strings.HasPrefix(attrString(servers[0].Attributes(), "process.executable.name"), "python"),
		"server process %q", attrString(servers[0].Attributes(), "process.executable.name"))
	assert.Equal(t, int64(port), attrInt(servers[0].Attributes(), "network.local.port"), "5-tuple from Python's socket BIO")

	// Raw payload records are dropped by httpparse; the secret is nowhere:
	// not in the output file, not in the collector's own log.
	// Bytes bodies are base64 in OTLP/JSON, hence the second check.
	data, err := os.ReadFile(output)
	require.NoError(t, err)
	if i := bytes.Index(data, []byte(secret)); i >= 0 {
		t.Errorf("the Authorization secret leaked into the exported data: ...%s...", data[max(0, i-300):min(len(data), i+100)])
	}
	eachLogRecord(t, output, func(lr plog.LogRecord) {
		if lr.Body().Type() == pcommon.ValueTypeBytes && bytes.Contains(lr.Body().Bytes().AsRaw(), []byte(secret)) {
			t.Errorf("the Authorization secret leaked in the bytes body of a %q record", lr.EventName())
		}
	})
	if strings.Contains(collector.out.String(), secret) {
		t.Errorf("the Authorization secret leaked into the collector's log")
	}
	assert.Zero(t, countEvents(t, output, "net.payload"), "raw net.payload records reached the exporter")
}

// httpsTestConfig is config/https.yaml with its debug exporter replaced by
// the file exporter (OTLP/JSON lines into output) and the collector's own
// metrics endpoint off (other collectors may run on this host). It is
// rendered as JSON, which is YAML.
func httpsTestConfig(t *testing.T, output string) string {
	t.Helper()
	conf, err := confmaptest.LoadConf(filepath.Join("..", "..", "config", "https.yaml"))
	require.NoError(t, err)
	cfg := conf.ToStringMap()

	cfg["exporters"] = map[string]any{
		"file": map[string]any{"path": output, "format": "json", "flush_interval": "100ms"},
	}
	service, ok := cfg["service"].(map[string]any)
	require.True(t, ok, "config/https.yaml has no service section")
	service["telemetry"] = map[string]any{"metrics": map[string]any{"level": "none"}}
	pipelines, ok := service["pipelines"].(map[string]any)
	require.True(t, ok, "config/https.yaml has no service.pipelines")
	replaced := 0
	for name, p := range pipelines {
		pipeline, ok := p.(map[string]any)
		require.True(t, ok, "pipeline %s", name)
		exporters, _ := pipeline["exporters"].([]any)
		for i, e := range exporters {
			if e == "debug" {
				exporters[i] = "file"
				replaced++
			}
		}
	}
	require.Equal(t, 2, replaced, "config/https.yaml should export logs and traces to debug")

	out, err := json.Marshal(cfg)
	require.NoError(t, err)
	return string(out)
}

// startPythonHTTPSServer starts the loopback HTTPS server with a fresh
// self-signed certificate and returns its port.
func startPythonHTTPSServer(t *testing.T, python string) int {
	t.Helper()
	cert, key := writeSelfSignedCert(t, t.TempDir())
	cmd := exec.Command(python, "-c", httpsServerScript, cert, key)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
	}()
	select {
	case line := <-lines:
		port, err := strconv.Atoi(strings.TrimSpace(line))
		require.NoError(t, err, "HTTPS server did not print its port: %q\n%s", line, stderr.String())
		return port
	case <-time.After(30 * time.Second):
		require.FailNow(t, "HTTPS server did not start within 30s", stderr.String())
	}
	return 0
}

// writeSelfSignedCert writes a self-signed certificate for 127.0.0.1 and
// localhost, and its key, as PEM files in dir.
func writeSelfSignedCert(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	return certPath, keyPath
}

// runCurl makes the request with the real curl and requires a 200.
func runCurl(t *testing.T, curl, secret, marker, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, curl, "-sk", "--max-time", "15", "-o", "/dev/null", "-w", "%{http_code}",
		"-H", "Authorization: Bearer "+secret, "-H", "X-Marker: "+marker, url)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "curl: %s", out)
	require.Equal(t, "200", strings.TrimSpace(string(out)), "curl's status code")
}

// eachLine calls fn with every line of the file exporter's output (the last
// one may still be being written: fn skips what does not parse).
func eachLine(t *testing.T, path string, fn func(line []byte)) {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return
	}
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		fn(sc.Bytes())
	}
	require.NoError(t, sc.Err())
}

// eachLogRecord calls fn with every log record of the output.
func eachLogRecord(t *testing.T, path string, fn func(plog.LogRecord)) {
	t.Helper()
	eachLine(t, path, func(line []byte) {
		if !bytes.Contains(line, []byte(`"resourceLogs"`)) {
			return
		}
		logs, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(line)
		if err != nil {
			return // a line still being written
		}
		for _, rl := range logs.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					fn(lr)
				}
			}
		}
	})
}

// findExchanges returns the http.exchange records of urlPath whose
// connection.role is role.
func findExchanges(t *testing.T, path, urlPath, role string) []plog.LogRecord {
	t.Helper()
	var out []plog.LogRecord
	eachLogRecord(t, path, func(lr plog.LogRecord) {
		if lr.EventName() == "http.exchange" && attrString(lr.Attributes(), "url.path") == urlPath &&
			attrString(lr.Attributes(), "connection.role") == role {
			out = append(out, lr)
		}
	})
	return out
}

// countEvents counts the log records named eventName in the output.
func countEvents(t *testing.T, path, eventName string) int {
	t.Helper()
	n := 0
	eachLogRecord(t, path, func(lr plog.LogRecord) {
		if lr.EventName() == eventName {
			n++
		}
	})
	return n
}

// foundSpan is a span of the output with its resource's attributes.
type foundSpan struct {
	span     ptrace.Span
	resource pcommon.Map
}

// findSpan returns the first span named name of kind kind in the output.
func findSpan(t *testing.T, path, name string, kind ptrace.SpanKind) *foundSpan {
	t.Helper()
	var found *foundSpan
	eachLine(t, path, func(line []byte) {
		if found != nil || !bytes.Contains(line, []byte(`"resourceSpans"`)) {
			return
		}
		traces, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(line)
		if err != nil {
			return // a line still being written
		}
		for _, rs := range traces.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, s := range ss.Spans().All() {
					if found == nil && s.Name() == name && s.Kind() == kind {
						found = &foundSpan{span: s, resource: rs.Resource().Attributes()}
					}
				}
			}
		}
	})
	return found
}

func attrString(m pcommon.Map, k string) string {
	v, ok := m.Get(k)
	if !ok {
		return ""
	}
	return v.AsString()
}

func attrInt(m pcommon.Map, k string) int64 {
	v, ok := m.Get(k)
	if !ok || v.Type() != pcommon.ValueTypeInt {
		return -1
	}
	return v.Int()
}

func attrStrings(m pcommon.Map, k string) []string {
	v, ok := m.Get(k)
	if !ok || v.Type() != pcommon.ValueTypeSlice {
		return nil
	}
	var out []string
	for _, e := range v.Slice().All() {
		out = append(out, e.AsString())
	}
	return out
}

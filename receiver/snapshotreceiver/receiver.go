package snapshotreceiver

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-trace/otelcol-trace/internal/ratelog"
	"github.com/otelcol-trace/otelcol-trace/snapshot"
)

// maxSmallBody bounds the bodies of hello and trigger requests.
const maxSmallBody = 64 << 10

// ordersPerConnection is how many orders may wait for one process.
const ordersPerConnection = 8

// agentConn is one connected process.
type agentConn struct {
	session string
	hello   snapshot.Hello
	since   time.Time
	remote  string
	orders  chan snapshot.Message
	// gone is closed when the order stream ends.
	gone chan struct{}
}

// orderResult is what a trigger learns about one order.
type orderResult struct {
	snap *snapshot.Snapshot
}

type snapshotReceiver struct {
	cfg    *Config
	set    receiver.Settings
	next   consumer.Logs
	obs    *receiverhelper.ObsReport
	tel    *telemetry
	warn   *ratelog.Logger
	tokens [][]byte
	api    [][]byte

	server   *http.Server
	serveErr chan error
	stop     chan struct{}
	stopOnce sync.Once
	streams  sync.WaitGroup

	mu      sync.Mutex
	conns   map[string]*agentConn
	pending map[string]chan orderResult
}

func newSnapshotReceiver(cfg *Config, set receiver.Settings, next consumer.Logs) (*snapshotReceiver, error) {
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID: set.ID, Transport: "http", ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, fmt.Errorf("snapshot receiver: obsreport: %w", err)
	}
	tel, err := newTelemetry(set.TelemetrySettings, set.ID)
	if err != nil {
		return nil, fmt.Errorf("snapshot receiver: %w", err)
	}
	r := &snapshotReceiver{
		cfg: cfg, set: set, next: next, obs: obs, tel: tel,
		warn:    ratelog.New(set.Logger, 10*time.Second, ratelog.WithSuppressedCount("suppressed_since_last")),
		conns:   map[string]*agentConn{},
		pending: map[string]chan orderResult{},
		stop:    make(chan struct{}),
	}
	for _, t := range cfg.Tokens {
		r.tokens = append(r.tokens, []byte(t))
	}
	for _, t := range cfg.APITokens {
		r.api = append(r.api, []byte(t))
	}
	if len(r.api) == 0 {
		r.api = r.tokens
	}
	return r, nil
}

func (r *snapshotReceiver) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+snapshot.PathConnect, r.handleConnect)
	mux.HandleFunc("POST "+snapshot.PathUpload, r.handleUpload)
	mux.HandleFunc("GET "+snapshot.PathProcesses, r.handleProcesses)
	mux.HandleFunc("POST "+snapshot.PathTrigger, r.handleTrigger)
	return mux
}

// Start listens on the configured endpoint.
func (r *snapshotReceiver) Start(ctx context.Context, host component.Host) error {
	ln, err := r.cfg.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("snapshot receiver: listen on %s: %w", r.cfg.NetAddr.Endpoint, err)
	}
	r.server, err = r.cfg.ToServer(ctx, host.GetExtensions(), r.set.TelemetrySettings, r.handler())
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("snapshot receiver: create server: %w", err)
	}
	r.serveErr = make(chan error, 1)
	go func() {
		err := r.server.Serve(ln)
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.set.Logger.Error("snapshot receiver: server stopped", zap.Error(err))
		}
		r.serveErr <- err
	}()
	r.set.Logger.Info("snapshot receiver listening", zap.String("endpoint", ln.Addr().String()))
	return nil
}

// Shutdown closes the order streams and the server.
func (r *snapshotReceiver) Shutdown(ctx context.Context) error {
	if r.server == nil {
		return nil
	}
	first := false
	r.stopOnce.Do(func() { first = true; close(r.stop) })
	if !first {
		return nil
	}
	err := r.server.Shutdown(ctx)
	done := make(chan struct{})
	go func() { r.streams.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		_ = r.server.Close()
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		err = r.server.Close()
	}
	return err
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// authenticate checks the bearer token against tokens in constant time per
// token (every token is compared). A wrong token is logged without echoing it.
func (r *snapshotReceiver) authenticate(w http.ResponseWriter, req *http.Request, tokens [][]byte, what string) bool {
	h := req.Header.Get("Authorization")
	given, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || given == "" {
		r.tel.refuse(req.Context(), reasonMissingToken)
		r.warn.Warn("missing-"+what, "snapshot receiver: request without token refused",
			zap.String("path", req.URL.Path), zap.String("remote", req.RemoteAddr))
		writeError(w, http.StatusUnauthorized, "missing token: send \"Authorization: Bearer <token>\" (the library reads OTELCOL_TRACE_TOKEN)")
		return false
	}
	match := 0
	for _, t := range tokens {
		match |= subtle.ConstantTimeCompare([]byte(given), t)
	}
	if match != 1 {
		r.tel.refuse(req.Context(), reasonInvalidToken)
		r.warn.Warn("invalid-"+what, "snapshot receiver: request with an invalid token refused",
			zap.String("path", req.URL.Path), zap.String("remote", req.RemoteAddr), zap.Int("token_length", len(given)))
		writeError(w, http.StatusUnauthorized, "invalid token")
		return false
	}
	return true
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// readJSON decodes a bounded JSON body; it answers the error itself.
func (r *snapshotReceiver) readJSON(w http.ResponseWriter, req *http.Request, limit int64, v any, allowEmpty bool) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			r.tel.refuse(req.Context(), reasonTooLarge)
			r.warn.Warn("too-large", "snapshot receiver: request over the size limit refused",
				zap.String("path", req.URL.Path), zap.String("remote", req.RemoteAddr), zap.Int64("limit_bytes", limit))
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over the limit of %d bytes", limit))
			return false
		}
		r.tel.refuse(req.Context(), reasonBadRequest)
		r.warn.Warn("bad-body", "snapshot receiver: request whose body could not be read refused",
			zap.String("path", req.URL.Path), zap.String("remote", req.RemoteAddr), zap.Error(err))
		writeError(w, http.StatusBadRequest, "read body: "+err.Error())
		return false
	}
	if allowEmpty && len(bytes.TrimSpace(body)) == 0 {
		return true
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		r.tel.refuse(req.Context(), reasonBadRequest)
		r.warn.Warn("bad-json", "snapshot receiver: malformed request refused",
			zap.String("path", req.URL.Path), zap.String("remote", req.RemoteAddr), zap.Error(err))
		writeError(w, http.StatusBadRequest, "malformed JSON body: "+err.Error())
		return false
	}
	return true
}

// handleConnect keeps the order stream of one process open.
func (r *snapshotReceiver) handleConnect(w http.ResponseWriter, req *http.Request) {
	if !r.authenticate(w, req, r.tokens, "client") {
		return
	}
	var hello snapshot.Hello
	if !r.readJSON(w, req, maxSmallBody, &hello, false) {
		return
	}
	if hello.Program == "" {
		r.tel.refuse(req.Context(), reasonBadRequest)
		r.warn.Warn("no-program", "snapshot receiver: connection without a program name refused",
			zap.String("remote", req.RemoteAddr))
		writeError(w, http.StatusBadRequest, "hello: program must not be empty")
		return
	}
	r.streams.Add(1)
	defer r.streams.Done()
	conn := &agentConn{session: newID(), hello: hello, since: time.Now(), remote: req.RemoteAddr,
		orders: make(chan snapshot.Message, ordersPerConnection), gone: make(chan struct{})}
	if host, _, err := net.SplitHostPort(req.RemoteAddr); err == nil && conn.hello.Host == "" {
		conn.hello.Host = host
	}
	r.mu.Lock()
	r.conns[conn.session] = conn
	r.mu.Unlock()
	r.tel.connected.Add(req.Context(), 1)
	r.set.Logger.Info("snapshot receiver: process connected", zap.String("program", hello.Program),
		zap.String("environment", hello.Environment), zap.Int("pid", hello.PID), zap.String("host", conn.hello.Host),
		zap.String("session", conn.session))
	defer func() {
		r.mu.Lock()
		delete(r.conns, conn.session)
		r.mu.Unlock()
		close(conn.gone)
		r.tel.connected.Add(context.WithoutCancel(req.Context()), -1)
		r.set.Logger.Info("snapshot receiver: process disconnected", zap.String("program", hello.Program),
			zap.Int("pid", hello.PID), zap.String("session", conn.session))
	}()

	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	send := func(m snapshot.Message) error {
		_ = rc.SetWriteDeadline(time.Now().Add(r.cfg.HeartbeatInterval + 10*time.Second))
		if err := enc.Encode(m); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := send(snapshot.Message{Type: "welcome", Session: conn.session, HeartbeatSeconds: r.cfg.HeartbeatInterval.Seconds()}); err != nil {
		return
	}
	tick := time.NewTicker(r.cfg.HeartbeatInterval)
	defer tick.Stop()
	for {
		select {
		case <-req.Context().Done():
			return
		case <-r.stop:
			return
		case <-tick.C:
			if err := send(snapshot.Message{Type: "heartbeat"}); err != nil {
				return
			}
		case m := <-conn.orders:
			if err := send(m); err != nil {
				return
			}
		}
	}
}

// handleUpload receives a snapshot and emits it as logs.
func (r *snapshotReceiver) handleUpload(w http.ResponseWriter, req *http.Request) {
	if !r.authenticate(w, req, r.tokens, "client") {
		return
	}
	var up snapshot.Upload
	if !r.readJSON(w, req, r.cfg.MaxSnapshotBytes, &up, false) {
		return
	}
	if up.Snapshot == nil || up.Snapshot.ID == "" {
		r.tel.refuse(req.Context(), reasonBadRequest)
		r.warn.Warn("no-snapshot-id", "snapshot receiver: upload without a snapshot id refused",
			zap.String("remote", req.RemoteAddr))
		writeError(w, http.StatusBadRequest, "upload: snapshot with an id is required")
		return
	}
	r.mu.Lock()
	conn := r.conns[up.Session]
	r.mu.Unlock()
	if conn == nil {
		r.tel.refuse(req.Context(), reasonUnknown)
		r.warn.Warn("unknown-session", "snapshot receiver: upload from an unknown session refused (the process must reconnect)",
			zap.String("remote", req.RemoteAddr), zap.String("snapshot.id", up.Snapshot.ID))
		writeError(w, http.StatusConflict, "upload: unknown session (not connected): reconnect first")
		return
	}
	logs := snapshotToLogs(conn.hello, up.Snapshot, time.Now())
	n := logs.LogRecordCount()
	ctx := r.obs.StartLogsOp(req.Context())
	err := r.next.ConsumeLogs(ctx, logs)
	r.obs.EndLogsOp(ctx, "json", n, err)
	if err != nil {
		r.set.Logger.Error("snapshot receiver: pipeline refused a snapshot", zap.String("snapshot.id", up.Snapshot.ID), zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, "pipeline refused the snapshot: "+err.Error())
		return
	}
	r.tel.received.Add(req.Context(), 1, metric.WithAttributes(r.tel.receiverID))
	r.mu.Lock()
	ch := r.pending[up.Snapshot.ID]
	r.mu.Unlock()
	if ch != nil {
		select {
		case ch <- orderResult{snap: up.Snapshot}:
		default:
		}
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"snapshot_id": up.Snapshot.ID, "log_records": n})
}

// ProcessInfo describes a connected process in the trigger API.
type ProcessInfo struct {
	Session        string    `json:"session"`
	Program        string    `json:"program"`
	Environment    string    `json:"environment"`
	Host           string    `json:"host"`
	PID            int       `json:"pid"`
	GoVersion      string    `json:"go_version"`
	GOOS           string    `json:"goos"`
	GOARCH         string    `json:"goarch"`
	ConnectedSince time.Time `json:"connected_since"`
	Remote         string    `json:"remote"`
}

func (r *snapshotReceiver) processes() []ProcessInfo {
	r.mu.Lock()
	out := make([]ProcessInfo, 0, len(r.conns))
	for _, c := range r.conns {
		out = append(out, ProcessInfo{
			Session: c.session, Program: c.hello.Program, Environment: c.hello.Environment, Host: c.hello.Host,
			PID: c.hello.PID, GoVersion: c.hello.GoVersion, GOOS: c.hello.GOOS, GOARCH: c.hello.GOARCH,
			ConnectedSince: c.since.UTC(), Remote: c.remote,
		})
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Program != out[j].Program {
			return out[i].Program < out[j].Program
		}
		return out[i].PID < out[j].PID
	})
	return out
}

func (r *snapshotReceiver) handleProcesses(w http.ResponseWriter, req *http.Request) {
	if !r.authenticate(w, req, r.api, "api") {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"processes": r.processes()})
}

// TriggerRequest is the body of POST /v1/snapshots. Empty filters match
// every connected process.
type TriggerRequest struct {
	Environment string   `json:"environment,omitempty"`
	Program     string   `json:"program,omitempty"`
	PID         int      `json:"pid,omitempty"`
	Variables   []string `json:"variables,omitempty"`
	// TimeoutSeconds shortens the wait (capped by snapshot_timeout).
	TimeoutSeconds float64 `json:"timeout_seconds,omitempty"`
}

// TriggerResult is one process's outcome in the trigger response.
type TriggerResult struct {
	SnapshotID   string  `json:"snapshot_id"`
	Program      string  `json:"program"`
	Environment  string  `json:"environment"`
	Host         string  `json:"host"`
	PID          int     `json:"pid"`
	Status       string  `json:"status"`
	Goroutines   int     `json:"goroutines,omitempty"`
	Variables    int     `json:"variables,omitempty"`
	PauseSeconds float64 `json:"pause_seconds,omitempty"`
	Error        string  `json:"error,omitempty"`
}

// orderFailed counts and logs (rate-limited) an order without a snapshot.
func (r *snapshotReceiver) orderFailed(ctx context.Context, reason string, res TriggerResult) {
	r.tel.orderFailed(ctx, reason)
	r.warn.Warn("order-"+reason, "snapshot receiver: snapshot order failed", zap.String("reason", reason),
		zap.String("program", res.Program), zap.Int("pid", res.PID), zap.String("snapshot.id", res.SnapshotID))
}

func (r *snapshotReceiver) handleTrigger(w http.ResponseWriter, req *http.Request) {
	if !r.authenticate(w, req, r.api, "api") {
		return
	}
	var tr TriggerRequest
	if !r.readJSON(w, req, maxSmallBody, &tr, true) {
		return
	}
	timeout := r.cfg.SnapshotTimeout
	if tr.TimeoutSeconds > 0 && time.Duration(tr.TimeoutSeconds*float64(time.Second)) < timeout {
		timeout = time.Duration(tr.TimeoutSeconds * float64(time.Second))
	}
	type target struct {
		conn *agentConn
		res  TriggerResult
		ch   chan orderResult
	}
	var targets []*target
	r.mu.Lock()
	for _, c := range r.conns {
		if (tr.Environment != "" && c.hello.Environment != tr.Environment) ||
			(tr.Program != "" && c.hello.Program != tr.Program) ||
			(tr.PID != 0 && c.hello.PID != tr.PID) {
			continue
		}
		t := &target{conn: c, ch: make(chan orderResult, 1), res: TriggerResult{
			SnapshotID: newID(), Program: c.hello.Program, Environment: c.hello.Environment, Host: c.hello.Host, PID: c.hello.PID,
		}}
		r.pending[t.res.SnapshotID] = t.ch
		targets = append(targets, t)
	}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		for _, t := range targets {
			delete(r.pending, t.res.SnapshotID)
		}
		r.mu.Unlock()
	}()
	if len(targets) == 0 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no connected process matches environment=%q program=%q pid=%d", tr.Environment, tr.Program, tr.PID))
		return
	}
	order := func(t *target) bool {
		select {
		case t.conn.orders <- snapshot.Message{Type: "snapshot", SnapshotID: t.res.SnapshotID, Variables: tr.Variables}:
			return true
		default:
			return false
		}
	}
	wctx, cancel := context.WithTimeout(req.Context(), timeout)
	defer cancel()
	for _, t := range targets {
		if !order(t) {
			t.res.Status, t.res.Error = "busy", "too many orders already queued for this process"
			r.orderFailed(req.Context(), "busy", t.res)
		}
	}
	for _, t := range targets {
		if t.res.Status != "" {
			continue
		}
		var res orderResult
		got, gone := false, false
		select {
		case res = <-t.ch:
			got = true
		case <-t.conn.gone:
			select {
			case res = <-t.ch:
				got = true
			default:
				gone = true
			}
		case <-wctx.Done():
			if req.Context().Err() != nil {
				return
			}
			select {
			case res = <-t.ch:
				got = true
			default:
			}
		}
		if gone {
			t.res.Status, t.res.Error = "disconnected", "the process disconnected before sending its snapshot"
			r.orderFailed(req.Context(), "disconnected", t.res)
			continue
		}
		if !got {
			t.res.Status, t.res.Error = "timeout", fmt.Sprintf("no snapshot within %s", timeout)
			r.orderFailed(req.Context(), "timeout", t.res)
			continue
		}
		t.res.Status = "ok"
		t.res.Goroutines, t.res.Variables = len(res.snap.Goroutines), len(res.snap.Variables)
		t.res.PauseSeconds = res.snap.PauseSeconds
	}
	out := make([]TriggerResult, 0, len(targets))
	for _, t := range targets {
		out = append(out, t.res)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Program != out[j].Program {
			return out[i].Program < out[j].Program
		}
		return out[i].PID < out[j].PID
	})
	writeJSON(w, http.StatusOK, map[string]any{"snapshots": out})
}

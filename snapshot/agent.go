package snapshot

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Environment variables read by Init when the matching option is not given.
const (
	EnvToken       = "OTELCOL_TRACE_TOKEN"
	EnvEnvironment = "OTELCOL_TRACE_ENVIRONMENT"
	EnvEndpoint    = "OTELCOL_TRACE_ENDPOINT"
)

// Connection states reported by Status.
const (
	StateDisconnected = "disconnected"
	StateConnecting   = "connecting"
	StateConnected    = "connected"
	StateRetrying     = "retrying"
)

// Option configures Init.
type Option func(*settings)

type settings struct {
	token, environment, endpoint          string
	tokenSet, environmentSet, endpointSet bool
	tlsConfig                             *tls.Config
	caFile                                string
	errorLog                              func(error)
	minBackoff, maxBackoff                time.Duration
	variables                             []string
	limits                                Limits
	tracebackLabels                       bool
}

// WithToken sets the token the receiver authenticates the program with
// (default: $OTELCOL_TRACE_TOKEN).
func WithToken(token string) Option {
	return func(s *settings) { s.token, s.tokenSet = token, true }
}

// WithEnvironment sets the deployment environment reported to the receiver
// (default: $OTELCOL_TRACE_ENVIRONMENT).
func WithEnvironment(env string) Option {
	return func(s *settings) { s.environment, s.environmentSet = env, true }
}

// WithEndpoint sets the receiver's URL, e.g. "https://collector:4320"; a bare
// "host:port" means http (default: $OTELCOL_TRACE_ENDPOINT).
func WithEndpoint(endpoint string) Option {
	return func(s *settings) { s.endpoint, s.endpointSet = endpoint, true }
}

// WithTLSConfig sets the TLS configuration for an https endpoint.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(s *settings) { s.tlsConfig = cfg }
}

// WithCACertFile trusts the PEM certificates in path for an https endpoint.
func WithCACertFile(path string) Option {
	return func(s *settings) { s.caFile = path }
}

// WithErrorLogger receives the errors of the background connection
// (connection refused, authentication failures, failed uploads). Without it
// they are only visible through Status and the configuration page.
func WithErrorLogger(fn func(error)) Option {
	return func(s *settings) { s.errorLog = fn }
}

// WithBackoff sets the reconnection backoff range (default 500ms to 30s).
func WithBackoff(minDelay, maxDelay time.Duration) Option {
	return func(s *settings) { s.minBackoff, s.maxBackoff = minDelay, maxDelay }
}

// WithVariables names package-level variables ("main.config",
// "example.com/pkg.State") to read through DWARF in every snapshot.
func WithVariables(names ...string) Option {
	return func(s *settings) { s.variables = append(s.variables, names...) }
}

// WithTracebackLabels makes Init add tracebacklabels=1 to $GODEBUG, so that
// the runtime prints each goroutine's pprof labels in its stack dump and
// snapshots carry exact per-goroutine labels (Go 1.26+). It also adds the
// labels to crash tracebacks. Without it, labels are matched by stack from
// the goroutine profile.
func WithTracebackLabels() Option {
	return func(s *settings) { s.tracebackLabels = true }
}

// enableTracebackLabels adds tracebacklabels=1 to $GODEBUG (the runtime
// re-reads it when it changes).
func enableTracebackLabels() error {
	cur := os.Getenv("GODEBUG")
	for _, kv := range strings.Split(cur, ",") {
		if strings.HasPrefix(strings.TrimSpace(kv), "tracebacklabels=") {
			return nil
		}
	}
	if cur != "" {
		cur += ","
	}
	return os.Setenv("GODEBUG", cur+"tracebacklabels=1")
}

// WithLimits bounds what snapshots capture (zero fields keep the defaults).
func WithLimits(l Limits) Option {
	return func(s *settings) { s.limits = l }
}

// Status is the state of an Agent's connection.
type Status struct {
	State          string
	Program        string
	Environment    string
	Endpoint       string
	TokenSet       bool
	Session        string
	ConnectedSince time.Time
	LastError      string
	LastSnapshot   *Summary
}

// Summary describes a snapshot in a few numbers.
type Summary struct {
	ID           string
	Time         time.Time
	Goroutines   int
	Variables    int
	PauseSeconds float64
	// Sent is true when the snapshot reached the receiver.
	Sent bool
}

// Agent is one connection to the snapshot receiver and the snapshots it
// takes. The package-level functions use a process-wide Agent.
type Agent struct {
	mu      sync.Mutex
	program string
	set     settings
	cancel  context.CancelFunc
	done    chan struct{}
	status  Status
	client  *http.Client

	regMu    sync.Mutex
	registry map[string]func() any

	captureMu sync.Mutex
	dwarfMu   sync.Mutex
	dwarfIdx  *dwarfIndex
	dwarfErr  error
}

// NewAgent returns an Agent that is not connected.
func NewAgent() *Agent {
	return &Agent{registry: map[string]func() any{}, status: Status{State: StateDisconnected}}
}

// defaultAgent is the process-wide Agent behind Init, Stop, Register,
// HTTPHandler and CaptureSnapshot: like expvar's registry, this API is
// process-wide by design.
var defaultAgent = NewAgent()

// Default returns the process-wide Agent.
func Default() *Agent { return defaultAgent }

// Init connects the program to the snapshot receiver in the background, until
// ctx ends or Stop is called. It never blocks and never crashes the program: connection failures are
// retried with backoff and reported through WithErrorLogger. It returns an
// error only when the configuration cannot work (e.g. a malformed endpoint).
func Init(ctx context.Context, programName string, opts ...Option) error {
	return defaultAgent.Init(ctx, programName, opts...)
}

// Stop disconnects the process-wide Agent.
func Stop() { defaultAgent.Stop() }

// Register adds a value to every snapshot of the process-wide Agent.
func Register(name string, fn func() any) { defaultAgent.Register(name, fn) }

// CaptureSnapshot takes a snapshot of this process now, without sending it.
func CaptureSnapshot(ctx context.Context) (*Snapshot, error) {
	return defaultAgent.CaptureSnapshot(ctx)
}

// HTTPHandler returns the configuration page of the process-wide Agent.
func HTTPHandler() http.Handler { return defaultAgent.HTTPHandler() }

// Init configures the Agent and connects it in the background (see the
// package-level Init). Calling it again replaces the configuration.
func (a *Agent) Init(ctx context.Context, programName string, opts ...Option) error {
	s := settings{minBackoff: 500 * time.Millisecond, maxBackoff: 30 * time.Second}
	for _, o := range opts {
		o(&s)
	}
	if !s.tokenSet {
		s.token = os.Getenv(EnvToken)
	}
	if !s.environmentSet {
		s.environment = os.Getenv(EnvEnvironment)
	}
	if !s.endpointSet {
		s.endpoint = os.Getenv(EnvEndpoint)
	}
	s.limits = s.limits.withDefaults()
	if s.minBackoff <= 0 {
		s.minBackoff = 500 * time.Millisecond
	}
	if s.maxBackoff < s.minBackoff {
		s.maxBackoff = s.minBackoff
	}
	if programName == "" {
		programName = defaultProgramName()
	}
	if s.tracebackLabels {
		if err := enableTracebackLabels(); err != nil {
			a.setError(fmt.Errorf("snapshot: enable tracebacklabels: %w", err))
		}
	}
	a.Stop()
	a.mu.Lock()
	a.program, a.set = programName, s
	a.status.Program, a.status.Environment, a.status.TokenSet = programName, s.environment, s.token != ""
	a.mu.Unlock()
	if s.endpoint == "" {
		err := fmt.Errorf("snapshot: no receiver endpoint: use WithEndpoint or set %s", EnvEndpoint)
		a.setError(err)
		return err
	}
	return a.connect(ctx)
}

func defaultProgramName() string {
	exe, err := os.Executable()
	if err != nil {
		return "unknown"
	}
	exe = strings.TrimSuffix(exe, ".exe")
	if i := strings.LastIndexAny(exe, `/\`); i >= 0 {
		exe = exe[i+1:]
	}
	return exe
}

// normalizeEndpoint turns "host:port" into "http://host:port" and checks the
// URL.
func normalizeEndpoint(ep string) (string, error) {
	ep = strings.TrimSpace(ep)
	if !strings.Contains(ep, "://") {
		ep = "http://" + ep
	}
	u, err := url.Parse(ep)
	if err != nil {
		return "", fmt.Errorf("snapshot: endpoint %q: %w", ep, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("snapshot: endpoint %q: scheme must be http or https", ep)
	}
	if u.Host == "" {
		return "", fmt.Errorf("snapshot: endpoint %q: no host", ep)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// connect starts the background connection with the current settings.
func (a *Agent) connect(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cancel != nil {
		return nil
	}
	ep, err := normalizeEndpoint(a.set.endpoint)
	if err != nil {
		a.status.LastError = err.Error()
		return err
	}
	client, err := newHTTPClient(a.set)
	if err != nil {
		a.status.LastError = err.Error()
		return err
	}
	a.set.endpoint, a.client = ep, client
	a.status.Endpoint = ep
	a.status.State = StateConnecting
	a.status.LastError = ""
	ctx, cancel := context.WithCancel(ctx)
	a.cancel, a.done = cancel, make(chan struct{})
	go a.run(ctx, a.done)
	return nil
}

func newHTTPClient(s settings) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	cfg := s.tlsConfig
	if cfg == nil {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	} else {
		cfg = cfg.Clone()
	}
	if s.caFile != "" {
		pem, err := os.ReadFile(s.caFile)
		if err != nil {
			return nil, fmt.Errorf("snapshot: read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("snapshot: CA file %s holds no PEM certificate", s.caFile)
		}
		cfg.RootCAs = pool
	}
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr}, nil
}

// Stop disconnects the Agent and waits for its background work to end.
func (a *Agent) Stop() {
	a.mu.Lock()
	cancel, done := a.cancel, a.done
	a.cancel, a.done = nil, nil
	a.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// Status returns the connection's state.
func (a *Agent) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.status
	if st.LastSnapshot != nil {
		s := *st.LastSnapshot
		st.LastSnapshot = &s
	}
	return st
}

// Register adds a value to every snapshot: fn is called during the capture
// (after the world is restarted) and its result is captured within the
// Limits. Registering a name again replaces it; a nil fn removes it.
func (a *Agent) Register(name string, fn func() any) {
	a.regMu.Lock()
	defer a.regMu.Unlock()
	if fn == nil {
		delete(a.registry, name)
		return
	}
	a.registry[name] = fn
}

func (a *Agent) setError(err error) {
	a.mu.Lock()
	a.status.LastError = err.Error()
	logf := a.set.errorLog
	a.mu.Unlock()
	if logf != nil {
		logf(err)
	}
}

// run keeps the connection up until ctx ends.
func (a *Agent) run(ctx context.Context, done chan struct{}) {
	// orders tracks the goroutines answering snapshot orders, so that Stop
	// returns only once they ended too.
	var orders sync.WaitGroup
	defer func() {
		orders.Wait()
		a.mu.Lock()
		if a.done == done {
			a.cancel, a.done = nil, nil
		}
		a.status.State, a.status.Session, a.status.ConnectedSince = StateDisconnected, "", time.Time{}
		a.mu.Unlock()
		close(done)
	}()
	a.mu.Lock()
	minB, maxB := a.set.minBackoff, a.set.maxBackoff
	a.mu.Unlock()
	backoff := minB
	for {
		connected, err := a.session(ctx, &orders)
		if ctx.Err() != nil {
			return
		}
		if connected {
			backoff = minB
		}
		if err != nil {
			a.setError(err)
		}
		a.mu.Lock()
		a.status.State, a.status.Session, a.status.ConnectedSince = StateRetrying, "", time.Time{}
		a.mu.Unlock()
		delay := backoff + jitter(backoff/4)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		backoff = min(backoff*2, maxB)
	}
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(d)))
	if err != nil {
		return 0
	}
	return time.Duration(n.Int64())
}

func (a *Agent) hello() Hello {
	host, _ := os.Hostname()
	a.mu.Lock()
	defer a.mu.Unlock()
	return Hello{
		Program: a.program, Environment: a.set.environment, Host: host, PID: os.Getpid(),
		GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, LibraryVersion: LibraryVersion,
	}
}

// session runs one connection: it returns whether the receiver welcomed
// the program, and why the connection ended. The goroutines answering
// orders are added to orders.
func (a *Agent) session(ctx context.Context, orders *sync.WaitGroup) (bool, error) {
	a.mu.Lock()
	ep, token, client := a.set.endpoint, a.set.token, a.client
	a.mu.Unlock()
	body, err := json.Marshal(a.hello())
	if err != nil {
		return false, fmt.Errorf("snapshot: encode hello: %w", err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(sctx, http.MethodPost, ep+PathConnect, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("snapshot: connect request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, fmt.Errorf("snapshot: connect to %s: %w", ep, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("snapshot: receiver %s refused the connection: %s: %s", ep, resp.Status, errorMessage(resp.Body))
	}
	// A watchdog ends the connection when the receiver goes silent.
	silence := 45 * time.Second
	watchdog := time.AfterFunc(silence, cancel)
	defer watchdog.Stop()
	connected := false
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		var m Message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return connected, fmt.Errorf("snapshot: bad message from receiver: %w", err)
		}
		switch m.Type {
		case "welcome":
			connected = true
			if m.HeartbeatSeconds > 0 {
				silence = time.Duration(3 * m.HeartbeatSeconds * float64(time.Second))
			}
			a.mu.Lock()
			a.status.State, a.status.Session, a.status.ConnectedSince, a.status.LastError = StateConnected, m.Session, time.Now(), ""
			a.mu.Unlock()
		case "snapshot":
			if !connected {
				continue
			}
			session := a.Status().Session
			orders.Go(func() { a.answerOrder(ctx, session, m) })
		}
		watchdog.Reset(silence)
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		if sctx.Err() != nil {
			return connected, fmt.Errorf("snapshot: receiver %s silent for %s, reconnecting", ep, silence)
		}
		return connected, fmt.Errorf("snapshot: connection to %s lost: %w", ep, err)
	}
	return connected, fmt.Errorf("snapshot: receiver %s closed the connection", ep)
}

// errorMessage reads the receiver's {"error": "..."} body, bounded.
func errorMessage(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 1024))
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		return e.Error
	}
	return strings.TrimSpace(string(b))
}

func (a *Agent) answerOrder(ctx context.Context, session string, m Message) {
	snap, err := a.capture(ctx, m.SnapshotID, m.Variables)
	if err != nil {
		a.setError(fmt.Errorf("snapshot: capture %s: %w", m.SnapshotID, err))
		return
	}
	if err := a.upload(ctx, session, snap); err != nil {
		a.setError(err)
	}
}

// upload sends a snapshot to the receiver.
func (a *Agent) upload(ctx context.Context, session string, snap *Snapshot) error {
	a.mu.Lock()
	ep, token, client := a.set.endpoint, a.set.token, a.client
	a.mu.Unlock()
	if client == nil || session == "" {
		return errors.New("snapshot: not connected to a receiver")
	}
	body, err := encodeUpload(Upload{Session: session, Snapshot: snap})
	if err != nil {
		return fmt.Errorf("snapshot: encode snapshot %s: %w", snap.ID, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep+PathUpload, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("snapshot: upload request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("snapshot: upload %s: %w", snap.ID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("snapshot: upload %s refused: %s: %s", snap.ID, resp.Status, errorMessage(resp.Body))
	}
	a.mu.Lock()
	if a.status.LastSnapshot != nil && a.status.LastSnapshot.ID == snap.ID {
		a.status.LastSnapshot.Sent = true
	}
	a.mu.Unlock()
	return nil
}

// encodeUpload is the gzip-compressed JSON of an upload (the receiver's
// confighttp server decompresses it; its size limit applies to the JSON).
func encodeUpload(up Upload) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if err := json.NewEncoder(zw).Encode(up); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CaptureSnapshot takes a snapshot of this process now, without sending it.
func (a *Agent) CaptureSnapshot(ctx context.Context) (*Snapshot, error) {
	return a.capture(ctx, "", nil)
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// capture takes a snapshot with the given id (a new one when empty), adding
// the DWARF variables extra to the configured ones.
func (a *Agent) capture(ctx context.Context, id string, extra []string) (*Snapshot, error) {
	a.captureMu.Lock()
	defer a.captureMu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.Lock()
	lim := a.set.limits.withDefaults()
	names := slices.Clone(a.set.variables)
	program, env := a.program, a.set.environment
	a.mu.Unlock()
	if id == "" {
		id = newID()
	}
	if program == "" {
		program = defaultProgramName()
	}
	host, _ := os.Hostname()
	start := time.Now()
	snap := &Snapshot{ID: id, Time: start, Program: program, Environment: env, Host: host, PID: os.Getpid()}

	dump, truncated, pause := dumpStacks(lim.MaxStackBytes)
	snap.PauseSeconds = pause.Seconds()
	snap.GoroutinesTruncated = truncated
	gs, exact := parseStacks(dump)
	snap.LabelsExact = exact
	if !exact {
		if err := attachProfileLabels(gs); err != nil {
			snap.Errors = append(snap.Errors, "labels: "+err.Error())
		}
	}
	snap.Goroutines = gs
	snap.Runtime = readRuntimeStats()
	snap.Build = readBuildInfo()

	snap.Variables = append(snap.Variables, a.registeredValues(lim)...)
	for _, n := range extra {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) > 0 {
		idx, err := a.dwarf()
		for _, n := range names {
			if err != nil {
				snap.Variables = append(snap.Variables, Variable{Name: n, Source: "dwarf", Error: err.Error()})
				continue
			}
			snap.Variables = append(snap.Variables, idx.read(n, lim))
		}
	}
	snap.CaptureSeconds = time.Since(start).Seconds()

	a.mu.Lock()
	a.status.LastSnapshot = &Summary{ID: snap.ID, Time: snap.Time, Goroutines: len(snap.Goroutines), Variables: len(snap.Variables), PauseSeconds: snap.PauseSeconds}
	a.mu.Unlock()
	return snap, nil
}

// dwarf loads the DWARF index once.
func (a *Agent) dwarf() (*dwarfIndex, error) {
	a.dwarfMu.Lock()
	defer a.dwarfMu.Unlock()
	if a.dwarfIdx == nil && a.dwarfErr == nil {
		a.dwarfIdx, a.dwarfErr = loadDWARFIndex()
	}
	return a.dwarfIdx, a.dwarfErr
}

func (a *Agent) registeredValues(lim Limits) []Variable {
	a.regMu.Lock()
	names := make([]string, 0, len(a.registry))
	fns := make(map[string]func() any, len(a.registry))
	for n, fn := range a.registry {
		names = append(names, n)
		fns[n] = fn
	}
	a.regMu.Unlock()
	sort.Strings(names)
	out := make([]Variable, 0, len(names))
	for _, n := range names {
		out = append(out, registeredValue(n, fns[n], lim))
	}
	return out
}

// registeredValue calls fn, surviving a panic in it.
func registeredValue(name string, fn func() any, lim Limits) (v Variable) {
	v = Variable{Name: name, Source: "registered"}
	defer func() {
		if r := recover(); r != nil {
			v.Value, v.Error = nil, fmt.Sprintf("unavailable: the registered function panicked: %v", r)
		}
	}()
	val := fn()
	if val != nil {
		v.Type = fmt.Sprintf("%T", val)
	}
	v.Value, v.Truncated = boundedValue(val, lim)
	return v
}

func readRuntimeStats() RuntimeStats {
	st := RuntimeStats{
		GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), GoroutineCount: runtime.NumGoroutine(),
	}
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/goal:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/stacks:bytes"},
		{Name: "/gc/heap/allocs:bytes"},
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/gogc:percent"},
		{Name: "/gc/gomemlimit:bytes"},
	}
	metrics.Read(samples)
	u := func(i int) uint64 {
		if samples[i].Value.Kind() == metrics.KindUint64 {
			return samples[i].Value.Uint64()
		}
		return 0
	}
	st.HeapBytes, st.HeapGoalBytes, st.TotalBytes, st.StackBytes = u(0), u(1), u(2), u(3)
	st.AllocatedBytes, st.GCCycles = u(4), u(5)
	st.GOGC, st.MemoryLimit = int64(u(6)), int64(u(7))
	return st
}

func readBuildInfo() *BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	out := &BuildInfo{Path: bi.Path, MainModule: bi.Main.Path, MainVersion: bi.Main.Version}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			out.VCSRevision = s.Value
		case "vcs.modified":
			out.VCSModified = s.Value == "true"
		}
	}
	return out
}

package snapshot

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"
)

// HTTPHandler returns the Agent's configuration page: its status, endpoint,
// environment, program name and whether a token is set (the token itself is
// never shown), with Connect, Disconnect and "Take a snapshot now". It works
// without Init, so a connection can be made on demand. Mount it on a debug
// listener, e.g. mux.Handle("/debug/snapshot/", snapshot.HTTPHandler()).
//
// GET with ?format=json returns the status as JSON. POSTs from another
// origin are refused.
func (a *Agent) HTTPHandler() http.Handler {
	return http.HandlerFunc(a.serveConfigPage)
}

// pageStatus is the JSON and template view of the status.
type pageStatus struct {
	State          string  `json:"state"`
	Program        string  `json:"program"`
	Environment    string  `json:"environment"`
	Endpoint       string  `json:"endpoint"`
	TokenSet       bool    `json:"token_set"`
	Session        string  `json:"session"`
	ConnectedSince string  `json:"connected_since"`
	LastError      string  `json:"last_error"`
	LastSnapshot   string  `json:"last_snapshot"`
	Message        string  `json:"message,omitempty"`
	PauseSeconds   float64 `json:"-"`
}

func (a *Agent) pageStatus() pageStatus {
	st := a.Status()
	a.mu.Lock()
	ep := a.set.endpoint
	a.mu.Unlock()
	if st.Endpoint == "" {
		st.Endpoint = ep
	}
	ps := pageStatus{
		State: st.State, Program: st.Program, Environment: st.Environment, Endpoint: st.Endpoint,
		TokenSet: st.TokenSet, Session: st.Session, LastError: st.LastError,
	}
	if ps.Program == "" {
		ps.Program = defaultProgramName()
	}
	if !st.ConnectedSince.IsZero() {
		ps.ConnectedSince = st.ConnectedSince.UTC().Format(time.RFC3339)
	}
	if s := st.LastSnapshot; s != nil {
		where := "local only"
		if s.Sent {
			where = "sent to the receiver"
		}
		ps.LastSnapshot = fmt.Sprintf("%s: %d goroutines, %d variables, pause %.3f ms, %s",
			s.ID, s.Goroutines, s.Variables, s.PauseSeconds*1e3, where)
	}
	return ps
}

var configPage = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>otelcol-trace snapshot</title>
<style>body{font-family:sans-serif;margin:2em}dt{font-weight:bold}dd{margin:0 0 .5em 0}
input{width:24em}button{margin-right:.5em}</style></head>
<body>
<h1>otelcol-trace snapshot</h1>
{{if .Message}}<p id="message">{{.Message}}</p>{{end}}
<dl>
<dt>Status</dt><dd id="status">{{.State}}</dd>
<dt>Endpoint</dt><dd id="endpoint">{{.Endpoint}}</dd>
<dt>Environment</dt><dd id="environment">{{.Environment}}</dd>
<dt>Program</dt><dd id="program">{{.Program}}</dd>
<dt>Token</dt><dd id="token">{{if .TokenSet}}set{{else}}not set{{end}}</dd>
<dt>Session</dt><dd id="session">{{.Session}}</dd>
<dt>Connected since</dt><dd id="connected-since">{{.ConnectedSince}}</dd>
<dt>Last error</dt><dd id="last-error">{{.LastError}}</dd>
<dt>Last snapshot</dt><dd id="last-snapshot">{{.LastSnapshot}}</dd>
</dl>
<form method="post">
<p><label>Endpoint <input id="in-endpoint" name="endpoint" value="{{.Endpoint}}" placeholder="http://collector:4320"></label></p>
<p><label>Environment <input id="in-environment" name="environment" value="{{.Environment}}"></label></p>
<p><label>Program <input id="in-program" name="program" value="{{.Program}}"></label></p>
<p><label>Token <input id="in-token" name="token" type="password" autocomplete="off" placeholder="{{if .TokenSet}}unchanged{{else}}not set{{end}}"></label></p>
<p><button id="connect" name="action" value="connect">Connect</button>
<button id="disconnect" name="action" value="disconnect">Disconnect</button>
<button id="snapshot" name="action" value="snapshot">Take a snapshot now</button></p>
</form>
<script>
setInterval(function(){
  fetch(location.pathname + "?format=json").then(function(r){return r.json()}).then(function(s){
    document.getElementById("status").textContent = s.state;
    document.getElementById("session").textContent = s.session;
    document.getElementById("connected-since").textContent = s.connected_since;
    document.getElementById("last-error").textContent = s.last_error;
    document.getElementById("last-snapshot").textContent = s.last_snapshot;
  }).catch(function(){});
}, 1000);
</script>
</body></html>
`))

func (a *Agent) serveConfigPage(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		ps := a.pageStatus()
		ps.Message = r.URL.Query().Get("msg")
		if r.URL.Query().Get("format") == "json" {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(ps)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Frame-Options", "DENY")
		_ = configPage.Execute(w, ps)
	case http.MethodPost:
		if !sameOrigin(r) {
			http.Error(w, "cross-origin request refused", http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
			return
		}
		msg := a.pageAction(r.Context(), r.PostForm)
		http.Redirect(w, r, r.URL.Path+"?msg="+url.QueryEscape(msg), http.StatusSeeOther)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// sameOrigin refuses cross-site form posts (CSRF).
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return origin == ""
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

func (a *Agent) pageAction(ctx context.Context, form url.Values) string {
	switch form.Get("action") {
	case "connect":
		a.mu.Lock()
		s, program := a.set, a.program
		a.mu.Unlock()
		if v := form.Get("endpoint"); v != "" {
			s.endpoint = v
		}
		s.environment = form.Get("environment")
		if v := form.Get("program"); v != "" {
			program = v
		}
		if v := form.Get("token"); v != "" {
			s.token = v
		}
		opts := []Option{WithEndpoint(s.endpoint), WithEnvironment(s.environment), WithToken(s.token),
			WithBackoff(s.minBackoff, s.maxBackoff), WithLimits(s.limits), WithVariables(s.variables...)}
		if s.tlsConfig != nil {
			opts = append(opts, WithTLSConfig(s.tlsConfig))
		}
		if s.caFile != "" {
			opts = append(opts, WithCACertFile(s.caFile))
		}
		if s.errorLog != nil {
			opts = append(opts, WithErrorLogger(s.errorLog))
		}
		if err := a.Init(context.WithoutCancel(ctx), program, opts...); err != nil {
			return "connect failed: " + err.Error()
		}
		return "connecting to " + a.Status().Endpoint
	case "disconnect":
		a.Stop()
		return "disconnected"
	case "snapshot":
		snap, err := a.capture(ctx, "", nil)
		if err != nil {
			return "snapshot failed: " + err.Error()
		}
		st := a.Status()
		if st.State != StateConnected {
			return fmt.Sprintf("snapshot %s taken locally (%d goroutines); not connected, so not sent", snap.ID, len(snap.Goroutines))
		}
		if err := a.upload(ctx, st.Session, snap); err != nil {
			return "snapshot " + snap.ID + " taken but not sent: " + err.Error()
		}
		return fmt.Sprintf("snapshot %s sent to the receiver (%d goroutines)", snap.ID, len(snap.Goroutines))
	}
	return "unknown action"
}

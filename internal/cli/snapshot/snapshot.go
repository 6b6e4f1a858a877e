// Package snapshot implements the `otelcol-trace snapshot` sub-command: it
// calls the trigger API of a running snapshot receiver to list the connected
// processes or to take snapshots of them, and prints the snapshot ids and a
// summary.
package snapshot

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/otelcol-trace/otelcol-trace/receiver/snapshotreceiver"
	lib "github.com/otelcol-trace/otelcol-trace/snapshot"
)

// Environment variables the command reads for its defaults.
const (
	envAPIToken = "OTELCOL_TRACE_API_TOKEN"
	envToken    = lib.EnvToken
	envEndpoint = lib.EnvEndpoint
)

// defaultEndpoint is the receiver's URL when neither --endpoint nor
// $OTELCOL_TRACE_ENDPOINT is set.
const defaultEndpoint = "http://localhost:4320"

const usage = `usage:
  otelcol-trace snapshot [flags]        take snapshots of the matching processes
  otelcol-trace snapshot list [flags]   list the processes connected to the receiver

Without --environment, --program or --pid, every connected process is snapshotted.
The token comes from --token, else $OTELCOL_TRACE_API_TOKEN, else $OTELCOL_TRACE_TOKEN.

flags:
`

type options struct {
	endpoint    string
	token       string
	environment string
	program     string
	pid         int
	variables   stringList
	timeout     time.Duration
	caFile      string
	jsonOut     bool
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// Run runs the sub-command with args (without "snapshot" itself) and returns
// the exit code: 0 on success, 1 when the receiver could not be reached or a
// snapshot failed, 2 on a usage error.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	list := false
	if len(args) > 0 && args[0] == "list" {
		list, args = true, args[1:]
	}
	var o options
	fs := flag.NewFlagSet("otelcol-trace snapshot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.endpoint, "endpoint", "", "the snapshot receiver's URL (default $"+envEndpoint+", else "+defaultEndpoint+")")
	fs.StringVar(&o.token, "token", "", "API token of the receiver")
	fs.StringVar(&o.environment, "environment", "", "snapshot the processes of this deployment environment")
	fs.StringVar(&o.program, "program", "", "snapshot the processes of this program")
	fs.IntVar(&o.pid, "pid", 0, "snapshot the process with this pid")
	fs.Var(&o.variables, "var", "package-level variable to read through DWARF, e.g. main.config (repeatable)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "how long to wait for the snapshots")
	fs.StringVar(&o.caFile, "ca-file", "", "PEM CA certificates to trust for an https endpoint")
	fs.BoolVar(&o.jsonOut, "json", false, "print the receiver's JSON answer")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "otelcol-trace snapshot: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if o.endpoint == "" {
		o.endpoint = os.Getenv(envEndpoint)
	}
	if o.endpoint == "" {
		o.endpoint = defaultEndpoint
	}
	if o.token == "" {
		o.token = os.Getenv(envAPIToken)
	}
	if o.token == "" {
		o.token = os.Getenv(envToken)
	}
	if o.token == "" {
		fmt.Fprintf(stderr, "otelcol-trace snapshot: no token: use --token or set %s or %s\n", envAPIToken, envToken)
		return 2
	}
	if o.timeout <= 0 {
		fmt.Fprintln(stderr, "otelcol-trace snapshot: --timeout must be positive")
		return 2
	}
	base, err := normalize(o.endpoint)
	if err != nil {
		fmt.Fprintf(stderr, "otelcol-trace snapshot: --endpoint: %v\n", err)
		return 2
	}
	client, err := httpClient(o.caFile)
	if err != nil {
		fmt.Fprintf(stderr, "otelcol-trace snapshot: %v\n", err)
		return 2
	}
	if list {
		return runList(ctx, client, base, o, stdout, stderr)
	}
	return runTrigger(ctx, client, base, o, stdout, stderr)
}

// normalize turns an endpoint (host:port or an http(s) URL) into a base URL
// without a trailing slash.
func normalize(ep string) (string, error) {
	if !strings.Contains(ep, "://") {
		ep = "http://" + ep
	}
	u, err := url.Parse(ep)
	if err != nil {
		return "", err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) URL", ep)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// httpClient returns a client without proxy that trusts caFile's
// certificates when set.
func httpClient(caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read --ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-file %s holds no PEM certificate", caFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr}, nil
}

// call sends a request to the trigger API and returns the body of a 2xx
// answer, or an error with the receiver's message.
func call(ctx context.Context, client *http.Client, method, u, token string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode the request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("build the request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("call the snapshot receiver: %w", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("read the receiver's answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(out))
		if json.Unmarshal(out, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return nil, fmt.Errorf("receiver answered %s: %s", resp.Status, msg)
	}
	return out, nil
}

func runList(ctx context.Context, client *http.Client, base string, o options, stdout, stderr io.Writer) int {
	body, err := call(ctx, client, http.MethodGet, base+lib.PathProcesses, o.token, nil)
	if err != nil {
		fmt.Fprintf(stderr, "otelcol-trace snapshot list: %v\n", err)
		return 1
	}
	if o.jsonOut {
		_, _ = stdout.Write(body)
		return 0
	}
	var out struct {
		Processes []snapshotreceiver.ProcessInfo `json:"processes"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		fmt.Fprintf(stderr, "otelcol-trace snapshot list: malformed answer: %v\n", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROGRAM\tENVIRONMENT\tHOST\tPID\tGO\tPLATFORM\tCONNECTED SINCE")
	for _, p := range out.Processes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s/%s\t%s\n", p.Program, dash(p.Environment), p.Host, p.PID, p.GoVersion,
			p.GOOS, p.GOARCH, p.ConnectedSince.UTC().Format(time.RFC3339))
	}
	_ = tw.Flush()
	fmt.Fprintf(stdout, "%d process(es) connected\n", len(out.Processes))
	return 0
}

func runTrigger(ctx context.Context, client *http.Client, base string, o options, stdout, stderr io.Writer) int {
	req := snapshotreceiver.TriggerRequest{
		Environment:    o.environment,
		Program:        o.program,
		PID:            o.pid,
		Variables:      o.variables,
		TimeoutSeconds: o.timeout.Seconds(),
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout+10*time.Second)
	defer cancel()
	body, err := call(ctx, client, http.MethodPost, base+lib.PathTrigger, o.token, req)
	if err != nil {
		fmt.Fprintf(stderr, "otelcol-trace snapshot: %v\n", err)
		return 1
	}
	var out struct {
		Snapshots []snapshotreceiver.TriggerResult `json:"snapshots"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		fmt.Fprintf(stderr, "otelcol-trace snapshot: malformed answer: %v\n", err)
		return 1
	}
	if o.jsonOut {
		_, _ = stdout.Write(body)
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SNAPSHOT ID\tPROGRAM\tENVIRONMENT\tHOST\tPID\tSTATUS\tGOROUTINES\tVARIABLES\tPAUSE")
		for _, r := range out.Snapshots {
			pause := "-"
			if r.Status == "ok" {
				pause = fmt.Sprintf("%.3fms", r.PauseSeconds*1e3)
			}
			status := r.Status
			if r.Error != "" {
				status += " (" + r.Error + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%d\t%d\t%s\n", r.SnapshotID, r.Program, dash(r.Environment), r.Host, r.PID,
				status, r.Goroutines, r.Variables, pause)
		}
		_ = tw.Flush()
	}
	failed := 0
	for _, r := range out.Snapshots {
		if r.Status != "ok" {
			failed++
		}
	}
	if !o.jsonOut {
		fmt.Fprintf(stdout, "%d snapshot(s) taken, %d failed\n", len(out.Snapshots)-failed, failed)
	}
	if failed > 0 {
		return 1
	}
	return 0
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

package snapshot

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-trace/otelcol-trace/receiver/snapshotreceiver"
	lib "github.com/otelcol-trace/otelcol-trace/snapshot"
)

const token = "cli-test-token-0123456789"

func startReceiver(t *testing.T) (string, *consumertest.LogsSink) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	f := snapshotreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*snapshotreceiver.Config)
	cfg.NetAddr.Endpoint = addr
	cfg.Tokens = []configopaque.String{token}
	sink := new(consumertest.LogsSink)
	r, err := f.CreateLogs(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, r.Shutdown(context.Background())) })
	return "http://" + addr, sink
}

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestListAndSnapshot(t *testing.T) {
	base, sink := startReceiver(t)
	agent := lib.NewAgent()
	require.NoError(t, agent.Init(context.Background(), "clitest", lib.WithEndpoint(base), lib.WithToken(token), lib.WithEnvironment("prod")))
	t.Cleanup(agent.Stop)
	require.Eventually(t, func() bool { return agent.Status().State == lib.StateConnected }, 20*time.Second, 20*time.Millisecond)

	code, out, errOut := run("list", "--endpoint", base, "--token", token)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "PROGRAM")
	assert.Regexp(t, `clitest\s+prod\s+\S+\s+\d+\s+go1\.`, out)
	assert.Contains(t, out, "1 process(es) connected")

	code, out, errOut = run("--environment", "prod", "--endpoint", base, "--token", token, "--timeout", "20s")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "1 snapshot(s) taken, 0 failed")
	id := regexp.MustCompile(`(?m)^([0-9a-f]{32})\s+clitest\s+prod`).FindStringSubmatch(out)
	require.NotNil(t, id, out)
	require.Eventually(t, func() bool {
		for _, l := range sink.AllLogs() {
			rl := l.ResourceLogs().At(0)
			lr := rl.ScopeLogs().At(0).LogRecords().At(0)
			if v, ok := lr.Attributes().Get("snapshot.id"); ok && v.Str() == id[1] {
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond)

	// Token from the environment, JSON output.
	t.Setenv(envAPIToken, token)
	code, out, errOut = run("--program", "clitest", "--endpoint", base, "--json")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, `"status":"ok"`)

	code, _, errOut = run("--environment", "staging", "--endpoint", base)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "no connected process matches")
}

func TestErrors(t *testing.T) {
	t.Setenv(envAPIToken, "")
	t.Setenv(envToken, "")
	base, _ := startReceiver(t)

	code, _, errOut := run("--endpoint", base)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "no token")
	assert.Contains(t, errOut, envAPIToken)
	assert.Contains(t, errOut, envToken)

	code, _, errOut = run("list", "--endpoint", base, "--token", "wrong-token-value-123456")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "invalid token")
	assert.NotContains(t, errOut, "wrong-token-value-123456")

	code, _, errOut = run("list", "--endpoint", "ftp://x", "--token", token)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "--endpoint")

	code, _, errOut = run("--endpoint", base, "--token", token, "extra")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, `unexpected argument "extra"`)

	code, _, errOut = run("--help")
	assert.Equal(t, 0, code)
	endpointHelp := ""
	for _, line := range strings.Split(errOut, "\n") {
		if strings.Contains(line, "-endpoint") {
			endpointHelp = line
		}
	}
	require.NotEmpty(t, endpointHelp, errOut)
	helpText := errOut[strings.Index(errOut, endpointHelp):]
	helpText = helpText[:strings.Index(helpText, "\n  -")+1]
	assert.Equal(t, 1, strings.Count(helpText, "default"), "one default for --endpoint: %q", helpText)
	assert.Contains(t, helpText, "$"+envEndpoint)
	assert.Contains(t, helpText, defaultEndpoint)

	// Nothing listens there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close())
	code, _, errOut = run("list", "--endpoint", dead, "--token", token)
	assert.Equal(t, 1, code)
	assert.True(t, strings.Contains(errOut, "connection refused"), errOut)

	// Without --endpoint, $OTELCOL_TRACE_ENDPOINT is used.
	t.Setenv(envEndpoint, "http://"+dead)
	code, _, errOut = run("list", "--token", token)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, dead)
}

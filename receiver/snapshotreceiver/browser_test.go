package snapshotreceiver

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func findChromium() string {
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// TestConfigPageInBrowser drives the library's configuration page (served by
// snapshotdemo, started without Init) in headless Chromium: connect, take a
// snapshot, disconnect. Set SNAPSHOT_SCREENSHOT_DIR to keep the screenshots.
func TestConfigPageInBrowser(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		t.Skip("chromium not installed (apt-get install chromium; .ci/setup.d/snapshot.sh installs it)")
	}
	addr := freeAddr(t)
	tr := startReceiver(t, addr)
	d := startDemo(t, nil, "-no-init", "-listen", "127.0.0.1:0")
	require.NotEmpty(t, d.pageAddr)
	page := "http://" + d.pageAddr + "/debug/snapshot/"

	shots := os.Getenv("SNAPSHOT_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(shots, 0o755))

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1000, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	text := func(id string) string {
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
		require.NoError(t, err)
		return strings.TrimSpace(s)
	}
	// waitJS polls a JavaScript condition until it holds, across page loads.
	waitJS := func(js, what string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
			if err == nil && ok {
				return
			}
			require.True(t, time.Now().Before(deadline), "%s: never happened (last error %v)", what, err)
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitText := func(id, want string) {
		t.Helper()
		waitJS(`!!document.getElementById("`+id+`") && document.getElementById("`+id+`").textContent.includes(`+quoteJS(want)+`)`,
			"#"+id+" containing "+want)
	}
	// clickAndLoad clicks a form button and waits for the page the form
	// post redirects to.
	clickAndLoad := func(id string) {
		t.Helper()
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__oldPage = true`))
		require.NoError(t, err)
		require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID(id))))
		waitJS(`window.__oldPage !== true && document.readyState === "complete" && !!document.getElementById("message")`, "page after "+id)
	}
	screenshot := func(name string) {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		p := filepath.Join(shots, name)
		require.NoError(t, os.WriteFile(p, png, 0o644))
		t.Logf("screenshot %s", p)
	}

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("connect"))))
	assert.Equal(t, "disconnected", text("status"))
	assert.Equal(t, "snapshotdemo", text("program"))
	assert.Equal(t, "not set", text("token"))

	// Connect with the endpoint, environment and token typed into the page.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("in-endpoint"), "http://"+addr),
		chromedp.SetValue(chromedp.ID("in-environment"), "browser"),
		chromedp.SendKeys(chromedp.ID("in-token"), testToken),
	))
	clickAndLoad("connect")
	waitText("status", "connected")
	tr.waitConnected(t, d.cmd.Process.Pid)
	assert.Equal(t, "set", text("token"))
	assert.Equal(t, "browser", text("environment"))
	assert.Equal(t, "http://"+addr, text("endpoint"))
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	require.NoError(t, err)
	assert.NotContains(t, html, testToken, "the page must never show the token")

	// Take a snapshot from the page: it goes to the receiver.
	clickAndLoad("snapshot")
	waitText("last-snapshot", "sent to the receiver")
	last := text("last-snapshot")
	id, _, ok := strings.Cut(last, ":")
	require.True(t, ok, last)
	require.Eventually(t, func() bool { return len(tr.records(id)) > 0 }, 10*time.Second, 20*time.Millisecond)
	var sawWorker bool
	for _, r := range tr.records(id) {
		if r.lr.EventName() == eventGoroutine && attrStr(r.lr.Attributes(), "code.function.name") == "main.waitForJob" {
			sawWorker = true
		}
		assert.Equal(t, "browser", attrStr(r.res, "deployment.environment.name"))
	}
	assert.True(t, sawWorker, "the page's snapshot has the demo's goroutines")
	screenshot("snapshot-config-page-connected.png")

	// Disconnect.
	clickAndLoad("disconnect")
	waitText("status", "disconnected")
	require.Eventually(t, func() bool { return len(tr.processes(t)) == 0 }, 10*time.Second, 20*time.Millisecond)
	screenshot("snapshot-config-page-disconnected.png")
	assert.Contains(t, text("message"), "disconnected")
}

func quoteJS(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

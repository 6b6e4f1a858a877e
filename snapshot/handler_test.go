package snapshot

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigPageWithoutInit(t *testing.T) {
	a := NewAgent()
	srv := httptest.NewServer(a.HTTPHandler())
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/?format=json")
	require.NoError(t, err)
	var st pageStatus
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	resp.Body.Close()
	assert.Equal(t, StateDisconnected, st.State)
	assert.False(t, st.TokenSet)

	// A local snapshot from the page works without a connection.
	resp, err = http.PostForm(srv.URL+"/", url.Values{"action": {"snapshot"}})
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), "taken locally")
	assert.Contains(t, string(body), "local only")

	// Connect without an endpoint: a clear message, no crash.
	resp, err = http.PostForm(srv.URL+"/", url.Values{"action": {"connect"}, "token": {"secret-token-value"}})
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(body), "no receiver endpoint")
	assert.NotContains(t, string(body), "secret-token-value")
	assert.Contains(t, string(body), `<dd id="token">set</dd>`)
}

func TestConfigPageRefusesCrossOrigin(t *testing.T) {
	a := NewAgent()
	srv := httptest.NewServer(a.HTTPHandler())
	defer srv.Close()
	for _, h := range []map[string]string{{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}} {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader("action=disconnect"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, h)
	}
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestInitWithMalformedEndpoint(t *testing.T) {
	a := NewAgent()
	err := a.Init(t.Context(), "x", WithEndpoint("ftp://host"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "scheme must be http or https")
	assert.Equal(t, StateDisconnected, a.Status().State)
}

package snapshotreceiver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-trace/otelcol-trace/snapshot"
)

// writeTestCerts writes a CA and a server certificate for 127.0.0.1 signed
// by it, and returns the paths of the CA, the certificate and the key.
func writeTestCerts(t *testing.T) (string, string, string) {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "snapshot test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	write := func(name, typ string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600))
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("server.pem", "CERTIFICATE", der), write("server.key", "EC PRIVATE KEY", keyDER)
}

// TestTLS runs the receiver with TLS from the collector's config helpers: a
// client trusting the CA connects and is snapshotted, one that does not
// trust it keeps failing with a certificate error.
func TestTLS(t *testing.T) {
	caFile, certFile, keyFile := writeTestCerts(t)
	addr := freeAddr(t)
	cfg := createDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = addr
	cfg.Tokens = []configopaque.String{testToken}
	tlsCfg := configtls.NewDefaultServerConfig()
	tlsCfg.CertFile, tlsCfg.KeyFile = certFile, keyFile
	cfg.TLS = configoptional.Some(tlsCfg)
	require.NoError(t, cfg.Validate())
	sink := new(consumertest.LogsSink)
	r, err := newSnapshotReceiver(cfg, receivertest.NewNopSettings(component.MustNewType(typeStr)), sink)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, r.Shutdown(context.Background())) })

	var mu sync.Mutex
	var untrustedErrs []string
	untrusted := snapshot.NewAgent()
	require.NoError(t, untrusted.Init(context.Background(), "untrusted", snapshot.WithEndpoint("https://"+addr),
		snapshot.WithToken(testToken), snapshot.WithBackoff(50*time.Millisecond, 200*time.Millisecond),
		snapshot.WithErrorLogger(func(err error) { mu.Lock(); untrustedErrs = append(untrustedErrs, err.Error()); mu.Unlock() })))
	t.Cleanup(untrusted.Stop)

	agent := snapshot.NewAgent()
	require.NoError(t, agent.Init(context.Background(), "tlsclient", snapshot.WithEndpoint("https://"+addr),
		snapshot.WithToken(testToken), snapshot.WithEnvironment("secure"), snapshot.WithCACertFile(caFile)))
	t.Cleanup(agent.Stop)
	require.Eventually(t, func() bool { return agent.Status().State == snapshot.StateConnected }, 20*time.Second, 20*time.Millisecond)

	pem, err := os.ReadFile(caFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	req, err := http.NewRequest(http.MethodPost, "https://"+addr+snapshot.PathTrigger, strings.NewReader(`{"environment":"secure"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var out struct {
		Snapshots []TriggerResult `json:"snapshots"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	require.Len(t, out.Snapshots, 1)
	assert.Equal(t, "ok", out.Snapshots[0].Status)
	assert.Equal(t, "tlsclient", out.Snapshots[0].Program)
	assert.Positive(t, sink.LogRecordCount())

	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(untrustedErrs) >= 2 && strings.Contains(strings.Join(untrustedErrs, "\n"), "certificate")
	}, 20*time.Second, 20*time.Millisecond)
	assert.NotEqual(t, snapshot.StateConnected, untrusted.Status().State)
}

// Command goclient is the Go crypto/tls client of the tls probe tests: it
// waits for a line on stdin (so the test can wait until the probe has
// attached to this binary), then sends -n GET requests with an X-Secret
// header over one keep-alive connection (with -close: one connection per
// request) and prints each response body.
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
)

func main() {
	url := flag.String("url", "", "URL to GET")
	ca := flag.String("ca", "", "CA certificate (PEM)")
	secret := flag.String("secret", "", "X-Secret header value")
	n := flag.Int("n", 1, "requests on one connection")
	closeConns := flag.Bool("close", false, "one connection per request (no keep-alive)")
	flag.Parse()

	pem, err := os.ReadFile(*ca)
	if err != nil {
		fail(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		MaxConnsPerHost:   1,
		ForceAttemptHTTP2: false,
		DisableKeepAlives: *closeConns,
	}}
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		fail(err)
	}
	for i := 0; i < *n; i++ {
		req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%s?i=%d", *url, i), nil)
		if err != nil {
			fail(err)
		}
		req.Header.Set("X-Secret", *secret)
		resp, err := client.Do(req)
		if err != nil {
			fail(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			fail(err)
		}
		fmt.Println(string(body))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

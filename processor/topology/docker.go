package topologyprocessor // import "github.com/otelcol-trace/otelcol-trace/processor/topology"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// dockerClient talks to one Docker Engine API endpoint (Docker itself, or
// Podman's compatible service) with the standard library only.
type dockerClient struct {
	endpoint string
	// socketPath is the unix socket, empty for http endpoints.
	socketPath string
	baseURL    string
	http       *http.Client
	timeout    time.Duration
}

// errEndpointAbsent says the endpoint's socket does not exist: the runtime
// is not installed or not running, which is not an error worth logging.
var errEndpointAbsent = errors.New("socket does not exist")

func newDockerClient(endpoint string, timeout time.Duration) (*dockerClient, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("parse docker endpoint %q: %w", endpoint, err)
	}
	c := &dockerClient{endpoint: endpoint, timeout: timeout}
	tr := &http.Transport{MaxIdleConns: 2, IdleConnTimeout: 30 * time.Second}
	switch u.Scheme {
	case "unix":
		c.socketPath = u.Path
		c.baseURL = "http://docker"
		var d net.Dialer
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", c.socketPath)
		}
	case "http":
		c.baseURL = "http://" + u.Host
	default:
		return nil, fmt.Errorf("docker endpoint %q: scheme must be unix or http", endpoint)
	}
	c.http = &http.Client{Transport: tr}
	return c, nil
}

// available reports whether the endpoint's socket exists (always true for
// http endpoints).
func (c *dockerClient) available() bool {
	if c.socketPath == "" {
		return true
	}
	_, err := os.Stat(c.socketPath)
	return err == nil
}

// dockerContainer is the subset of GET /containers/json the processor uses.
type dockerContainer struct {
	ID     string            `json:"Id"`
	Names  []string          `json:"Names"`
	Image  string            `json:"Image"`
	Labels map[string]string `json:"Labels"`
}

func (c *dockerClient) get(ctx context.Context, path string) (*http.Response, error) {
	if !c.available() {
		return nil, fmt.Errorf("docker endpoint %s: %w", c.endpoint, errEndpointAbsent)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.baseURL+path, http.NoBody)
	if err != nil {
		return nil, fmt.Errorf("docker endpoint %s: build request: %w", c.endpoint, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("docker endpoint %s: GET %s: %w", c.endpoint, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, fmt.Errorf("docker endpoint %s: GET %s: status %d: %s", c.endpoint, path, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return resp, nil
}

// list returns every container the runtime knows (running or not) with its
// name, image and labels, in one call.
func (c *dockerClient) list(ctx context.Context, runtime string) (map[string]*containerMeta, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := c.get(ctx, "/containers/json?all=1")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var list []dockerContainer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&list); err != nil {
		return nil, fmt.Errorf("docker endpoint %s: decode container list: %w", c.endpoint, err)
	}
	out := make(map[string]*containerMeta, len(list))
	for _, dc := range list {
		if dc.ID == "" {
			continue
		}
		m := &containerMeta{image: dc.Image, runtime: runtime, labels: dc.Labels, fromList: true}
		if len(dc.Names) > 0 {
			m.name = strings.TrimPrefix(dc.Names[0], "/")
		}
		m.fillK8sFromLabels(dc.Labels)
		out[dc.ID] = m
	}
	return out, nil
}

// runtimeName asks the endpoint which engine serves it ("podman" or
// "docker").
func (c *dockerClient) runtimeName(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := c.get(ctx, "/version")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var v struct {
		Components []struct {
			Name string `json:"Name"`
		} `json:"Components"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&v); err != nil {
		return "", fmt.Errorf("docker endpoint %s: decode version: %w", c.endpoint, err)
	}
	for _, comp := range v.Components {
		if strings.Contains(strings.ToLower(comp.Name), "podman") {
			return runtimePodman, nil
		}
	}
	return runtimeDocker, nil
}

// dockerEvent is the subset of one GET /events message the processor uses.
type dockerEvent struct {
	Type   string `json:"Type"`
	Action string `json:"Action"`
	Actor  struct {
		ID         string            `json:"ID"`
		Attributes map[string]string `json:"Attributes"`
	} `json:"Actor"`
}

// events streams container events until ctx ends or the stream breaks,
// calling fn with the action, container id and actor attributes (name,
// image, labels) of each.
func (c *dockerClient) events(ctx context.Context, fn func(action, id string, attrs map[string]string)) error {
	filters := url.QueryEscape(`{"type":["container"]}`)
	resp, err := c.get(ctx, "/events?filters="+filters)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var ev dockerEvent
		if err := dec.Decode(&ev); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("docker endpoint %s: read events: %w", c.endpoint, err)
		}
		if ev.Type == "container" && ev.Actor.ID != "" {
			fn(ev.Action, ev.Actor.ID, ev.Actor.Attributes)
		}
	}
}

func (c *dockerClient) close() {
	c.http.CloseIdleConnections()
}

package httpparse

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config configures the httpparse processor.
type Config struct {
	// PassRawPayloads keeps the consumed net.payload records in the output
	// (they are dropped by default: they hold unredacted bytes).
	PassRawPayloads bool `mapstructure:"pass_raw_payloads"`
	// MaxBodyBytes bounds the body content kept per request and per response.
	MaxBodyBytes int `mapstructure:"max_body_bytes"`
	// MaxHeaderBytes bounds one message head; a longer one is a parse error.
	MaxHeaderBytes int `mapstructure:"max_header_bytes"`
	// DecodeContentEncoding decodes gzip and deflate bodies for display.
	DecodeContentEncoding bool `mapstructure:"decode_content_encoding"`
	// CaptureHeaders emits http.request.header.* and http.response.header.*
	// (traceparent and tracestate are always kept).
	CaptureHeaders bool `mapstructure:"capture_headers"`
	// IdleTimeout is how long a connection may stay silent before its
	// pending exchanges are flushed as incomplete; its state is freed after
	// ten idle timeouts (a keep-alive connection keeps its sequence).
	IdleTimeout time.Duration `mapstructure:"idle_timeout"`
	// MaxConnections bounds the connections tracked at once; the least
	// recently used one is flushed and forgotten when it is exceeded.
	MaxConnections int `mapstructure:"max_connections"`
	// MaxBufferedBytesPerConnection bounds the out-of-order bytes held per
	// connection while waiting for a missing sequence number; past it the
	// missing records are declared lost (a gap).
	MaxBufferedBytesPerConnection int `mapstructure:"max_buffered_bytes_per_connection"`
	// MaxPendingRequests bounds the requests waiting for a response on one
	// connection (pipelining).
	MaxPendingRequests int `mapstructure:"max_pending_requests"`
	// SSE bounds Server-Sent Events decoding.
	SSE SSEConfig `mapstructure:"sse"`
	// Redaction names what is replaced by [REDACTED].
	Redaction RedactionConfig `mapstructure:"redaction"`
	// Include keeps only the exchanges that match (when set).
	Include *FilterConfig `mapstructure:"include"`
	// Exclude drops the exchanges that match (when set).
	Exclude *FilterConfig `mapstructure:"exclude"`
}

// SSEConfig bounds text/event-stream decoding.
type SSEConfig struct {
	// MaxEvents is how many events are listed in sse.events.
	MaxEvents int `mapstructure:"max_events"`
	// MaxEventBytes bounds the data of one listed event.
	MaxEventBytes int `mapstructure:"max_event_bytes"`
	// MaxTextBytes bounds sse.text, sse.thinking and sse.tool_input.
	MaxTextBytes int `mapstructure:"max_text_bytes"`
}

// RedactionConfig names the credentials that are replaced by [REDACTED].
type RedactionConfig struct {
	// Headers are redacted in addition to the defaults (Authorization,
	// Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key, api-key).
	Headers []string `mapstructure:"headers"`
	// JSONFields are the JSON object keys (and form fields) whose string
	// values are redacted in captured bodies, in addition to the defaults.
	JSONFields []string `mapstructure:"json_fields"`
	// DisableDefaults turns the default header and field lists off.
	DisableDefaults bool `mapstructure:"disable_defaults"`
}

// FilterConfig matches exchanges. Every criterion that is set must match;
// within one criterion any entry may match.
type FilterConfig struct {
	// Methods are request methods (case-insensitive).
	Methods []string `mapstructure:"methods"`
	// Hosts are server.address values; shell globs (path.Match) allowed.
	Hosts []string `mapstructure:"hosts"`
	// Paths are regular expressions matched against url.path.
	Paths []string `mapstructure:"paths"`
	// StatusCodes are status codes ("404") or classes ("5xx").
	StatusCodes []string `mapstructure:"status_codes"`
}

// defaultRedactedHeaders returns the headers redacted unless DisableDefaults is set.
func defaultRedactedHeaders() []string {
	return []string{"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"}
}

// defaultRedactedJSONFields returns the body fields redacted unless DisableDefaults is set.
func defaultRedactedJSONFields() []string {
	return []string{"password", "passwd", "secret", "client_secret", "api_key", "apiKey", "access_token", "refresh_token", "id_token"}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.MaxBodyBytes < 0 {
		errs = append(errs, errors.New("max_body_bytes must not be negative"))
	}
	if c.MaxHeaderBytes < 256 {
		errs = append(errs, errors.New("max_header_bytes must be at least 256"))
	}
	if c.IdleTimeout <= 0 {
		errs = append(errs, errors.New("idle_timeout must be positive"))
	}
	if c.MaxConnections <= 0 {
		errs = append(errs, errors.New("max_connections must be positive"))
	}
	if c.MaxBufferedBytesPerConnection <= 0 {
		errs = append(errs, errors.New("max_buffered_bytes_per_connection must be positive"))
	}
	if c.MaxPendingRequests <= 0 {
		errs = append(errs, errors.New("max_pending_requests must be positive"))
	}
	if c.SSE.MaxEvents < 0 {
		errs = append(errs, errors.New("sse.max_events must not be negative"))
	}
	if c.SSE.MaxEventBytes <= 0 {
		errs = append(errs, errors.New("sse.max_event_bytes must be positive"))
	}
	if c.SSE.MaxTextBytes < 0 {
		errs = append(errs, errors.New("sse.max_text_bytes must not be negative"))
	}
	for i, h := range c.Redaction.Headers {
		if strings.TrimSpace(h) == "" {
			errs = append(errs, fmt.Errorf("redaction.headers[%d] must not be empty", i))
		}
	}
	for i, f := range c.Redaction.JSONFields {
		if strings.TrimSpace(f) == "" {
			errs = append(errs, fmt.Errorf("redaction.json_fields[%d] must not be empty", i))
		}
	}
	if c.Include != nil {
		errs = append(errs, c.Include.validate("include"))
	}
	if c.Exclude != nil {
		errs = append(errs, c.Exclude.validate("exclude"))
	}
	return errors.Join(errs...)
}

func (f *FilterConfig) validate(name string) error {
	var errs []error
	for i, h := range f.Hosts {
		if _, err := path.Match(h, ""); err != nil {
			errs = append(errs, fmt.Errorf("%s.hosts[%d] %q is not a valid glob: %w", name, i, h, err))
		}
	}
	for i, p := range f.Paths {
		if _, err := regexp.Compile(p); err != nil {
			errs = append(errs, fmt.Errorf("%s.paths[%d] %q is not a valid regular expression: %w", name, i, p, err))
		}
	}
	for i, s := range f.StatusCodes {
		if _, _, err := parseStatusPattern(s); err != nil {
			errs = append(errs, fmt.Errorf("%s.status_codes[%d]: %w", name, i, err))
		}
	}
	for i, m := range f.Methods {
		if strings.TrimSpace(m) == "" {
			errs = append(errs, fmt.Errorf("%s.methods[%d] must not be empty", name, i))
		}
	}
	return errors.Join(errs...)
}

// parseStatusPattern parses "404" (lo=hi=404) or "4xx" (400..499).
func parseStatusPattern(s string) (lo, hi int, err error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) == 3 && s[1:] == "xx" && s[0] >= '1' && s[0] <= '5' {
		lo = int(s[0]-'0') * 100
		return lo, lo + 99, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 || n > 599 {
		return 0, 0, fmt.Errorf("%q is neither a status code (100-599) nor a class like 5xx", s)
	}
	return n, n, nil
}

package snapshotreceiver

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
)

// minTokenLength is the shortest token accepted in the configuration.
const minTokenLength = 16

// Config is the configuration of the snapshot receiver.
type Config struct {
	// ServerConfig is the HTTP server (endpoint, tls, max_request_body_size, …).
	confighttp.ServerConfig `mapstructure:",squash"`

	// Tokens authenticate the programs that connect (the library's
	// WithToken / OTELCOL_TRACE_TOKEN). At least one is required.
	Tokens []configopaque.String `mapstructure:"tokens"`
	// APITokens authenticate the trigger API (list processes, take
	// snapshots). When empty, the trigger API accepts the Tokens.
	APITokens []configopaque.String `mapstructure:"api_tokens"`
	// MaxSnapshotBytes bounds the size of one uploaded snapshot.
	MaxSnapshotBytes int64 `mapstructure:"max_snapshot_bytes"`
	// SnapshotTimeout is how long a trigger waits for the processes'
	// snapshots (a request may ask for less).
	SnapshotTimeout time.Duration `mapstructure:"snapshot_timeout"`
	// HeartbeatInterval is how often the order stream carries a heartbeat;
	// a client reconnects after three silent intervals.
	HeartbeatInterval time.Duration `mapstructure:"heartbeat_interval"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var _ component.Config = (*Config)(nil)

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.NetAddr.Endpoint == "" {
		errs = append(errs, errors.New("endpoint: must not be empty"))
	}
	if len(c.Tokens) == 0 {
		errs = append(errs, errors.New("tokens: at least one token is required"))
	}
	for i, t := range c.Tokens {
		if len(t) < minTokenLength {
			errs = append(errs, fmt.Errorf("tokens[%d]: must be at least %d characters", i, minTokenLength))
		}
	}
	for i, t := range c.APITokens {
		if len(t) < minTokenLength {
			errs = append(errs, fmt.Errorf("api_tokens[%d]: must be at least %d characters", i, minTokenLength))
		}
	}
	if c.MaxSnapshotBytes <= 0 {
		errs = append(errs, errors.New("max_snapshot_bytes: must be positive"))
	}
	if c.MaxRequestBodySize > 0 && c.MaxSnapshotBytes > c.MaxRequestBodySize {
		errs = append(errs, fmt.Errorf("max_snapshot_bytes: %d exceeds max_request_body_size %d", c.MaxSnapshotBytes, c.MaxRequestBodySize))
	}
	if c.SnapshotTimeout <= 0 {
		errs = append(errs, errors.New("snapshot_timeout: must be positive"))
	}
	if c.HeartbeatInterval <= 0 {
		errs = append(errs, errors.New("heartbeat_interval: must be positive"))
	}
	return errors.Join(errs...)
}

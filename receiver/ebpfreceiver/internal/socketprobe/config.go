// Package socketprobe is the `socket` probe of the ebpf receiver (opt-in):
// the plaintext bytes of read/write/readv/writev/sendto/recvfrom/sendmsg/
// recvmsg on TCP sockets, as the same net.payload records the tls probe emits
// (docs/events.md, "Payloads"), so that plain HTTP reaches httpparse too.
// Port and peer-address filters run in the kernel.
package socketprobe // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/socketprobe"

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe/payload"
)

// Name is the probe's name in the receiver's config and metrics.
const Name = "socket"

// maxFilterEntries is the size of the in-kernel port and address maps.
const maxFilterEntries = 256

// Config configures the socket probe.
type Config struct {
	// Enabled switches the probe on (it is opt-in: off by default).
	Enabled bool `mapstructure:"enabled"`
	// Ports keeps only sockets whose local or peer port is listed (empty:
	// every TCP socket).
	Ports []int `mapstructure:"ports"`
	// Addresses keeps only sockets whose peer address is one of these IP
	// addresses or CIDR prefixes (empty: any peer).
	Addresses []string `mapstructure:"addresses"`
	// MaxPayloadBytes bounds the bytes captured of one call (chunks of
	// 16 KiB); the rest is marked payload.truncated.
	MaxPayloadBytes int `mapstructure:"max_payload_bytes"`
}

// NewDefaultConfig returns the default configuration: disabled; when enabled,
// every TCP socket, 64 KiB per call.
func NewDefaultConfig() Config {
	return Config{MaxPayloadBytes: 64 << 10}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	limit := payload.MaxChunkBytes * payload.MaxChunks
	if c.MaxPayloadBytes <= 0 || c.MaxPayloadBytes > limit {
		errs = append(errs, fmt.Errorf("max_payload_bytes must be between 1 and %d, got %d", limit, c.MaxPayloadBytes))
	}
	if len(c.Ports) > maxFilterEntries {
		errs = append(errs, fmt.Errorf("ports may list at most %d ports, got %d", maxFilterEntries, len(c.Ports)))
	}
	for i, p := range c.Ports {
		if p <= 0 || p > 65535 {
			errs = append(errs, fmt.Errorf("ports[%d] must be between 1 and 65535, got %d", i, p))
		}
	}
	if len(c.Addresses) > maxFilterEntries {
		errs = append(errs, fmt.Errorf("addresses may list at most %d entries, got %d", maxFilterEntries, len(c.Addresses)))
	}
	for i, a := range c.Addresses {
		if _, err := parsePrefix(a); err != nil {
			errs = append(errs, fmt.Errorf("addresses[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

// parsePrefix parses an IP address or CIDR prefix into an IPv6 prefix
// (IPv4 as IPv4-mapped IPv6, as the kernel map holds it).
func parsePrefix(s string) (netip.Prefix, error) {
	var p netip.Prefix
	if a, err := netip.ParseAddr(s); err == nil {
		p = netip.PrefixFrom(a, a.BitLen())
	} else if p, err = netip.ParsePrefix(s); err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is neither an IP address nor a CIDR prefix", s)
	}
	if p.Addr().Is4() {
		return netip.PrefixFrom(netip.AddrFrom16(p.Addr().As16()), p.Bits()+96), nil
	}
	return p, nil
}

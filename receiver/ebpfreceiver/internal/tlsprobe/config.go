// Package tlsprobe is the `tls` probe of the ebpf receiver: uprobes on
// OpenSSL (SSL_read/SSL_write and their _ex variants, also statically linked
// OpenSSL/BoringSSL found by symbol), GnuTLS (gnutls_record_recv/send) and
// Go crypto/tls ((*Conn).Read/Write, returns hooked at the RET instructions)
// that emit the plaintext of every call as net.payload records
// (docs/events.md, "Payloads"). Libraries and binaries are discovered in the
// running processes at start and after every exec, and attached once per
// file (inode).
package tlsprobe // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe"

import (
	"errors"
	"fmt"
	"time"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe/payload"
)

// Name is the probe's name in the receiver's config and metrics.
const Name = "tls"

// MaxPayloadLimit is the largest accepted max_payload_bytes (64 chunks of
// 16 KiB, the in-kernel bound of one call).
const MaxPayloadLimit = payload.MaxChunkBytes * payload.MaxChunks

// Config configures the tls probe.
type Config struct {
	// Enabled switches the probe on.
	Enabled bool `mapstructure:"enabled"`
	// OpenSSL hooks OpenSSL/BoringSSL (libssl and static copies).
	OpenSSL bool `mapstructure:"openssl"`
	// GnuTLS hooks libgnutls.
	GnuTLS bool `mapstructure:"gnutls"`
	// GoTLS hooks crypto/tls in Go binaries that have a symbol table.
	GoTLS bool `mapstructure:"go_tls"`
	// MaxPayloadBytes bounds the bytes captured of one call; a larger call
	// is captured up to this limit and marked payload.truncated. Calls are
	// emitted in chunks of 16 KiB.
	MaxPayloadBytes int `mapstructure:"max_payload_bytes"`
	// SystemLibraries attaches, at start, to the TLS libraries in the
	// standard library directories even when no process maps them yet, so
	// that a process which loads one later (dlopen, e.g. Python's ssl
	// module) is traced from its first call. Those attachments stay for the
	// life of the probe.
	SystemLibraries bool `mapstructure:"system_libraries"`
	// LibraryPaths are extra library or executable files to attach at
	// start (kept for the life of the probe).
	LibraryPaths []string `mapstructure:"library_paths"`
	// RescanInterval is how often all processes are rescanned for new
	// mappings (libraries loaded late) and for files nobody maps any more
	// (detached). Exec'ed processes are scanned at once.
	RescanInterval time.Duration `mapstructure:"rescan_interval"`
}

// NewDefaultConfig returns the default configuration: enabled, all three libraries,
// 64 KiB per call, system libraries attached, rescan every 10s.
func NewDefaultConfig() Config {
	return Config{
		Enabled:         true,
		OpenSSL:         true,
		GnuTLS:          true,
		GoTLS:           true,
		MaxPayloadBytes: 64 << 10,
		SystemLibraries: true,
		RescanInterval:  10 * time.Second,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if !c.OpenSSL && !c.GnuTLS && !c.GoTLS {
		errs = append(errs, errors.New("openssl, gnutls and go_tls are all false: enable at least one"))
	}
	if c.MaxPayloadBytes <= 0 || c.MaxPayloadBytes > MaxPayloadLimit {
		errs = append(errs, fmt.Errorf("max_payload_bytes must be between 1 and %d, got %d", MaxPayloadLimit, c.MaxPayloadBytes))
	}
	if c.RescanInterval < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("rescan_interval must be at least 100ms, got %s", c.RescanInterval))
	}
	for i, p := range c.LibraryPaths {
		if p == "" || p[0] != '/' {
			errs = append(errs, fmt.Errorf("library_paths[%d] must be an absolute path, got %q", i, p))
		}
	}
	return errors.Join(errs...)
}

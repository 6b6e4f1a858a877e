// Package ebpfreceiver implements the `ebpf` receiver of otelcol-trace: it
// traces processes with eBPF probes (process lifecycle, and the file,
// network, syscall, log-capture, TLS and socket probes) and emits the log
// records and process spans that docs/events.md describes.
//
// The receiver is Linux-only; on other platforms the factory exists and
// creating the receiver fails with a clear error.
package ebpfreceiver // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver"

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/fileprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/logcapture"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/netprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/processprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/socketprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/syscallprobe"
	"github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe"
)

// defaultWakeupBytes is the default ring_buffer.wakeup_bytes.
const defaultWakeupBytes = 256 << 10

const (
	typeStr   = "ebpf"
	stability = component.StabilityLevelAlpha
)

// componentType is the receiver's type, "ebpf".
func componentType() component.Type { return component.MustNewType(typeStr) }

// NewFactory returns the factory of the ebpf receiver (logs and traces).
// One receiver instance serves both signals of the same component id.
func NewFactory() receiver.Factory {
	instances := &instanceMap{m: map[*Config]*ebpfReceiver{}}
	return receiver.NewFactory(
		componentType(),
		createDefaultConfig,
		receiver.WithLogs(instances.createLogs, stability),
		receiver.WithTraces(instances.createTraces, stability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		Probes: ProbesConfig{
			Process:    processprobe.DefaultConfig(),
			File:       fileprobe.NewDefaultConfig(),
			Network:    netprobe.NewDefaultConfig(),
			Syscall:    syscallprobe.NewDefaultConfig(),
			LogCapture: logcapture.NewDefaultConfig(),
			TLS:        tlsOffByDefault(),
			Socket:     socketprobe.NewDefaultConfig(),
		},
		RingBuffer: RingBufferConfig{
			Size:         8 << 20,
			WakeupBytes:  defaultWakeupBytes,
			PollInterval: 50 * time.Millisecond,
		},
		Filters:       FiltersConfig{ExcludeSelf: true},
		QueueSize:     16384,
		FlushInterval: 200 * time.Millisecond,
	}
}

// instanceMap shares one receiver between the logs and traces pipelines
// of a config (keyed by the config pointer, as collector core's
// sharedcomponent does).
type instanceMap struct {
	mu sync.Mutex
	m  map[*Config]*ebpfReceiver
}

func (im *instanceMap) get(set receiver.Settings, cfg *Config) (*ebpfReceiver, error) {
	im.mu.Lock()
	defer im.mu.Unlock()
	if r, ok := im.m[cfg]; ok {
		return r, nil
	}
	r, err := newReceiver(set, cfg, func() {
		im.mu.Lock()
		delete(im.m, cfg)
		im.mu.Unlock()
	})
	if err != nil {
		return nil, err
	}
	im.m[cfg] = r
	return r, nil
}

func (im *instanceMap) createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	r, err := im.get(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	r.setLogs(next)
	return r, nil
}

func (im *instanceMap) createTraces(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Traces) (receiver.Traces, error) {
	r, err := im.get(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	r.setTraces(next)
	return r, nil
}

// tlsOffByDefault is the tls probe's default config, switched off: payload
// capture shows the plaintext of every process's TLS traffic, so a user
// turns it on knowingly (probes.tls.enabled: true).
func tlsOffByDefault() tlsprobe.Config {
	cfg := tlsprobe.NewDefaultConfig()
	cfg.Enabled = false
	return cfg
}

// Package localstoreexporter implements the localstore exporter: it writes
// logs, spans and metric data points into an embedded SQLite database in a
// data directory, so that `otelcol-trace events` can answer "which files did
// nginx open" on a machine without any observability backend. The on-disk
// format is in the store sub-package.
package localstoreexporter

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// typeStr is the component type.
const typeStr = "localstore"

// stability of the exporter for every signal.
const stability = component.StabilityLevelAlpha

// Defaults, see README.md.
const (
	defaultMaxRecords    = 2000
	defaultFlushInterval = time.Second
	defaultQueueSize     = 1000
	defaultMaxAge        = 72 * time.Hour
	defaultMaxSizeMiB    = 1024
	defaultCheckInterval = time.Minute
	defaultMinuteRollups = 48 * time.Hour
	defaultHourRollups   = 30 * 24 * time.Hour
)

// NewFactory returns the factory of the localstore exporter. The logs, traces
// and metrics exporters created from one configuration share one store.
func NewFactory() exporter.Factory {
	f := &factory{stores: map[*Config]*sharedStore{}}
	return exporter.NewFactory(
		component.MustNewType(typeStr),
		createDefaultConfig,
		exporter.WithLogs(f.createLogs, stability),
		exporter.WithTraces(f.createTraces, stability),
		exporter.WithMetrics(f.createMetrics, stability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		Batch: BatchConfig{
			MaxRecords:    defaultMaxRecords,
			FlushInterval: defaultFlushInterval,
			QueueSize:     defaultQueueSize,
		},
		Retention: RetentionConfig{
			MaxAge:        defaultMaxAge,
			MaxSizeMiB:    defaultMaxSizeMiB,
			CheckInterval: defaultCheckInterval,
			MinuteRollups: defaultMinuteRollups,
			HourRollups:   defaultHourRollups,
		},
	}
}

// factory holds the stores shared by the signal exporters of one
// configuration.
type factory struct {
	mu     sync.Mutex
	stores map[*Config]*sharedStore
}

// sharedStore is one localStore used by up to three signal exporters; it
// opens on the first Start and closes on the last Shutdown.
type sharedStore struct {
	f       *factory
	cfg     *Config
	ls      *localStore
	mu      sync.Mutex
	started int
}

func (f *factory) get(cfg *Config, set exporter.Settings) *sharedStore {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.stores[cfg]; ok {
		return s
	}
	s := &sharedStore{f: f, cfg: cfg, ls: newLocalStore(cfg, set)}
	f.stores[cfg] = s
	return s
}

func (s *sharedStore) start(ctx context.Context, host component.Host) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started == 0 {
		if err := s.ls.start(ctx, host); err != nil {
			return err
		}
	}
	s.started++
	return nil
}

func (s *sharedStore) shutdown(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started == 0 {
		// Shutdown without start (a pipeline that failed to start): forget
		// the store so that the factory does not keep it.
		s.f.mu.Lock()
		delete(s.f.stores, s.cfg)
		s.f.mu.Unlock()
		return nil
	}
	s.started--
	if s.started > 0 {
		return nil
	}
	s.f.mu.Lock()
	delete(s.f.stores, s.cfg)
	s.f.mu.Unlock()
	return s.ls.shutdown(ctx)
}

func helperOptions(s *sharedStore) []exporterhelper.Option {
	return []exporterhelper.Option{
		exporterhelper.WithStart(s.start),
		exporterhelper.WithShutdown(s.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		// The store batches and queues itself; a request is accepted once
		// it is queued for the writer.
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: 0}),
	}
}

func (f *factory) createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	s := f.get(cfg.(*Config), set)
	return exporterhelper.NewLogs(ctx, set, cfg, s.ls.consumeLogs, helperOptions(s)...)
}

func (f *factory) createTraces(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	s := f.get(cfg.(*Config), set)
	return exporterhelper.NewTraces(ctx, set, cfg, s.ls.consumeTraces, helperOptions(s)...)
}

func (f *factory) createMetrics(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
	s := f.get(cfg.(*Config), set)
	return exporterhelper.NewMetrics(ctx, set, cfg, s.ls.consumeMetrics, helperOptions(s)...)
}

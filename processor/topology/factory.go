// Package topologyprocessor implements the `topology` processor: it adds
// container (container.id, container.name, container.image.*,
// container.runtime.name, container.label.*), Kubernetes (k8s.pod.*,
// k8s.namespace.name, k8s.container.name) and namespace
// (linux.namespace.*) attributes to every log record, span and data point
// that carries a cgroup id (linux.cgroup.id) or a pid (process.pid), using a
// cache of the host's cgroups kept fresh from cgroupfs and the container
// runtimes, so that records of processes that already exited still resolve.
package topologyprocessor // import "github.com/otelcol-trace/otelcol-trace/processor/topology"

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/otelcol-trace/otelcol-trace/internal/ratelog"
)

const (
	typeStr   = "topology"
	stability = component.StabilityLevelAlpha
)

// NewFactory returns the factory of the topology processor. The logs,
// traces and metrics processors created from one configuration share one
// cgroup cache.
func NewFactory() processor.Factory {
	shared := &sharedResolvers{byConfig: map[*Config]*sharedResolver{}}
	return processor.NewFactory(
		component.MustNewType(typeStr),
		createDefaultConfig,
		processor.WithLogs(shared.createLogs, stability),
		processor.WithTraces(shared.createTraces, stability),
		processor.WithMetrics(shared.createMetrics, stability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		ProcRoot: "/proc",
		DockerEndpoints: []string{
			"unix:///var/run/docker.sock",
			"unix:///run/podman/podman.sock",
		},
		OCIStateDirs: []string{
			"/run/containerd/io.containerd.runtime.v2.task",
			"/run/containers/storage/overlay-containers",
		},
		RuntimeTimeout: 2 * time.Second,
		WaitTimeout:    200 * time.Millisecond,
		RescanInterval: 10 * time.Second,
		WatchCgroups:   true,
		Cache: CacheConfig{
			MaxEntries: 16384,
			RemovedTTL: 10 * time.Minute,
			ProcessTTL: 5 * time.Second,
		},
		ContainerLabels: []string{"*"},
	}
}

// sharedResolvers hands one resolver to every processor created from the
// same configuration; it is started by the first and stopped by the last.
type sharedResolvers struct {
	mu       sync.Mutex
	byConfig map[*Config]*sharedResolver
}

type sharedResolver struct {
	res     *resolver
	tel     *telemetry
	started int
	created int
}

func (s *sharedResolvers) get(set processor.Settings, cfg *Config) (*sharedResolver, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sr, ok := s.byConfig[cfg]; ok {
		sr.created++
		return sr, nil
	}
	hfs, err := newHostFS(cfg)
	if err != nil {
		return nil, fmt.Errorf("topology processor: %w", err)
	}
	tel, err := newTelemetry(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("topology processor: %w", err)
	}
	res, err := newResolverWithFS(cfg, set.Logger, tel, hfs)
	if err != nil {
		return nil, fmt.Errorf("topology processor: %w", err)
	}
	if err := tel.observeEntries(set.TelemetrySettings, res.entries); err != nil {
		return nil, fmt.Errorf("topology processor: %w", err)
	}
	sr := &sharedResolver{res: res, tel: tel, created: 1}
	s.byConfig[cfg] = sr
	return sr, nil
}

// lifecycle returns the Start and Shutdown of one processor instance.
func (s *sharedResolvers) lifecycle(cfg *Config, sr *sharedResolver) (component.StartFunc, component.ShutdownFunc) {
	var startedThis bool
	var once sync.Once
	start := func(ctx context.Context, _ component.Host) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if startedThis {
			return nil
		}
		startedThis = true
		sr.started++
		if sr.started == 1 {
			sr.res.start(ctx)
		}
		return nil
	}
	shutdown := func(context.Context) error {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if startedThis {
				sr.started--
				if sr.started == 0 {
					sr.res.shutdown()
				}
			}
			sr.created--
			if sr.created == 0 {
				sr.tel.close()
				delete(s.byConfig, cfg)
			}
		})
		return nil
	}
	return start, shutdown
}

func (s *sharedResolvers) newProcessor(set processor.Settings, cfg component.Config) (*topologyProcessor, *sharedResolver, *Config, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, nil, nil, fmt.Errorf("topology processor: unexpected config type %T", cfg)
	}
	sr, err := s.get(set, c)
	if err != nil {
		return nil, nil, nil, err
	}
	host := c.HostName
	if host == "" {
		host, _ = os.Hostname()
	}
	p := &topologyProcessor{
		cfg:      c,
		res:      sr.res,
		hostName: host,
		logger:   set.Logger,
		tel:      sr.tel,
		// The clock is read through the resolver's, which tests replace.
		missLog: ratelog.New(set.Logger, logInterval, ratelog.WithClock(func() time.Time { return sr.res.now() })),
	}
	return p, sr, c, nil
}

func (s *sharedResolvers) createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	p, sr, c, err := s.newProcessor(set, cfg)
	if err != nil {
		return nil, err
	}
	start, shutdown := s.lifecycle(c, sr)
	return processorhelper.NewLogs(ctx, set, cfg, next, p.processLogs,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		processorhelper.WithStart(start),
		processorhelper.WithShutdown(shutdown))
}

func (s *sharedResolvers) createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	p, sr, c, err := s.newProcessor(set, cfg)
	if err != nil {
		return nil, err
	}
	start, shutdown := s.lifecycle(c, sr)
	return processorhelper.NewTraces(ctx, set, cfg, next, p.processTraces,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		processorhelper.WithStart(start),
		processorhelper.WithShutdown(shutdown))
}

func (s *sharedResolvers) createMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	p, sr, c, err := s.newProcessor(set, cfg)
	if err != nil {
		return nil, err
	}
	start, shutdown := s.lifecycle(c, sr)
	return processorhelper.NewMetrics(ctx, set, cfg, next, p.processMetrics,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		processorhelper.WithStart(start),
		processorhelper.WithShutdown(shutdown))
}

package topologyprocessor // import "github.com/otelcol-trace/otelcol-trace/processor/topology"

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"
)

// Config is the configuration of the topology processor.
type Config struct {
	// CgroupRoot is the mount point of the cgroup v2 (unified) hierarchy
	// whose directory inode numbers are the cgroup ids the eBPF probes
	// report. Empty means detect it: /sys/fs/cgroup on a pure v2 host,
	// /sys/fs/cgroup/unified on a hybrid one.
	CgroupRoot string `mapstructure:"cgroup_root"`
	// ProcRoot is the mount point of the host's procfs.
	ProcRoot string `mapstructure:"proc_root"`
	// HostName is written as host.name on every resource that lacks it.
	// Empty means os.Hostname().
	HostName string `mapstructure:"host_name"`

	// DockerEndpoints are the Docker Engine API endpoints (unix:///path or
	// http://host:port) asked for container names, images and labels.
	// Podman serves the same API (podman system service). Endpoints whose
	// socket does not exist are skipped and retried later.
	DockerEndpoints []string `mapstructure:"docker_endpoints"`
	// OCIStateDirs are directories where containerd and CRI-O keep each
	// running container's OCI runtime spec (config.json), whose annotations
	// carry the Kubernetes pod, namespace, container and image names.
	OCIStateDirs []string `mapstructure:"oci_state_dirs"`
	// RuntimeTimeout bounds each call to a container runtime's API.
	RuntimeTimeout time.Duration `mapstructure:"runtime_timeout"`

	// WaitTimeout is how long one batch may wait for the metadata of a
	// cgroup or container seen for the first time (a cgroupfs rescan and
	// the runtime lookups it starts). Zero never waits: such records pass
	// without the metadata, counted, and later records get it.
	WaitTimeout time.Duration `mapstructure:"wait_timeout"`
	// RescanInterval is the period of the full cgroupfs walk that keeps the
	// cache fresh besides the runtime's event stream and cgroup
	// directory-creation notifications.
	RescanInterval time.Duration `mapstructure:"rescan_interval"`
	// WatchCgroups watches cgroupfs with inotify so that a cgroup is known
	// as soon as its directory is created, even when it lives shorter than
	// the rescan interval.
	WatchCgroups bool `mapstructure:"watch_cgroups"`

	// Cache bounds the cgroup cache.
	Cache CacheConfig `mapstructure:"cache"`

	// ContainerLabels are glob patterns (path.Match) of the container labels
	// written as container.label.<key>. Empty writes none.
	ContainerLabels []string `mapstructure:"container_labels"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// CacheConfig bounds the cache of cgroups and processes.
type CacheConfig struct {
	// MaxEntries is the largest number of cgroups kept; the least recently
	// used removed cgroups go first, then the least recently used ones.
	MaxEntries int `mapstructure:"max_entries"`
	// RemovedTTL is how long a cgroup stays resolvable after its directory
	// disappeared, so that late events (process.exit after the container was
	// removed) still resolve.
	RemovedTTL time.Duration `mapstructure:"removed_ttl"`
	// ProcessTTL is how long the namespaces and cgroup read from
	// /proc/<pid> are reused for a pid.
	ProcessTTL time.Duration `mapstructure:"process_ttl"`
}

// Validate checks the configuration.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.ProcRoot == "" {
		errs = append(errs, errors.New("proc_root must not be empty"))
	}
	for i, ep := range cfg.DockerEndpoints {
		if err := validateEndpoint(ep); err != nil {
			errs = append(errs, fmt.Errorf("docker_endpoints[%d]: %w", i, err))
		}
	}
	for i, d := range cfg.OCIStateDirs {
		if d == "" || !strings.HasPrefix(d, "/") {
			errs = append(errs, fmt.Errorf("oci_state_dirs[%d] must be an absolute path, got %q", i, d))
		}
	}
	if cfg.RuntimeTimeout <= 0 {
		errs = append(errs, fmt.Errorf("runtime_timeout must be positive, got %s", cfg.RuntimeTimeout))
	}
	if cfg.WaitTimeout < 0 {
		errs = append(errs, fmt.Errorf("wait_timeout must not be negative, got %s", cfg.WaitTimeout))
	}
	if cfg.WaitTimeout > 10*time.Second {
		errs = append(errs, fmt.Errorf("wait_timeout must be at most 10s (it delays the pipeline), got %s", cfg.WaitTimeout))
	}
	if cfg.RescanInterval < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("rescan_interval must be at least 100ms, got %s", cfg.RescanInterval))
	}
	if cfg.Cache.MaxEntries <= 0 {
		errs = append(errs, fmt.Errorf("cache.max_entries must be positive, got %d", cfg.Cache.MaxEntries))
	}
	if cfg.Cache.RemovedTTL <= 0 {
		errs = append(errs, fmt.Errorf("cache.removed_ttl must be positive, got %s", cfg.Cache.RemovedTTL))
	}
	if cfg.Cache.ProcessTTL <= 0 {
		errs = append(errs, fmt.Errorf("cache.process_ttl must be positive, got %s", cfg.Cache.ProcessTTL))
	}
	for i, p := range cfg.ContainerLabels {
		if _, err := path.Match(p, ""); err != nil {
			errs = append(errs, fmt.Errorf("container_labels[%d] %q is not a valid pattern: %w", i, p, err))
		}
	}
	return errors.Join(errs...)
}

func validateEndpoint(ep string) error {
	u, err := url.Parse(ep)
	if err != nil {
		return fmt.Errorf("invalid endpoint %q: %w", ep, err)
	}
	switch u.Scheme {
	case "unix":
		if u.Path == "" || !strings.HasPrefix(u.Path, "/") {
			return fmt.Errorf("unix endpoint %q needs an absolute socket path (unix:///run/docker.sock)", ep)
		}
	case "http":
		if u.Host == "" {
			return fmt.Errorf("http endpoint %q needs a host", ep)
		}
	default:
		return fmt.Errorf("endpoint %q: scheme must be unix or http", ep)
	}
	return nil
}

package topologyprocessor // import "github.com/otelcol-trace/otelcol-trace/processor/topology"

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-trace/otelcol-trace/internal/ratelog"
)

// logInterval is the least time between two log entries about failures or
// missing metadata.
const logInterval = 30 * time.Second

// errLogKey is the ratelog key of the resolver's failure warnings.
const errLogKey = "resolver_error"

// Reasons of otelcol_topology_metadata_missing.
const (
	missingUnknownCgroup = "unknown_cgroup"   // the cgroup id is not (or no longer) in cgroupfs
	missingRuntime       = "runtime_metadata" // a container, but no runtime knows its name/image
	missingProcessGone   = "process_gone"     // only a pid, and the process has exited
	missingNamespaces    = "namespaces"       // namespace inodes unknown
)

// nsSet holds the inode numbers of a task's namespaces; zero is unknown.
type nsSet struct{ pid, mnt, net, uts int64 }

func (n nsSet) known() bool { return n.pid != 0 && n.mnt != 0 && n.net != 0 && n.uts != 0 }

// hostFS is what the resolver reads from the host: cgroupfs and procfs.
// Its Linux implementation is in hostfs_linux.go.
type hostFS interface {
	// walkCgroups calls fn for every directory of the cgroup v2 hierarchy
	// with its id (inode number) and path relative to the root ("/" first).
	walkCgroups(fn func(id uint64, path string)) error
	// cgroupNamespaces samples the namespaces of one process of the cgroup.
	cgroupNamespaces(path string) (nsSet, bool)
	// cgroupID returns the id of the cgroup at path.
	cgroupID(path string) (uint64, error)
	// pidNamespaces reads /proc/<pid>/ns; fs.ErrNotExist when gone.
	pidNamespaces(pid int64) (nsSet, error)
	// pidCgroup reads /proc/<pid>/cgroup; fs.ErrNotExist when gone.
	pidCgroup(pid int64) (v2Path, v1Path string, err error)
	// hasUnified reports whether a cgroup v2 hierarchy is mounted.
	hasUnified() bool
	// watchCgroups notifies (without blocking) when a cgroup directory is
	// created, until ctx ends; warn reports a partial failure.
	watchCgroups(ctx context.Context, notify func(), warn func(error)) error
}

// cgroupEntry is what the cache knows about one cgroup.
type cgroupEntry struct {
	path string
	ref  containerRef
	ns   nsSet
	// attrs are the container/k8s attributes; replaced, never mutated.
	attrs []attr
	// metaDone is true when the runtime metadata is known, or when the
	// cgroup is not a container.
	metaDone bool
	// metaTries counts runtime lookups that did not find the container.
	metaTries int
	removedAt time.Time
	lastUsed  atomic.Int64
}

// pidEntry caches what /proc/<pid> said.
type pidEntry struct {
	gone     bool
	ns       nsSet
	cgroupID uint64
	ref      containerRef // from the v1 path when there is no v2 hierarchy
	expires  time.Time
}

// refreshCycle is one run of the walk loop or of the runtime-lookup loop;
// done is closed when it ends.
type refreshCycle struct {
	done  chan struct{}
	start time.Time
	// meta, set on a walk cycle that found containers without metadata
	// before its done is closed, is the lookup cycle that will cover them.
	meta *refreshCycle
}

func newCycle() *refreshCycle { return &refreshCycle{done: make(chan struct{})} }

// resolution is the answer for one key.
type resolution struct {
	attrs   []attr
	ns      nsSet
	missing string
	// pending is true when a refresh not yet done may still fill it.
	pending bool
}

// resolver is the cgroup cache shared by the logs, traces and metrics
// processors of one configuration.
type resolver struct {
	cfg    *Config
	logger *zap.Logger
	tel    *telemetry
	fs     hostFS
	docker []*dockerClient
	oci    []ociStateDir
	now    func() time.Time
	host   nsSet

	mu sync.RWMutex
	// cgroups is keyed by cgroup id.
	cgroups map[uint64]*cgroupEntry
	// metas is keyed by container id, from the runtimes' container lists.
	metas map[string]*containerMeta
	// unknown remembers when an unknown cgroup id was first asked for.
	unknown map[uint64]time.Time
	// lastDone is the start of the last completed walk.
	lastDone time.Time
	nextWalk *refreshCycle
	nextMeta *refreshCycle

	pidMu sync.Mutex
	pids  map[int64]*pidEntry

	walkReq chan struct{}
	metaReq chan struct{}
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	// errLog rate-limits the warnings about runtime API and cgroupfs walk
	// failures; both share one key, so one interval.
	errLog *ratelog.Logger
	// lookupMu serializes runtime lookups.
	lookupMu sync.Mutex
	// rtMu guards dockerRT, the engine behind each Docker API endpoint
	// (docker or podman), once known.
	rtMu     sync.Mutex
	dockerRT []string
}

func newResolverWithFS(cfg *Config, logger *zap.Logger, tel *telemetry, hfs hostFS) (*resolver, error) {
	r := &resolver{
		cfg:      cfg,
		logger:   logger,
		tel:      tel,
		fs:       hfs,
		now:      time.Now,
		cgroups:  map[uint64]*cgroupEntry{},
		metas:    map[string]*containerMeta{},
		unknown:  map[uint64]time.Time{},
		pids:     map[int64]*pidEntry{},
		nextWalk: newCycle(),
		nextMeta: newCycle(),
		walkReq:  make(chan struct{}, 1),
		metaReq:  make(chan struct{}, 1),
	}
	for _, ep := range cfg.DockerEndpoints {
		c, err := newDockerClient(ep, cfg.RuntimeTimeout)
		if err != nil {
			return nil, err
		}
		r.docker = append(r.docker, c)
		r.dockerRT = append(r.dockerRT, "")
	}
	for _, d := range cfg.OCIStateDirs {
		r.oci = append(r.oci, ociStateDir{dir: d})
	}
	// The clock is read through r.now, which tests replace.
	r.errLog = ratelog.New(logger, logInterval, ratelog.WithClock(func() time.Time { return r.now() }))
	r.host = hostNamespaces(hfs, logger)
	return r, nil
}

// initPidNSInode is the inode number of the kernel's initial pid namespace
// (PROC_PID_INIT_INO), the same on every Linux host.
const initPidNSInode = 0xEFFFFFFC

// hostNamespaces reads the host's namespaces from pid 1, or, where pid 1's
// are not readable (some sandboxes deny it even to root), from the
// collector's own process when that is in the initial pid namespace.
func hostNamespaces(hfs hostFS, logger *zap.Logger) nsSet {
	host, err := hfs.pidNamespaces(1)
	if err == nil && host.known() {
		return host
	}
	self, selfErr := hfs.pidNamespaces(int64(os.Getpid()))
	if selfErr == nil && self.pid == initPidNSInode {
		logger.Debug("pid 1's namespaces are not readable; taking the collector's own as the host's", zap.Error(err))
		return self
	}
	logger.Warn("cannot read the host's namespaces; linux.namespace.host will be missing", zap.NamedError("pid1", err), zap.NamedError("self", selfErr))
	return nsSet{}
}

// start starts the walk loop, the runtime-lookup loop, the runtime event
// streams and the cgroupfs watch, and waits for the warm-up (the first walk
// of cgroupfs and the runtime lookups it starts) at most runtime_timeout,
// so that a hung runtime cannot hold the collector's start.
func (r *resolver) start(ctx context.Context) {
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel = cancel
	r.mu.RLock()
	first := r.nextWalk
	r.mu.RUnlock()
	r.wg.Add(2)
	go r.walkLoop(bg)
	go r.metaLoop(bg)
	defer func() {
		if !r.waitCycle(ctx, first, r.cfg.RuntimeTimeout) {
			r.logger.Warn("the cache warm-up did not finish within runtime_timeout; continuing in the background")
		}
	}()
	for i := range r.docker {
		r.wg.Add(1)
		go r.followEvents(bg, i)
	}
	if r.cfg.WatchCgroups {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			warn := func(err error) { r.logger.Warn("cgroupfs watch incomplete", zap.Error(err)) }
			if err := r.fs.watchCgroups(bg, r.requestRefresh, warn); err != nil && bg.Err() == nil {
				r.logger.Warn("cannot watch cgroupfs; relying on the periodic rescan", zap.Error(err))
			}
		}()
	}
}

func (r *resolver) shutdown() {
	if r.cancel != nil {
		r.cancel()
	}
	r.wg.Wait()
	for _, c := range r.docker {
		c.close()
	}
}

// walkLoop walks cgroupfs at start, every rescan_interval and when asked.
// It never waits for a runtime, so that a slow runtime API cannot delay
// seeing a short-lived container's cgroup.
func (r *resolver) walkLoop(ctx context.Context) {
	defer r.wg.Done()
	t := time.NewTicker(r.cfg.RescanInterval)
	defer t.Stop()
	r.walk(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.walkReq:
		}
		r.walk(ctx)
	}
}

// metaLoop looks up the runtime metadata of the containers the walks found,
// when a walk asks.
func (r *resolver) metaLoop(ctx context.Context) {
	defer r.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.metaReq:
		}
		r.fetchMetas(ctx)
	}
}

// requestRefresh asks the walk loop for a walk without blocking.
func (r *resolver) requestRefresh() {
	select {
	case r.walkReq <- struct{}{}:
	default:
	}
}

func (r *resolver) requestMeta() {
	select {
	case r.metaReq <- struct{}{}:
	default:
	}
}

// refreshAndWait requests a walk that starts after now and waits for it and
// for the runtime lookups it starts, at most timeout in all.
func (r *resolver) refreshAndWait(ctx context.Context, timeout time.Duration) {
	if timeout <= 0 {
		r.requestRefresh()
		return
	}
	r.mu.RLock()
	c := r.nextWalk
	r.mu.RUnlock()
	r.requestRefresh()
	if !r.waitCycle(ctx, c, timeout) && ctx.Err() == nil {
		r.tel.waitTimeouts.Add(ctx, 1)
	}
}

// waitCycle waits for a walk cycle and the lookup cycle it started, at
// most timeout; it reports whether both ended.
func (r *resolver) waitCycle(ctx context.Context, c *refreshCycle, timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
	if c.meta == nil {
		return true
	}
	select {
	case <-c.meta.done:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// followEvents keeps a container event stream open on one Docker API
// endpoint: a container that starts is looked up at once, so that its
// metadata is cached before its first record arrives.
func (r *resolver) followEvents(ctx context.Context, i int) {
	defer r.wg.Done()
	c := r.docker[i]
	backoff := time.Second
	for ctx.Err() == nil {
		connected := time.Now()
		err := c.events(ctx, func(action, id string, attrs map[string]string) {
			switch action {
			case "create", "start", "init":
				// The event carries the name, image and labels: cache
				// them now, before the container can be gone.
				if m := metaFromEvent(attrs); m != nil {
					rt, _ := r.endpointRuntime(ctx, i)
					m.runtime = rt
					m.seen = r.now()
					r.addMeta(id, m)
				}
				r.requestRefresh()
			}
		})
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, errEndpointAbsent) {
			r.runtimeError(ctx, c.endpoint, err)
		}
		if time.Since(connected) > time.Minute {
			backoff = time.Second
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (r *resolver) runtimeError(ctx context.Context, endpoint string, err error) {
	r.tel.runtimeErrors.Add(ctx, 1, endpointAttr(endpoint))
	r.errLog.Warn(errLogKey, "container runtime API call failed (further failures are counted in otelcol_topology_runtime_errors and logged at most every 30s)",
		zap.String("endpoint", endpoint), zap.Error(err))
}

type walked struct {
	id   uint64
	path string
}

// refresh walks cgroupfs and then looks up the runtime metadata of
// containers not known yet, synchronously (the loops do the same
// concurrently).
func (r *resolver) refresh(ctx context.Context) {
	r.walk(ctx)
	r.fetchMetas(ctx)
}

// walk walks cgroupfs and updates the cache; when containers lack their
// runtime metadata it asks the lookup loop.
func (r *resolver) walk(ctx context.Context) {
	r.mu.Lock()
	cycle := r.nextWalk
	cycle.start = r.now()
	r.nextWalk = newCycle()
	r.mu.Unlock()
	defer close(cycle.done)

	var seen []walked
	walkedAll := false
	if r.fs.hasUnified() {
		err := r.fs.walkCgroups(func(id uint64, path string) {
			seen = append(seen, walked{id, path})
		})
		walkedAll = err == nil
		if err != nil {
			r.errLog.Warn(errLogKey, "cgroupfs walk failed; keeping the cached cgroups", zap.Error(err))
		}
	}

	// New cgroups, and containers whose namespaces are not known yet (a
	// runtime creates the directory before it moves the process in):
	// sample their namespaces outside the lock.
	r.mu.RLock()
	var fresh []walked
	var nsRetry []walked
	for _, w := range seen {
		e, ok := r.cgroups[w.id]
		switch {
		case !ok:
			fresh = append(fresh, w)
		case !e.ns.known() && e.ref.containerID != "":
			nsRetry = append(nsRetry, w)
		}
	}
	r.mu.RUnlock()
	freshNS := make([]nsSet, len(fresh))
	for i, w := range fresh {
		freshNS[i], _ = r.fs.cgroupNamespaces(w.path)
	}
	retryNS := make([]nsSet, len(nsRetry))
	for i, w := range nsRetry {
		retryNS[i], _ = r.fs.cgroupNamespaces(w.path)
	}

	now := r.now()
	r.mu.Lock()
	present := make(map[uint64]struct{}, len(seen))
	for _, w := range seen {
		present[w.id] = struct{}{}
	}
	for i, w := range fresh {
		if _, ok := r.cgroups[w.id]; ok {
			continue
		}
		e := &cgroupEntry{path: w.path, ref: parseCgroupPath(w.path), ns: freshNS[i]}
		e.lastUsed.Store(now.UnixNano())
		r.setMetaLocked(e)
		r.cgroups[w.id] = e
		delete(r.unknown, w.id)
	}
	for i, w := range nsRetry {
		if e, ok := r.cgroups[w.id]; ok && retryNS[i].known() {
			e.ns = retryNS[i]
		}
	}
	if walkedAll {
		for id, e := range r.cgroups {
			if _, ok := present[id]; !ok && e.removedAt.IsZero() {
				e.removedAt = now
			}
		}
	}
	r.expireLocked(now)
	if len(r.needMetaLocked()) > 0 {
		cycle.meta = r.nextMeta
		r.requestMeta()
	}
	r.lastDone = cycle.start
	r.mu.Unlock()
}

// needMetaLocked lists the containers whose runtime metadata is not known:
// those of live cgroups, and those only seen through /proc (no cgroup v2
// hierarchy).
func (r *resolver) needMetaLocked() []string {
	var need []string
	for _, e := range r.cgroups {
		if !e.metaDone && e.removedAt.IsZero() {
			need = append(need, e.ref.containerID)
		}
	}
	r.pidMu.Lock()
	for _, p := range r.pids {
		if p.ref.containerID != "" && r.metas[p.ref.containerID] == nil {
			need = append(need, p.ref.containerID)
		}
	}
	r.pidMu.Unlock()
	return need
}

// fetchMetas asks the runtimes about the containers without metadata.
func (r *resolver) fetchMetas(ctx context.Context) {
	r.mu.Lock()
	cycle := r.nextMeta
	cycle.start = r.now()
	r.nextMeta = newCycle()
	need := r.needMetaLocked()
	r.mu.Unlock()
	defer close(cycle.done)
	if len(need) == 0 {
		return
	}
	found := r.lookupMetas(ctx, need)
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for id, m := range found {
		m.seen = now
		r.metas[id] = m
	}
	for _, e := range r.cgroups {
		if !e.metaDone {
			r.setMetaLocked(e)
			if !e.metaDone && e.removedAt.IsZero() {
				e.metaTries++
			}
		}
	}
}

// setMetaLocked rebuilds the entry's attributes from the metadata known for
// its container.
func (r *resolver) setMetaLocked(e *cgroupEntry) {
	if e.ref.containerID == "" {
		e.metaDone = true
		return
	}
	m := r.metas[e.ref.containerID]
	e.attrs = buildAttrs(e.ref, m, r.cfg.ContainerLabels)
	e.metaDone = m != nil
}

// endpointRuntime returns (asking once) which engine serves endpoint i.
func (r *resolver) endpointRuntime(ctx context.Context, i int) (string, error) {
	r.rtMu.Lock()
	rt := r.dockerRT[i]
	r.rtMu.Unlock()
	if rt != "" {
		return rt, nil
	}
	rt, err := r.docker[i].runtimeName(ctx)
	if err != nil {
		return "", err
	}
	r.rtMu.Lock()
	r.dockerRT[i] = rt
	r.rtMu.Unlock()
	return rt, nil
}

// addMeta caches what a runtime event said about a container, and fills
// the cgroups of that container waiting for it.
func (r *resolver) addMeta(id string, m *containerMeta) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if old := r.metas[id]; old != nil && old.fromList {
		return
	}
	r.metas[id] = m
	for _, e := range r.cgroups {
		if e.ref.containerID == id && !e.metaDone {
			r.setMetaLocked(e)
		}
	}
}

// lookupMetas asks the runtimes about the containers: one list call per
// Docker API endpoint, then the OCI state directories for the rest.
func (r *resolver) lookupMetas(ctx context.Context, ids []string) map[string]*containerMeta {
	r.lookupMu.Lock()
	defer r.lookupMu.Unlock()
	found := map[string]*containerMeta{}
	missing := func() bool {
		for _, id := range ids {
			if found[id] == nil {
				return true
			}
		}
		return false
	}
	for i, c := range r.docker {
		if !missing() {
			break
		}
		if !c.available() {
			continue
		}
		rt, err := r.endpointRuntime(ctx, i)
		if err != nil {
			r.runtimeError(ctx, c.endpoint, err)
			continue
		}
		list, err := c.list(ctx, rt)
		if err != nil {
			r.runtimeError(ctx, c.endpoint, err)
			continue
		}
		for _, id := range ids {
			if m := list[id]; m != nil && found[id] == nil {
				found[id] = m
			}
		}
	}
	for _, o := range r.oci {
		for _, id := range ids {
			if found[id] != nil {
				continue
			}
			m, err := o.lookup(id)
			if err == nil {
				found[id] = m
			} else if !errors.Is(err, fs.ErrNotExist) {
				r.runtimeError(ctx, o.dir, err)
			}
		}
	}
	return found
}

// expireLocked drops removed cgroups older than the TTL, then the least
// recently used ones above the size bound, and prunes the other maps.
func (r *resolver) expireLocked(now time.Time) {
	ttl := r.cfg.Cache.RemovedTTL
	for id, e := range r.cgroups {
		if !e.removedAt.IsZero() && now.Sub(e.removedAt) > ttl {
			delete(r.cgroups, id)
			r.tel.evictions.Add(context.Background(), 1, reasonAttr("expired"))
		}
	}
	if over := len(r.cgroups) - r.cfg.Cache.MaxEntries; over > 0 {
		type cand struct {
			id      uint64
			removed bool
			used    int64
		}
		cands := make([]cand, 0, len(r.cgroups))
		for id, e := range r.cgroups {
			cands = append(cands, cand{id, !e.removedAt.IsZero(), e.lastUsed.Load()})
		}
		sort.Slice(cands, func(i, j int) bool {
			if cands[i].removed != cands[j].removed {
				return cands[i].removed
			}
			return cands[i].used < cands[j].used
		})
		for _, c := range cands[:over] {
			delete(r.cgroups, c.id)
		}
		r.tel.evictions.Add(context.Background(), int64(over), reasonAttr("size"))
	}
	used := make(map[string]struct{}, len(r.cgroups))
	for _, e := range r.cgroups {
		if e.ref.containerID != "" {
			used[e.ref.containerID] = struct{}{}
		}
	}
	r.pidMu.Lock()
	for pid, p := range r.pids {
		if now.After(p.expires) {
			delete(r.pids, pid)
		} else if p.ref.containerID != "" {
			used[p.ref.containerID] = struct{}{}
		}
	}
	r.pidMu.Unlock()
	for id, m := range r.metas {
		if _, ok := used[id]; !ok && (now.Sub(m.seen) > ttl || len(r.metas) > r.cfg.Cache.MaxEntries) {
			delete(r.metas, id)
		}
	}
	for id, t := range r.unknown {
		if now.Sub(t) > ttl || len(r.unknown) > r.cfg.Cache.MaxEntries {
			delete(r.unknown, id)
		}
	}
}

// byCgroupID resolves a cgroup id. It never blocks on I/O.
func (r *resolver) byCgroupID(id uint64) resolution {
	r.mu.RLock()
	e, ok := r.cgroups[id]
	var res resolution
	if ok {
		e.lastUsed.Store(r.now().UnixNano())
		res.attrs, res.ns = e.attrs, e.ns
		if !e.metaDone {
			res.missing = missingRuntime
			res.pending = e.metaTries == 0
		}
		r.mu.RUnlock()
		return res
	}
	first, asked := r.unknown[id]
	lastDone := r.lastDone
	r.mu.RUnlock()
	res.missing = missingUnknownCgroup
	res.pending = !asked || !lastDone.After(first)
	if !asked {
		r.mu.Lock()
		if _, again := r.unknown[id]; !again {
			r.unknown[id] = r.now()
		}
		r.mu.Unlock()
	}
	return res
}

// byPID resolves a process by reading /proc/<pid> (cached for
// cache.process_ttl). A process that has exited resolves to nothing.
func (r *resolver) byPID(pid int64) resolution {
	p := r.pidInfo(pid)
	if p.gone {
		return resolution{missing: missingProcessGone}
	}
	if p.cgroupID != 0 {
		res := r.byCgroupID(p.cgroupID)
		res.ns = p.ns
		return res
	}
	// No cgroup v2 hierarchy: the v1 path names the container.
	r.mu.RLock()
	m := r.metas[p.ref.containerID]
	r.mu.RUnlock()
	res := resolution{attrs: buildAttrs(p.ref, m, r.cfg.ContainerLabels), ns: p.ns}
	if p.ref.containerID != "" && m == nil {
		res.missing, res.pending = missingRuntime, true
	}
	return res
}

// pidNamespaces returns the namespaces of a live process, from the cache.
func (r *resolver) pidNamespaces(pid int64) (nsSet, bool) {
	p := r.pidInfo(pid)
	return p.ns, !p.gone && p.ns.known()
}

func (r *resolver) pidInfo(pid int64) *pidEntry {
	now := r.now()
	r.pidMu.Lock()
	p, ok := r.pids[pid]
	r.pidMu.Unlock()
	if ok && now.Before(p.expires) {
		return p
	}
	p = &pidEntry{expires: now.Add(r.cfg.Cache.ProcessTTL)}
	ns, err := r.fs.pidNamespaces(pid)
	if errors.Is(err, fs.ErrNotExist) {
		p.gone = true
	} else {
		p.ns = ns
		v2, v1, err := r.fs.pidCgroup(pid)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			p.gone = true
		case err != nil:
		case v2 != "" && r.fs.hasUnified():
			if id, err := r.fs.cgroupID(v2); err == nil {
				p.cgroupID = id
				r.learnCgroup(id, v2, ns)
			}
		default:
			p.ref = parseCgroupPath(v1)
		}
	}
	r.pidMu.Lock()
	if len(r.pids) >= r.cfg.Cache.MaxEntries {
		for k, old := range r.pids {
			if now.After(old.expires) || len(r.pids) >= r.cfg.Cache.MaxEntries {
				delete(r.pids, k)
			}
		}
	}
	r.pids[pid] = p
	r.pidMu.Unlock()
	return p
}

// learnCgroup adds a cgroup found through /proc before the walk saw it.
func (r *resolver) learnCgroup(id uint64, path string, ns nsSet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.cgroups[id]; ok {
		return
	}
	e := &cgroupEntry{path: path, ref: parseCgroupPath(path), ns: ns}
	e.lastUsed.Store(r.now().UnixNano())
	r.setMetaLocked(e)
	r.cgroups[id] = e
	delete(r.unknown, id)
}

// learnNamespaces records the namespaces a record brought (exec events
// carry them) for a cgroup whose namespaces were not sampled yet, so that
// later records of its exited processes get them.
func (r *resolver) learnNamespaces(id uint64, ns nsSet) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.cgroups[id]; ok && !e.ns.known() {
		e.ns = ns
	}
}

// entries returns the number of cached cgroups.
func (r *resolver) entries() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.cgroups)
}

//go:build linux

package tlsprobe // import "github.com/otelcol-trace/otelcol-trace/receiver/ebpfreceiver/internal/tlsprobe"

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// idleScansBeforeDetach is the number of consecutive full scans finding no
// process that maps a file before it is detached.
const idleScansBeforeDetach = 2

// maxRemembered bounds the files remembered as not hookable and the
// reasons remembered as logged.
const maxRemembered = 65536

// target is one attached file (library or executable).
type target struct {
	id     fileID
	path   string // as the process sees it (payload.library.path)
	cookie uint32
	links  []link.Link
	hooks  int              // probe points
	pinned bool             // system library or configured path: never detached
	pids   map[int]struct{} // processes that mapped it at the last scan
	idle   int              // consecutive full scans that found no process mapping it
}

// attacher attaches the probe's programs once per file and detaches files
// that no process maps any more.
type attacher struct {
	cfg     Config
	progs   programs
	logger  *zap.Logger
	selfPID int
	// noTeardown: do not hook the teardown functions (tests).
	noTeardown bool

	mu         sync.Mutex
	targets    map[fileID]*target
	nothing    map[fileID]bool // inspected: nothing to hook, or failed
	logMu      sync.Mutex
	logged     map[string]bool // keys of the reasons logged once
	nextCookie uint32
	paths      sync.Map // cookie (uint32) -> library path (string)
}

func newAttacher(cfg Config, progs programs, logger *zap.Logger, selfPID int) *attacher {
	return &attacher{
		cfg: cfg, progs: progs, logger: logger, selfPID: selfPID,
		targets: map[fileID]*target{}, nothing: map[fileID]bool{}, logged: map[string]bool{},
	}
}

// libraryPath returns the path of the file an event's cookie names.
func (a *attacher) libraryPath(cookie uint64) string {
	if v, ok := a.paths.Load(uint32(cookie)); ok {
		return v.(string)
	}
	return ""
}

// systemLibraryGlobs are where distributions put libssl and libgnutls.
var systemLibraryGlobs = []string{
	"/lib/*/libssl.so*", "/usr/lib/*/libssl.so*", "/lib64/libssl.so*", "/usr/lib64/libssl.so*",
	"/usr/lib/libssl.so*", "/usr/local/lib/libssl.so*", "/usr/local/lib64/libssl.so*",
	"/lib/*/libgnutls.so*", "/usr/lib/*/libgnutls.so*", "/lib64/libgnutls.so*", "/usr/lib64/libgnutls.so*",
	"/usr/lib/libgnutls.so*",
}

// attachSystemLibraries attaches to the TLS libraries of the host's
// standard library directories.
func (a *attacher) attachSystemLibraries() {
	for _, g := range systemLibraryGlobs {
		matches, _ := filepath.Glob(g)
		for _, m := range matches {
			a.attachPath(m)
		}
	}
}

// attachPath attaches to a host file for the life of the probe.
func (a *attacher) attachPath(path string) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		a.logOnce("path:"+path, "tls probe: cannot probe file", zap.String("path", path), zap.Error(err))
		return
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return
	}
	id := fileID{Major: unix.Major(st.Dev), Minor: unix.Minor(st.Dev), Inode: st.Ino}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if t := a.ensureLocked(id, path, path); t != nil {
		t.pinned = true
	}
}

// scanPID attaches to the TLS files process pid maps.
func (a *attacher) scanPID(pid int) {
	files, err := processFiles(pid)
	if err != nil {
		return // the process is gone or not readable: nothing to do
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, f := range files {
		if t := a.ensureLocked(f.ID, openPath(pid, f), f.Path); t != nil {
			t.pids[pid] = struct{}{}
		}
	}
}

// scanAll scans every process, attaches to new files and detaches the files
// no process maps any more.
func (a *attacher) scanAll() {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		a.logOnce("proc", "tls probe: cannot scan /proc", zap.Error(err))
		return
	}
	seen := map[fileID]map[int]struct{}{}
	type found struct {
		pid   int
		files []mappedFile
	}
	var all []found
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == a.selfPID {
			continue
		}
		files, err := processFiles(pid)
		if err != nil {
			continue
		}
		all = append(all, found{pid, files})
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, f := range all {
		for _, mf := range f.files {
			if t := a.ensureLocked(mf.ID, openPath(f.pid, mf), mf.Path); t != nil {
				if seen[mf.ID] == nil {
					seen[mf.ID] = map[int]struct{}{}
				}
				seen[mf.ID][f.pid] = struct{}{}
			}
		}
	}
	for id, t := range a.targets {
		t.pids = seen[id]
		if t.pids == nil {
			t.pids = map[int]struct{}{}
		}
		if len(t.pids) > 0 || t.pinned {
			t.idle = 0
			continue
		}
		// Kept through one idle scan: a program run again soon (a CLI
		// called in a loop) is then hooked from its first call instead of
		// racing the attach after its exec.
		t.idle++
		if t.idle >= idleScansBeforeDetach {
			a.detachLocked(t)
		}
	}
}

// processFiles returns the executable and TLS library files pid maps.
func processFiles(pid int) ([]mappedFile, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	exe, _ := os.Readlink(dir + "/exe")
	f, err := os.Open(dir + "/maps")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseMaps(f, exe)
}

// openPath returns a path that opens, from here, the file a process maps:
// through /proc/<pid>/root for a container (maps shows the path inside
// its mount namespace), the path itself for a chroot (maps shows the host
// path), else the /proc/<pid>/map_files link. The candidate's device and
// inode must match the mapping.
func openPath(pid int, f mappedFile) string {
	dir := "/proc/" + strconv.Itoa(pid)
	for _, c := range []string{dir + "/root" + f.Path, f.Path} {
		var st unix.Stat_t
		if unix.Stat(c, &st) == nil && st.Ino == f.ID.Inode &&
			unix.Major(st.Dev) == f.ID.Major && unix.Minor(st.Dev) == f.ID.Minor {
			return c
		}
	}
	return dir + "/map_files/" + f.Range
}

// ensureLocked returns the target of file id, attaching it first when it
// was not yet inspected; nil when there is nothing to hook.
func (a *attacher) ensureLocked(id fileID, openPath, path string) *target {
	if t, ok := a.targets[id]; ok {
		return t
	}
	if a.nothing[id] {
		return nil
	}
	if len(a.nothing) >= maxRemembered {
		// Bounded memory: forget, at worst re-inspect some files.
		clear(a.nothing)
	}
	hooks, err := inspectELF(openPath)
	if err != nil {
		a.logOnce(id.String(), "tls probe: file not probed", zap.String("path", path), zap.Error(err))
		if hooks == nil || hooks.empty() {
			a.nothing[id] = true
			return nil
		}
		// Partly hookable (e.g. its Go part is not): attach the rest. Not
		// marked as nothing-to-hook, so that it is attached again after a
		// detach.
	}
	if !a.cfg.OpenSSL {
		hooks.OpenSSL = nil
	}
	if !a.cfg.GnuTLS {
		hooks.GnuTLS = nil
	}
	if !a.cfg.GoTLS {
		hooks.GoReadRets, hooks.GoWriteRets, hooks.GoClose = nil, nil, false
	}
	if a.noTeardown {
		hooks.Teardown, hooks.GoClose = nil, false
	}
	hooks.Teardown = slices.DeleteFunc(hooks.Teardown, func(sym string) bool {
		if sym == symGnuTLSDeinit {
			return len(hooks.GnuTLS) == 0
		}
		return len(hooks.OpenSSL) == 0
	})
	if hooks.empty() {
		a.nothing[id] = true
		return nil
	}
	a.nextCookie++
	t := &target{id: id, path: path, cookie: a.nextCookie, pids: map[int]struct{}{}}
	if err := a.attachLocked(t, openPath, hooks); err != nil {
		a.nothing[id] = true
		_ = closeLinks(t.links)
		a.logOnce(id.String(), "tls probe: cannot attach", zap.String("path", path), zap.Error(err))
		return nil
	}
	a.paths.Store(t.cookie, path)
	a.targets[id] = t
	a.logger.Info("tls probe attached", zap.String("path", path), zap.Int("hooks", t.hooks), zap.Int("links", len(t.links)))
	return t
}

// Hook kinds in bits 40..47 of the attach cookie (HOOK_* in tls.bpf.c).
const (
	hookSSLWrite   = 1
	hookSSLRead    = 2
	hookSSLWriteEx = 3
	hookSSLReadEx  = 4
	hookGnuTLSSend = 5
	hookGnuTLSRecv = 6
	hookGoWrite    = 7
	hookGoRead     = 8
	// Teardown hooks (entry only): the connection state of the object is
	// deleted.
	hookSSLFree      = 9
	hookSSLClear     = 10
	hookGnuTLSDeinit = 11
	hookGoClose      = 12
)

var hookOf = map[string]uint64{
	symSSLWrite: hookSSLWrite, symSSLRead: hookSSLRead, symSSLWriteEx: hookSSLWriteEx, symSSLReadEx: hookSSLReadEx,
	symGnuTLSSend: hookGnuTLSSend, symGnuTLSRecv: hookGnuTLSRecv, symGoConnWrite: hookGoWrite, symGoConnRead: hookGoRead,
	symSSLFree: hookSSLFree, symSSLClear: hookSSLClear, symGnuTLSDeinit: hookGnuTLSDeinit, symGoConnClose: hookGoClose,
}

// probeSet is one group of probes of a file sharing a program.
type probeSet struct {
	prog    *ebpf.Program
	ret     bool // uretprobe
	symbols []string
	offsets []uint64
	cookies []uint64
}

func (a *attacher) attachLocked(t *target, openPath string, hooks *elfHooks) error {
	ex, err := link.OpenExecutable(openPath)
	if err != nil {
		return fmt.Errorf("open executable %s: %w", openPath, err)
	}
	base := uint64(t.cookie)
	cookie := func(sym string, profile uint8) uint64 {
		return base | uint64(profile)<<32 | hookOf[sym]<<40
	}
	var entry, ret, goEntry, goRet probeSet
	entry.prog, ret.prog, ret.ret = a.progs.entry, a.progs.ret, true
	goEntry.prog, goRet.prog = a.progs.goEntry, a.progs.goRet
	for _, sym := range append(append([]string{}, hooks.OpenSSL...), hooks.GnuTLS...) {
		c := cookie(sym, hooks.OpenSSLProfile)
		entry.symbols, entry.offsets, entry.cookies = append(entry.symbols, sym), append(entry.offsets, 0), append(entry.cookies, c)
		ret.symbols, ret.offsets, ret.cookies = append(ret.symbols, sym), append(ret.offsets, 0), append(ret.cookies, c)
	}
	for _, sym := range hooks.Teardown {
		c := cookie(sym, hooks.OpenSSLProfile)
		entry.symbols, entry.offsets, entry.cookies = append(entry.symbols, sym), append(entry.offsets, 0), append(entry.cookies, c)
	}
	if len(hooks.GoWriteRets) > 0 {
		for sym, rets := range map[string][]uint64{symGoConnWrite: hooks.GoWriteRets, symGoConnRead: hooks.GoReadRets} {
			c := cookie(sym, 0)
			goEntry.symbols, goEntry.offsets, goEntry.cookies = append(goEntry.symbols, sym), append(goEntry.offsets, 0), append(goEntry.cookies, c)
			for _, off := range rets {
				goRet.symbols, goRet.offsets, goRet.cookies = append(goRet.symbols, sym), append(goRet.offsets, off), append(goRet.cookies, c)
			}
		}
		if hooks.GoClose {
			c := cookie(symGoConnClose, 0)
			goEntry.symbols, goEntry.offsets, goEntry.cookies = append(goEntry.symbols, symGoConnClose), append(goEntry.offsets, 0), append(goEntry.cookies, c)
		}
	}
	for _, set := range []probeSet{entry, ret, goEntry, goRet} {
		if len(set.symbols) == 0 {
			continue
		}
		if a.progs.multi {
			opts := &link.UprobeMultiOptions{Offsets: set.offsets, Cookies: set.cookies}
			var l link.Link
			if set.ret {
				l, err = ex.UretprobeMulti(set.symbols, set.prog, opts)
			} else {
				l, err = ex.UprobeMulti(set.symbols, set.prog, opts)
			}
			if err != nil {
				return fmt.Errorf("attach %v in %s: %w", set.symbols, t.path, err)
			}
			t.links = append(t.links, l)
			t.hooks += len(set.symbols)
			continue
		}
		for i, sym := range set.symbols {
			opts := &link.UprobeOptions{Offset: set.offsets[i], Cookie: set.cookies[i]}
			var l link.Link
			if set.ret {
				l, err = ex.Uretprobe(sym, set.prog, opts)
			} else {
				l, err = ex.Uprobe(sym, set.prog, opts)
			}
			if err != nil {
				return fmt.Errorf("attach %s+0x%x in %s: %w", sym, set.offsets[i], t.path, err)
			}
			t.links = append(t.links, l)
			t.hooks++
		}
	}
	return nil
}

// closeLinks closes links concurrently (each uprobe detach waits for an
// RCU grace period; in sequence, a file's dozen links take seconds).
func closeLinks(links []link.Link) error {
	errs := make([]error, len(links))
	var wg sync.WaitGroup
	for i, l := range links {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.Close()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (a *attacher) detachLocked(t *target) {
	if err := closeLinks(t.links); err != nil {
		a.logger.Warn("tls probe: detach failed", zap.String("path", t.path), zap.Error(err))
	}
	t.links = nil
	delete(a.targets, t.id)
	a.paths.Delete(t.cookie) // cookies are never reused: keep the map bounded
	a.logger.Info("tls probe detached: no process maps the file any more", zap.String("path", t.path))
}

// attached returns the paths of the attached files (sorted), for tests.
func (a *attacher) attached() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, t := range a.targets {
		out = append(out, t.path)
	}
	sort.Strings(out)
	return out
}

// isAttached reports whether file id is attached.
func (a *attacher) isAttached(id fileID) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.targets[id]
	return ok
}

func (a *attacher) logOnce(key, msg string, fields ...zap.Field) {
	a.logMu.Lock()
	if len(a.logged) >= maxRemembered {
		clear(a.logged)
	}
	seen := a.logged[key]
	a.logged[key] = true
	a.logMu.Unlock()
	if !seen {
		a.logger.Warn(msg, fields...)
	}
}

// closeAll detaches every file.
func (a *attacher) closeAll() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var all []link.Link
	for _, t := range a.targets {
		all = append(all, t.links...)
		t.links = nil
	}
	a.targets = map[fileID]*target{}
	return closeLinks(all)
}

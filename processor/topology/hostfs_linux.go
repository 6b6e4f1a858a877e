//go:build linux

package topologyprocessor // import "github.com/otelcol-trace/otelcol-trace/processor/topology"

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// linuxFS reads the host's cgroupfs and procfs.
type linuxFS struct {
	cgroupRoot string // "" when no cgroup v2 hierarchy is mounted
	procRoot   string
}

func newHostFS(cfg *Config) (hostFS, error) {
	root := cfg.CgroupRoot
	if root == "" {
		root = detectCgroupRoot()
	} else if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
		return nil, fmt.Errorf("cgroup_root %q is not a cgroup hierarchy: %w", root, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.ProcRoot, "self")); err != nil {
		return nil, fmt.Errorf("proc_root %q is not a procfs mount: %w", cfg.ProcRoot, err)
	}
	return &linuxFS{cgroupRoot: root, procRoot: cfg.ProcRoot}, nil
}

// detectCgroupRoot finds the cgroup v2 mount: /sys/fs/cgroup (unified) or
// /sys/fs/cgroup/unified (hybrid). It returns "" on a v1-only host.
func detectCgroupRoot() string {
	for _, p := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		var st unix.Statfs_t
		if err := unix.Statfs(p, &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			return p
		}
	}
	return ""
}

func (l *linuxFS) hasUnified() bool { return l.cgroupRoot != "" }

func (l *linuxFS) walkCgroups(fn func(id uint64, path string)) error {
	if l.cgroupRoot == "" {
		return nil
	}
	return filepath.WalkDir(l.cgroupRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			// A cgroup removed during the walk.
			if errors.Is(err, fs.ErrNotExist) && p != l.cgroupRoot {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil //nolint:nilerr // removed during the walk
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		rel := strings.TrimPrefix(p, l.cgroupRoot)
		if rel == "" {
			rel = "/"
		}
		fn(st.Ino, rel)
		return nil
	})
}

func (l *linuxFS) cgroupID(path string) (uint64, error) {
	var st unix.Stat_t
	p := filepath.Join(l.cgroupRoot, path)
	if err := unix.Stat(p, &st); err != nil {
		return 0, fmt.Errorf("stat cgroup %s: %w", p, err)
	}
	return st.Ino, nil
}

func (l *linuxFS) cgroupNamespaces(path string) (nsSet, bool) {
	f, err := os.Open(filepath.Join(l.cgroupRoot, path, "cgroup.procs"))
	if err != nil {
		return nsSet{}, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pid, err := strconv.ParseInt(strings.TrimSpace(sc.Text()), 10, 64)
		if err != nil {
			continue
		}
		if ns, err := l.pidNamespaces(pid); err == nil && ns.known() {
			return ns, true
		}
	}
	return nsSet{}, false
}

func (l *linuxFS) pidNamespaces(pid int64) (nsSet, error) {
	var ns nsSet
	dir := filepath.Join(l.procRoot, strconv.FormatInt(pid, 10), "ns")
	for _, k := range []struct {
		name string
		dst  *int64
	}{{"pid", &ns.pid}, {"mnt", &ns.mnt}, {"net", &ns.net}, {"uts", &ns.uts}} {
		link, err := os.Readlink(filepath.Join(dir, k.name))
		if err != nil {
			return ns, fmt.Errorf("read namespace of pid %d: %w", pid, err)
		}
		ino, err := parseNSLink(link)
		if err != nil {
			return ns, fmt.Errorf("read namespace of pid %d: %w", pid, err)
		}
		*k.dst = ino
	}
	return ns, nil
}

// parseNSLink parses "pid:[4026531836]".
func parseNSLink(link string) (int64, error) {
	open := strings.IndexByte(link, '[')
	if open < 0 || !strings.HasSuffix(link, "]") {
		return 0, fmt.Errorf("unexpected namespace link %q", link)
	}
	v, err := strconv.ParseInt(link[open+1:len(link)-1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("unexpected namespace link %q: %w", link, err)
	}
	return v, nil
}

func (l *linuxFS) pidCgroup(pid int64) (v2Path, v1Path string, err error) {
	b, err := os.ReadFile(filepath.Join(l.procRoot, strconv.FormatInt(pid, 10), "cgroup"))
	if err != nil {
		return "", "", fmt.Errorf("read cgroup of pid %d: %w", pid, err)
	}
	if len(b) == 0 {
		// A zombie: its cgroup file is empty.
		return "", "", fmt.Errorf("read cgroup of pid %d: %w", pid, fs.ErrNotExist)
	}
	v2, v1 := procCgroupPath(string(b))
	return v2, v1, nil
}

// watchCgroups adds an inotify watch on every cgroup directory and calls
// notify when one is created (the container runtime's mkdir), so that a
// short-lived container is seen before it is gone.
func (l *linuxFS) watchCgroups(ctx context.Context, notify func(), warn func(error)) error {
	if l.cgroupRoot == "" {
		return nil
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return fmt.Errorf("inotify_init1: %w", err)
	}
	f := os.NewFile(uintptr(fd), "inotify")
	defer f.Close()
	dirs := map[int32]string{}
	var addErr error
	add := func(root string) {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil //nolint:nilerr // removed during the walk
			}
			wd, err := unix.InotifyAddWatch(fd, p, unix.IN_CREATE|unix.IN_ONLYDIR)
			if err == nil {
				dirs[int32(wd)] = p
			} else if addErr == nil && !errors.Is(err, unix.ENOENT) {
				addErr = err
			}
			return nil
		})
	}
	add(l.cgroupRoot)
	if addErr != nil {
		// Typically ENOSPC: fs.inotify.max_user_watches is too low for
		// this many cgroups. The rescan still covers the rest.
		warn(fmt.Errorf("inotify_add_watch on cgroupfs (some cgroups are only seen by the rescan; raise fs.inotify.max_user_watches): %w", addErr))
	}
	// Cgroups created between the caller's last walk and the watches
	// being in place: one rescan covers them.
	notify()
	go func() {
		<-ctx.Done()
		_ = f.SetReadDeadline(time.Unix(1, 0)) // a deadline in the past ends the pending read
	}()
	buf := make([]byte, 64*1024)
	for {
		n, err := f.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("read inotify: %w", err)
		}
		created := false
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameLen := int(ev.Len)
			if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
				// Events were lost: watch whatever is new and rescan.
				add(l.cgroupRoot)
				created = true
			}
			if ev.Mask&unix.IN_CREATE != 0 && ev.Mask&unix.IN_ISDIR != 0 {
				name := strings.TrimRight(string(buf[off+unix.SizeofInotifyEvent:off+unix.SizeofInotifyEvent+nameLen]), "\x00")
				if parent, ok := dirs[ev.Wd]; ok {
					add(filepath.Join(parent, name))
					created = true
				}
			}
			if ev.Mask&unix.IN_IGNORED != 0 {
				delete(dirs, ev.Wd)
			}
			off += unix.SizeofInotifyEvent + nameLen
		}
		if created {
			notify()
		}
	}
}

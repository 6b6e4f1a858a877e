//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * file.c: the `file` probe of the ebpf receiver.
 *
 * Hooks the raw syscall tracepoints sys_enter/sys_exit (tp_btf: no tracefs,
 * no kprobes needed) and dispatches on the syscall number:
 *
 *   open/openat/openat2/creat -> fs.open   (path, flags, mode, fd, latency)
 *   close of an fd we saw open -> fs.close (bytes read/written since open)
 *   unlink/unlinkat/rmdir      -> fs.delete
 *   rename/renameat/renameat2  -> fs.rename
 *   read/write/pread/pwrite/readv/writev/preadv(2)/pwritev(2)/sendfile on a
 *   tracked fd: the byte counts are summed in the fd's map entry, no event.
 *
 * Enter and exit are correlated in task-local storage (file_calls). The
 * shared filter (common.h) runs at syscall entry, before anything is stored,
 * so a filtered-out task costs one filter check and one failed lookup at
 * exit. Relative paths are made absolute in the kernel: an open's from the
 * opened file at exit (resolve_fd_path), delete/rename paths at entry
 * against the cwd or dirfd (capture_path), while the process still exists.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
#define NR_read 0
#define NR_write 1
#define NR_open 2
#define NR_close 3
#define NR_pread64 17
#define NR_pwrite64 18
#define NR_readv 19
#define NR_writev 20
#define NR_sendfile 40
#define NR_rename 82
#define NR_rmdir 84
#define NR_creat 85
#define NR_unlink 87
#define NR_openat 257
#define NR_unlinkat 263
#define NR_renameat 264
#define NR_preadv 295
#define NR_pwritev 296
#define NR_renameat2 316
#define NR_preadv2 327
#define NR_pwritev2 328
#define NR_openat2 437

#define AT_FDCWD_ -100
/* file_event.dfd/dfd2 when the kernel resolved the path to an absolute one. */
#define FILE_DFD_RESOLVED -200

/* Event types (otr_event_header.type). */
#define FILE_EV_OPEN 1
#define FILE_EV_CLOSE 2
#define FILE_EV_DELETE 3
#define FILE_EV_RENAME 4

/* FILE_PATH_MAX bounds each captured path (bytes incl. the NUL). */
#define FILE_PATH_MAX 512

/* Which events are wanted (set by Go before load). */
const volatile __u32 want_open = 1;
const volatile __u32 want_close = 1;
const volatile __u32 want_delete = 1;
const volatile __u32 want_rename = 1;
const volatile __u32 want_failed = 1;

OTR_NO_PADDING_BEGIN

/* file_call is a syscall in flight, stored at entry. */
struct file_call {
	__u64 ts;
	__u64 path_ptr;
	__u64 path2_ptr;
	__s32 dfd;
	__s32 dfd2;
	__u32 flags;
	__u32 mode;
	__u32 nr;
	__u32 _pad0;
};

/* file_call_slot is the task-local value: the call in flight plus, for
 * delete/rename, the paths captured (and made absolute) at syscall entry,
 * while the process's cwd and dirfds are still there. */
struct file_call_slot {
	struct file_call c;
	__u16 path_len;   /* bytes incl. the NUL; 0 when unreadable */
	__u16 path2_len;
	__u8 resolved;    /* the kernel made path absolute */
	__u8 resolved2;   /* ... and path2 */
	__u8 _pad0[2];
	char path[FILE_PATH_MAX];
	char path2[FILE_PATH_MAX];
};

struct fd_key {
	__u32 tgid;
	__s32 fd;
};

/* fd_state is kept per (tgid, fd) from a successful open to its close. */
struct fd_state {
	__u64 open_ts;
	__u64 read_bytes;
	__u64 write_bytes;
	__u64 file; /* the struct file * opened: a close of the same fd number
		     * on another file (the fd was closed by exec/close_range
		     * without a close() we saw) is not this file's close */
};

/* file_event is what fs.open/fs.close/fs.delete carry; fs.rename appends a
 * second path (file_rename_event). fs.close records end before path. */
struct file_event {
	struct otr_event_header hdr;
	__u64 duration_ns;
	__s64 ret;
	__u64 read_bytes;
	__u64 write_bytes;
	__u64 open_ktime;
	__u32 nr;
	__u32 flags;
	__u32 mode;
	__s32 fd;
	__s32 dfd;
	__s32 dfd2;
	__u16 path_len;  /* bytes read incl. NUL; 0 when unreadable */
	__u16 path2_len;
	__u32 _pad0;
	char path[FILE_PATH_MAX];
};

struct file_rename_event {
	struct file_event ev;
	char path2[FILE_PATH_MAX];
};

OTR_NO_PADDING_END

#define FILE_CLOSE_EVENT_SIZE (__builtin_offsetof(struct file_event, path))

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by Go from the config */
} file_events SEC(".maps");

/* The call in flight of each thread, in task-local storage: cheaper than a
 * hash keyed by pid_tgid, and freed with the task. ts == 0: none. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct file_call_slot);
} file_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* resized by Go from the config */
	__type(key, struct fd_key);
	__type(value, struct fd_state);
} file_fds SEC(".maps");

/* One scratch event per CPU for the variable-size records; sized as two
 * file_events so that the verifier can bound header + masked length. */
struct file_scratch_value {
	struct file_event ev;
	char spare[FILE_PATH_MAX];
	/* walk_path builds a directory right to left in walk[0, FILE_PATH_MAX);
	 * capture_path reads the relative path into walk[FILE_PATH_MAX, ...),
	 * right after it, so that directory + '/' + path is contiguous. */
	char walk[2 * FILE_PATH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct file_scratch_value);
} file_scratch SEC(".maps");

#define WALK_MAX_DEPTH 32
#define WALK_NAME_MAX 255

/* file_of_fd returns the struct file behind fd of the current task. The
 * task's fd table is walked with direct (BTF, fault-safe) loads; only the
 * variable-index slot needs bpf_probe_read_kernel. */
static __always_inline struct file *file_of_fd(__s32 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct files_struct *files = task->files;
	if (!files)
		return NULL;
	struct fdtable *fdt = files->fdt;
	if (!fdt || fd < 0 || (__u32)fd >= fdt->max_fds)
		return NULL;
	struct file **fds = fdt->fd;
	struct file *f = NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return NULL;
	return f;
}

struct walk_ctx {
	__u64 d;  /* struct dentry * */
	__u64 vm; /* struct vfsmount * */
	__u64 m;  /* struct mount * */
	int pos;  /* first used byte of walk */
	int state; /* WALK_RUNNING, WALK_DONE, WALK_FAILED */
};

#define WALK_RUNNING 0
#define WALK_DONE 1
#define WALK_FAILED 2

/* walk_step is one step of resolve_fd_path (a bpf_loop callback, so that
 * the verifier checks it once instead of once per path through the loop). */
static long walk_step(__u32 i, void *arg)
{
	struct walk_ctx *w = arg;
	__u32 zero = 0;
	struct file_scratch_value *sv = bpf_map_lookup_elem(&file_scratch, &zero);
	if (!sv) {
		w->state = WALK_FAILED;
		return 1;
	}
	struct dentry *d = (struct dentry *)w->d;
	struct vfsmount *vm = (struct vfsmount *)w->vm;
	struct mount *m = (struct mount *)w->m;
	if (d == BPF_CORE_READ(vm, mnt_root)) {
		struct mount *parent = BPF_CORE_READ(m, mnt_parent);
		if (parent == m) {
			w->state = WALK_DONE;
			return 1;
		}
		w->d = (__u64)BPF_CORE_READ(m, mnt_mountpoint);
		w->m = (__u64)parent;
		w->vm = (__u64)&parent->mnt;
		return 0;
	}
	struct dentry *up = BPF_CORE_READ(d, d_parent);
	if (up == d) {
		w->state = WALK_DONE;
		return 1;
	}
	__u32 len = BPF_CORE_READ(d, d_name.len);
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	int pos = w->pos;
	if (len > WALK_NAME_MAX || (int)len + 1 > pos) {
		w->state = WALK_FAILED;
		return 1;
	}
	pos -= len + 1;
	int p = pos & (FILE_PATH_MAX - 1);
	__u32 n = len & WALK_NAME_MAX;
	if (bpf_probe_read_kernel(sv->walk + p + 1, n, name)) {
		w->state = WALK_FAILED;
		return 1;
	}
	sv->walk[p] = '/';
	w->pos = pos;
	w->d = (__u64)up;
	return 0;
}

/* walk_path writes the absolute path of (vm, d) right to left into
 * sv->walk, ending before sv->walk[FILE_PATH_MAX - 1], by walking the dentries
 * up to the root and crossing mounts. It returns the index of the first byte
 * (FILE_PATH_MAX - 1 for the root itself, whose path is then empty), or -1
 * when it cannot (too deep, too long). */
static __always_inline int walk_path(struct vfsmount *vm, struct dentry *d, struct file_scratch_value *sv)
{
	struct walk_ctx w = {
		.d = (__u64)d,
		.vm = (__u64)vm,
		.m = (__u64)container_of(vm, struct mount, mnt),
		.pos = FILE_PATH_MAX - 1,
		.state = WALK_RUNNING,
	};
	if (!vm || !d)
		return -1;
	bpf_loop(WALK_MAX_DEPTH, walk_step, &w, 0);
	if (w.state != WALK_DONE)
		return -1;
	return w.pos;
}

/* resolve_fd_path writes the absolute path of the file open at fd into
 * sv->ev.path and returns its length incl. the NUL; 0 when it cannot (too
 * deep, too long, no file). */
static __always_inline int resolve_fd_path(__s32 fd, struct file_scratch_value *sv)
{
	struct file *f = file_of_fd(fd);
	if (!f)
		return 0;
	int pos = walk_path(BPF_CORE_READ(f, f_path.mnt), BPF_CORE_READ(f, f_path.dentry), sv);
	if (pos < 0)
		return 0;
	sv->walk[FILE_PATH_MAX - 1] = 0;
	if (pos == FILE_PATH_MAX - 1) {
		pos--;
		sv->walk[FILE_PATH_MAX - 2] = '/';
	}
	int p = pos & (FILE_PATH_MAX - 1);
	__u32 total = (FILE_PATH_MAX - p) & (2 * FILE_PATH_MAX - 1);
	if (bpf_probe_read_kernel(sv->ev.path, total, sv->walk + p))
		return 0;
	return (int)total;
}

/* resolve_dir walks the directory a relative path of a *at syscall is
 * relative to: the task's cwd for AT_FDCWD, else the file of dirfd. It
 * returns walk_path's result. */
static __always_inline int resolve_dir(__s32 dfd, struct file_scratch_value *sv)
{
	if (dfd == AT_FDCWD_) {
		struct task_struct *task = bpf_get_current_task_btf();
		struct fs_struct *fs = task->fs;
		if (!fs)
			return -1;
		return walk_path(BPF_CORE_READ(fs, pwd.mnt), BPF_CORE_READ(fs, pwd.dentry), sv);
	}
	struct file *f = file_of_fd(dfd);
	if (!f)
		return -1;
	return walk_path(BPF_CORE_READ(f, f_path.mnt), BPF_CORE_READ(f, f_path.dentry), sv);
}

/* capture_path reads the user path at ptr into dst (FILE_PATH_MAX bytes)
 * at syscall entry and, when it is relative, makes it absolute against the
 * directory of dfd: dir + "/" + path, cut to FILE_PATH_MAX - 1 bytes (the
 * length is then FILE_PATH_MAX: the truncated flag). It returns the length
 * incl. the NUL (0: unreadable) and sets *resolved. */
static __always_inline int capture_path(struct file_scratch_value *sv, char *dst, __u64 ptr, __s32 dfd,
					__u8 *resolved)
{
	char *rel = sv->walk + FILE_PATH_MAX;
	*resolved = 0;
	long n = bpf_probe_read_user_str(rel, FILE_PATH_MAX, (void *)ptr);
	if (n <= 0) {
		dst[0] = 0;
		return 0;
	}
	if (n > 1 && rel[0] != '/') {
		int pos = resolve_dir(dfd, sv);
		if (pos >= 0) {
			int p = pos & (FILE_PATH_MAX - 1);
			/* dir is walk[p, FILE_PATH_MAX - 1) (empty for the root) */
			sv->walk[FILE_PATH_MAX - 1] = '/';
			long total = (FILE_PATH_MAX - p) + n;
			if (bpf_probe_read_kernel(dst, FILE_PATH_MAX, sv->walk + p) == 0) {
				if (total >= FILE_PATH_MAX) {
					total = FILE_PATH_MAX;
					dst[FILE_PATH_MAX - 1] = 0;
				}
				*resolved = 1;
				return (int)total;
			}
		}
	}
	if (bpf_probe_read_kernel(dst, FILE_PATH_MAX, rel)) {
		dst[0] = 0;
		return 0;
	}
	return (int)n;
}

static __always_inline bool is_tracked_call(long id)
{
	switch (id) {
	case NR_open:
	case NR_creat:
	case NR_openat:
	case NR_openat2:
		return want_open || want_close;
	case NR_unlink:
	case NR_unlinkat:
	case NR_rmdir:
		return want_delete;
	case NR_rename:
	case NR_renameat:
	case NR_renameat2:
		return want_rename;
	}
	return false;
}

static __always_inline void on_close_enter(struct pt_regs *regs)
{
	struct fd_key k = {
		.tgid = bpf_get_current_pid_tgid() >> 32,
		.fd = (__s32)regs->di,
	};
	struct fd_state *st = bpf_map_lookup_elem(&file_fds, &k);
	if (!st)
		return;
	if (st->file != (__u64)file_of_fd(k.fd)) {
		bpf_map_delete_elem(&file_fds, &k); /* stale */
		return;
	}
	if (want_close) {
		struct file_event *e = otr_ringbuf_reserve(&file_events, FILE_CLOSE_EVENT_SIZE, OTR_PROBE_FILE);
		if (e) {
			otr_fill_header(&e->hdr, FILE_EV_CLOSE);
			e->duration_ns = 0;
			e->ret = 0;
			e->read_bytes = st->read_bytes;
			e->write_bytes = st->write_bytes;
			e->open_ktime = st->open_ts;
			e->nr = NR_close;
			e->flags = 0;
			e->mode = 0;
			e->fd = k.fd;
			e->dfd = 0;
			e->dfd2 = 0;
			e->path_len = 0;
			e->path2_len = 0;
			e->_pad0 = 0;
			otr_ringbuf_submit(&file_events, e, FILE_CLOSE_EVENT_SIZE);
		}
	}
	bpf_map_delete_elem(&file_fds, &k);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(file_sys_enter, struct pt_regs *regs, long id)
{
	if (id == NR_close) {
		on_close_enter(regs);
		return 0;
	}
	if (!is_tracked_call(id))
		return 0;
	if (!otr_filter_pass())
		return 0;

	struct file_call_slot *cp = bpf_task_storage_get(&file_calls, bpf_get_current_task_btf(), 0,
							 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!cp) {
		otr_count_loss(OTR_PROBE_FILE, OTR_LOSS_MAP_FULL);
		return 0;
	}
	struct file_call c = {};
	c.ts = bpf_ktime_get_ns();
	c.nr = (__u32)id;
	c.dfd = AT_FDCWD_;
	c.dfd2 = AT_FDCWD_;
	switch (id) {
	case NR_open:
		c.path_ptr = regs->di;
		c.flags = (__u32)regs->si;
		c.mode = (__u32)regs->dx;
		break;
	case NR_creat:
		c.path_ptr = regs->di;
		c.flags = 01 | 0100 | 01000; /* O_WRONLY|O_CREAT|O_TRUNC */
		c.mode = (__u32)regs->si;
		break;
	case NR_openat:
		c.dfd = (__s32)regs->di;
		c.path_ptr = regs->si;
		c.flags = (__u32)regs->dx;
		c.mode = (__u32)regs->r10;
		break;
	case NR_openat2: {
		struct open_how how = {};
		c.dfd = (__s32)regs->di;
		c.path_ptr = regs->si;
		if (bpf_probe_read_user(&how, sizeof(how), (void *)regs->dx) == 0) {
			c.flags = (__u32)how.flags;
			c.mode = (__u32)how.mode;
		}
		break;
	}
	case NR_unlink:
	case NR_rmdir:
		c.path_ptr = regs->di;
		break;
	case NR_unlinkat:
		c.dfd = (__s32)regs->di;
		c.path_ptr = regs->si;
		c.flags = (__u32)regs->dx;
		break;
	case NR_rename:
		c.path_ptr = regs->di;
		c.path2_ptr = regs->si;
		break;
	case NR_renameat:
	case NR_renameat2:
		c.dfd = (__s32)regs->di;
		c.path_ptr = regs->si;
		c.dfd2 = (__s32)regs->dx;
		c.path2_ptr = regs->r10;
		c.flags = id == NR_renameat2 ? (__u32)regs->r8 : 0;
		break;
	}
	cp->path_len = 0;
	cp->path2_len = 0;
	cp->resolved = 0;
	cp->resolved2 = 0;
	if (id != NR_open && id != NR_creat && id != NR_openat && id != NR_openat2) {
		/* delete/rename: a relative path is resolved now, against the
		 * cwd or dirfd the syscall itself uses; at exit (or in user space)
		 * a short-lived process may be gone. Opens resolve the opened file
		 * at exit instead (resolve_fd_path). */
		__u32 zero = 0;
		struct file_scratch_value *sv = bpf_map_lookup_elem(&file_scratch, &zero);
		if (sv) {
			cp->path_len = capture_path(sv, cp->path, c.path_ptr, c.dfd, &cp->resolved);
			if (c.path2_ptr)
				cp->path2_len = capture_path(sv, cp->path2, c.path2_ptr, c.dfd2, &cp->resolved2);
		}
	}
	cp->c = c;
	return 0;
}

static __always_inline void fill_call(struct file_event *e, struct file_call *c, __s64 ret, __u64 now)
{
	e->hdr.ktime = c->ts; /* the event's time is the syscall's entry */
	e->duration_ns = now - c->ts;
	e->ret = ret;
	e->read_bytes = 0;
	e->write_bytes = 0;
	e->open_ktime = 0;
	e->nr = c->nr;
	e->flags = c->flags;
	e->mode = c->mode;
	e->dfd = c->dfd;
	e->dfd2 = c->dfd2;
	e->path2_len = 0;
	e->_pad0 = 0;
}

static __always_inline int read_path(char *dst, __u64 ptr)
{
	long n = bpf_probe_read_user_str(dst, FILE_PATH_MAX, (void *)ptr);
	if (n < 0) {
		dst[0] = 0;
		return 0;
	}
	return (int)n;
}

/* slot_path copies a path captured at entry into dst and returns its
 * length. A path that was unreadable at entry (its user page not yet
 * faulted in; bpf_probe_read_user cannot fault) is read again now, after the
 * syscall has copied it in, as it is (user space may still resolve it). */
static __always_inline int slot_path(char *dst, char *src, __u16 len, __u64 ptr)
{
	if (!len || bpf_probe_read_kernel(dst, FILE_PATH_MAX, src))
		return read_path(dst, ptr);
	return len;
}

static __always_inline void on_call_exit(__u64 key, struct file_call *c, struct file_call_slot *slot, long ret)
{
	__u64 now = bpf_ktime_get_ns();
	bool is_open = c->nr == NR_open || c->nr == NR_openat || c->nr == NR_openat2 || c->nr == NR_creat;

	if (is_open && ret >= 0) {
		struct fd_key k = {.tgid = key >> 32, .fd = (__s32)ret};
		struct fd_state st = {.open_ts = c->ts, .file = (__u64)file_of_fd((__s32)ret)};
		if (bpf_map_update_elem(&file_fds, &k, &st, BPF_ANY))
			otr_count_loss(OTR_PROBE_FILE, OTR_LOSS_MAP_FULL);
	}
	if (ret < 0 && !want_failed)
		return;
	if (is_open && !want_open)
		return;

	if (c->nr == NR_rename || c->nr == NR_renameat || c->nr == NR_renameat2) {
		struct file_rename_event *r = otr_ringbuf_reserve(&file_events, sizeof(*r), OTR_PROBE_FILE);
		if (!r)
			return;
		otr_fill_header(&r->ev.hdr, FILE_EV_RENAME);
		fill_call(&r->ev, c, ret, now);
		r->ev.fd = -1;
		r->ev.path_len = slot_path(r->ev.path, slot->path, slot->path_len, c->path_ptr);
		r->ev.path2_len = slot_path(r->path2, slot->path2, slot->path2_len, c->path2_ptr);
		if (slot->resolved)
			r->ev.dfd = FILE_DFD_RESOLVED;
		if (slot->resolved2)
			r->ev.dfd2 = FILE_DFD_RESOLVED;
		otr_ringbuf_submit(&file_events, r, sizeof(*r));
		return;
	}

	/* fs.open/fs.delete are sent with only the bytes of the path that was
	 * read (bpf_ringbuf_output from a per-CPU scratch event), so that the
	 * ring holds several times more of them than at the full path size. */
	__u32 zero = 0;
	struct file_scratch_value *sv = bpf_map_lookup_elem(&file_scratch, &zero);
	if (!sv)
		return;
	struct file_event *e = &sv->ev;
	otr_fill_header(&e->hdr, is_open ? FILE_EV_OPEN : FILE_EV_DELETE);
	fill_call(e, c, ret, now);
	e->fd = is_open && ret >= 0 ? (__s32)ret : -1;
	if (is_open) {
		e->path_len = read_path(e->path, c->path_ptr);
	} else {
		e->path_len = slot_path(e->path, slot->path, slot->path_len, c->path_ptr);
		if (slot->resolved)
			e->dfd = FILE_DFD_RESOLVED;
	}
	/* A relative path of a successful open: the kernel knows where the file
	 * is, so report its absolute path (user space falls back to /proc). */
	if (is_open && ret >= 0 && e->path_len > 0 && e->path[0] != '/') {
		int n = resolve_fd_path((__s32)ret, sv);
		if (n > 0) {
			e->path_len = n;
			e->dfd = FILE_DFD_RESOLVED;
		} else {
			read_path(e->path, c->path_ptr);
		}
	}
	__u64 size = e->path_len & (2 * FILE_PATH_MAX - 1);
	size += FILE_CLOSE_EVENT_SIZE;
	if (bpf_ringbuf_output(&file_events, e, size, otr_ringbuf_output_flags(&file_events, size)))
		otr_count_loss(OTR_PROBE_FILE, OTR_LOSS_RINGBUF_FULL);
}

static __always_inline void count_io(struct pt_regs *regs, long ret, bool is_write)
{
	struct fd_key k = {
		.tgid = bpf_get_current_pid_tgid() >> 32,
		.fd = (__s32)regs->di,
	};
	struct fd_state *st = bpf_map_lookup_elem(&file_fds, &k);
	if (!st)
		return;
	if (is_write)
		__sync_fetch_and_add(&st->write_bytes, ret);
	else
		__sync_fetch_and_add(&st->read_bytes, ret);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(file_sys_exit, struct pt_regs *regs, long ret)
{
	/* At sys_exit, orig_ax still holds the syscall number and the argument
	 * registers are the caller's (the return value is in ax). */
	long id = regs->orig_ax;
	switch (id) {
	case NR_read:
	case NR_pread64:
	case NR_readv:
	case NR_preadv:
	case NR_preadv2:
		if (ret > 0 && want_close)
			count_io(regs, ret, false);
		return 0;
	case NR_write:
	case NR_pwrite64:
	case NR_writev:
	case NR_pwritev:
	case NR_pwritev2:
		if (ret > 0 && want_close)
			count_io(regs, ret, true);
		return 0;
	case NR_sendfile:
		/* sendfile(out_fd, in_fd, ...): reads in_fd, writes out_fd. */
		if (ret > 0 && want_close) {
			count_io(regs, ret, true);
			struct fd_key k = {.tgid = bpf_get_current_pid_tgid() >> 32, .fd = (__s32)regs->si};
			struct fd_state *st = bpf_map_lookup_elem(&file_fds, &k);
			if (st)
				__sync_fetch_and_add(&st->read_bytes, ret);
		}
		return 0;
	}
	if (!is_tracked_call(id))
		return 0;
	struct file_call_slot *slot = bpf_task_storage_get(&file_calls, bpf_get_current_task_btf(), 0, 0);
	if (!slot || !slot->c.ts || slot->c.nr != (__u32)id)
		return 0;
	struct file_call call = slot->c;
	slot->c.ts = 0;
	on_call_exit(bpf_get_current_pid_tgid(), &call, slot, ret);
	return 0;
}

/* Referenced so that bpf2go -type finds the types in the object's BTF. */
const struct file_event *file_unused_event __attribute__((unused));
const struct file_rename_event *file_unused_rename __attribute__((unused));

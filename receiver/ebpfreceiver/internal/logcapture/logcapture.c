//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * logcapture.c: the `logcapture` probe of the ebpf receiver (sidecar-free
 * logs).
 *
 * Regular expressions cannot run in BPF, so the decision "is this a log file"
 * is made in user space, once per open:
 *
 *  1. An open for writing (O_WRONLY/O_RDWR, creat) of a task that passes the
 *     shared filter emits LOG_EV_OPEN (path, fd, a file id) and marks
 *     (tgid, fd) in log_fds with that file id.
 *  2. write/writev/pwrite64/pwritev/pwritev2 on a marked fd emit LOG_EV_WRITE
 *     with the bytes the call wrote (at sys_exit, bounded by
 *     max_capture_bytes, flagged when cut). User space buffers a write whose
 *     open it has not decided yet (the open precedes it in the ring), and
 *     unmarks the fd when the path does not match, so only the first writes
 *     of a non-log file reach user space.
 *  3. dup/dup2/dup3/fcntl(F_DUPFD*) copy the mark to the new fd (LOG_EV_DUP);
 *     close removes it (LOG_EV_CLOSE, so that a held partial line is flushed).
 *  4. Console capture: writes to fd 1/2 of a filtered-in task that are not
 *     marked otherwise (LOG_EV_WRITE with iostream 1 or 2).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* x86_64 syscall numbers. */
#define NR_write 1
#define NR_open 2
#define NR_close 3
#define NR_pwrite64 18
#define NR_writev 20
#define NR_dup 32
#define NR_dup2 33
#define NR_fcntl 72
#define NR_creat 85
#define NR_openat 257
#define NR_dup3 292
#define NR_pwritev 296
#define NR_pwritev2 328
#define NR_openat2 437

#define F_DUPFD_ 0
#define F_DUPFD_CLOEXEC_ 1030
#define O_ACCMODE_ 3
#define AT_FDCWD_ -100

#define LOG_EV_OPEN 1
#define LOG_EV_WRITE 2
#define LOG_EV_DUP 3
#define LOG_EV_CLOSE 4

#define LOG_PATH_MAX 512
/* LOG_DATA_MAX is the hard upper bound of max_capture_bytes (power of 2). */
#define LOG_DATA_MAX 32768
#define LOG_IOV_MAX 16

const volatile __u32 max_capture_bytes = 16384;
const volatile __u32 capture_stdout = 0;
const volatile __u32 capture_stderr = 0;

OTR_NO_PADDING_BEGIN

struct log_call {
	__u64 ts;
	__u64 path_ptr;
	__s32 dfd;
	__u32 flags;
};

struct log_fd_key {
	__u32 tgid;
	__s32 fd;
};

/* log_fd is the mark of a captured fd. file is the struct file * it was
 * opened as: a write to the same fd number on another file (the fd was
 * closed by exec or close_range, which we do not see) is not captured. */
struct log_fd {
	__u64 file_id;
	__u64 file;
	__u64 seq; /* writes seen on this fd: lets user space see a lost one */
};

/* log_open_event: LOG_EV_OPEN. LOG_EV_DUP/LOG_EV_CLOSE use the same struct
 * up to path (fd2 is the new fd of a dup). */
struct log_open_event {
	struct otr_event_header hdr;
	__u64 file_id;
	__s32 fd;
	__s32 fd2;
	__s32 dfd;
	__u32 flags;
	__u16 path_len;
	__u16 _pad0;
	__u32 _pad1;
	char path[LOG_PATH_MAX];
};

/* log_write_event: LOG_EV_WRITE; only the first captured bytes of data are
 * sent. */
struct log_write_event {
	struct otr_event_header hdr;
	__u64 file_id;  /* 0 for console writes */
	__u64 length;   /* bytes the call wrote */
	__u32 captured; /* bytes of data that follow */
	__s32 fd;
	__u32 iostream; /* 0 file, 1 stdout, 2 stderr */
	__u32 _pad0;
	__u64 seq;      /* the fd's write number (file capture) */
	char data[3 * LOG_DATA_MAX]; /* only used up to LOG_DATA_MAX; 3x for the verifier */
};

OTR_NO_PADDING_END

#define LOG_FD_EVENT_SIZE (__builtin_offsetof(struct log_open_event, path))
#define LOG_WRITE_HDR_SIZE (__builtin_offsetof(struct log_write_event, data))

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24); /* resized by Go from the config */
} log_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct log_call);
} log_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* resized by Go */
	__type(key, struct log_fd_key);
	__type(value, struct log_fd);
} log_fds SEC(".maps");

/* file_of_fd returns the struct file behind fd of the current task. */
static __always_inline __u64 file_of_fd(__s32 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd < 0 || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return 0;
	return (__u64)f;
}

/* One scratch write event per CPU (too big for a per-CPU map). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set to the number of possible CPUs by Go */
	__type(key, __u32);
	__type(value, struct log_write_event);
} log_scratch SEC(".maps");

/* log_output_flags: for bpf_ringbuf_output, which queries before the
 * record is added: wake only when this record makes the ring cross
 * wakeup_bytes (see otr_ringbuf_submit in common.h). */
static __always_inline __u64 log_output_flags(__u64 size)
{
	struct otr_filter_config *cfg = otr_config();
	if (!cfg || !cfg->wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	__u64 avail = bpf_ringbuf_query(&log_events, BPF_RB_AVAIL_DATA);
	if (avail < cfg->wakeup_bytes && avail + size + 8 >= cfg->wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void emit_fd_event(__u32 type, __u64 file_id, __s32 fd, __s32 fd2)
{
	struct log_open_event *e = otr_ringbuf_reserve(&log_events, LOG_FD_EVENT_SIZE, OTR_PROBE_LOGCAPTURE);
	if (!e)
		return;
	otr_fill_header(&e->hdr, type);
	e->file_id = file_id;
	e->fd = fd;
	e->fd2 = fd2;
	e->dfd = 0;
	e->flags = 0;
	e->path_len = 0;
	e->_pad0 = 0;
	e->_pad1 = 0;
	otr_ringbuf_submit(&log_events, e, LOG_FD_EVENT_SIZE);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(log_sys_enter, struct pt_regs *regs, long id)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (id == NR_close) {
		struct log_fd_key k = {.tgid = tgid, .fd = (__s32)regs->di};
		struct log_fd *lf = bpf_map_lookup_elem(&log_fds, &k);
		if (!lf)
			return 0;
		emit_fd_event(LOG_EV_CLOSE, lf->file_id, k.fd, -1);
		bpf_map_delete_elem(&log_fds, &k);
		return 0;
	}
	struct log_call c = {};
	switch (id) {
	case NR_open:
		c.path_ptr = regs->di;
		c.flags = (__u32)regs->si;
		c.dfd = AT_FDCWD_;
		break;
	case NR_creat:
		c.path_ptr = regs->di;
		c.flags = 01 | 0100 | 01000;
		c.dfd = AT_FDCWD_;
		break;
	case NR_openat:
		c.dfd = (__s32)regs->di;
		c.path_ptr = regs->si;
		c.flags = (__u32)regs->dx;
		break;
	case NR_openat2: {
		__u64 flags = 0;
		c.dfd = (__s32)regs->di;
		c.path_ptr = regs->si;
		bpf_probe_read_user(&flags, sizeof(flags), (void *)regs->dx);
		c.flags = (__u32)flags;
		break;
	}
	default:
		return 0;
	}
	if ((c.flags & O_ACCMODE_) == 0)
		return 0; /* read-only: never written through */
	if (!otr_filter_pass())
		return 0;
	c.ts = bpf_ktime_get_ns();
	__u64 key = bpf_get_current_pid_tgid();
	if (bpf_map_update_elem(&log_calls, &key, &c, BPF_ANY))
		otr_count_loss(OTR_PROBE_LOGCAPTURE, OTR_LOSS_MAP_FULL);
	return 0;
}

static __always_inline void on_open_exit(long ret)
{
	__u64 key = bpf_get_current_pid_tgid();
	struct log_call *cp = bpf_map_lookup_elem(&log_calls, &key);
	if (!cp)
		return;
	struct log_call c = *cp;
	bpf_map_delete_elem(&log_calls, &key);
	if (ret < 0)
		return;
	__u64 file_id = bpf_ktime_get_ns();
	struct log_fd_key k = {.tgid = key >> 32, .fd = (__s32)ret};
	struct log_open_event *e = otr_ringbuf_reserve(&log_events, sizeof(*e), OTR_PROBE_LOGCAPTURE);
	if (!e)
		return; /* without its open, the fd's writes could not be attributed */
	otr_fill_header(&e->hdr, LOG_EV_OPEN);
	e->hdr.ktime = c.ts;
	e->file_id = file_id;
	e->fd = k.fd;
	e->fd2 = -1;
	e->dfd = c.dfd;
	e->flags = c.flags;
	e->_pad0 = 0;
	e->_pad1 = 0;
	long n = bpf_probe_read_user_str(e->path, sizeof(e->path), (void *)c.path_ptr);
	e->path_len = n > 0 ? (__u16)n : 0;
	otr_ringbuf_submit(&log_events, e, sizeof(*e));
	struct log_fd lf = {.file_id = file_id, .file = file_of_fd(k.fd)};
	if (bpf_map_update_elem(&log_fds, &k, &lf, BPF_ANY))
		otr_count_loss(OTR_PROBE_LOGCAPTURE, OTR_LOSS_MAP_FULL);
}

static __always_inline void on_dup_exit(__u32 tgid, __s32 oldfd, long ret, bool replaces)
{
	if (ret < 0)
		return;
	struct log_fd_key ok = {.tgid = tgid, .fd = oldfd};
	struct log_fd_key nk = {.tgid = tgid, .fd = (__s32)ret};
	if (oldfd == nk.fd)
		return;
	struct log_fd *lf = bpf_map_lookup_elem(&log_fds, &ok);
	if (lf) {
		struct log_fd v = *lf;
		bpf_map_update_elem(&log_fds, &nk, &v, BPF_ANY);
		emit_fd_event(LOG_EV_DUP, v.file_id, oldfd, nk.fd);
		return;
	}
	if (replaces) {
		/* dup2/dup3 closed the target fd first. */
		struct log_fd *old = bpf_map_lookup_elem(&log_fds, &nk);
		if (old) {
			emit_fd_event(LOG_EV_CLOSE, old->file_id, nk.fd, -1);
			bpf_map_delete_elem(&log_fds, &nk);
		}
	}
}

static __always_inline void on_write_exit(struct pt_regs *regs, long id, long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct log_fd_key k = {.tgid = tgid, .fd = (__s32)regs->di};
	__u64 file_id = 0, seq = 0;
	__u32 iostream = 0;
	struct log_fd *lf = bpf_map_lookup_elem(&log_fds, &k);
	if (lf) {
		__u64 f = file_of_fd(k.fd);
		if (lf->file == 0) {
			lf->file = f; /* marked by the /proc scan: adopt */
		} else if (lf->file != f) {
			bpf_map_delete_elem(&log_fds, &k); /* stale: not our file */
			return;
		}
		file_id = lf->file_id;
		seq = __sync_fetch_and_add(&lf->seq, 1);
	} else if ((k.fd == 1 && capture_stdout) || (k.fd == 2 && capture_stderr)) {
		iostream = (__u32)k.fd;
	} else {
		return;
	}
	if (!otr_filter_pass())
		return;

	__u32 zero = 0, cpu = bpf_get_smp_processor_id();
	struct log_write_event *e = bpf_map_lookup_elem(&log_scratch, &cpu);
	if (!e) {
		e = bpf_map_lookup_elem(&log_scratch, &zero);
		if (!e)
			return;
	}
	otr_fill_header(&e->hdr, LOG_EV_WRITE);
	e->file_id = file_id;
	e->length = (__u64)ret;
	e->fd = k.fd;
	e->iostream = iostream;
	e->_pad0 = 0;
	e->seq = seq;

	__u64 want = (__u64)ret;
	if (want > max_capture_bytes)
		want = max_capture_bytes;
	__u32 off = 0;
	if (id == NR_write || id == NR_pwrite64) {
		__u64 n = want;
		n &= 2 * LOG_DATA_MAX - 1; /* identity: want <= LOG_DATA_MAX */
		if (bpf_probe_read_user(e->data, n, (void *)regs->si) == 0)
			off = n;
	} else {
		/* writev/pwritev/pwritev2: fd, iov, iovcnt */
		struct iovec *iovp = (struct iovec *)regs->si;
		__u32 cnt = (__u32)regs->dx;
		for (int i = 0; i < LOG_IOV_MAX; i++) {
			if (i >= cnt || off >= want)
				break;
			struct iovec iov = {};
			if (bpf_probe_read_user(&iov, sizeof(iov), &iovp[i]))
				break;
			__u64 len = iov.iov_len;
			if (len > want - off)
				len = want - off;
			/* Both masks are the identity (off < want <= LOG_DATA_MAX,
			 * len <= want - off); they give the verifier its bounds. */
			__u64 n = len & (2 * LOG_DATA_MAX - 1);
			__u64 o = off & (LOG_DATA_MAX - 1);
			if (bpf_probe_read_user(&e->data[o], n, iov.iov_base))
				break;
			off = o + n;
		}
	}
	e->captured = off;
	__u64 size = (__u64)off & (2 * LOG_DATA_MAX - 1);
	size += LOG_WRITE_HDR_SIZE;
	if (bpf_ringbuf_output(&log_events, e, size, log_output_flags(size)))
		otr_count_loss(OTR_PROBE_LOGCAPTURE, OTR_LOSS_RINGBUF_FULL);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(log_sys_exit, struct pt_regs *regs, long ret)
{
	long id = regs->orig_ax;
	switch (id) {
	case NR_write:
	case NR_pwrite64:
	case NR_writev:
	case NR_pwritev:
	case NR_pwritev2:
		if (ret > 0)
			on_write_exit(regs, id, ret);
		return 0;
	case NR_open:
	case NR_creat:
	case NR_openat:
	case NR_openat2:
		on_open_exit(ret);
		return 0;
	case NR_dup:
		on_dup_exit(bpf_get_current_pid_tgid() >> 32, (__s32)regs->di, ret, false);
		return 0;
	case NR_dup2:
	case NR_dup3:
		on_dup_exit(bpf_get_current_pid_tgid() >> 32, (__s32)regs->di, ret, true);
		return 0;
	case NR_fcntl:
		if (regs->si == F_DUPFD_ || regs->si == F_DUPFD_CLOEXEC_)
			on_dup_exit(bpf_get_current_pid_tgid() >> 32, (__s32)regs->di, ret, false);
		return 0;
	}
	return 0;
}

const struct log_open_event *log_unused_open __attribute__((unused));
const struct log_write_event *log_unused_write __attribute__((unused));

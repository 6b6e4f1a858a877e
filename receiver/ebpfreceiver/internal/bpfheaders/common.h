/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * common.h: what every otelcol-trace probe's BPF C shares.
 *
 *   #include "vmlinux.h"
 *   #include <bpf/bpf_helpers.h>
 *   #include <bpf/bpf_core_read.h>
 *   #include <bpf/bpf_tracing.h>
 *   #include "common.h"
 *
 * - in-kernel filter maps and otr_filter_pass();
 * - the per-CPU loss counter map and otr_count_loss();
 * - otr_ringbuf_reserve()/otr_ringbuf_submit(): reserve counting failures,
 *   submit without wakeup but when the ring crosses wakeup_bytes;
 * - struct otr_event_header, the first field of every event, and
 *   otr_fill_header().
 *
 * The maps below are created ONCE by the receiver (Go) and handed to each
 * probe as probe.Env.SharedMaps; a probe passes them as
 * ebpf.CollectionOptions.MapReplacements. Their names, types and sizes are
 * fixed: the Go twin is internal/bpfheaders (header.go, shared.c).
 */
#ifndef OTR_COMMON_H
#define OTR_COMMON_H

/* Our own structs must have no implicit padding: make it an error here
 * (vmlinux.h itself is full of padding, so -Wpadded cannot be global). */
#pragma clang diagnostic push
#pragma clang diagnostic error "-Wpadded"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* ---- probe ids (index of the loss counters, `probe` metric attribute) ---- */
#define OTR_PROBE_PROCESS    1
#define OTR_PROBE_FILE       2
#define OTR_PROBE_NETWORK    3
#define OTR_PROBE_SYSCALL    4
#define OTR_PROBE_LOGCAPTURE 5
#define OTR_PROBE_TLS        6
#define OTR_PROBE_SOCKET     7
#define OTR_PROBE_MAX        16

/* ---- loss reasons (the `reason` metric attribute) ---- */
#define OTR_LOSS_RINGBUF_FULL 0 /* bpf_ringbuf_reserve failed */
#define OTR_LOSS_READ_FAILED  1 /* a bpf_probe_read_* of required data failed */
#define OTR_LOSS_MAP_FULL     2 /* a probe-internal map update failed */
#define OTR_LOSS_OTHER        3
#define OTR_LOSS_REASONS      8

/* ---- filter ---- */

/* Bits of otr_filter_config.flags: which include lists are active. An
 * active include list must match (OR within a list, AND across lists). */
#define OTR_FILTER_INCLUDE_PIDS    (1U << 0)
#define OTR_FILTER_INCLUDE_COMMS   (1U << 1)
#define OTR_FILTER_INCLUDE_UIDS    (1U << 2)
#define OTR_FILTER_INCLUDE_CGROUPS (1U << 3)

/* Values (bits) of otr_filter_pids: the pid is included / excluded; FOLLOW:
 * its children inherit the entry (process tree, maintained by the process
 * probe on fork/exit). */
#define OTR_PID_INCLUDE 1
#define OTR_PID_EXCLUDE 2
#define OTR_PID_FOLLOW  4

/* Values of the comm/uid/cgroup maps. */
#define OTR_MATCH_INCLUDE 1
#define OTR_MATCH_EXCLUDE 2

#define OTR_COMM_LEN 16
#define OTR_FILTER_MAX_ENTRIES 4096
#define OTR_FILTER_MAX_PIDS 65536

struct otr_filter_config {
	__u32 self_tgid;    /* the collector; always dropped */
	__u32 flags;        /* OTR_FILTER_INCLUDE_* */
	__u64 wakeup_bytes; /* wake the reader once a ring holds this much */
};

struct otr_comm_key {
	char comm[OTR_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct otr_filter_config);
} otr_filter_settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OTR_FILTER_MAX_PIDS);
	__type(key, __u32);  /* tgid */
	__type(value, __u8); /* OTR_PID_* bits */
} otr_filter_pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OTR_FILTER_MAX_ENTRIES);
	__type(key, struct otr_comm_key);
	__type(value, __u8); /* OTR_MATCH_* */
} otr_filter_comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OTR_FILTER_MAX_ENTRIES);
	__type(key, __u32);  /* uid */
	__type(value, __u8); /* OTR_MATCH_* */
} otr_filter_uids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OTR_FILTER_MAX_ENTRIES);
	__type(key, __u64);  /* cgroup v2 id */
	__type(value, __u8); /* OTR_MATCH_* */
} otr_filter_cgroups SEC(".maps");

/* Loss counters: key = probe id * OTR_LOSS_REASONS + reason. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OTR_PROBE_MAX * OTR_LOSS_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} otr_loss_counters SEC(".maps");

static __always_inline struct otr_filter_config *otr_config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&otr_filter_settings, &zero);
}

/* otr_filter_pass_task decides from tgid/uid/cgroup/comm whether events of
 * that task are wanted. */
static __always_inline bool otr_filter_pass_ids(__u32 tgid, __u32 uid, __u64 cgid,
						const char comm[OTR_COMM_LEN])
{
	struct otr_filter_config *cfg = otr_config();
	if (!cfg)
		return false;
	if (tgid == cfg->self_tgid)
		return false;

	__u8 *pv = bpf_map_lookup_elem(&otr_filter_pids, &tgid);
	__u8 pidv = pv ? *pv : 0;
	if (pidv & OTR_PID_EXCLUDE)
		return false;
	__u8 *uv = bpf_map_lookup_elem(&otr_filter_uids, &uid);
	if (uv && *uv == OTR_MATCH_EXCLUDE)
		return false;
	__u8 *cv = bpf_map_lookup_elem(&otr_filter_cgroups, &cgid);
	if (cv && *cv == OTR_MATCH_EXCLUDE)
		return false;
	struct otr_comm_key ck = {};
	__builtin_memcpy(ck.comm, comm, OTR_COMM_LEN);
	__u8 *mv = bpf_map_lookup_elem(&otr_filter_comms, &ck);
	if (mv && *mv == OTR_MATCH_EXCLUDE)
		return false;

	__u32 flags = cfg->flags;
	if ((flags & OTR_FILTER_INCLUDE_PIDS) && !(pidv & OTR_PID_INCLUDE))
		return false;
	if ((flags & OTR_FILTER_INCLUDE_UIDS) && !(uv && *uv == OTR_MATCH_INCLUDE))
		return false;
	if ((flags & OTR_FILTER_INCLUDE_CGROUPS) && !(cv && *cv == OTR_MATCH_INCLUDE))
		return false;
	if ((flags & OTR_FILTER_INCLUDE_COMMS) && !(mv && *mv == OTR_MATCH_INCLUDE))
		return false;
	return true;
}

/* otr_filter_pass decides from the current task whether its events are
 * wanted: the collector itself never; excluded pid/tree, comm, uid or
 * cgroup never; then every active include list must match. */
static __always_inline bool otr_filter_pass(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	__u64 cgid = bpf_get_current_cgroup_id();
	char comm[OTR_COMM_LEN] = {};
	bpf_get_current_comm(comm, sizeof(comm));
	return otr_filter_pass_ids(pid_tgid >> 32, uid, cgid, comm);
}

/* otr_tree_on_fork adds a new process to its parent's tree when the parent's
 * entry has OTR_PID_FOLLOW. Called by the process probe for every fork
 * (before filtering). */
static __always_inline void otr_tree_on_fork(__u32 parent_tgid, __u32 child_tgid)
{
	__u8 *pv = bpf_map_lookup_elem(&otr_filter_pids, &parent_tgid);
	if (!pv || !(*pv & OTR_PID_FOLLOW))
		return;
	__u8 v = *pv;
	bpf_map_update_elem(&otr_filter_pids, &child_tgid, &v, BPF_ANY);
}

/* otr_tree_on_exit forgets an exited process's tree entry (its pid may be
 * reused). Called by the process probe when a process's last thread exits,
 * after its exit event was emitted. */
static __always_inline void otr_tree_on_exit(__u32 tgid)
{
	__u8 *pv = bpf_map_lookup_elem(&otr_filter_pids, &tgid);
	if (pv && (*pv & OTR_PID_FOLLOW))
		bpf_map_delete_elem(&otr_filter_pids, &tgid);
}

/* ---- loss accounting ---- */

static __always_inline void otr_count_loss(__u32 probe_id, __u32 reason)
{
	__u32 key = probe_id * OTR_LOSS_REASONS + reason;
	__u64 *v = bpf_map_lookup_elem(&otr_loss_counters, &key);
	if (v)
		*v += 1; /* per-CPU: no atomic needed */
}

/* ---- ring buffer ---- */

/* otr_ringbuf_reserve reserves size bytes in ringbuf rb, counting a failure
 * as OTR_LOSS_RINGBUF_FULL of probe_id. */
static __always_inline void *otr_ringbuf_reserve(void *rb, __u64 size, __u32 probe_id)
{
	void *p = bpf_ringbuf_reserve(rb, size, 0);
	if (!p)
		otr_count_loss(probe_id, OTR_LOSS_RINGBUF_FULL);
	return p;
}

/* otr_ringbuf_submit submits a record of size bytes reserved from rb. It
 * wakes the reader only on the submit that makes the ring CROSS
 * wakeup_bytes: while the ring stays above the threshold the reader is
 * already draining it, and a wakeup per event (one irq_work self-IPI each,
 * microseconds on a VM) would only starve it further. A crossing missed by
 * racing CPUs is caught by the reader's poll timer (internal/ringreader).
 * After bpf_ringbuf_reserve the record already counts in AVAIL_DATA. */
static __always_inline void otr_ringbuf_submit(void *rb, void *data, __u64 size)
{
	__u64 flags = BPF_RB_NO_WAKEUP;
	struct otr_filter_config *cfg = otr_config();
	if (cfg && cfg->wakeup_bytes) {
		__u64 avail = bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA);
		if (avail >= cfg->wakeup_bytes && avail < cfg->wakeup_bytes + size + 8)
			flags = BPF_RB_FORCE_WAKEUP;
	}
	bpf_ringbuf_submit(data, flags);
}

/* otr_ringbuf_output_flags is the same policy for bpf_ringbuf_output of
 * size bytes, which queries the ring before the record is added. */
static __always_inline __u64 otr_ringbuf_output_flags(void *rb, __u64 size)
{
	struct otr_filter_config *cfg = otr_config();
	if (!cfg || !cfg->wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	__u64 avail = bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA);
	if (avail < cfg->wakeup_bytes && avail + size + 8 >= cfg->wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* ---- event header ---- */

/* otr_event_header starts every event a probe writes to its ring buffer.
 * 56 bytes, no implicit padding. Go twin: bpfheaders.Header. */
struct otr_event_header {
	__u32 type;      /* probe-specific event type */
	__u32 pid;       /* tgid (host pid namespace) */
	__u64 ktime;     /* bpf_ktime_get_ns() at the event */
	__u32 tid;       /* thread id */
	__u32 ppid;      /* real parent's tgid */
	__u32 uid;       /* real uid */
	__u32 _pad0;
	__u64 cgroup_id; /* bpf_get_current_cgroup_id() */
	char comm[OTR_COMM_LEN];
};

/* otr_fill_header fills h from the current task. */
static __always_inline void otr_fill_header(struct otr_event_header *h, __u32 type)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	h->type = type;
	h->pid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->ktime = bpf_ktime_get_ns();
	h->ppid = BPF_CORE_READ(task, real_parent, tgid);
	h->uid = (__u32)bpf_get_current_uid_gid();
	h->_pad0 = 0;
	h->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

#pragma clang diagnostic pop

/* OTR_NO_PADDING_BEGIN/END wrap a probe's own event structs so that any
 * implicit padding is a compile error. */
#define OTR_NO_PADDING_BEGIN _Pragma("clang diagnostic push") _Pragma("clang diagnostic error \"-Wpadded\"")
#define OTR_NO_PADDING_END _Pragma("clang diagnostic pop")

#endif /* OTR_COMMON_H */

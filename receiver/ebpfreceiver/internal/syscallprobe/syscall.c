//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * syscall.c: the generic `syscall` probe of the ebpf receiver.
 *
 * sys_enter stores the six raw arguments of the syscalls selected in
 * sc_selected (indexed by number, filled from the config); sys_exit emits
 * one event with the return value and the latency. For syscalls that take
 * a path (sc_selected value SC_PATH_ARG0/1), the path string is read at exit.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define SC_MAX 512
#define SC_PATH_MAX 256

/* Values of sc_selected. */
#define SC_SELECTED 1
#define SC_PATH_ARG0 2 /* selected; argument 0 is a path */
#define SC_PATH_ARG1 3 /* selected; argument 1 is a path */
#define SC_SOCKADDR_ARG1 4 /* selected; argument 1 is a struct sockaddr * */
#define SC_SOCKADDR_ARG4 5 /* selected; argument 4 is a struct sockaddr * */
#define SC_SOCKADDR_MAX 112 /* sizeof(struct sockaddr_un), rounded up */

OTR_NO_PADDING_BEGIN

struct sc_call {
	__u64 ts;
	__u64 args[6];
	__u32 nr;
	__u32 how;
};

struct sc_event {
	struct otr_event_header hdr;
	__u64 duration_ns;
	__s64 ret;
	__u64 args[6];
	__u32 nr;
	__u16 path_len;
	__u16 _pad0;
	char path[SC_PATH_MAX];
};

OTR_NO_PADDING_END

#define SC_EVENT_NOPATH_SIZE (__builtin_offsetof(struct sc_event, path))

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} sc_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SC_MAX);
	__type(key, __u32);
	__type(value, __u8);
} sc_selected SEC(".maps");

/* The selected call in flight of each thread (task-local storage: cheaper
 * than a hash keyed by pid_tgid, freed with the task). ts == 0: none. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sc_call);
} sc_calls SEC(".maps");

SEC("tp_btf/sys_enter")
int BPF_PROG(sc_sys_enter, struct pt_regs *regs, long id)
{
	if (id < 0 || id >= SC_MAX)
		return 0;
	__u32 nr = (__u32)id;
	__u8 *sel = bpf_map_lookup_elem(&sc_selected, &nr);
	if (!sel || !*sel)
		return 0;
	if (!otr_filter_pass())
		return 0;
	struct sc_call *c = bpf_task_storage_get(&sc_calls, bpf_get_current_task_btf(), 0,
						 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c) {
		otr_count_loss(OTR_PROBE_SYSCALL, OTR_LOSS_MAP_FULL);
		return 0;
	}
	c->ts = bpf_ktime_get_ns();
	c->nr = nr;
	c->how = *sel;
	c->args[0] = regs->di;
	c->args[1] = regs->si;
	c->args[2] = regs->dx;
	c->args[3] = regs->r10;
	c->args[4] = regs->r8;
	c->args[5] = regs->r9;
	return 0;
}

static __always_inline void fill_event(struct sc_event *e, struct sc_call *c, long ret, __u64 now)
{
	otr_fill_header(&e->hdr, 1);
	e->hdr.ktime = c->ts;
	e->duration_ns = now - c->ts;
	e->ret = ret;
	for (int i = 0; i < 6; i++)
		e->args[i] = c->args[i];
	e->nr = c->nr;
	e->_pad0 = 0;
	e->path_len = 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sc_sys_exit, struct pt_regs *regs, long ret)
{
	long id = regs->orig_ax;
	if (id < 0 || id >= SC_MAX)
		return 0;
	__u32 nr = (__u32)id;
	__u8 *sel = bpf_map_lookup_elem(&sc_selected, &nr);
	if (!sel || !*sel)
		return 0; /* not selected: skip the task storage lookup */
	struct sc_call *c = bpf_task_storage_get(&sc_calls, bpf_get_current_task_btf(), 0, 0);
	if (!c || !c->ts)
		return 0;
	if (c->nr != (__u32)id) {
		/* A selected call that never returned (e.g. a successful execve):
		 * forget it. */
		c->ts = 0;
		return 0;
	}
	__u64 now = bpf_ktime_get_ns();
	if (c->how == SC_PATH_ARG0 || c->how == SC_PATH_ARG1) {
		struct sc_event *e = otr_ringbuf_reserve(&sc_events, sizeof(*e), OTR_PROBE_SYSCALL);
		if (e) {
			fill_event(e, c, ret, now);
			__u64 ptr = c->how == SC_PATH_ARG0 ? c->args[0] : c->args[1];
			long n = bpf_probe_read_user_str(e->path, sizeof(e->path), (void *)ptr);
			e->path_len = n > 0 ? (__u16)n : 0;
			otr_ringbuf_submit(&sc_events, e, sizeof(*e));
		}
	} else if (c->how == SC_SOCKADDR_ARG1 || c->how == SC_SOCKADDR_ARG4) {
		/* The raw sockaddr (read at exit: accept/recvfrom fill it then),
		 * in the path buffer; path_len = bytes read. */
		struct sc_event *e = otr_ringbuf_reserve(&sc_events, sizeof(*e), OTR_PROBE_SYSCALL);
		if (e) {
			fill_event(e, c, ret, now);
			__u64 ptr = c->how == SC_SOCKADDR_ARG1 ? c->args[1] : c->args[4];
			if (ptr && bpf_probe_read_user(e->path, SC_SOCKADDR_MAX, (void *)ptr) == 0)
				e->path_len = SC_SOCKADDR_MAX;
			else if (ptr && bpf_probe_read_user(e->path, 16, (void *)ptr) == 0)
				e->path_len = 16;
			otr_ringbuf_submit(&sc_events, e, sizeof(*e));
		}
	} else {
		struct sc_event *e = otr_ringbuf_reserve(&sc_events, SC_EVENT_NOPATH_SIZE, OTR_PROBE_SYSCALL);
		if (e) {
			fill_event(e, c, ret, now);
			otr_ringbuf_submit(&sc_events, e, SC_EVENT_NOPATH_SIZE);
		}
	}
	c->ts = 0;
	return 0;
}

const struct sc_event *sc_unused_event __attribute__((unused));

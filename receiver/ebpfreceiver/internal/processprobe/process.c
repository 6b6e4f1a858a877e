//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// process.c: the process lifecycle probe (exec, fork, exit) of the otelcol-trace
// ebpf receiver. It also maintains the followed process trees of the shared
// filter (common.h otr_tree_on_fork/otr_tree_on_exit).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "common.h"

#define EVENT_EXEC 1
#define EVENT_FORK 2
#define EVENT_EXIT 3

#define FILENAME_MAX_LEN 256
#define ARGS_MAX_LEN 4096 /* power of two: reads are masked with ARGS_MAX_LEN-1 */

#define EXEC_FLAG_ARGS_TRUNCATED 1
#define EXEC_FLAG_FILENAME_TRUNCATED 2
#define EXEC_FLAG_ARGS_READ_FAILED 4

OTR_NO_PADDING_BEGIN
struct exec_event {
	struct otr_event_header hdr;
	__u64 start_time;   /* task->start_time, CLOCK_MONOTONIC ns */
	__u32 old_pid;      /* pid before exec (differs when a thread exec'd) */
	__u32 args_len;     /* bytes in args */
	__u64 args_size;    /* arg_end - arg_start: the argv's real size */
	__u32 filename_len; /* bytes in filename incl. NUL, from the kernel */
	__u32 flags;        /* EXEC_FLAG_* */
	__u32 ns_pid;
	__u32 ns_mnt;
	__u32 ns_net;
	__u32 ns_uts;
	char filename[FILENAME_MAX_LEN];
	char args[ARGS_MAX_LEN]; /* NUL-separated argv */
};

struct fork_event {
	struct otr_event_header hdr; /* pid/tid = the child, ppid = the parent */
	__u64 start_time;
};

struct exit_event {
	struct otr_event_header hdr;
	__u64 start_time;
	__u32 exit_code; /* task->exit_code: (status << 8) | signal */
	__u32 _pad0;
};
OTR_NO_PADDING_END

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} process_events SEC(".maps");

/* Processes whose exit was emitted: when the threads of a process exit
 * together (exit_group), several can see signal->live == 0; the first to
 * insert here emits. Cleared when a new process gets the pid (fork). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} exit_seen SEC(".maps");

// Referenced so that the types reach BTF for bpf2go -type.
const struct exec_event *unused_exec __attribute__((unused));
const struct fork_event *unused_fork __attribute__((unused));
const struct exit_event *unused_exit __attribute__((unused));

SEC("tp_btf/sched_process_exec")
int BPF_PROG(otr_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (!otr_filter_pass())
		return 0;
	struct exec_event *e = otr_ringbuf_reserve(&process_events, sizeof(*e), OTR_PROBE_PROCESS);
	if (!e)
		return 0;
	otr_fill_header(&e->hdr, EVENT_EXEC);
	e->start_time = BPF_CORE_READ(p, start_time);
	e->old_pid = old_pid;
	e->flags = 0;

	const char *filename = BPF_CORE_READ(bprm, filename);
	long n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), filename);
	if (n < 0) {
		e->filename[0] = 0;
		n = 0;
	} else if (n == sizeof(e->filename)) {
		e->flags |= EXEC_FLAG_FILENAME_TRUNCATED;
	}
	e->filename_len = n;

	struct mm_struct *mm = BPF_CORE_READ(p, mm);
	__u64 arg_start = BPF_CORE_READ(mm, arg_start);
	__u64 arg_end = BPF_CORE_READ(mm, arg_end);
	__u64 size = arg_end > arg_start ? arg_end - arg_start : 0;
	e->args_size = size;
	__u32 len = size;
	if (size > ARGS_MAX_LEN - 1) {
		len = ARGS_MAX_LEN - 1;
		e->flags |= EXEC_FLAG_ARGS_TRUNCATED;
	}
	barrier_var(len);
	len &= ARGS_MAX_LEN - 1;
	e->args_len = 0;
	if (len > 0) {
		if (bpf_probe_read_user(e->args, len, (const void *)arg_start) == 0) {
			e->args_len = len;
		} else {
			/* Emitted anyway, with process.command_args.truncated. */
			e->flags |= EXEC_FLAG_ARGS_READ_FAILED;
		}
	}

	e->ns_pid = BPF_CORE_READ(p, nsproxy, pid_ns_for_children, ns.inum);
	e->ns_mnt = BPF_CORE_READ(p, nsproxy, mnt_ns, ns.inum);
	e->ns_net = BPF_CORE_READ(p, nsproxy, net_ns, ns.inum);
	e->ns_uts = BPF_CORE_READ(p, nsproxy, uts_ns, ns.inum);

	otr_ringbuf_submit(&process_events, e, sizeof(*e));
	return 0;
}

/* PF_KTHREAD (include/linux/sched.h): the task is a kernel thread. Kernel
 * threads (kworkers forked by kthreadd, …) are not processes a user asks
 * about: their forks and exits are not reported. A user-mode helper forked
 * by a kernel thread loses the flag at its exec, and is reported from then. */
#define OTR_PF_KTHREAD 0x00200000

SEC("tp_btf/sched_process_fork")
int BPF_PROG(otr_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 child_tgid = BPF_CORE_READ(child, tgid);
	__u32 child_pid = BPF_CORE_READ(child, pid);
	if (child_tgid != child_pid)
		return 0; /* a new thread, not a new process */
	if (BPF_CORE_READ(child, flags) & OTR_PF_KTHREAD)
		return 0;
	__u32 parent_tgid = BPF_CORE_READ(parent, tgid);
	bpf_map_delete_elem(&exit_seen, &child_tgid);
	otr_tree_on_fork(parent_tgid, child_tgid);

	if (!otr_filter_pass())
		return 0;
	struct fork_event *e = otr_ringbuf_reserve(&process_events, sizeof(*e), OTR_PROBE_PROCESS);
	if (!e)
		return 0;
	otr_fill_header(&e->hdr, EVENT_FORK);
	e->hdr.pid = child_tgid;
	e->hdr.tid = child_pid;
	e->hdr.ppid = parent_tgid;
	e->start_time = BPF_CORE_READ(child, start_time);
	otr_ringbuf_submit(&process_events, e, sizeof(*e));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(otr_process_exit, struct task_struct *p)
{
	/* Only the last thread of the process: signal->live dropped to 0. */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	if (BPF_CORE_READ(p, flags) & OTR_PF_KTHREAD)
		return 0;
	__u32 tgid = BPF_CORE_READ(p, tgid);
	__u8 one = 1;
	if (bpf_map_update_elem(&exit_seen, &tgid, &one, BPF_NOEXIST) != 0)
		return 0; /* another thread of the process already did */
	if (otr_filter_pass()) {
		struct exit_event *e = otr_ringbuf_reserve(&process_events, sizeof(*e), OTR_PROBE_PROCESS);
		if (e) {
			otr_fill_header(&e->hdr, EVENT_EXIT);
			e->start_time = BPF_CORE_READ(p, group_leader, start_time);
			e->exit_code = BPF_CORE_READ(p, exit_code);
			e->_pad0 = 0;
			otr_ringbuf_submit(&process_events, e, sizeof(*e));
		}
	}
	otr_tree_on_exit(tgid);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

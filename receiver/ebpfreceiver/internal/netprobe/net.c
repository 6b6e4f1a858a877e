//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * net.c: the `network` probe of the ebpf receiver.
 *
 *   connect          -> net.connect (peer from the sockaddr, local from the
 *                       socket, latency)
 *   accept/accept4   -> net.accept  (both ends from the accepted socket)
 *   close of a socket seen in connect/accept -> net.close (bytes sent and
 *                       received since, summed in the kernel per (tgid, fd))
 *
 * Sockets are found from the fd through the task's fd table
 * (task->files->fdt->fd[fd]->private_data), read with CO-RE.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* x86_64 syscall numbers. */
#define NR_read 0
#define NR_write 1
#define NR_close 3
#define NR_readv 19
#define NR_writev 20
#define NR_sendfile 40
#define NR_connect 42
#define NR_accept 43
#define NR_sendto 44
#define NR_recvfrom 45
#define NR_sendmsg 46
#define NR_recvmsg 47
#define NR_accept4 288

#define NET_EV_CONNECT 1
#define NET_EV_ACCEPT 2
#define NET_EV_CLOSE 3

#define ROLE_CLIENT 1
#define ROLE_SERVER 2

#define AF_UNIX_ 1
#define AF_INET_ 2
#define AF_INET6_ 10
#define EINPROGRESS_ 115
#define S_IFMT_ 00170000
#define S_IFSOCK_ 0140000

#define NET_UNIX_PATH_MAX 112

const volatile __u32 want_failed = 1;

OTR_NO_PADDING_BEGIN

struct net_call {
	__u64 ts;
	__u64 addr_ptr;
	__s32 fd;
	__u32 addr_len;
};

struct sock_key {
	__u32 tgid;
	__s32 fd;
};

/* sock_info is the part of an event that describes the socket. */
struct sock_info {
	__u16 family;
	__u16 protocol; /* IPPROTO_* (0 for unix) */
	__u16 type;     /* SOCK_STREAM, SOCK_DGRAM, ... */
	__u16 lport;    /* host byte order */
	__u16 rport;    /* host byte order */
	__u16 role;     /* ROLE_* */
	__u32 _pad0;
	__u8 laddr[16];
	__u8 raddr[16];
};

struct sock_state {
	__u64 open_ts;
	__u64 sent;
	__u64 received;
	__u64 sk; /* the struct sock *: a close of the same fd number on another
		   * socket (exec/close_range closed ours unseen) is not ours */
	struct sock_info info;
};

struct net_event {
	struct otr_event_header hdr;
	__u64 duration_ns; /* connect latency, or the connection's life at close */
	__s64 ret;
	__u64 sent;
	__u64 received;
	__u64 open_ktime;
	__s32 fd;
	__u32 _pad0;
	struct sock_info info;
	char unix_path[NET_UNIX_PATH_MAX]; /* the peer's path (connect on AF_UNIX) */
};

OTR_NO_PADDING_END

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by Go from the config */
} net_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct net_call);
} net_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* resized by Go */
	__type(key, struct sock_key);
	__type(value, struct sock_state);
} net_socks SEC(".maps");

/* sock_of_fd returns the socket behind fd of the current task, or NULL. */
static __always_inline struct sock *sock_of_fd(__s32 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd < 0 || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT_) != S_IFSOCK_)
		return NULL;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	if (!sock)
		return NULL;
	return BPF_CORE_READ(sock, sk);
}

/* fill_sock_info reads family, protocol, type and both ends from sk. */
static __always_inline void fill_sock_info(struct sock_info *in, struct sock *sk)
{
	in->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	in->protocol = BPF_CORE_READ(sk, sk_protocol);
	in->type = BPF_CORE_READ(sk, sk_type);
	if (in->family == AF_INET_) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(in->laddr, &l, 4);
		__builtin_memcpy(in->raddr, &r, 4);
	} else if (in->family == AF_INET6_) {
		BPF_CORE_READ_INTO(&in->laddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&in->raddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
	if (in->family == AF_INET_ || in->family == AF_INET6_) {
		in->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		in->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	}
}

static __always_inline void emit_close(struct sock_key *k, struct sock_state *st)
{
	struct net_event *e = otr_ringbuf_reserve(&net_events, sizeof(*e), OTR_PROBE_NETWORK);
	if (!e)
		return;
	otr_fill_header(&e->hdr, NET_EV_CLOSE);
	e->duration_ns = e->hdr.ktime - st->open_ts;
	e->ret = 0;
	e->sent = st->sent;
	e->received = st->received;
	e->open_ktime = st->open_ts;
	e->fd = k->fd;
	e->_pad0 = 0;
	e->info = st->info;
	e->unix_path[0] = 0;
	otr_ringbuf_submit(&net_events, e, sizeof(*e));
}

SEC("tp_btf/sys_enter")
int BPF_PROG(net_sys_enter, struct pt_regs *regs, long id)
{
	if (id == NR_close) {
		struct sock_key k = {.tgid = bpf_get_current_pid_tgid() >> 32, .fd = (__s32)regs->di};
		struct sock_state *st = bpf_map_lookup_elem(&net_socks, &k);
		if (!st)
			return 0;
		if (st->sk == (__u64)sock_of_fd(k.fd))
			emit_close(&k, st);
		bpf_map_delete_elem(&net_socks, &k);
		return 0;
	}
	if (id != NR_connect)
		return 0;
	if (!otr_filter_pass())
		return 0;
	struct net_call c = {
		.ts = bpf_ktime_get_ns(),
		.fd = (__s32)regs->di,
		.addr_ptr = regs->si,
		.addr_len = (__u32)regs->dx,
	};
	__u64 key = bpf_get_current_pid_tgid();
	if (bpf_map_update_elem(&net_calls, &key, &c, BPF_ANY))
		otr_count_loss(OTR_PROBE_NETWORK, OTR_LOSS_MAP_FULL);
	return 0;
}

static __always_inline void track(__s32 fd, __u64 ts, struct sock_info *in, struct sock *sk)
{
	struct sock_key k = {.tgid = bpf_get_current_pid_tgid() >> 32, .fd = fd};
	struct sock_state st = {.open_ts = ts, .sk = (__u64)sk, .info = *in};
	if (bpf_map_update_elem(&net_socks, &k, &st, BPF_ANY))
		otr_count_loss(OTR_PROBE_NETWORK, OTR_LOSS_MAP_FULL);
}

static __always_inline void on_connect_exit(long ret)
{
	__u64 key = bpf_get_current_pid_tgid();
	struct net_call *cp = bpf_map_lookup_elem(&net_calls, &key);
	if (!cp)
		return;
	struct net_call c = *cp;
	bpf_map_delete_elem(&net_calls, &key);
	bool ok = ret == 0 || ret == -EINPROGRESS_;
	if (!ok && !want_failed)
		return;

	struct net_event *e = otr_ringbuf_reserve(&net_events, sizeof(*e), OTR_PROBE_NETWORK);
	if (!e)
		return;
	otr_fill_header(&e->hdr, NET_EV_CONNECT);
	__builtin_memset(&e->info, 0, sizeof(e->info));
	e->hdr.ktime = c.ts;
	e->duration_ns = bpf_ktime_get_ns() - c.ts;
	e->ret = ret;
	e->sent = 0;
	e->received = 0;
	e->open_ktime = c.ts;
	e->fd = c.fd;
	e->_pad0 = 0;
	e->unix_path[0] = 0;
	struct sock *sk = sock_of_fd(c.fd);
	if (sk)
		fill_sock_info(&e->info, sk);
	e->info.role = ROLE_CLIENT;

	/* The peer as the caller asked for it (the socket may not hold it yet
	 * when the connect failed or is in progress). */
	__u16 family = 0;
	bpf_probe_read_user(&family, sizeof(family), (void *)c.addr_ptr);
	if (family == AF_INET_) {
		struct sockaddr_in sin = {};
		bpf_probe_read_user(&sin, sizeof(sin), (void *)c.addr_ptr);
		e->info.family = AF_INET_;
		e->info.rport = bpf_ntohs(sin.sin_port);
		__builtin_memcpy(e->info.raddr, &sin.sin_addr.s_addr, 4);
	} else if (family == AF_INET6_) {
		struct sockaddr_in6 sin6 = {};
		bpf_probe_read_user(&sin6, sizeof(sin6), (void *)c.addr_ptr);
		e->info.family = AF_INET6_;
		e->info.rport = bpf_ntohs(sin6.sin6_port);
		__builtin_memcpy(e->info.raddr, sin6.sin6_addr.in6_u.u6_addr8, 16);
	} else if (family == AF_UNIX_) {
		e->info.family = AF_UNIX_;
		bpf_probe_read_user_str(e->unix_path, sizeof(e->unix_path),
					(void *)(c.addr_ptr + __builtin_offsetof(struct sockaddr_un, sun_path)));
	}
	if (ok)
		track(c.fd, c.ts, &e->info, sk);
	otr_ringbuf_submit(&net_events, e, sizeof(*e));
}

static __always_inline void on_accept_exit(long ret)
{
	if (ret < 0)
		return; /* a failed accept (EAGAIN on a non-blocking listener) is noise */
	if (!otr_filter_pass())
		return;
	struct net_event *e = otr_ringbuf_reserve(&net_events, sizeof(*e), OTR_PROBE_NETWORK);
	if (!e)
		return;
	otr_fill_header(&e->hdr, NET_EV_ACCEPT);
	__builtin_memset(&e->info, 0, sizeof(e->info));
	e->duration_ns = 0;
	e->ret = ret;
	e->sent = 0;
	e->received = 0;
	e->open_ktime = e->hdr.ktime;
	e->fd = (__s32)ret;
	e->_pad0 = 0;
	e->unix_path[0] = 0;
	struct sock *sk = sock_of_fd((__s32)ret);
	if (sk)
		fill_sock_info(&e->info, sk);
	e->info.role = ROLE_SERVER;
	track((__s32)ret, e->hdr.ktime, &e->info, sk);
	otr_ringbuf_submit(&net_events, e, sizeof(*e));
}

static __always_inline void count_io(__s32 fd, long ret, bool sent)
{
	struct sock_key k = {.tgid = bpf_get_current_pid_tgid() >> 32, .fd = fd};
	struct sock_state *st = bpf_map_lookup_elem(&net_socks, &k);
	if (!st)
		return;
	if (sent)
		__sync_fetch_and_add(&st->sent, ret);
	else
		__sync_fetch_and_add(&st->received, ret);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(net_sys_exit, struct pt_regs *regs, long ret)
{
	long id = regs->orig_ax;
	switch (id) {
	case NR_write:
	case NR_writev:
	case NR_sendto:
	case NR_sendmsg:
		if (ret > 0)
			count_io((__s32)regs->di, ret, true);
		return 0;
	case NR_sendfile:
		if (ret > 0)
			count_io((__s32)regs->di, ret, true);
		return 0;
	case NR_read:
	case NR_readv:
	case NR_recvfrom:
	case NR_recvmsg:
		if (ret > 0)
			count_io((__s32)regs->di, ret, false);
		return 0;
	case NR_connect:
		on_connect_exit(ret);
		return 0;
	case NR_accept:
	case NR_accept4:
		on_accept_exit(ret);
		return 0;
	}
	return 0;
}

const struct net_event *net_unused_event __attribute__((unused));

//go:build ignore

// socket.bpf.c: plaintext payloads of TCP sockets. sys_enter saves the
// arguments of read/write/readv/writev/sendto/recvfrom/sendmsg/recvmsg on a
// TCP socket
// that passes the shared filter and the port/address filters; sys_exit
// emits the bytes the call transferred as net.payload records (payload.h).

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "common.h"

#define PAYLOAD_PROBE_ID OTR_PROBE_SOCKET
#include "payload.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define NR_read 0
#define NR_write 1
#define NR_sendto 44
#define NR_recvfrom 45
#define NR_sendmsg 46
#define NR_recvmsg 47
#define NR_readv 19
#define NR_writev 20

// port_filter / addr_filter: set by user space when the lists are active.
volatile const __u32 port_filter = 0;
volatile const __u32 addr_filter = 0;

OTR_NO_PADDING_BEGIN

struct addr_key {
	__u32 prefixlen;
	__u8 addr[16]; // IPv6, or IPv4-mapped IPv6
};

struct sock_call {
	__u64 buf;
	__u64 start_ns;
	__u64 iov;    // vectored calls: the user iovec array, else 0
	__u64 iovcnt;
	__s32 fd;
	__u8 direction;
	__u8 pad[3];
};

OTR_NO_PADDING_END

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u16);
	__type(value, __u8);
} socket_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__type(key, struct addr_key);
	__type(value, __u8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} socket_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct sock_call);
} socket_calls SEC(".maps");

static __always_inline bool socket_wanted(struct sock *sk)
{
	if (port_filter) {
		__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
		__u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (!bpf_map_lookup_elem(&socket_ports, &lport) && !bpf_map_lookup_elem(&socket_ports, &rport))
			return false;
	}
	if (addr_filter) {
		struct addr_key k = {.prefixlen = 128};
		__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
		if (family == AF_INET) {
			__u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);
			k.addr[10] = 0xff;
			k.addr[11] = 0xff;
			__builtin_memcpy(&k.addr[12], &d, 4);
		} else {
			BPF_CORE_READ_INTO(&k.addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		}
		if (!bpf_map_lookup_elem(&socket_addrs, &k))
			return false;
	}
	return true;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(socket_sys_enter, struct pt_regs *regs, long id)
{
	__u8 dir;
	switch (id) {
	case NR_write:
	case NR_writev:
	case NR_sendto:
	case NR_sendmsg:
		dir = DIR_TRANSMIT;
		break;
	case NR_read:
	case NR_readv:
	case NR_recvfrom:
	case NR_recvmsg:
		dir = DIR_RECEIVE;
		break;
	default:
		return 0;
	}
	int fd = (int)BPF_CORE_READ(regs, di);
	struct sock *sk = sock_from_fd(fd);
	if (!sock_is_tcp(sk))
		return 0;
	if (!otr_filter_pass() || !socket_wanted(sk))
		return 0;

	struct sock_call call = {
		.start_ns = bpf_ktime_get_ns(),
		.fd = fd,
		.direction = dir,
	};
	__u64 arg = BPF_CORE_READ(regs, si);
	if (id == NR_sendmsg || id == NR_recvmsg) {
		struct user_msghdr msg = {};
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)arg) != 0 || !msg.msg_iov || msg.msg_iovlen == 0)
			return 0;
		call.iov = (__u64)msg.msg_iov;
		call.iovcnt = msg.msg_iovlen;
	} else if (id == NR_readv || id == NR_writev) {
		call.iov = arg;
		call.iovcnt = BPF_CORE_READ(regs, dx);
	} else {
		call.buf = arg;
	}
	__u64 key = bpf_get_current_pid_tgid();
	if (bpf_map_update_elem(&socket_calls, &key, &call, BPF_ANY) != 0)
		otr_count_loss(OTR_PROBE_SOCKET, OTR_LOSS_MAP_FULL);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(socket_sys_exit, struct pt_regs *regs, long ret)
{
	// Cheap test first: this runs after every syscall of the system.
	long id = BPF_CORE_READ(regs, orig_ax);
	if (id != NR_read && id != NR_write && id != NR_sendto && id != NR_recvfrom && id != NR_sendmsg &&
	    id != NR_recvmsg && id != NR_readv && id != NR_writev)
		return 0;
	__u64 key = bpf_get_current_pid_tgid();
	struct sock_call *call = bpf_map_lookup_elem(&socket_calls, &key);
	if (!call)
		return 0;
	struct sock_call c = *call;
	bpf_map_delete_elem(&socket_calls, &key);
	if (ret <= 0)
		return 0;

	struct payload_call pc = {
		.buf = c.buf,
		.length = ret,
		.conn_ptr = (__u64)c.fd,
		.start_ns = c.start_ns,
		.fd = c.fd,
		.direction = c.direction,
		.source = SRC_SOCKET,
	};
	struct conn_key ck = {.pid = key >> 32, .source = SRC_SOCKET, .ptr = (__u64)c.fd};
	emit_payload(&pc, &ck, c.iov, c.iovcnt);
	return 0;
}

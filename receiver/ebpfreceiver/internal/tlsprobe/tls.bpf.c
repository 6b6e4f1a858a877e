//go:build ignore

// tls.bpf.c: uprobes on TLS libraries that capture the plaintext of each
// read/write call (OpenSSL SSL_read/SSL_write and their _ex variants,
// GnuTLS gnutls_record_recv/send, Go crypto/tls (*Conn).Read/Write), entry
// probes on the teardown functions (SSL_free, SSL_clear, gnutls_deinit, Go
// (*Conn).Close) that end a connection's state, plus a sched_process_exec
// hook that tells user space about new binaries.
//
// Entry probes save the call's arguments keyed by thread (C libraries) or by
// goroutine (Go: R14 holds the g pointer, and a goroutine can move between
// threads while blocked); return probes emit the bytes the call transferred.
// Go functions are not hooked with uretprobes (they corrupt Go stacks):
// user space attaches go_tls_*_ret at every RET instruction of the function.

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "common.h"

#define PAYLOAD_PROBE_ID OTR_PROBE_TLS
#include "payload.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// OpenSSL struct offsets (SSL->rbio, BIO->num) per library profile, set by
// user space in the attach cookie: bits 32..39 hold the profile.
#define PROFILE_NONE 0
#define PROFILE_OPENSSL_11 1
#define PROFILE_OPENSSL_30 2

OTR_NO_PADDING_BEGIN

struct tls_call_key {
	__u64 id;  // pid_tgid (C libraries) or tgid << 32 (Go)
	__u64 g;   // goroutine pointer (Go), 0 otherwise
};

struct tls_call {
	__u64 conn;
	__u64 buf;
	__u64 len_ptr;   // size_t* of the _ex variants, 0 otherwise
	__u64 start_ns;
	__u64 cookie;
	__s32 fd;
	__u8 direction;
	__u8 source;
	__u8 ret_int;  // the function returns a C int: sign-extend 32 bits
	__u8 role;     // 0 unknown, 1 client, 2 server
};

OTR_NO_PADDING_END

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tls_call_key);
	__type(value, struct tls_call);
} tls_calls SEC(".maps");

static __always_inline int openssl_fd(__u64 ssl, __u64 cookie)
{
	__u32 profile = (cookie >> 32) & 0xff;
	__u64 rbio = 0;
	int fd = -1;
	__u32 num_off;
	switch (profile) {
	case PROFILE_OPENSSL_11:
		num_off = 48;
		break;
	case PROFILE_OPENSSL_30:
		num_off = 56;
		break;
	default:
		return -1;
	}
	if (bpf_probe_read_user(&rbio, sizeof(rbio), (void *)(ssl + 16)) != 0 || !rbio)
		return -1;
	if (bpf_probe_read_user(&fd, sizeof(fd), (void *)(rbio + num_off)) != 0)
		return -1;
	return fd;
}

// openssl_role reads SSL->server (offset 56 in the 1.1.x and 3.0/3.1
// layouts, after version, method, rbio, wbio, bbio, rwstate and
// handshake_func).
static __always_inline __u8 openssl_role(__u64 ssl, __u64 cookie)
{
	__u32 profile = (cookie >> 32) & 0xff;
	int server = -1;
	if (profile != PROFILE_OPENSSL_11 && profile != PROFILE_OPENSSL_30)
		return 0;
	if (bpf_probe_read_user(&server, sizeof(server), (void *)(ssl + 56)) != 0)
		return 0;
	if (server == 0)
		return 1;
	if (server == 1)
		return 2;
	return 0;
}

// go_role reads tls.Conn.isClient (the bool after the net.Conn interface).
static __always_inline __u8 go_role(__u64 c)
{
	__u8 is_client = 0xff;
	if (bpf_probe_read_user(&is_client, sizeof(is_client), (void *)(c + 16)) != 0)
		return 0;
	if (is_client == 1)
		return 1;
	if (is_client == 0)
		return 2;
	return 0;
}

static __always_inline int save_call(__u64 conn, __u64 buf, __u64 len_ptr, __u8 dir, __u8 source,
				     __u64 g, int fd, __u64 cookie, __u8 ret_int, __u8 role)
{
	if (!otr_filter_pass())
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	struct tls_call_key key = {.id = g ? (id & 0xffffffff00000000ULL) : id, .g = g};
	struct tls_call call = {
		.conn = conn,
		.buf = buf,
		.len_ptr = len_ptr,
		.start_ns = bpf_ktime_get_ns(),
		.cookie = cookie,
		.fd = fd,
		.direction = dir,
		.source = source,
		.ret_int = ret_int,
		.role = role,
	};
	bpf_map_update_elem(&tls_calls, &key, &call, BPF_ANY);
	return 0;
}

// finish_call emits the bytes of the call saved under (id, g); ret is the
// byte count (or, for the _ex variants, the success flag).
static __always_inline int finish_call(__s64 ret, __u64 g)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tls_call_key key = {.id = g ? (id & 0xffffffff00000000ULL) : id, .g = g};
	struct tls_call *call = bpf_map_lookup_elem(&tls_calls, &key);
	if (!call)
		return 0;
	struct tls_call c = *call;
	bpf_map_delete_elem(&tls_calls, &key);

	__s64 n = c.ret_int ? (__s64)(int)ret : ret;
	if (c.len_ptr) {
		if (n != 1)
			return 0;
		__u64 done = 0;
		if (bpf_probe_read_user(&done, sizeof(done), (void *)c.len_ptr) != 0)
			return 0;
		n = (__s64)done;
	}
	if (n <= 0)
		return 0;

	struct payload_call pc = {
		.buf = c.buf,
		.length = n,
		.conn_ptr = c.conn,
		.start_ns = c.start_ns,
		.cookie = c.cookie,
		.fd = c.fd,
		.direction = c.direction,
		.source = c.source,
		.role = c.role,
	};
	struct conn_key ck = {.pid = id >> 32, .source = c.source, .ptr = c.conn};
	emit_payload_chunks(&pc, &ck);
	return 0;
}

// ---- C libraries: OpenSSL / BoringSSL, GnuTLS ----
//
// One entry program for every hooked C function: the attach cookie says
// which (bits 40..47, HOOK_*), besides the file (bits 0..31, user space maps
// it to payload.library.path) and the OpenSSL layout (bits 32..39).

#define HOOK_SSL_WRITE 1
#define HOOK_SSL_READ 2
#define HOOK_SSL_WRITE_EX 3
#define HOOK_SSL_READ_EX 4
#define HOOK_GNUTLS_SEND 5
#define HOOK_GNUTLS_RECV 6
#define HOOK_GO_WRITE 7
#define HOOK_GO_READ 8
// Teardown: the object is freed or reset for another connection; its
// connection state is deleted, so that an object reused at the same address
// starts a new connection (new connection.id generation, sequence 0).
#define HOOK_SSL_FREE 9
#define HOOK_SSL_CLEAR 10
#define HOOK_GNUTLS_DEINIT 11
#define HOOK_GO_CLOSE 12

// conn_forget deletes the connection state of (current process, source,
// ptr). Not filtered: deleting is cheap and a state must never outlive its
// object.
static __always_inline int conn_forget(__u32 source, __u64 ptr)
{
	struct conn_key key = {.pid = bpf_get_current_pid_tgid() >> 32, .source = source, .ptr = ptr};
	bpf_map_delete_elem(&payload_conns, &key);
	return 0;
}

static __always_inline int c_entry(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 a0 = PT_REGS_PARM1(ctx), a1 = PT_REGS_PARM2(ctx), a3 = PT_REGS_PARM4(ctx);
	switch ((cookie >> 40) & 0xff) {
	case HOOK_SSL_WRITE:
		return save_call(a0, a1, 0, DIR_TRANSMIT, SRC_OPENSSL, 0, openssl_fd(a0, cookie), cookie, 1,
				 openssl_role(a0, cookie));
	case HOOK_SSL_READ:
		return save_call(a0, a1, 0, DIR_RECEIVE, SRC_OPENSSL, 0, openssl_fd(a0, cookie), cookie, 1,
				 openssl_role(a0, cookie));
	case HOOK_SSL_WRITE_EX:
		return save_call(a0, a1, a3, DIR_TRANSMIT, SRC_OPENSSL, 0, openssl_fd(a0, cookie), cookie, 1,
				 openssl_role(a0, cookie));
	case HOOK_SSL_READ_EX:
		return save_call(a0, a1, a3, DIR_RECEIVE, SRC_OPENSSL, 0, openssl_fd(a0, cookie), cookie, 1,
				 openssl_role(a0, cookie));
	case HOOK_GNUTLS_SEND:
		return save_call(a0, a1, 0, DIR_TRANSMIT, SRC_GNUTLS, 0, -1, cookie, 0, 0);
	case HOOK_GNUTLS_RECV:
		return save_call(a0, a1, 0, DIR_RECEIVE, SRC_GNUTLS, 0, -1, cookie, 0, 0);
	case HOOK_SSL_FREE:
	case HOOK_SSL_CLEAR:
		return conn_forget(SRC_OPENSSL, a0);
	case HOOK_GNUTLS_DEINIT:
		return conn_forget(SRC_GNUTLS, a0);
	}
	return 0;
}

// tls_entry / tls_ret: uprobe_multi links (one per file: a single detach).
SEC("uprobe.multi/tls_entry")
int tls_entry(struct pt_regs *ctx)
{
	return c_entry(ctx);
}

SEC("uretprobe.multi/tls_ret")
int tls_ret(struct pt_regs *ctx)
{
	return finish_call((__s64)PT_REGS_RC(ctx), 0);
}

// tls_entry_single / tls_ret_single: the same as single uprobes, for
// kernels without uprobe_multi (< 6.6).
SEC("uprobe/tls_entry")
int tls_entry_single(struct pt_regs *ctx)
{
	return c_entry(ctx);
}

SEC("uretprobe/tls_ret")
int tls_ret_single(struct pt_regs *ctx)
{
	return finish_call((__s64)PT_REGS_RC(ctx), 0);
}

// ---- Go crypto/tls (amd64 register ABI) ----
//
// func (c *Conn) Close() error: RAX = c (entry probe only).
// func (c *Conn) Write(b []byte) (int, error): RAX = c, RBX = b.ptr,
// RCX = b.len; on return RAX = n. R14 = g.
// c.conn (net.Conn interface) is the first field of tls.Conn: its data
// word (c+8) points to a *net.TCPConn whose first word is the *netFD, whose
// poll.FD starts with a 16-byte fdMutex followed by Sysfd.

static __always_inline int go_conn_fd(__u64 c)
{
	__u64 data = 0, netfd = 0;
	__s64 fd = -1;
	if (bpf_probe_read_user(&data, sizeof(data), (void *)(c + 8)) != 0 || !data)
		return -1;
	if (bpf_probe_read_user(&netfd, sizeof(netfd), (void *)data) != 0 || !netfd)
		return -1;
	if (bpf_probe_read_user(&fd, sizeof(fd), (void *)(netfd + 16)) != 0)
		return -1;
	if (fd < 0 || fd > 0x7fffffff)
		return -1;
	return (int)fd;
}

static __always_inline int go_entry(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u32 hook = (cookie >> 40) & 0xff;
	if (hook == HOOK_GO_CLOSE)
		return conn_forget(SRC_GOTLS, ctx->ax);
	__u8 dir = hook == HOOK_GO_WRITE ? DIR_TRANSMIT : DIR_RECEIVE;
	return save_call(ctx->ax, ctx->bx, 0, dir, SRC_GOTLS, ctx->r14, go_conn_fd(ctx->ax), cookie, 0,
			 go_role(ctx->ax));
}

SEC("uprobe.multi/go_tls_entry")
int go_tls_entry(struct pt_regs *ctx)
{
	return go_entry(ctx);
}

// go_tls_ret runs at each RET instruction of (*Conn).Read and (*Conn).Write.
SEC("uprobe.multi/go_tls_ret")
int go_tls_ret(struct pt_regs *ctx)
{
	return finish_call((__s64)ctx->ax, ctx->r14);
}

SEC("uprobe/go_tls_entry")
int go_tls_entry_single(struct pt_regs *ctx)
{
	return go_entry(ctx);
}

SEC("uprobe/go_tls_ret")
int go_tls_ret_single(struct pt_regs *ctx)
{
	return finish_call((__s64)ctx->ax, ctx->r14);
}

// ---- discovery ----

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tls_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (!otr_filter_pass())
		return 0;
	emit_exec();
	return 0;
}

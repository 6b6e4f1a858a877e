// payload.h: the net.payload event shared by the tls and socket probes
// (docs/events.md "Payloads"): the event layout, the per-connection state
// (sequence counter, resolved 5-tuple), socket resolution from an fd and the
// chunked emission of a call's bytes into the ring buffer.
#ifndef OTELCOL_TRACE_PAYLOAD_H
#define OTELCOL_TRACE_PAYLOAD_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

#include "common.h"

// PAYLOAD_PROBE_ID (OTR_PROBE_TLS or OTR_PROBE_SOCKET) is defined by the
// including program: it selects the loss counters.
#ifndef PAYLOAD_PROBE_ID
#error "define PAYLOAD_PROBE_ID before including payload.h"
#endif

// PAYLOAD_CHUNK_SIZE is the most bytes one record carries; a larger call is
// split into ordered chunks. Power of two (used as a mask).
#define PAYLOAD_CHUNK_SIZE 16384
// PAYLOAD_MAX_CHUNKS bounds the chunks of one call (16 KiB * 64 = 1 MiB).
#define PAYLOAD_MAX_CHUNKS 64

#define PAYLOAD_KIND_DATA 1
#define PAYLOAD_KIND_EXEC 2

#define DIR_TRANSMIT 1
#define DIR_RECEIVE 2

#define SRC_OPENSSL 1
#define SRC_GNUTLS 2
#define SRC_GOTLS 3
#define SRC_SOCKET 4

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif
#define S_IFMT_ 00170000
#define S_IFSOCK_ 0140000

// max_capture_bytes is the most bytes of one call that are captured (set by
// the loader; at most PAYLOAD_CHUNK_SIZE * PAYLOAD_MAX_CHUNKS).
volatile const __u32 max_capture_bytes = 65536;

OTR_NO_PADDING_BEGIN

// conn_key identifies a connection: (pid, source, pointer) for TLS, (pid,
// SRC_SOCKET, fd) for sockets.
struct conn_key {
	__u32 pid;
	__u32 source;
	__u64 ptr;
};

// conn_state is what the kernel keeps per connection. The tls probe deletes
// it when the library frees or resets the object (SSL_free, ...).
struct conn_state {
	__u64 seq;        // next connection.sequence
	__u64 start_ns;   // first time the connection was seen: the generation
	                  // in connection.id (an object or fd reused later gets
	                  // a new state, hence a new start_ns)
	__u64 sock_ino;   // inode number of the socket the tuple came from
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u16 family;     // 0 = no tuple
	__u8 role;        // 0 unknown, 1 client, 2 server
	__u8 pad0;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct conn_key);
	__type(value, struct conn_state);
} payload_conns SEC(".maps");

// payload_event is one record: a fixed header followed by data_len bytes.
// Field order keeps every member naturally aligned without holes.
struct payload_event {
	struct otr_event_header hdr;
	__u64 conn_ptr;     // SSL*, gnutls_session_t, *tls.Conn or fd
	__u64 conn_start_ns;
	__u64 duration_ns;  // entry -> return of the call
	__u64 seq;          // connection.sequence of this record
	__s64 length;       // bytes the call transferred
	__u64 cookie;       // attach cookie: which library/binary
	__u32 offset;       // offset of data[0] within the call
	__u32 data_len;     // bytes in data
	__u16 chunk_index;
	__u16 chunk_count;
	__u8 direction;
	__u8 source;
	__u8 truncated;
	__u8 role;
	__s32 fd;           // -1 when unknown
	__u16 family;       // AF_INET / AF_INET6, 0 when no tuple
	__u16 sport;        // host byte order
	__u16 dport;        // host byte order
	__u16 pad0;
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 pad1;
	__u8 data[PAYLOAD_CHUNK_SIZE];
};

// exec_event tells user space a process exec'ed (discovery of new binaries).
struct exec_event {
	struct otr_event_header hdr;
};

OTR_NO_PADDING_END

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} payload_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct payload_event);
} payload_scratch SEC(".maps");

// sock_from_fd returns the struct sock of fd in the current task when fd is
// a socket (and, when ino is not NULL, the socket's inode number: unique
// for the socket's life, unlike the struct sock address that the slab
// reuses), NULL otherwise.
static __always_inline struct sock *sock_from_fd_ino(int fd, __u64 *ino)
{
	if (fd < 0)
		return NULL;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	struct files_struct *files = BPF_CORE_READ(task, files);
	if (!files)
		return NULL;
	struct fdtable *fdt = BPF_CORE_READ(files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	if ((unsigned int)fd >= max)
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f)
		return NULL;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT_) != S_IFSOCK_)
		return NULL;
	if (ino)
		*ino = BPF_CORE_READ(f, f_inode, i_ino);
	struct socket *sock = BPF_CORE_READ(f, private_data);
	if (!sock)
		return NULL;
	return BPF_CORE_READ(sock, sk);
}

static __always_inline struct sock *sock_from_fd(int fd)
{
	return sock_from_fd_ino(fd, NULL);
}

// sock_is_tcp reports whether sk is an AF_INET/AF_INET6 TCP socket.
static __always_inline bool sock_is_tcp(struct sock *sk)
{
	if (!sk)
		return false;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return false;
	return BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP;
}

// fill_tuple copies the 5-tuple of sk into st (host byte order ports).
static __always_inline void fill_tuple(struct conn_state *st, struct sock *sk)
{
	if (!sock_is_tcp(sk))
		return;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	st->family = family;
	st->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	st->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		__u32 s = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memset(st->saddr, 0, 16);
		__builtin_memset(st->daddr, 0, 16);
		__builtin_memcpy(st->saddr, &s, 4);
		__builtin_memcpy(st->daddr, &d, 4);
	} else {
		BPF_CORE_READ_INTO(&st->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&st->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
}

// conn_lookup returns the state of a connection, creating it when new.
static __always_inline struct conn_state *conn_lookup(struct conn_key *key, __u64 now)
{
	struct conn_state *st = bpf_map_lookup_elem(&payload_conns, key);
	if (st)
		return st;
	struct conn_state init = {};
	init.start_ns = now;
	bpf_map_update_elem(&payload_conns, key, &init, BPF_NOEXIST);
	return bpf_map_lookup_elem(&payload_conns, key);
}

// payload_call describes one completed call to emit.
struct payload_call {
	__u64 buf;          // user pointer to the call's bytes
	__s64 length;       // bytes transferred (> 0)
	__u64 conn_ptr;
	__u64 start_ns;     // call entry
	__u64 cookie;
	__s32 fd;
	__u8 direction;
	__u8 source;
	__u8 role;
	__u8 pad;
};

// payload_ringbuf_flags: no wakeup until the ring holds wakeup_bytes (as
// otr_ringbuf_submit does for reserved records).
static __always_inline __u64 payload_ringbuf_flags(void)
{
	__u64 flags = BPF_RB_NO_WAKEUP;
	struct otr_filter_config *cfg = otr_config();
	if (cfg && cfg->wakeup_bytes &&
	    bpf_ringbuf_query(&payload_events, BPF_RB_AVAIL_DATA) >= cfg->wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	return flags;
}

// PAYLOAD_MAX_IOV bounds the iovecs of a vectored call that are captured.
#define PAYLOAD_MAX_IOV 16

// walk_state is the state of the walk over a call's bytes, from one buffer
// or an iovec array, in chunks of at most PAYLOAD_CHUNK_SIZE that never
// span two iovecs. It lives in a per-CPU map, not on the stack: the
// verifier then sees unknown values in each step and checks the step once,
// instead of once per iteration.
struct walk_state {
	__u64 buf;      // the buffer (iov == 0)
	__u64 buf_len;
	__u64 iov;      // user struct iovec array, or 0
	__u64 iovcnt;
	__u64 iov_i;    // current iovec
	__u64 iov_off;  // offset in the current iovec (or buffer)
	__u64 left;     // bytes still to capture
	__u64 call_off; // offset in the call's data
	__u64 chunk_i;  // chunks walked
	__u64 emit;     // 0: count the chunks, 1: emit them
	__u64 failed;   // a user read failed
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk_state);
} payload_walk SEC(".maps");

// chunk_ctx is the bpf_loop context of the walk.
struct chunk_ctx {
	struct payload_event *e;
	struct conn_state *st;
	struct walk_state *w;
};

// walk_chunk is one step of the walk (a bpf_loop callback: the verifier
// checks it once, not once per chunk).
static long walk_chunk(__u64 step, struct chunk_ctx *cx)
{
	struct walk_state *x = cx->w;
	if (!x || x->left == 0)
		return 1;
	__u64 base = x->buf, len = x->buf_len;
	if (x->iov) {
		if (x->iov_i >= x->iovcnt || x->iov_i >= PAYLOAD_MAX_IOV)
			return 1;
		struct iovec v = {};
		if (bpf_probe_read_user(&v, sizeof(v), (void *)(x->iov + x->iov_i * sizeof(v))) != 0) {
			x->failed = 1;
			return 1;
		}
		base = (__u64)v.iov_base;
		len = v.iov_len;
	}
	if (x->iov_off >= len) {
		if (!x->iov)
			return 1;
		x->iov_i++;
		x->iov_off = 0;
		return 0;
	}
	__u64 n = len - x->iov_off;
	if (n > x->left)
		n = x->left;
	if (n > PAYLOAD_CHUNK_SIZE)
		n = PAYLOAD_CHUNK_SIZE;
	if (x->emit) {
		struct payload_event *e = cx->e;
		struct conn_state *st = cx->st;
		if (!e || !st)
			return 1;
		barrier_var(n);
		if (n > PAYLOAD_CHUNK_SIZE)
			return 1;
		e->offset = x->call_off;
		e->chunk_index = x->chunk_i;
		e->seq = __sync_fetch_and_add(&st->seq, 1);
		__u64 got = n;
		if (bpf_probe_read_user(e->data, n, (void *)(base + x->iov_off)) != 0) {
			// Unreadable user memory: an empty chunk marked truncated.
			x->failed = 1;
			e->truncated = 1;
			got = 0;
		}
		e->data_len = got;
		__u64 size = offsetof(struct payload_event, data) + got;
		barrier_var(size);
		if (size > sizeof(*e))
			return 1;
		if (bpf_ringbuf_output(&payload_events, e, size, payload_ringbuf_flags()) != 0)
			otr_count_loss(PAYLOAD_PROBE_ID, OTR_LOSS_RINGBUF_FULL);
	}
	x->chunk_i++;
	x->call_off += n;
	x->iov_off += n;
	x->left -= n;
	return 0;
}

// emit_payload emits the captured bytes of one call — from c->buf, or from
// the iovcnt iovecs at iov when iov is not 0 — as ordered chunks; each chunk
// takes the next sequence number of the connection, so a record lost in the
// ring buffer leaves a gap.
static __always_inline void emit_payload(struct payload_call *c, struct conn_key *key, __u64 iov, __u64 iovcnt)
{
	__u32 zero = 0;
	__u64 now = bpf_ktime_get_ns();
	struct payload_event *e = bpf_map_lookup_elem(&payload_scratch, &zero);
	if (!e)
		return;
	struct conn_state *st = conn_lookup(key, now);
	if (!st)
		return;
	if (c->fd >= 0) {
		__u64 ino = 0;
		struct sock *sk = sock_from_fd_ino(c->fd, &ino);
		if (sk && ino != st->sock_ino) {
			if (st->sock_ino) {
				// The fd (socket probe) or the TLS object (an SSL* or
				// *tls.Conn reused without a hooked teardown) now names
				// another socket: a new connection, with a new start
				// time (its connection.id generation) and sequence 0.
				st->seq = 0;
				st->start_ns = c->start_ns;
				st->role = 0;
				st->family = 0;
			}
			st->sock_ino = ino;
			fill_tuple(st, sk);
		}
	}
	if (c->role)
		st->role = c->role;

	__u64 cap = (__u64)c->length;
	__u64 limit = max_capture_bytes;
	if (limit > PAYLOAD_CHUNK_SIZE * PAYLOAD_MAX_CHUNKS)
		limit = PAYLOAD_CHUNK_SIZE * PAYLOAD_MAX_CHUNKS;
	__u8 truncated = 0;
	if (cap > limit) {
		cap = limit;
		truncated = 1;
	}
	// Count pass: how many chunks the walk gives, and whether the iovecs
	// hold all of the captured bytes.
	struct walk_state *w = bpf_map_lookup_elem(&payload_walk, &zero);
	if (!w)
		return;
	w->buf = c->buf;
	w->buf_len = cap;
	w->iov = iov;
	w->iovcnt = iovcnt;
	w->iov_i = 0;
	w->iov_off = 0;
	w->left = cap;
	w->call_off = 0;
	w->chunk_i = 0;
	w->emit = 0;
	w->failed = 0;
	struct chunk_ctx x = {.e = e, .st = st, .w = w};
	bpf_loop(PAYLOAD_MAX_CHUNKS + PAYLOAD_MAX_IOV + 1, walk_chunk, &x, 0);
	if (w->left)
		truncated = 1;
	__u64 nchunks = w->chunk_i;
	if (nchunks == 0) {
		if (w->failed)
			otr_count_loss(PAYLOAD_PROBE_ID, OTR_LOSS_READ_FAILED);
		return;
	}

	otr_fill_header(&e->hdr, PAYLOAD_KIND_DATA);
	e->hdr.ktime = now;
	e->pad1 = 0;
	e->conn_ptr = c->conn_ptr;
	e->conn_start_ns = st->start_ns;
	e->duration_ns = now - c->start_ns;
	e->length = c->length;
	e->cookie = c->cookie;
	e->chunk_count = nchunks;
	e->direction = c->direction;
	e->source = c->source;
	e->truncated = truncated;
	e->role = st->role;
	e->fd = c->fd;
	e->family = st->family;
	e->sport = st->sport;
	e->dport = st->dport;
	e->pad0 = 0;
	__builtin_memcpy(e->saddr, st->saddr, 16);
	__builtin_memcpy(e->daddr, st->daddr, 16);

	// Emit pass.
	__u64 failed = w->failed;
	w->iov_i = 0;
	w->iov_off = 0;
	w->left = cap;
	w->call_off = 0;
	w->chunk_i = 0;
	w->emit = 1;
	w->failed = 0;
	bpf_loop(PAYLOAD_MAX_CHUNKS + PAYLOAD_MAX_IOV + 1, walk_chunk, &x, 0);
	if (failed || w->failed)
		otr_count_loss(PAYLOAD_PROBE_ID, OTR_LOSS_READ_FAILED);
}

// emit_payload_chunks emits all of a call's bytes at c->buf (up to the
// capture limit).
static __always_inline void emit_payload_chunks(struct payload_call *c, struct conn_key *key)
{
	emit_payload(c, key, 0, 0);
}

// emit_exec tells user space that the current process exec'ed.
static __always_inline void emit_exec(void)
{
	struct exec_event ev = {};
	otr_fill_header(&ev.hdr, PAYLOAD_KIND_EXEC);
	if (bpf_ringbuf_output(&payload_events, &ev, sizeof(ev), payload_ringbuf_flags()) != 0)
		otr_count_loss(PAYLOAD_PROBE_ID, OTR_LOSS_RINGBUF_FULL);
}

#endif

/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * submit.h: ring buffer submission of the file, network, syscall and
 * logcapture probes (included with -I../fileprobe).
 *
 * common.h's otr_ringbuf_submit forces a wakeup on EVERY submit while the
 * ring holds at least wakeup_bytes. When the reader is behind (exactly when
 * the ring is that full) that is one irq_work self-IPI per event, which on a
 * VM costs microseconds (an APIC MSR write traps) and starves the reader
 * further. fp_submit wakes the reader only on the submit that makes the ring
 * CROSS wakeup_bytes; a reader that is draining does not need a wakeup, and
 * a crossing missed by racing CPUs is caught by the reader's poll timer.
 */
#ifndef OTR_FP_SUBMIT_H
#define OTR_FP_SUBMIT_H

static __always_inline __u64 fp_wakeup_flags(void *rb, __u64 size)
{
	struct otr_filter_config *cfg = otr_config();
	if (!cfg || !cfg->wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	__u64 avail = bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA);
	if (avail >= cfg->wakeup_bytes && avail < cfg->wakeup_bytes + size + 8)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* fp_submit submits a record of size bytes reserved from rb. */
static __always_inline void fp_submit(void *rb, void *data, __u64 size)
{
	bpf_ringbuf_submit(data, fp_wakeup_flags(rb, size));
}

/* fp_output_flags is fp_wakeup_flags for bpf_ringbuf_output, which queries
 * the ring before the record is added. */
static __always_inline __u64 fp_output_flags(void *rb, __u64 size)
{
	struct otr_filter_config *cfg = otr_config();
	if (!cfg || !cfg->wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	__u64 avail = bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA);
	if (avail < cfg->wakeup_bytes && avail + size + 8 >= cfg->wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

#endif

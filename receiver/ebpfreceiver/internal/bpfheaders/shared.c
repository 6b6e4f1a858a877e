//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// shared.c only gives the Go side (bpfheaders.NewSharedMaps) the exact
// specs of the maps common.h declares; its program is never loaded.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "common.h"

SEC("socket")
int otr_shared_unused(void *ctx)
{
	struct otr_event_header h = {};
	otr_fill_header(&h, 0);
	if (!otr_filter_pass())
		return 0;
	otr_count_loss(OTR_PROBE_PROCESS, OTR_LOSS_OTHER);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// Referenced so that the types reach the object's BTF for bpf2go -type.
const struct otr_event_header *otr_unused_header __attribute__((unused));
const struct otr_filter_config *otr_unused_config __attribute__((unused));

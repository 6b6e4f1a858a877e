#!/usr/bin/env bash
# ebpf receiver: its tests need capsh (libcap2-bin, installed by .ci/run
# already) and a kernel with BTF. Idempotent; installs only what is missing.
set -euo pipefail
if ! command -v capsh >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libcap2-bin >/dev/null
fi
if [ ! -e /sys/kernel/btf/vmlinux ]; then
  echo "warning: /sys/kernel/btf/vmlinux missing: the ebpf receiver's tp_btf programs need a BTF kernel" >&2
fi

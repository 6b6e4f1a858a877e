#!/usr/bin/env bash
# .ci/setup.d/fileprobe.sh: what the file/network/syscall/logcapture probe
# tests need beyond .ci/run's packages: python3 (the logcapture tests drive a
# real Python writer, receiver/ebpfreceiver/internal/logcapture/testdata).
# The side-by-side benchmark (bench/fileprobe/run.sh, not run by CI) also
# needs bpftrace and libbpf-tools: set FILEPROBE_BENCH=1 to install them.
set -euo pipefail
need=()
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ "${FILEPROBE_BENCH:-0}" = 1 ]; then
  command -v bpftrace >/dev/null 2>&1 || need+=(bpftrace)
  command -v opensnoop >/dev/null 2>&1 || need+=(libbpf-tools)
fi
if [ "${#need[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

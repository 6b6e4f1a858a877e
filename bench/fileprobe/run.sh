#!/usr/bin/env bash
# bench/fileprobe/run.sh: the file probe's side-by-side benchmark (see
# docs/benchmarks.md). Needs root, bpftrace and libbpf-tools
# (opensnoop); tracefs is mounted inside a private mount namespace.
#   sudo bench/fileprobe/run.sh [-rounds 7] [-pairs 200000] [-only a,b,c,d,e]
set -euo pipefail
cd "$(dirname "$0")/../.."
go build -o /tmp/fpbench ./receiver/ebpfreceiver/internal/fileprobe/fpbench
exec /tmp/fpbench "$@"

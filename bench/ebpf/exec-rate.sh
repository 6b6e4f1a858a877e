#!/usr/bin/env bash
# exec-rate.sh: N short processes while the ebpf receiver runs (process
# probe, filtered on the spawner's tree); reports execs/s run vs seen and the
# loss counters. Needs root. Usage: bench/ebpf/exec-rate.sh [N] [P]
#   RING=4096 bench/ebpf/exec-rate.sh   # a one-page ring: every exec lost, counted
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-5000}
P=${2:-4}
RING=${RING:-8388608}
WAKEUP=${WAKEUP:-262144}
if [ "$RING" -le "$WAKEUP" ]; then WAKEUP=0; fi
bin=$(mktemp -d)/execrate
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./bench/ebpf/execrate
echo "== without the receiver (baseline)"
"$bin" -n "$N" -p "$P" -off | sed -n 1,2p
echo "== with the ebpf receiver (process probe)"
"$bin" -n "$N" -p "$P" -ring "$RING" -wakeup "$WAKEUP"

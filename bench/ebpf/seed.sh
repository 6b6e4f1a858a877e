#!/usr/bin/env bash
# seed.sh: cost of seeding the process table from /proc at the start of the
# process probe. Starts N idle processes (sleep), runs BenchmarkSeedRealProc
# (scan this host's /proc and seed every process, as Probe.Start does), then
# kills the N processes it started. Usage: bench/ebpf/seed.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000}
pids=()
cleanup() { [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq "$N"); do sleep 600 & pids+=($!); done
go test -count=1 -run '^$' -bench 'Seed' -benchmem ./receiver/ebpfreceiver/internal/processprobe/ | grep -E '^Benchmark'

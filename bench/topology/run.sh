#!/usr/bin/env bash
# bench/topology/run.sh [COUNT]: time added per record by the topology
# processor with a warm cache (batches of 1000 eBPF-shaped log records).
# Results go to docs/benchmarks.md by hand.
set -euo pipefail
cd "$(dirname "$0")/../.."
go test -run '^$' -bench '^BenchmarkProcessLogs$' -benchtime 300x -count "${1:-3}" ./processor/topology/

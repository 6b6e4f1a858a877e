#!/usr/bin/env bash
# bench/httpparse/run.sh [COUNT]: the httpparse benchmarks (parser alone,
# then the whole processor with pdata in and out), COUNT runs each.
# Results and their reading: docs/benchmarks.md; before/after
# comparisons on a shared machine: bench/httpparse/compare.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-5}
go test -run '^$' -bench 'BenchmarkParse' -benchtime 2s -count "$count" ./processor/httpparse/internal/h1/
go test -run '^$' -bench 'BenchmarkProcessor' -benchtime 3000x -count "$count" ./processor/httpparse/

#!/usr/bin/env bash
# Runs the snapshot benchmarks: pause and size of a snapshot of a process with
# 1,000 and 10,000 parked goroutines (a tenth with pprof labels).
# Usage: bench/snapshot/run.sh [count]
set -euo pipefail
cd "$(dirname "$0")/../.."
go test -run '^$' -bench 'BenchmarkCapture10kGoroutines' -benchtime 10x -count "${1:-5}" ./snapshot/

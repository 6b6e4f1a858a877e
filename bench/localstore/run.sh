#!/usr/bin/env bash
# bench/localstore/run.sh: rows/s written by the localstore exporter and query
# latency of `otelcol-trace events` over a 1M-row store. Writes the markdown
# report to stdout; docs/benchmarks.md holds the last results.
#   bench/localstore/run.sh [-rows N] [-queries N] [-dir DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
go build -o /tmp/localstore-bench ./bench/localstore
exec /tmp/localstore-bench "$@"

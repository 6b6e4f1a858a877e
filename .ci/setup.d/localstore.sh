#!/usr/bin/env bash
# .ci/setup.d/localstore.sh: what the localstore exporter's and the events
# command's tests need beyond .ci/run's packages. The store itself is pure Go
# (modernc.org/sqlite); the end-to-end test pipes `otelcol-trace events` into
# jq, and the full-disk test mounts a tmpfs (mount from util-linux).
set -euo pipefail
need=()
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v mount >/dev/null 2>&1 || need+=(mount)
if [ "${#need[@]}" -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

#!/usr/bin/env bash
# httpparse: TestLiveCapture (processor/httpparse) records HTTP traffic of
# real clients live; it needs curl and python3 (scenarios are skipped, with
# a reason, when they are missing). Idempotent.
set -euo pipefail
missing=()
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

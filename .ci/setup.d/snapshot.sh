#!/usr/bin/env bash
# Installs what the snapshot tests need: headless Chromium for the
# configuration-page browser test (receiver/snapshotreceiver/browser_test.go).
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

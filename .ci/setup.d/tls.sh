#!/usr/bin/env bash
# .ci/setup.d/tls.sh: what the tls and socket probe tests need (real
# clients and libraries): curl (OpenSSL), gnutls-cli (GnuTLS), python3 for
# the test servers, libssl-dev + a C compiler for the static-OpenSSL test and
# the benchmark driver, libgnutls28-dev for the GnuTLS session-reuse test
# client, node (static OpenSSL in an executable).
# Idempotent: installs only what is missing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
need=()
for pkg in curl gnutls-bin libssl-dev libgnutls28-dev gcc libc6-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v node >/dev/null 2>&1 || need+=(nodejs)
if [ ${#need[@]} -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

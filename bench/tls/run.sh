#!/usr/bin/env bash
# bench/tls/run.sh [COUNT]: the tls probe's overhead benchmark, side by side
# in one run: CPU ns per OpenSSL round trip (client SSL_write, server
# SSL_read, server SSL_write, client SSL_read; 256 bytes over an in-memory
# BIO pair) with (a) nothing attached, (b) the tls probe, (c) empty
# uprobes/uretprobes on the same functions. Needs root, cc and libssl-dev.
# Prints the medians and the ratio (b - a) / (c - a) (target <= 1.3).
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-5}
out=$(SSLPAIR_ITERATIONS=${SSLPAIR_ITERATIONS:-20000} go test -run '^$' -bench '^BenchmarkOpenSSLRoundTrip$' \
  -benchtime 3x -count "$count" ./receiver/ebpfreceiver/internal/tlsprobe/ 2>&1 | grep '^BenchmarkOpenSSLRoundTrip/')
echo "$out"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
val() { echo "$out" | grep "/$1-" | awk '{for (i=1;i<=NF;i++) if ($i=="ns/roundtrip") print $(i-1)}' | median; }
a=$(val none); c=$(val empty_uprobes); b=$(val tls_probe)
awk -v a="$a" -v b="$b" -v c="$c" 'BEGIN {
  printf "median CPU ns/roundtrip: none %.0f, tls_probe %.0f, empty_uprobes %.0f\n", a, b, c
  printf "added: tls_probe %.0f ns, empty_uprobes %.0f ns, ratio %.2f (target <= 1.30)\n", b-a, c-a, (b-a)/(c-a)
}'

#!/usr/bin/env bash
# fuzz-short.sh DURATION: runs every Go fuzz target in the module for DURATION
# each (CI runs them briefly; run one for minutes locally to grow its corpus).
set -euo pipefail
cd "$(dirname "$0")/.."
d=${1:-10s}
grep -rl --include='*_test.go' '^func Fuzz' . | while read -r f; do
  pkg=./$(dirname "${f#./}")
  for fn in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | cut -d' ' -f2); do
    echo "-- $pkg $fn"
    go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$d" "$pkg"
  done
done

#!/usr/bin/env bash
# bench/httpparse/compare.sh OLD_DIR [ROUNDS]: interleaved before/after runs
# of the httpparse benchmarks on a shared machine.
#
# OLD_DIR is a copy of processor/httpparse from an earlier version (e.g.
# `git archive <rev> processor/httpparse | tar -x -C /tmp/old`, then
# OLD_DIR=/tmp/old/processor/httpparse). Both test binaries are built with
# the CURRENT benchmark code: the old non-test sources are swapped in with
# `go test -overlay`, so only the implementation differs. Each round runs
# one -count 1 pass of each binary, so load changes hit both alike.
# Output: $OUT (default: a new /tmp/httpparse-compare.* dir)/{h1,proc}.results, lines "before|after <benchmark line>".
set -euo pipefail
old=$(cd "$1" && pwd)
rounds=${2:-6}
cd "$(dirname "$0")/../.."
root=$PWD/processor/httpparse
out=${OUT:-$(mktemp -d /tmp/httpparse-compare.XXXXXX)}
mkdir -p "$out"
python3 - "$root" "$old" "$out/overlay.json" <<'PY'
import json, os, sys
root, old, dst = sys.argv[1:]
repl = {}
for d, _, fs in os.walk(root):
    for f in fs:
        if not f.endswith('.go'):
            continue
        cur = os.path.join(d, f)
        prev = os.path.join(old, os.path.relpath(cur, root))
        if not f.endswith('_test.go'):
            repl[cur] = prev if os.path.exists(prev) else ""
        elif not os.path.exists(prev):
            repl[cur] = ""  # a test of new code: not built into "before"
for d, _, fs in os.walk(old):
    for f in fs:
        if f.endswith('.go') and not f.endswith('_test.go'):
            cur = os.path.join(root, os.path.relpath(os.path.join(d, f), old))
            repl.setdefault(cur, os.path.join(d, f))
json.dump({"Replace": repl}, open(dst, "w"), indent=1)
PY
for pkg in h1:./processor/httpparse/internal/h1 proc:./processor/httpparse; do
	name=${pkg%%:*} path=${pkg#*:}
	go test -overlay "$out/overlay.json" -c -o "$out/$name.before" "$path"
	go test -c -o "$out/$name.after" "$path"
done
rm -f "$out/h1.results" "$out/proc.results"
for _ in $(seq "$rounds"); do
	for v in before after; do
		(cd processor/httpparse/internal/h1 && "$out/h1.$v" -test.run '^$' -test.bench BenchmarkParse -test.benchtime 1s -test.count 1) |
			grep '^Benchmark' | sed "s/^/$v /" >>"$out/h1.results"
	done
done
for _ in $(seq "$rounds"); do
	for v in before after; do
		(cd processor/httpparse && "$out/proc.$v" -test.run '^$' -test.bench BenchmarkProcessor -test.benchtime 3000x -test.count 1) |
			grep '^Benchmark' | sed "s/^/$v /" >>"$out/proc.results"
	done
done
python3 bench/httpparse/summarize.py "$out/h1.results" "$out/proc.results"

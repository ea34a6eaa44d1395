#!/bin/sh
# run.sh — `make bench`: run bench/bench.py against this build; the report also goes to
# bench/results/latest.md.
set -eu
builddir=${1:-.}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$builddir/bench/results"
exec python3 "$here/bench.py" "$builddir" --runs "${BENCH_RUNS:-40}" --out "$builddir/bench/results/latest.md"

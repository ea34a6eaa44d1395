#!/bin/sh
# run.sh — run every libFuzzer target for a bounded time on a copy of its seed corpus.
# Usage: run.sh BUILDDIR SECONDS   (the build must be configured with CC=clang --enable-fuzzing)
set -eu
builddir=$1
seconds=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
status=0
for target in config identity yaml validate event scrub; do
	bin=$builddir/fuzz/fuzz_$target
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin is missing: configure with CC=clang --enable-fuzzing" >&2
		exit 2
	fi
	work=$builddir/fuzz/corpus-work/$target
	mkdir -p "$work"
	cp "$here/corpus/$target"/* "$work"/ 2>/dev/null || :
	echo "fuzz: $target for ${seconds}s"
	"$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$builddir/fuzz/crash-$target-" "$work" 2>&1 | grep -E '^(stat::number_of_executed_units|#[0-9]+ *DONE)|ERROR|SUMMARY' || :
	if ls "$builddir/fuzz/crash-$target-"* >/dev/null 2>&1; then
		echo "fuzz: $target found a problem: $(ls "$builddir/fuzz/crash-$target-"*)"
		status=1
	fi
done
exit $status

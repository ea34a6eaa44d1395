#!/bin/sh
# run.sh — run every libFuzzer target for a bounded time on a copy of its seed corpus.
# Usage: run.sh BUILDDIR SECONDS   (the build must be configured with CC=clang --enable-fuzzing)
set -eu
builddir=$1
seconds=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
status=0
for target in config identity yaml validate event scrub queue stdin policy state; do
	bin=$builddir/fuzz/fuzz_$target
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin is missing: configure with CC=clang --enable-fuzzing" >&2
		exit 2
	fi
	work=$builddir/fuzz/corpus-work/$target
	mkdir -p "$work"
	cp "$here/corpus/$target"/* "$work"/ 2>/dev/null || :
	echo "fuzz: $target for ${seconds}s"
	log=$builddir/fuzz/$target.log
	rc=0
	"$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$builddir/fuzz/crash-$target-" "$work" >"$log" 2>&1 || rc=$?
	grep -E '^(stat::number_of_executed_units|#[0-9]+ *DONE)|ERROR|SUMMARY|runtime error' "$log" || :
	# a crash, a leak, undefined behaviour (which stops the target: -fno-sanitize-recover),
	# or any other failure of the target fails the run
	if [ "$rc" != 0 ] || grep -q 'runtime error' "$log" || ls "$builddir/fuzz/crash-$target-"* >/dev/null 2>&1; then
		echo "fuzz: $target found a problem (exit $rc): see $log and $builddir/fuzz/crash-$target-*"
		status=1
	fi
done
exit $status

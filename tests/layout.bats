#!/usr/bin/env bats
# layout.bats — the architecture is enforced by the build, not by convention: src/common/ is
# what both programs share, src/foreground/ is usage-report, src/sender/ the helper; the
# foreground never sees a sender header and never links libcurl.

load helpers

# Compile a probe that includes $1 with the include path the foreground is built with.
foreground_compiles() {
	printf '#include "config.h"\n#include "%s"\nint probe;\n' "$1" |
		${CC:-cc} -fsyntax-only -I"$BUILDDIR" -iquote "$SRCDIR/src/common" -iquote "$SRCDIR/src/foreground" -x c - 2>/dev/null
}

@test "src/ shows the two programs and what they share" {
	assert_equal "$(cd "$SRCDIR/src" && find . -mindepth 1 -maxdepth 1 -type d ! -name ".*" | sort | tr '\n' ' ')" \
		"./common ./foreground ./sender "
	assert_exist "$SRCDIR/src/common/sender-proto.h"
	assert_exist "$SRCDIR/src/foreground/main.c"
	assert_exist "$SRCDIR/src/sender/sender.c"
}

@test "a foreground file that includes a sender header does not compile" {
	local h
	foreground_compiles util.h # the probe itself works
	for h in "$SRCDIR"/src/sender/*.h; do
		run foreground_compiles "$(basename "$h")"
		assert_failure
	done
}

@test "src/common includes nothing outside itself, and the foreground includes no sender header" {
	local f inc
	for f in "$SRCDIR"/src/common/*.[ch]; do
		for inc in $(sed -n 's/^#include "\(.*\)"/\1/p' "$f"); do
			[ "$inc" = config.h ] || [ -e "$SRCDIR/src/common/$inc" ] || fail "$(basename "$f") includes $inc"
		done
	done
	for f in "$SRCDIR"/src/foreground/*.[ch]; do
		for inc in $(sed -n 's/^#include "\(.*\)"/\1/p' "$f"); do
			[ ! -e "$SRCDIR/src/sender/$inc" ] || fail "$(basename "$f") includes the sender's $inc"
		done
	done
}

@test "neither src/common nor the foreground program refers to libcurl" {
	run bash -c "nm '$BUILDDIR/src/libcommon.a' | grep -ci 'curl\|yaml_\|deflate'"
	assert_output 0
	run bash -c "nm -D --undefined-only '$UR' 2>/dev/null | grep -ci curl"
	assert_output 0
	run bash -c "ldd '$UR' | grep -c 'libcurl\|libyaml\|libz\.'"
	assert_output 0
}

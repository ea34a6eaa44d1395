#!/usr/bin/env bats
# languages.bats — the Python and Node helpers (design.md §8): installed the way their users
# install them (a fresh venv, a fresh npm folder, offline), and their own end-to-end suites,
# which drive a real argparse CLI and a real commander CLI against the test intake.

load helpers

@test "the helpers keep the event variables the program reads, no more, no less (cli.c's event options)" {
	local c py js
	c=$(sed -n 's/^\t{"--[a-z-]*", "\(USAGE_REPORT_[A-Z_]*\)", .*set_.*/\1/p' "$SRCDIR/src/foreground/cli.c" | sort)
	[ "$(wc -l <<<"$c")" -ge 7 ]
	py=$(PYTHONPATH="$SRCDIR/python" python3 -c 'import usage_report; print("\n".join(usage_report._EVENT_VARIABLES))' | sort)
	js=$(node -e 'const fs = require("fs"); const t = fs.readFileSync(process.argv[1], "utf8");
		console.log(t.match(/const EVENT_VARIABLES = \[([^\]]*)\]/)[1].match(/USAGE_REPORT_[A-Z_]+/g).join("\n"))' \
		"$SRCDIR/node/index.cjs" | sort)
	assert_equal "$py" "$c"
	assert_equal "$js" "$c"
}

@test "python: the unittest suite drives an argparse CLI through the package" {
	run python3 -W error::ResourceWarning -m unittest discover -s "$SRCDIR/python/tests"
	assert_success
	[[ $output == *"OK"* ]]
}

@test "python: pip install ./python into a fresh venv, offline; a CLI reports through it" {
	python3 -m venv "$BATS_TEST_TMPDIR/venv" 2>/dev/null || skip "python3 -m venv is not available (python3-venv)"
	cp -r "$SRCDIR/python" "$BATS_TEST_TMPDIR/src" # a read-only source tree must do too
	run "$BATS_TEST_TMPDIR/venv/bin/pip" install --no-index --quiet "$BATS_TEST_TMPDIR/src"
	assert_success
	start_intake
	posthog_config democli
	PATH="$BUILDDIR/src:$PATH" run "$BATS_TEST_TMPDIR/venv/bin/python" "$SRCDIR/python/tests/democli.py" hello pip
	assert_output "hello, pip"
	wait_for '[ "$(delivered_count)" = 1 ]'
	assert_equal "$(jq -r 'select(.path=="/batch/") | .body.batch[0].properties.command_name' "$INTAKE_DIR/requests.jsonl")" "democli hello"
	run "$BATS_TEST_TMPDIR/venv/bin/python" -c 'import usage_report, os; print(os.path.exists(os.path.join(os.path.dirname(usage_report.__file__), "py.typed")))'
	assert_output True
}

# A copy of the Node package in $BATS_TEST_TMPDIR/node, with the native starter make check
# built (node/addon.c) beside index.cjs, where the helper looks for it after the platform
# package's, or ("plain") without it, as on Windows or a musl Node.
node_package() {
	PKG=$BATS_TEST_TMPDIR/node
	rm -rf "$PKG"
	mkdir -p "$PKG"
	cp -r "$SRCDIR/node/package.json" "$SRCDIR/node/index.cjs" "$SRCDIR/node/index.js" "$SRCDIR/node/test" "$PKG/"
	[ "${1:-}" = plain ] && return 0
	[ -f "$BUILDDIR/node/usage-report.node" ] || fail "no node/usage-report.node: configure found no node_api.h (./bootstrap --test unpacks one)"
	cp "$BUILDDIR/node/usage-report.node" "$PKG/"
}

# The clone(2) calls of a Node host's main thread in report() (not its children's), one per
# line: "fork" (a copy of the whole process, as libuv starts a child) or "vfork"
# (CLONE_VM|CLONE_VFORK: posix_spawn).
node_spawns() {
	local log=$BATS_TEST_TMPDIR/strace.log
	strace -qq -e signal=none -o "$log" -e trace=clone,clone3,fork,vfork node -e "
		const u = require('$PKG/index.cjs');
		u.configure({ app: 'mycli' });
		u.report('mycli spawn', { durationMs: 3 });" >/dev/null
	grep -E '^(clone|clone3|fork|vfork)\(.* = [0-9]+$' "$log" | grep -v CLONE_THREAD | sed -E 's/.*CLONE_VM\|CLONE_VFORK.*/vfork/; t; s/.*/fork/'
}

@test "node: the node --test suite drives a commander CLI through the package, started by the native starter" {
	command -v node >/dev/null || skip "node is not installed"
	node_package
	run node --test "$PKG/test/helper.test.mjs"
	assert_success
	[[ $output == *"# fail 0"* ]]
	[[ $output != *"# skipped 1"* ]] || skip "npm could not install commander: the commander CLI was not tried"
}

@test "node: the suite passes without the native starter (child_process: Windows, a musl Node, a worker thread)" {
	command -v node >/dev/null || skip "node is not installed"
	node_package plain
	run node --test "$PKG/test/helper.test.mjs"
	assert_success
	[[ $output == *"# fail 0"* ]]
	[[ $output != *"# skipped 1"* ]] || skip "npm could not install commander: the commander CLI was not tried"
}

@test "node: report() starts usage-report without forking Node where the native starter loads, and delivers" {
	command -v strace >/dev/null || skip "strace is not installed"
	start_intake
	posthog_config mycli
	node_package
	PATH="$BUILDDIR/src:$PATH" run node_spawns
	assert_output vfork # posix_spawn: Node's memory is borrowed until the exec, never copied
	node_package plain
	PATH="$BUILDDIR/src:$PATH" run node_spawns
	assert_output fork # child_process: libuv forks the whole process
	wait_for '[ "$(delivered_count)" = 2 ]'
	assert_equal "$(delivered_commands | sort -u)" "mycli spawn"
}

@test "node: npm install ./node in a fresh folder, offline; a CLI reports through it" {
	command -v npm >/dev/null || skip "npm is not installed"
	mkdir -p "$BATS_TEST_TMPDIR/host"
	cd "$BATS_TEST_TMPDIR/host"
	echo '{"name":"host","version":"1.0.0","type":"module"}' >package.json
	run npm install --offline --no-audit --no-fund --silent --install-links "$SRCDIR/node"
	assert_success
	assert_file_exist node_modules/usage-report/index.d.ts
	start_intake
	posthog_config mycli
	cp "$SRCDIR/examples/caller.js" caller.cjs # this host is an ES module package
	PATH="$BUILDDIR/src:$PATH" run node caller.cjs
	assert_output built
	wait_for '[ "$(delivered_count)" = 1 ]'
}

# Debian 12's own Node 18 (nodejs + libnode108 and the builtins it keeps in /usr/share/nodejs),
# unpacked by `./bootstrap --test` into tests/node18-cache; its builtins are mounted where it
# looks for them, in a mount namespace of the test's own, whatever node the machine has.
@test "node: the suite passes on Node 18, Debian 12's (require and import alike)" {
	[ "$(id -u)" = 0 ] && command -v unshare >/dev/null || skip "needs root and unshare for a mount namespace"
	local NODE18_ROOT=$SRCDIR/tests/node18-cache/root
	[ -x "$NODE18_ROOT/usr/bin/node" ] || skip "Debian's Node 18 is not unpacked (./bootstrap --test does it)"
	node_package
	run unshare -m --propagation private sh -c '
		made=; [ -d /usr/share/nodejs ] || { mkdir /usr/share/nodejs && made=1; }
		mount --bind "$0/usr/share/nodejs" /usr/share/nodejs || exit 99
		PATH="$0/usr/bin:$PATH" LD_LIBRARY_PATH="$0/usr/lib/x86_64-linux-gnu" node --version
		PATH="$0/usr/bin:$PATH" LD_LIBRARY_PATH="$0/usr/lib/x86_64-linux-gnu" node --test "$1"
		PATH="$0/usr/bin:$PATH" LD_LIBRARY_PATH="$0/usr/lib/x86_64-linux-gnu" node -e "require(process.argv[1]); console.log(\"native starter loads\")" "$2"
		rc=$?; umount /usr/share/nodejs; [ -z "$made" ] || rmdir /usr/share/nodejs; exit $rc' "$NODE18_ROOT" "$PKG/test/helper.test.mjs" "$PKG/usage-report.node"
	assert_success
	assert_line v18.20.4
	assert_line "native starter loads"
	assert_line "# fail 0"
	assert_line "# skipped 0"
}

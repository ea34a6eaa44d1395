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

@test "node: the node --test suite drives a commander CLI through the package" {
	command -v node >/dev/null || skip "node is not installed"
	run node --test "$SRCDIR/node/test/helper.test.mjs"
	assert_success
	[[ $output == *"# fail 0"* ]]
	[[ $output != *"# skipped 1"* ]] || skip "npm could not install commander: the commander CLI was not tried"
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
	run unshare -m --propagation private sh -c '
		made=; [ -d /usr/share/nodejs ] || { mkdir /usr/share/nodejs && made=1; }
		mount --bind "$0/usr/share/nodejs" /usr/share/nodejs || exit 99
		PATH="$0/usr/bin:$PATH" LD_LIBRARY_PATH="$0/usr/lib/x86_64-linux-gnu" node --version
		PATH="$0/usr/bin:$PATH" LD_LIBRARY_PATH="$0/usr/lib/x86_64-linux-gnu" node --test "$1"
		rc=$?; umount /usr/share/nodejs; [ -z "$made" ] || rmdir /usr/share/nodejs; exit $rc' "$NODE18_ROOT" "$SRCDIR/node/test/helper.test.mjs"
	assert_success
	assert_line v18.20.4
	assert_line "# fail 0"
	assert_line "# skipped 0"
}

#!/usr/bin/env bats
# docs.bats — keeps --help, the man pages, the README and the code in step.

load helpers

# The long options a text names.
help_options() { "$UR" --help | grep -o -- '--[a-z][a-z-]*' | sort -u; }
man_options() { grep -o 'Fl \\-[a-z][a-z-]*' "$SRCDIR/man/usage-report.1" | sed 's/Fl \\-/--/' | sort -u; }

@test "the man pages are mandoc -Tlint clean" {
	command -v mandoc || skip "mandoc is not installed"
	run mandoc -Tlint -W warning "$SRCDIR/man/usage-report.1" "$SRCDIR/man/usage-report.conf.5"
	assert_success
	assert_output ""
}

@test "every option in --help is in the man page, and the other way round" {
	assert_equal "$(help_options)" "$(man_options)"
}

@test "every subcommand is in --help, the man page's SYNOPSIS and the README" {
	local sub
	for sub in track login logout exec status enable disable flush notice adopt; do
		"$UR" --help | grep -q "\b$sub\b" || fail "$sub is not in --help"
		grep -q "^\.Cm $sub\|Cm .*\b$sub\b" "$SRCDIR/man/usage-report.1" || fail "$sub is not in usage-report.1"
		grep -q "usage-report .*\b$sub\b" "$SRCDIR/README.md" || fail "$sub is not in the README"
	done
}

@test "every event option in --help is in the README, and every field status --json prints is in the man page" {
	local opt field
	for opt in $("$UR" --help | sed -n '/^Event options:/,/^$/p' | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -q -- "$opt" "$SRCDIR/README.md" || fail "$opt is not in the README"
	done
	printf '[posthog]\napi_key = phc_k\n' | write_config
	for field in $("$UR" status --json | jq -r 'keys[]'); do
		grep -q "Ql $field" "$SRCDIR/man/usage-report.1" || echo "$field" >>"$BATS_TEST_TMPDIR/missing"
	done
	# the ones design.md §1 names must be there
	for field in enabled source notice held backend anon_id linked_principal_id queued; do
		! grep -qx "$field" "$BATS_TEST_TMPDIR/missing" 2>/dev/null || fail "status field $field is not in usage-report.1"
	done
}

@test "every environment variable the program reads is documented in the man page" {
	local v
	for v in $(grep -oh '"USAGE_REPORT_[A-Z_]*"' "$SRCDIR"/src/*/*.c | tr -d '"' | sort -u); do
		grep -q "$v" "$SRCDIR/man/usage-report.1" || fail "$v is not in usage-report.1"
	done
}

@test "every config key the parser accepts is documented, and every documented key is accepted" {
	local keys key section name
	keys=$(sed -n 's/^\t{"\([a-z_.]*\)", set_.*/\1/p' "$SRCDIR/src/common/conf.c")
	[ "$(wc -l <<<"$keys")" -ge 20 ]
	for key in $keys; do
		name=${key#*.}
		if [[ $key == *.* ]]; then
			section=${key%%.*}
			sed -n "/^\.Ss \[$section\]/,/^\.S[sh] /p" "$SRCDIR/man/usage-report.conf.5" | grep -q "^\.It Cm $name\$" ||
				fail "$key is not documented in its section of usage-report.conf.5"
		else
			sed -n '/^\.Ss Top level/,/^\.Ss /p' "$SRCDIR/man/usage-report.conf.5" | grep -q "^\.It Cm $name\$" ||
				fail "$key is not documented at the top level of usage-report.conf.5"
		fi
	done
	# a config that sets every documented key raises no "unknown key"
	local conf=$BATS_TEST_TMPDIR/all.conf
	: >"$conf"
	section=""
	while read -r line; do
		case $line in
		".Ss Top level") section="" ;;
		".Ss ["*"]") section=${line#.Ss } && echo "$section" >>"$conf" ;;
		".It Cm "*) [ -n "$section" ] || [ "${line#.It Cm }" != "${line}" ] && echo "${line#.It Cm } = x" >>"$conf" ;;
		".Sh "*) break ;; # the sections end where POLICY (or EXAMPLES) begins
		esac
	done < <(sed -n '/^\.Ss Top level/,$p' "$SRCDIR/man/usage-report.conf.5")
	run "$UR" --config "$conf" status --json
	assert_equal "$(jq -r '.config_issues[] | select(endswith("unknown key"))' <<<"$output")" ""
}

@test "the README opens with the two commands, and they are the ones CI runs" {
	assert_equal "$(sed -n '3p' "$SRCDIR/README.md")" '```sh'
	assert_equal "$(sed -n '4p' "$SRCDIR/README.md")" \
		"./bootstrap && src/usage-report --config examples/demo.conf --command hello --duration 42 --dry-run"
	assert_equal "$(sed -n '5p' "$SRCDIR/README.md")" "./bootstrap --test && make check"
	grep -q '^\./bootstrap --test && make check' "$SRCDIR/.ci/run"
}

@test "the man pages can be read the way the README says, with what its first command installs" {
	grep -q 'mandoc -a man/usage-report.1' "$SRCDIR/README.md"
	sed -n '/^build="/,/"$/p' "$SRCDIR/bootstrap" | grep -qw mandoc
	run mandoc -a "$SRCDIR/man/usage-report.1"
	assert_success
	assert_output --partial "record one anonymous usage event"
	run mandoc -a "$SRCDIR/man/usage-report.conf.5"
	assert_success
}

@test "the README's first command prints a real event" {
	cd "$SRCDIR"
	run --separate-stderr "$UR" --config examples/demo.conf --command hello --duration 42 --dry-run
	assert_success
	assert_equal "$(sed -n '/^{/,/^}/p' <<<"$output" | jq -c '.batch[0].properties | [.command_name, .duration_ms]')" '["hello",42]'
}

@test "every subcommand and option in the README's examples is accepted" {
	run "$UR" --app mycli --command "mycli deploy" --duration 1234 --exit-code 0 --cli-version 2.1.0 --dry-run
	assert_success
	run "$UR" --app mycli login --principal-id user-42 --dry-run
	assert_success
	run "$UR" --app mycli status
	assert_success
}

@test "every design.md section the code and tests cite exists, and nothing cites a file outside the repository" {
	local cited n
	cited=$(grep -rhoE 'design\.md §[0-9]+(\.[0-9]+)?' "$SRCDIR/src" "$SRCDIR/tests" "$SRCDIR/fuzz" | sed 's/design\.md §//' | sort -u)
	[ -n "$cited" ]
	for n in $cited; do
		grep -qE "^#+ $n\\.? " "$SRCDIR/doc/design.md" || fail "design.md has no section $n"
	done
	# (this test's own pattern aside, and logs a build leaves)
	run grep -rlE --include='*.[ch]' --include='*.bats' --include='*.bash' --include='*.py' --include='*.mjs' --include='*.md' \
		'SPEC §|shared/reference|\.\./shared' "$SRCDIR/src" "$SRCDIR/tests" "$SRCDIR/fuzz" "$SRCDIR/README.md" "$SRCDIR/doc"
	assert_output "$SRCDIR/tests/docs.bats"
}

@test "tests/intake.py --help prints its usage, not a traceback" {
	run python3 "$SRCDIR/tests/intake.py" --help
	assert_success
	assert_line --index 0 --partial "intake.py — a test intake on 127.0.0.1"
	assert_line "Usage: intake.py DIR [--tls CERT KEY] [--port N]"
	run python3 "$SRCDIR/tests/intake.py"
	assert_equal "$status" 2
}

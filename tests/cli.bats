#!/usr/bin/env bats
# cli.bats — the command line (design.md §1): every option, its environment fallback, and the
# exact one-line error and exit status 2 for each malformed invocation.

load helpers

# An invalid invocation: exit 2, exactly one line on stderr, nothing on stdout, no state.
assert_invalid() {
	local expected=$1
	shift
	run --separate-stderr "$UR" "$@"
	assert_equal "$status" 2
	assert_equal "$stderr" "$expected"
	assert_equal "$output" ""
	assert_not_exist "$HOME/.local"
}

@test "--help prints the usage on stdout and exits 0" {
	run --separate-stderr "$UR" --help
	assert_success
	assert_line --index 0 "usage: usage-report [GLOBAL] [track] --command NAME [EVENT]"
	assert_equal "$stderr" ""
}

@test "--version prints the package version" {
	run "$UR" --version
	assert_success
	assert_output "usage-report $(sed -n 's/^AC_INIT(\[usage-report\], \[\([^]]*\)\].*/\1/p' "$SRCDIR/configure.ac")"
}

@test "track is the default subcommand and needs --command" {
	assert_invalid "usage-report: missing --command (or USAGE_REPORT_COMMAND); see usage-report --help"
	assert_invalid "usage-report: missing --command (or USAGE_REPORT_COMMAND); see usage-report --help" track
}

@test "unknown options and subcommands" {
	assert_invalid "usage-report: unknown option '--bogus'" --command x --bogus
	assert_invalid "usage-report: unknown subcommand 'frobnicate'" frobnicate
	assert_invalid "usage-report: unexpected argument 'extra'" track --command x extra
	assert_invalid "usage-report: option '--command' needs a value" --command
}

@test "--duration accepts integers and decimals only" {
	assert_invalid "usage-report: invalid --duration 'abc': expected milliseconds" --command x --duration abc
	assert_invalid "usage-report: invalid --duration '-5': expected milliseconds" --command x --duration -5
	assert_invalid "usage-report: invalid --duration '1e3': expected milliseconds" --command x --duration 1e3
	assert_invalid "usage-report: invalid --duration '1.': expected milliseconds" --command x --duration 1.
	assert_invalid "usage-report: invalid --duration '': expected milliseconds" --command x --duration ''
	run "$UR" --command x --duration 12.5 --dry-run
	assert_success
}

@test "--exit-code is 0-255" {
	assert_invalid "usage-report: invalid --exit-code '256': expected an integer from 0 to 255" --command x --exit-code 256
	assert_invalid "usage-report: invalid --exit-code '-1': expected an integer from 0 to 255" --command x --exit-code -1
	assert_invalid "usage-report: invalid --exit-code '1.0': expected an integer from 0 to 255" --command x --exit-code 1.0
}

@test "--command is 1-200 bytes without control characters" {
	assert_invalid "usage-report: invalid --command 'a?b': expected 1-200 bytes of UTF-8 without control characters" --command $'a\nb'
	local long
	long=$(printf 'c%.0s' $(seq 201))
	run --separate-stderr "$UR" --command "$long"
	assert_equal "$status" 2
	assert_equal "$stderr" "usage-report: invalid --command '$(printf 'c%.0s' $(seq 60))...': expected 1-200 bytes of UTF-8 without control characters"
	assert_invalid "usage-report: invalid --command '$(printf '\377')': expected 1-200 bytes of UTF-8 without control characters" --command $'\xff'
}

@test "--cli-version is validated" {
	assert_invalid "usage-report: invalid --cli-version '1?2': expected 1-100 bytes of UTF-8 without control characters" --command x --cli-version $'1\t2'
}

@test "--property KEY=VALUE is validated" {
	assert_invalid "usage-report: invalid --property 'novalue': expected KEY=VALUE or KEY:=JSON" --command x --property novalue
	assert_invalid "usage-report: invalid --property '\$set=x': KEY must be 1-64 of [A-Za-z0-9_.-]" --command x --property '$set=x'
	assert_invalid "usage-report: invalid --property 'outcome=x': KEY is a built-in property name" --command x --property outcome=x
	assert_invalid "usage-report: invalid --property 'a=1': KEY given twice" --command x --property a=1 --property a=1
	assert_invalid "usage-report: invalid --property 'k=$(printf 'v%.0s' $(seq 58))...': VALUE must be at most 1000 bytes" \
		--command x --property "k=$(printf 'v%.0s' $(seq 1001))"
	assert_invalid $'usage-report: invalid --property \'k=\xff\': VALUE must be UTF-8' --command x --property $'k=\xff'
	# typed: one JSON value of at most 1000 bytes
	assert_invalid "usage-report: invalid --property 'n:=1 2': expected KEY:=JSON with a valid JSON value" --command x --property 'n:=1 2'
	assert_invalid "usage-report: invalid --property 'n:=': expected KEY:=JSON with a valid JSON value" --command x --property 'n:='
	assert_invalid "usage-report: invalid --property 'n:=[$(printf '1,%.0s' $(seq 28))...': VALUE must be at most 1000 bytes" \
		--command x --property "n:=[$(printf '1,%.0s' $(seq 500))1]"
	assert_invalid "usage-report: invalid --property ':=1': KEY must be 1-64 of [A-Za-z0-9_.-]" --command x --property ':=1'
}

@test "--event and --error-type are validated" {
	assert_invalid "usage-report: invalid --event '\$pageview': expected 1-200 bytes of UTF-8 without control characters, not starting with '\$'" \
		--command x --event '$pageview'
	assert_invalid "usage-report: invalid --event '': expected 1-200 bytes of UTF-8 without control characters, not starting with '\$'" \
		--command x --event ''
	assert_invalid "usage-report: invalid --error-type 'Api Error': expected 1-64 of [a-z0-9_.-]" --command x --error-type 'Api Error'
	USAGE_REPORT_ERROR_TYPE=X assert_invalid "usage-report: invalid USAGE_REPORT_ERROR_TYPE 'X': expected 1-64 of [a-z0-9_.-]" --command x
	USAGE_REPORT_EVENT=$'a\nb' assert_invalid "usage-report: invalid USAGE_REPORT_EVENT 'a?b': expected 1-200 bytes of UTF-8 without control characters, not starting with '\$'" --command x
}

@test "--app must be [a-z0-9._-]{1,64} and not a dot folder" {
	assert_invalid "usage-report: invalid --app 'My App': expected 1-64 of [a-z0-9._-]" --app 'My App' --command x
	assert_invalid "usage-report: invalid --app '..': expected 1-64 of [a-z0-9._-]" --app .. --command x
	USAGE_REPORT_APP=BAD assert_invalid "usage-report: invalid USAGE_REPORT_APP 'BAD': expected 1-64 of [a-z0-9._-]" --command x
}

@test "environment fallbacks are validated and name the variable" {
	USAGE_REPORT_DURATION=soon assert_invalid "usage-report: invalid USAGE_REPORT_DURATION 'soon': expected milliseconds" --command x
	USAGE_REPORT_EXIT_CODE=300 assert_invalid "usage-report: invalid USAGE_REPORT_EXIT_CODE '300': expected an integer from 0 to 255" --command x
	USAGE_REPORT_COMMAND=$'a\x01' assert_invalid "usage-report: invalid USAGE_REPORT_COMMAND 'a?': expected 1-200 bytes of UTF-8 without control characters"
}

@test "a flag wins over its environment fallback, which is then not validated" {
	USAGE_REPORT_DURATION=soon run "$UR" --command x --duration 5 --dry-run
	assert_success
}

@test "options apply only to their subcommands" {
	assert_invalid "usage-report: option '--duration' does not apply to this subcommand" status --duration 5
	assert_invalid "usage-report: option '--principal-id' applies only to 'login', not 'track'" --command x --principal-id p
	assert_invalid "usage-report: option '--json' applies to 'status' and 'history' (or 'track --json -'), not 'track'" --command x --json
	assert_invalid "usage-report: exec: expected '-- PROGRAM [ARG...]'" exec
	assert_invalid "usage-report: '--' applies only to 'exec' (exec [EVENT] -- PROGRAM [ARG...])" track --command x -- ls
	assert_invalid "usage-report: exec: expected PROGRAM [ARG...] after '--'" exec --
}

@test "global options are accepted before and after the subcommand, with = or a space" {
	run "$UR" status --app=other --json
	assert_success
	assert_equal "$(jq -r .app <<<"$output")" other
	run "$UR" --app other status --json
	assert_equal "$(jq -r .app <<<"$output")" other
}

@test "login without --principal-id needs an [auth] section" {
	run --separate-stderr "$UR" login
	assert_equal "$status" 2
	assert_equal "$stderr" "usage-report: login needs --principal-id, or an [auth] section in the config"
}

@test "a valid track with no config exits 0 silently and writes nothing" {
	run --separate-stderr "$UR" --command deploy --duration 10 --exit-code 3 --error boom --property k=v
	assert_success
	assert_equal "$output" ""
	assert_equal "$stderr" ""
	assert_not_exist "$HOME/.local"
}

@test "USAGE_REPORT_DEBUG=1 is --debug; 0 and false are not" {
	run --separate-stderr env USAGE_REPORT_DEBUG=1 "$UR" --command x
	assert_success
	[[ "$stderr" == *"usage-report: debug: consent: off (source no-backend)"* ]]
	run --separate-stderr env USAGE_REPORT_DEBUG=0 "$UR" --command x
	assert_equal "$stderr" ""
	run --separate-stderr env USAGE_REPORT_DEBUG=false "$UR" --command x
	assert_equal "$stderr" ""
}

@test "-h is --help; a bare usage-report points at --help" {
	run "$UR" -h
	assert_success
	assert_equal "$output" "$("$UR" --help)"
	run --separate-stderr "$UR"
	assert_equal "$status" 2
	assert_equal "$stderr" "usage-report: missing --command (or USAGE_REPORT_COMMAND); see usage-report --help"
}

@test "status and --debug list every config path searched, in order" {
	run "$UR" status --json
	assert_equal "$(jq -r '.config_searched[]' <<<"$output")" \
		"$XDG_CONFIG_HOME/usage-report/usage-report.conf
$(sed -n 's/^sysconfdir = //p' "$BUILDDIR/Makefile" | sed "s|\${prefix}|$(sed -n 's/^prefix = //p' "$BUILDDIR/Makefile")|")/usage-report/usage-report.conf"
	run "$UR" status
	assert_line "searched:        $XDG_CONFIG_HOME/usage-report/usage-report.conf"
	run --separate-stderr "$UR" --debug status
	[[ $stderr == *"usage-report: debug: config searched: $XDG_CONFIG_HOME/usage-report/usage-report.conf"* ]]
	# --config names the one file: nothing is searched
	run "$UR" --config /dev/null status --json
	assert_equal "$(jq -c .config_searched <<<"$output")" "[]"
}

#!/usr/bin/env bats
# level.bats — the level (design.md §4.3): `level all|errors`, USAGE_REPORT_LEVEL and
# [consent] level; at errors a successful run records nothing at all, a failed one is
# recorded as at all, login and logout keep the identity right.

load helpers

setup() {
	common_setup
	start_intake
	posthog_config
}

teardown() { common_teardown; }

level_of() { "$UR" status --json | jq -r '"\(.level) \(.level_source)"'; }

@test "level errors: a successful run records nothing at all: no socket, no process, no file (strace)" {
	command -v strace >/dev/null || skip "strace is not installed"
	run "$UR" level errors
	assert_success
	assert_output "usage reporting level for usage-report: errors (failed runs only; a successful one records nothing)"
	assert_equal "$(ls -A "$STATE")" consent.json
	local run
	for run in "--command ok" "--command ok --exit-code 0" "exec -- true"; do
		# shellcheck disable=SC2086 # the words of one run
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 run strace -f \
			-e trace=socket,connect,clone,clone3,fork,vfork,openat,open,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat \
			-o "$BATS_TEST_TMPDIR/trace" "$UR" $run
		assert_success
		# exec starts PROGRAM (one process), and nothing else
		run grep -E '(socket|connect)\(|O_CREAT|O_WRONLY|O_RDWR|mkdir|rename|unlink' "$BATS_TEST_TMPDIR/trace"
		run grep -v '"/dev/null"' <<<"$output"
		assert_output ""
		[ "$(grep -cE '(clone|clone3|fork|vfork)\(' "$BATS_TEST_TMPDIR/trace")" -le "$([[ $run == exec* ]] && echo 1 || echo 0)" ]
	done
	assert_equal "$(ls -A "$STATE")" consent.json
	assert_equal "$(intake_requests | wc -l)" 0
}

@test "level errors: a failed run is recorded as at level all; back at all, successes again" {
	run "$UR" level errors
	run "$UR" --command ok --wait
	run "$UR" --command bad --exit-code 2 --wait
	run "$UR" --command failed-by-word --error "boom" --wait
	run "$UR" exec --wait -- sh -c 'exit 3'
	assert_equal "$status" 3
	run "$UR" --command ctrl-c --exit-code 130 --wait # cancelled is no error
	assert_equal "$(delivered_commands)" $'bad\nfailed-by-word\nsh'
	assert_equal "$(intake_requests | jq -r '.body.batch[].properties.outcome' | sort -u)" failure
	run "$UR" level all
	assert_output "usage reporting level for usage-report: all (every run)"
	run "$UR" --command ok-again --wait
	assert_equal "$(delivered_commands | tail -1)" ok-again
}

@test "level errors: login and logout still keep the identity right" {
	"$UR" level errors
	run "$UR" login --principal-id user-7 --wait
	assert_equal "$("$UR" status --json | jq -r .linked_principal_id)" user-7
	run "$UR" --command bad --exit-code 1 --wait
	assert_equal "$(intake_requests | jq -r 'select(.body.batch[0].properties.command_name == "bad") | .body.batch[0].distinct_id')" user-7
	run "$UR" logout --wait
	assert_equal "$("$UR" status --json | jq -r .linked_principal_id)" null
}

@test "level: USAGE_REPORT_LEVEL beats the person's choice, which beats the host's config; off beats every level" {
	assert_equal "$(level_of)" "all default"
	printf '[consent]\nlevel = errors\n' >>"$CONF"
	assert_equal "$(level_of)" "errors default"
	run "$UR" level all
	assert_equal "$(level_of)" "all config"
	assert_equal "$(USAGE_REPORT_LEVEL=errors level_of)" "errors env:USAGE_REPORT_LEVEL"
	USAGE_REPORT_LEVEL=errors run "$UR" level all
	assert_line "note: USAGE_REPORT_LEVEL=errors is set and decides the level until it is unset"
	USAGE_REPORT_LEVEL=errors run "$UR" --command ok --wait
	USAGE_REPORT_LEVEL=bogus run "$UR" --command ok2 --wait # not a level: ignored, the choice stands
	assert_equal "$(delivered_commands)" ok2
	# enable and disable keep the level; level keeps on or off
	run "$UR" disable
	assert_equal "$(jq -r '"\(.enabled) \(.level)"' "$STATE/consent.json")" "false all"
	run "$UR" level errors
	assert_line "note: usage reporting is off (config): nothing is recorded at any level"
	assert_equal "$(jq -r '"\(.enabled) \(.level)"' "$STATE/consent.json")" "false errors"
	run "$UR" --command bad --exit-code 1 --wait
	assert_equal "$(delivered_commands)" ok2
	run "$UR" enable
	assert_equal "$(jq -r '"\(.enabled) \(.level)"' "$STATE/consent.json")" "true errors"
}

@test "level: status names it and what set it; --dry-run says why nothing would go; bad words exit 2" {
	"$UR" level errors
	run "$UR" status
	assert_line "level:           errors (decided by config): failed runs only"
	run --separate-stderr "$UR" --command ok --dry-run
	assert_success
	assert_output ""
	assert_equal "$stderr" "usage-report: dry run: nothing would be sent: level errors (config) records failed runs only"
	run --separate-stderr "$UR" level some
	assert_equal "$status" 2
	assert_equal "$stderr" "usage-report: invalid level 'some': expected all or errors"
	run --separate-stderr "$UR" level
	assert_equal "$status" 2
	assert_equal "$stderr" "usage-report: level: expected all or errors"
	printf '[consent]\nlevel = most\n' >>"$CONF"
	assert_equal "$("$UR" status --json | jq -r '"\(.enabled) \(.source)"')" "false invalid-config"
}

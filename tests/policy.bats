#!/usr/bin/env bats
# policy.bats — what an administrator and a project decide (design.md §3, §4.3): the policy file
# under SYSCONFDIR wins over everything, a [consent] project_file in the working folder or
# above turns reporting off; and the system config under SYSCONFDIR. Runs the test build of
# the programs whose SYSCONFDIR is inside the build tree (tests/sysconf/).

load helpers

setup() {
	common_setup
	UR=$BUILDDIR/tests/sysconf/usage-report
	SYSCONF=$BUILDDIR/tests/sysconf/etc/usage-report
	rm -rf "$SYSCONF"
	mkdir -p "$SYSCONF"
	start_intake
	posthog_config
}

teardown() {
	rm -rf "$SYSCONF"
	common_teardown
}

@test "policy: disabled = yes beats enable, every variable and the host's config" {
	run "$UR" enable
	printf '# the administrator\ndisabled = yes\n' >"$SYSCONF/policy.conf"
	assert_equal "$(source_of)" "false policy"
	assert_equal "$(USAGE_REPORT_DISABLED=0 DO_NOT_TRACK=0 CI=false source_of)" "false policy"
	assert_equal "$("$UR" status --json | jq -r .policy_file)" "$SYSCONF/policy.conf"
	run "$UR" enable
	assert_output "usage reporting enabled for usage-report
note: the administrator's policy ($SYSCONF/policy.conf) keeps usage reporting off; enable cannot override it"
	# off means nothing at all
	rm -rf "$STATE"
	run "$UR" --command x --wait
	run "$UR" login --principal-id p --wait
	run "$UR" notice
	assert_not_exist "$STATE"
	[ ! -s "$INTAKE_DIR/requests.jsonl" ]
	run "$UR" status
	assert_line "decided by:      policy"
	assert_line "policy file:     $SYSCONF/policy.conf"
}

@test "policy: events queued before it are not sent once it is in place" {
	hold_delivery
	run "$UR" --command before
	assert_equal "$(queued | wc -l)" 1
	echo 'disabled = yes' >"$SYSCONF/policy.conf"
	run "$UR" flush
	[ ! -s "$INTAKE_DIR/requests.jsonl" ]
}

@test "policy: disabled_apps names the apps that do not report; the others do" {
	printf 'disabled_apps = othercli, usage-report\n' >"$SYSCONF/policy.conf"
	assert_equal "$(source_of)" "false policy"
	posthog_config mycli
	assert_equal "$("$UR" --app mycli status --json | jq -r '"\(.enabled) \(.source)"')" "true default"
	run "$UR" --app mycli --command x --wait
	assert_equal "$(delivered_count)" 1
}

@test "policy: ci = skip keeps CI quiet whatever the config says" {
	printf '[posthog]\nhost = %s\napi_key = phc_k\n[consent]\nci = report\nnotice = off\n' "$URL" | write_config
	printf 'ci = skip\n' >"$SYSCONF/policy.conf"
	assert_equal "$(source_of)" "true default"
	assert_equal "$(GITHUB_ACTIONS=true source_of)" "false policy"
}

@test "policy: a broken policy is reported; one that cannot be read keeps reporting off" {
	printf 'colour = blue\n[section]\nx = 1\n' >"$SYSCONF/policy.conf"
	run "$UR" status --json
	assert_equal "$(jq -r '.enabled, (.config_issues | join("|"))' <<<"$output")" \
		"true
policy colour: unknown key|policy.conf: [section]: the policy has no sections"
	rm "$SYSCONF/policy.conf" && mkfifo "$SYSCONF/policy.conf"
	run timeout 5 "$UR" status --json
	assert_success
	assert_equal "$(jq -r .source <<<"$output")" policy
}

@test "project_file: three folders up turns reporting off, and status names its path" {
	printf '[posthog]\nhost = %s\napi_key = phc_k\n[consent]\nnotice = off\nproject_file = .mycli-no-telemetry\n' "$URL" | write_config
	local top=$BATS_TEST_TMPDIR/work/project
	mkdir -p "$top/a/b/c"
	touch "$top/.mycli-no-telemetry"
	cd "$top/a/b/c"
	assert_equal "$(source_of)" "false project:$top/.mycli-no-telemetry"
	run "$UR" --command x --wait
	assert_not_exist "$STATE/queue"
	run "$UR" enable
	assert_line "note: $top/.mycli-no-telemetry turns usage reporting off in this folder and the ones below it"
	# beside the project, and once the file is gone, reporting is on again
	cd "$BATS_TEST_TMPDIR/work"
	assert_equal "$(source_of)" "true config"
	rm "$top/.mycli-no-telemetry"
	cd "$top/a/b/c"
	run "$UR" --command x --wait
	assert_equal "$(delivered_count)" 1
	# and the policy still comes first
	touch "$top/.mycli-no-telemetry"
	echo 'disabled = yes' >"$SYSCONF/policy.conf"
	assert_equal "$(source_of)" "false policy"
}

@test "project_file: a working folder that is gone, or unreadable above, is no reason to fail" {
	printf '[posthog]\nhost = %s\napi_key = phc_k\n[consent]\nnotice = off\nproject_file = .no-telemetry\n' "$URL" | write_config
	mkdir -p "$BATS_TEST_TMPDIR/gone"
	cd "$BATS_TEST_TMPDIR/gone"
	rmdir "$BATS_TEST_TMPDIR/gone"
	run "$UR" --command x --wait
	assert_success
	assert_equal "$(delivered_count)" 1
	# a bad name is a config problem, not a search for "../x"
	cd "$BATS_TEST_TMPDIR"
	printf '[posthog]\napi_key = phc_k\n[consent]\nproject_file = ../x\n' | write_config
	assert_equal "$("$UR" status --json | jq -r '.config_issues[]')" "consent.project_file: '../x' is not a file name"
}

@test "the system config under SYSCONFDIR is used when the user has none, and policy.conf is not an app's" {
	rm "$CONF"
	printf '[posthog]\nhost = %s\napi_key = phc_system\n[consent]\nnotice = off\n' "$URL" >"$SYSCONF/usage-report.conf"
	assert_equal "$("$UR" status --json | jq -r .config_file)" "$SYSCONF/usage-report.conf"
	run "$UR" --command x --wait
	assert_equal "$(jq -r 'select(.path=="/batch/") | .body.api_key' "$INTAKE_DIR/requests.jsonl")" phc_system
	# the user's config wins over it
	posthog_config
	assert_equal "$("$UR" status --json | jq -r .config_file)" "$CONF"
}

@test "every policy key usage-report.conf(5) documents is one the policy reads" {
	local key n=0
	for key in $(sed -n '/^\.Sh POLICY/,/^\.Sh /p' "$SRCDIR/man/usage-report.conf.5" | sed -n 's/^\.It Cm //p'); do
		echo "$key = report" >>"$SYSCONF/policy.conf"
		n=$((n + 1))
	done
	assert_equal "$n" 3
	run "$UR" status --json
	assert_equal "$(jq -r '.config_issues[] | select(endswith("unknown key"))' <<<"$output")" ""
}

@test "project_file: found however far up (300 folders), from a working folder too deep for getcwd, and from a removed one" {
	printf '[posthog]\nhost = %s\napi_key = phc_k\n[consent]\nnotice = off\nproject_file = .no-telemetry\n' "$URL" | write_config
	local top=$BATS_TEST_TMPDIR/top i
	mkdir -p "$top"
	touch "$top/.no-telemetry"
	cd "$top"
	for i in $(seq 300); do mkdir d && cd d; done
	assert_equal "$("$UR" status --json | jq -r .source)" "project:$top/.no-telemetry"
	# deeper than PATH_MAX: getcwd fails, the walk goes on through ..
	local long
	long=$(printf 'l%.0s' $(seq 200))
	for i in $(seq 25); do mkdir "$long" && cd "$long"; done
	run pwd -P
	run "$UR" status --json
	assert_equal "$(jq -r .enabled <<<"$output")" false
	[[ $(jq -r .source <<<"$output") == project:*/.no-telemetry ]]
	run "$UR" --command x --wait
	assert_equal "$(queued)" ""
	# a removed working folder whose parent holds the file
	mkdir -p "$top/gone"
	cd "$top/gone"
	rmdir "$top/gone"
	assert_equal "$("$UR" status --json | jq -r .source)" "project:$top/.no-telemetry"
	run "$UR" --command x --wait
	assert_equal "$(delivered_count)" 0
}

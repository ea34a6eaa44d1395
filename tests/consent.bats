#!/usr/bin/env bats
# consent.bats — the precedence chain (SPEC §4.3), CI detection (§4.4), enable/disable, the
# first-run notice, and "off means nothing at all".

load helpers

source_of() { "$UR" status --json | jq -r '"\(.enabled) \(.source)"'; }

setup() {
	common_setup
	posthog_config
}

@test "default on" {
	assert_equal "$(source_of)" "true default"
}

@test "USAGE_REPORT_DISABLED: anything but empty, 0 or false" {
	for v in 1 true yes anything TRUE; do
		assert_equal "$(USAGE_REPORT_DISABLED=$v source_of)" "false env:USAGE_REPORT_DISABLED"
	done
	for v in '' 0 false FALSE False; do
		assert_equal "$(USAGE_REPORT_DISABLED=$v source_of)" "true default"
	done
}

@test "DO_NOT_TRACK: anything but empty, 0 or false" {
	for v in 1 true yes; do
		assert_equal "$(DO_NOT_TRACK=$v source_of)" "false env:DO_NOT_TRACK"
	done
	for v in '' 0 false FaLsE; do
		assert_equal "$(DO_NOT_TRACK=$v source_of)" "true default"
	done
}

@test "the config's disabled_env and tracking_env (mixed case)" {
	printf '%s\n' '[posthog]' 'api_key = phc_k' '[consent]' 'tracking_env = ARCADE_USAGE_TRACKING' \
		'disabled_env = AAI_TELEMETRY_DISABLED' | write_config
	for v in 0 false FALSE No off OFF; do
		assert_equal "$(ARCADE_USAGE_TRACKING=$v source_of)" "false env:ARCADE_USAGE_TRACKING"
	done
	for v in 1 true yes on anything_else ''; do
		assert_equal "$(ARCADE_USAGE_TRACKING=$v source_of)" "true default"
	done
	assert_equal "$(AAI_TELEMETRY_DISABLED=1 source_of)" "false env:AAI_TELEMETRY_DISABLED"
	assert_equal "$(AAI_TELEMETRY_DISABLED=0 source_of)" "true default"
}

@test "precedence: USAGE_REPORT_DISABLED > config env > DO_NOT_TRACK > ci > persisted > default" {
	printf '%s\n' '[posthog]' 'api_key = phc_k' '[consent]' 'disabled_env = AAI_TELEMETRY_DISABLED' 'ci = skip' | write_config
	assert_equal "$(USAGE_REPORT_DISABLED=1 AAI_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 source_of)" "false env:USAGE_REPORT_DISABLED"
	assert_equal "$(AAI_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 source_of)" "false env:AAI_TELEMETRY_DISABLED"
	assert_equal "$(DO_NOT_TRACK=1 CI=true source_of)" "false env:DO_NOT_TRACK"
	run "$UR" enable
	assert_equal "$(CI=true source_of)" "false ci"
	assert_equal "$(source_of)" "true config"
	run "$UR" disable
	assert_equal "$(source_of)" "false config"
}

@test "precedence: every pair of sources, the higher one decides" {
	printf '%s\n' '[posthog]' 'api_key = phc_k' '[consent]' 'disabled_env = AAI_TELEMETRY_DISABLED' \
		'tracking_env = ARCADE_USAGE_TRACKING' 'ci = skip' 'default = off' | write_config
	# each source, highest first, as the setting that makes it decide and what it decides
	local names=(USAGE_REPORT_DISABLED disabled_env tracking_env DO_NOT_TRACK ci persisted)
	local -A env=([USAGE_REPORT_DISABLED]=USAGE_REPORT_DISABLED=1 [disabled_env]=AAI_TELEMETRY_DISABLED=1
		[tracking_env]=ARCADE_USAGE_TRACKING=0 [DO_NOT_TRACK]=DO_NOT_TRACK=1 [ci]=CI=1 [persisted]=)
	local -A verdict=([USAGE_REPORT_DISABLED]="false env:USAGE_REPORT_DISABLED"
		[disabled_env]="false env:AAI_TELEMETRY_DISABLED" [tracking_env]="false env:ARCADE_USAGE_TRACKING"
		[DO_NOT_TRACK]="false env:DO_NOT_TRACK" [ci]="false ci" [persisted]="true config")
	run "$UR" enable # persisted on, over default = off: the lowest pair
	local i j hi lo
	for ((i = 0; i < ${#names[@]}; i++)); do
		hi=${names[i]}
		for ((j = i + 1; j < ${#names[@]}; j++)); do
			lo=${names[j]}
			assert_equal "$(env ${env[$hi]} ${env[$lo]} "$UR" status --json | jq -r '"\(.enabled) \(.source)"')" "${verdict[$hi]}"
		done
	done
	assert_equal "$(source_of)" "true config"
	rm "$STATE/consent.json"
	assert_equal "$(source_of)" "false default"
}

@test "no backend beats an enabled choice" {
	rm "$CONF"
	run "$UR" enable
	assert_output "usage reporting enabled for usage-report
note: no backend is configured, so nothing is recorded"
	assert_equal "$(source_of)" "false no-backend"
}

@test "consent default = off is opt-in: nothing until enable" {
	printf '[posthog]\napi_key = phc_k\n[consent]\ndefault = off\nnotice = off\n' | write_config
	assert_equal "$(source_of)" "false default"
	run "$UR" --command x
	assert_not_exist "$STATE/queue"
	run "$UR" enable
	assert_equal "$(source_of)" "true config"
}

@test "CI detection: every variable, and CI=false turns it off" {
	for v in CI CONTINUOUS_INTEGRATION BUILD_NUMBER BUILD_ID RUN_ID CI_NAME GITHUB_ACTIONS GITLAB_CI TF_BUILD \
		JENKINS_URL BUILDKITE CIRCLECI TRAVIS TEAMCITY_VERSION CODEBUILD_BUILD_ARN BITBUCKET_COMMIT; do
		assert_equal "$(env "$v=1" "$UR" status --json | jq .ci)" true
		assert_equal "$(env "$v=" "$UR" status --json | jq .ci)" false
	done
	assert_equal "$(CI=false GITHUB_ACTIONS=true "$UR" status --json | jq .ci)" false
	assert_equal "$(CI=0 "$UR" status --json | jq .ci)" true
	assert_equal "$(CI=true "$UR" --dry-run --command x 2>/dev/null | sed -n '/^{/,$p' | jq '.batch[0].properties.ci')" true
}

@test "enable says when an environment switch still keeps reporting off" {
	DO_NOT_TRACK=1 run "$UR" enable
	assert_output "usage reporting enabled for usage-report
note: DO_NOT_TRACK is set and keeps usage reporting off until it is unset"
	run "$UR" enable
	assert_output "usage reporting enabled for usage-report"
}

@test "disable persists the choice in the state folder and discards the queue" {
	mkdir -p "$STATE/queue"
	echo '{}' >"$STATE/queue/00000000000000000001-a.json"
	run "$UR" disable
	assert_output "usage reporting disabled for usage-report; 1 queued event(s) discarded"
	assert_equal "$(jq .enabled "$STATE/consent.json")" false
	assert_equal "$(queued)" ""
	assert_file_permission 600 "$STATE/consent.json"
}

off_leaves_no_trace() {
	run --separate-stderr "$@" "$UR" --command x --duration 5
	assert_success
	assert_equal "$output$stderr" ""
	assert_not_exist "$HOME/.local"
	run --separate-stderr "$@" "$UR" login --principal-id p
	assert_success
	run --separate-stderr "$@" "$UR" logout
	run --separate-stderr "$@" "$UR" flush
	run --separate-stderr "$@" "$UR" exec -- true
	assert_success
	assert_not_exist "$HOME/.local"
	assert_equal "$(senders)" ""
}

@test "off means nothing: no file created or changed, no process, for every source" {
	off_leaves_no_trace env USAGE_REPORT_DISABLED=1
	off_leaves_no_trace env DO_NOT_TRACK=true
	printf '[posthog]\napi_key = phc_k\n[consent]\nci = skip\ntracking_env = T\n' | write_config
	off_leaves_no_trace env CI=1
	off_leaves_no_trace env T=off
}

@test "a persisted disable changes no other file on later runs" {
	run "$UR" disable
	local before
	before=$(find "$HOME" -type f -printf '%p %T@\n' | sort)
	run "$UR" --command x
	run "$UR" login --principal-id p
	assert_equal "$(find "$HOME" -type f -printf '%p %T@\n' | sort)" "$before"
}

@test "first run: the notice on stderr, identity created, that run's event not queued" {
	posthog_config usage-report on
	run --separate-stderr "$UR" --command first
	assert_success
	assert_equal "$output" ""
	assert_equal "${#stderr_lines[@]}" 1
	[[ "$stderr" == "usage-report collects anonymous usage data"*"DO_NOT_TRACK=1." ]]
	assert_file_exist "$STATE/usage.json"
	assert_equal "$(queued)" ""
	# never again for this identity
	run --separate-stderr "$UR" --command second
	assert_equal "$stderr" ""
	assert_equal "$(queued | wc -l)" 1
}

@test "notice = off leaves the notice to the host and records the first run" {
	run --separate-stderr "$UR" --command first
	assert_equal "$stderr" ""
	assert_equal "$(queued | wc -l)" 1
}

@test "no notice and no identity when reporting is off" {
	posthog_config usage-report on
	run --separate-stderr env DO_NOT_TRACK=1 "$UR" --command first
	assert_equal "$stderr" ""
	assert_not_exist "$STATE/usage.json"
}

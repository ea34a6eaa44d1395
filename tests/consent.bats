#!/usr/bin/env bats
# consent.bats — the precedence chain (design.md §4.3), CI detection (§4.4), enable/disable, the
# first-run notice, and "off means nothing at all".

load helpers

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

no_request_yet() { [ ! -s "$INTAKE_DIR/requests.jsonl" ]; }

# The accepted events as "event:command_name", in order.
delivered_events() {
	accepted_events | jq -r '.event + ":" + (.properties.command_name // "")'
}

@test "notice: stderr on /dev/null or closed holds the event, never loses it; the next run on a pipe shows it and both go" {
	start_intake
	posthog_config usage-report on
	run bash -c '"$1" --command first 2>/dev/null' _ "$UR"
	assert_success
	assert_output ""
	run bash -c '"$1" --command closed 2>&-' _ "$UR"
	assert_success
	assert_equal "$(queued | wc -l)" 2
	assert_equal "$("$UR" status --json | jq -c '[.notice, .held, .queued]')" '["pending",2,2]'
	run "$UR" status
	assert_line "notice:          pending (2 event(s) held until it is shown)"
	# nothing is sent before the notice was written where it can be read, not even by flush
	run bash -c '"$1" flush 2>/dev/null; "$1" --command still-held --wait 2>/dev/null' _ "$UR"
	no_request_yet
	assert_equal "$(queued | wc -l)" 3
	# a pipe (a CI runner, an MCP client, a parent process) carries it
	run bash -c '"$1" --command piped 2>&1 | cat' _ "$UR"
	assert_success
	assert_equal "${#lines[@]}" 1
	[[ $output == "usage-report collects usage data"*"in the environment."* ]]
	wait_for '[ "$(delivered_count)" = 4 ]'
	assert_equal "$(delivered_events | sort | tr '\n' ' ')" \
		"CLI execution succeeded:closed CLI execution succeeded:first CLI execution succeeded:piped CLI execution succeeded:still-held "
	assert_equal "$("$UR" status --json | jq -c '[.notice, .held]')" '["shown",0]'
	assert_equal "$(jq -r .how "$STATE/notice.json")" stderr
	# once only
	run bash -c '"$1" --command again 2>&1 | cat' _ "$UR"
	assert_output ""
	wait_for '[ "$(delivered_count)" = 5 ]'
}

# shows_notice KIND: run one track with stderr on KIND in a fresh state; "shown TEXT" or
# "pending TEXT", TEXT being what reached that stderr (or "-" when nothing can be read back).
shows_notice() {
	rm -rf "$STATE"
	local err=$BATS_TEST_TMPDIR/err
	rm -f "$err"
	case $1 in
	terminal) on_tty "$UR" --command x; printf '%s' "$output" >"$err" ;;
	pipe) "$UR" --command x 2>&1 | cat >"$err" ;;
	file) "$UR" --command x 2>"$err" ;;
	socket) python3 -c '
import socket, subprocess, sys
a, b = socket.socketpair()
subprocess.run([sys.argv[1], "--command", "x"], stderr=b)
b.close()
sys.stdout.write(a.recv(65536).decode())' "$UR" >"$err" ;;
	broken-pipe) python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
subprocess.run([sys.argv[1], "--command", "x"], stderr=w)' "$UR" ;;
	null) "$UR" --command x 2>/dev/null ;;
	closed) "$UR" --command x 2>&- ;;
	full) "$UR" --command x 2>/dev/full ;;
	esac
	local text=-
	[ -f "$err" ] && grep -q 'collects usage data' "$err" && text=text
	[ -f "$err" ] && ! grep -q 'collects usage data' "$err" && text=none
	echo "$("$UR" status --json | jq -r .notice) $text $(queued | wc -l)"
}

@test "notice: a terminal, a pipe, a socket or a file shows it; /dev/null, a closed stderr, /dev/full or a broken pipe hold" {
	posthog_config usage-report on
	hold_delivery # the events stay queued, to be counted
	assert_equal "$(shows_notice terminal)" "shown text 1"
	assert_equal "$(shows_notice pipe)" "shown text 1"
	assert_equal "$(shows_notice file)" "shown text 1"
	assert_equal "$(shows_notice socket)" "shown text 1"
	assert_equal "$(shows_notice null)" "pending - 1"
	assert_equal "$(shows_notice closed)" "pending - 1"
	assert_equal "$(shows_notice full)" "pending - 1"
	assert_equal "$(shows_notice broken-pipe)" "pending - 1" # a write that failed is not shown
	assert_not_exist "$STATE/notice.json.claim"
}

@test "notice = tty keeps the strict rule: only a terminal shows it" {
	printf '[posthog]\napi_key = phc_k\nhost = http://127.0.0.1:9\n[consent]\nnotice = tty\n' | write_config
	assert_equal "$(shows_notice pipe)" "pending none 1"
	assert_equal "$(shows_notice file)" "pending none 1"
	assert_equal "$(shows_notice socket)" "pending none 1"
	assert_equal "$(shows_notice terminal)" "shown text 1"
}

@test "notice: held events obey the queue's bounds (1000 events), oldest dropped first" {
	posthog_config usage-report on
	run bash -c '"$1" --command template 2>/dev/null' _ "$UR"
	local template=$BATS_TEST_TMPDIR/template.json now
	mv "$STATE/queue/$(queued)" "$template"
	now=$(date +%s%N)
	copy_queued "$template" 1010 $((now - 2000000000)) c
	run bash -c '"$1" --command last 2>/dev/null' _ "$UR"
	wait_for '[ "$(queued | wc -l)" = 1000 ]'
	wait_for '[ -z "$(senders)" ]'
	assert_equal "$(queued | wc -l)" 1000
	assert_equal "$("$UR" status --json | jq -c '[.notice, .held]')" '["pending",1000]'
	assert_equal "$(jq -r 'select(.result=="dropped") | .uuids | length' "$STATE/sent.log")" 11
	# the oldest went; the newest, this run's own, is kept
	assert_equal "$(jq -r '.event.properties.command_name' "$STATE/queue/$(queued | tail -1)")" last
	run jq -r 'select(.result=="dropped") | .uuids[]' "$STATE/sent.log"
	assert_line 00000000-0000-4000-8000-000000000001
	refute_line 00000000-0000-4000-8000-000000001010
}

@test "notice: with disable in between, neither held nor later events are ever sent" {
	start_intake
	posthog_config usage-report on
	run bash -c '"$1" --command first 2>/dev/null; "$1" login --principal-id user-1 2>/dev/null' _ "$UR"
	assert_equal "$(queued | wc -l)" 3 # first, the alias, the login event
	run "$UR" disable
	assert_output "usage reporting disabled for usage-report; 3 queued event(s) discarded"
	assert_equal "$(queued)" ""
	on_tty "$UR" --command second
	assert_output "" # off means nothing at all, the notice included
	assert_equal "$(queued)" ""
	run "$UR" enable
	on_tty "$UR" --command third
	[[ $output == *"collects usage data"* ]]
	wait_for '[ "$(delivered_count)" = 2 ]'
	# the identity is still linked: the discarded alias goes again, before the event
	assert_equal "$(delivered_events | tr '\n' ' ')" '$create_alias: CLI execution succeeded:third '
	assert_equal "$(jq -r 'select(.path=="/batch/") | .body.batch[] | .distinct_id' "$INTAKE_DIR/requests.jsonl" | sort -u)" user-1
	run grep -c 'first\|second' "$INTAKE_DIR/requests.jsonl"
	assert_output 0
}

@test "notice: 'usage-report notice' prints it to stdout for the host and releases held events" {
	start_intake
	posthog_config usage-report on
	run bash -c '"$1" login --principal-id user-7 2>/dev/null; "$1" --command later 2>/dev/null' _ "$UR"
	no_request_yet
	# stdout thrown away or not written in full: printed, not shown, nothing sent
	run bash -c '"$1" notice >/dev/null' _ "$UR"
	assert_success
	run bash -c '"$1" notice >/dev/full' _ "$UR"
	assert_success
	assert_equal "$("$UR" status --json | jq -c '[.notice, .held]')" '["pending",3]'
	no_request_yet
	run --separate-stderr "$UR" notice
	assert_success
	assert_equal "$stderr" ""
	[[ $output == "usage-report collects usage data"* ]]
	assert_equal "${#lines[@]}" 1
	wait_for '[ "$(delivered_count)" = 3 ]'
	# the alias first, in a request of its own, then the events under the account
	assert_equal "$(jq -r 'select(.path=="/batch/") | [.body.batch[].event] | join(",")' "$INTAKE_DIR/requests.jsonl" | head -1)" '$create_alias'
	assert_equal "$(jq -r 'select(.path=="/batch/") | .body.batch[] | select(.event != "$create_alias") | .distinct_id' \
		"$INTAKE_DIR/requests.jsonl" | sort -u)" user-7
	assert_equal "$(jq -r .how "$STATE/notice.json")" notice
	on_tty "$UR" --command x
	assert_output ""
}

@test "notice: with no backend configured nothing is collected, and 'usage-report notice' prints nothing" {
	rm -f "$XDG_CONFIG_HOME/usage-report/usage-report.conf"
	run --separate-stderr "$UR" notice
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	assert_equal "$("$UR" status --json | jq -r .source)" no-backend
}

@test "notice: one paragraph naming every opt-out that applies; the host's wording and hint" {
	printf '[posthog]\napi_key = phc_k\nhost = http://127.0.0.1:9\n[consent]\ntracking_env = ARCADE_USAGE_TRACKING\ndisabled_env = AAI_TELEMETRY_DISABLED\n' | write_config
	run "$UR" notice
	assert_output "usage-report collects usage data (the command name, its outcome, exit code and duration, the tool and OS versions, whether it runs in CI, and a random id, or your account id once you log in) to improve the tool; never arguments, paths or file contents. To turn it off, run 'usage-report --app usage-report disable', or set DO_NOT_TRACK=1, ARCADE_USAGE_TRACKING=0 or AAI_TELEMETRY_DISABLED=1 in the environment. To share failed runs only, run 'usage-report --app usage-report level errors'."
	# and each one it names does turn reporting off
	assert_equal "$(DO_NOT_TRACK=1 source_of)" "false env:DO_NOT_TRACK"
	assert_equal "$(ARCADE_USAGE_TRACKING=0 source_of)" "false env:ARCADE_USAGE_TRACKING"
	assert_equal "$(AAI_TELEMETRY_DISABLED=1 source_of)" "false env:AAI_TELEMETRY_DISABLED"
	run "$UR" disable
	assert_equal "$(source_of)" "false config"
	printf '[posthog]\napi_key = phc_k\n[consent]\ndisable_hint = mycli telemetry disable\n' | write_config mycli
	run "$UR" --app mycli notice
	assert_output --partial "To turn it off, run 'mycli telemetry disable', or set DO_NOT_TRACK=1 in the environment."
	refute_output --partial "level errors" # the host's own command names its own options
	printf '[posthog]\napi_key = phc_k\n[consent]\nnotice_url = https://example.com/privacy\n' | write_config mycli
	run "$UR" --app mycli notice
	assert_output --partial "level errors'. Privacy policy: https://example.com/privacy."
	printf 'Mycli sammelt anonyme Nutzungsdaten.\n\033[31mAbschalten: mycli telemetry disable\n' >"$HOME/notice.txt"
	printf '[posthog]\napi_key = phc_k\n[consent]\nnotice_file = ~/notice.txt\n' | write_config mycli
	run "$UR" --app mycli notice
	assert_output $'Mycli sammelt anonyme Nutzungsdaten.\n [31mAbschalten: mycli telemetry disable'
	# a notice_file that cannot be read (here a FIFO: never waited for) gives the default wording
	rm "$HOME/notice.txt" && mkfifo "$HOME/notice.txt"
	run timeout 5 "$UR" --app mycli notice
	assert_success
	assert_output --partial "mycli collects usage data"
}

@test "notice: of 20 first runs at once on one terminal, exactly one shows it" {
	posthog_config usage-report on
	on_tty bash -c 'for i in $(seq 20); do "$0" --command "run$i" & done; wait' "$UR"
	# runs that all found it pending at once: tests/unit/test_notice.c forces that interleaving
	assert_equal "$(grep -c 'collects usage data' <<<"$output")" 1
	assert_equal "$(queued | wc -l)" 20
	assert_equal "$("$UR" status --json | jq -r .notice)" shown
}

@test "notice: something not ours at its name keeps events held, and never hangs" {
	posthog_config usage-report on
	mkdir -p "$STATE" && mkfifo "$STATE/notice.json"
	on_tty timeout 5 "$UR" --command x
	assert_success
	assert_output ""
	assert_equal "$("$UR" status --json | jq -c '[.notice, .held]')" '["pending",1]'
}

@test "notice = off leaves the notice to the host: nothing is held" {
	start_intake
	posthog_config
	run --separate-stderr "$UR" --command first --wait
	assert_equal "$stderr" ""
	assert_equal "$(delivered_count)" 1
	assert_equal "$("$UR" status --json | jq -c '[.notice, .held]')" '["off",0]'
}

@test "no notice and no identity when reporting is off" {
	posthog_config usage-report on
	run --separate-stderr env DO_NOT_TRACK=1 "$UR" --command first
	assert_equal "$stderr" ""
	assert_not_exist "$STATE/usage.json"
}

#!/usr/bin/env bats
# history.bats — `usage-report history` (design.md §4.7): what left the machine, exactly as
# the intake received it, newest first, bounded; what is queued or held; gone on disable.

load helpers

setup() {
	common_setup
	start_intake
	posthog_config
}

teardown() { common_teardown; }

# The batches the intake accepted, oldest first, one compact JSON array per line.
intake_batches() {
	jq -c 'select(.path=="/batch/" and .status==200) | .body.batch' "$INTAKE_DIR/requests.jsonl"
}

@test "history: every request exactly as the intake received it, newest first, with the intake and the time" {
	run "$UR" --command one --wait
	run "$UR" --command two --exit-code 2 --wait
	run "$UR" history --json
	assert_success
	assert_equal "${#lines[@]}" 2
	# newest first: reversed, the batches are the intake's, byte for byte
	assert_equal "$(printf '%s\n' "${lines[@]}" | tac | jq -c .body.batch)" "$(intake_batches)"
	assert_equal "$(jq -r '.body.batch[0].properties.command_name' <<<"${lines[0]}")" two
	assert_equal "$(jq -r '"\(.backend) \(.intake) \(.status)"' <<<"${lines[0]}")" "posthog $URL/batch/ 200"
	assert_equal "$(jq -r .time <<<"${lines[0]}")" "$(intake_requests | tail -1 | jq -r .body.sent_at)"
	# the key is masked as in traces; nothing else differs
	assert_equal "$(jq -r .body.api_key <<<"${lines[0]}")" "…"
	assert_equal "$(stat -c %a "$STATE/history.jsonl")" 600
	run "$UR" history -n 1
	assert_line --index 0 "sent $(jq -r .time <<<"$(sed -n 1p <<<"$("$UR" history --json)")") to $URL/batch/ (posthog, HTTP 200):"
	assert_line --partial '"command_name": "two"'
	refute_line --partial '"command_name": "one"'
}

@test "history: at level errors, the one failure that left is there, byte for byte" {
	run "$UR" level errors
	run "$UR" --command fine --wait
	run "$UR" --command broken --error "quota exceeded for user@example.com" --wait
	run "$UR" history --json
	assert_equal "${#lines[@]}" 1
	assert_equal "$(jq -c .body.batch <<<"${lines[0]}")" "$(intake_batches)"
	assert_equal "$(jq -r '.body.batch[0].properties.error_message' <<<"${lines[0]}")" "quota exceeded for <email>"
}

@test "history: what is queued, and held for the notice, comes first, as it would be sent" {
	posthog_config usage-report on
	"$UR" --command held 2>/dev/null # the notice cannot be shown: the event is held
	run "$UR" history --json
	assert_equal "${#lines[@]}" 1
	assert_equal "$(jq -r '"\(.queued) \(.held) \(.event.properties.command_name)"' <<<"${lines[0]}")" "true true held"
	run "$UR" history
	assert_line "queued, not sent yet (held until the first-run notice is shown):"
	assert_equal "$(intake_requests | wc -l)" 0
}

@test "history: reading it creates nothing; with nothing sent it says so" {
	run "$UR" history
	assert_success
	assert_output "nothing was sent and nothing is queued"
	assert_not_exist "$XDG_STATE_HOME"
	run --separate-stderr "$UR" history -n 0
	assert_equal "$status" 2
	assert_equal "$stderr" "usage-report: invalid -n '0': expected a number of requests from 1 to 1000000"
	run --separate-stderr "$UR" status -n 3
	assert_equal "$status" 2
	assert_equal "$stderr" "usage-report: option '-n' applies only to 'history', not 'status'"
}

@test "history: bounded (rotated past 512 KiB, two files at most) and removed by disable" {
	run "$UR" --command first --wait
	# an old history just past the bound
	local pad
	pad=$(head -c 600 /dev/zero | tr '\0' x)
	for i in $(seq 900); do echo "{\"time\":\"old\",\"pad\":\"$pad\"}"; done >>"$STATE/history.jsonl"
	(($(stat -c %s "$STATE/history.jsonl") > 512 * 1024))
	run "$UR" --command second --wait
	assert_file_exist "$STATE/history.jsonl.1"
	(($(stat -c %s "$STATE/history.jsonl") < 4096))
	run "$UR" history --json -n 2
	assert_equal "$(jq -r '.time' <<<"${lines[1]}")" old
	assert_equal "$(jq -r '.body.batch[0].properties.command_name' <<<"${lines[0]}")" second
	run "$UR" disable
	assert_not_exist "$STATE/history.jsonl"
	assert_not_exist "$STATE/history.jsonl.1"
}

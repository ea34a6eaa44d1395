#!/usr/bin/env bats
# forget.bats — `usage-report forget [--disable]` (design.md §4.8): the queue and history
# discarded, one event naming every id this device used, the identity reset; never held by
# the notice; delivered even after the disable that follows, with retries.

load helpers

setup() {
	common_setup
	start_intake
	posthog_config
}

teardown() { common_teardown; }

# Every id the intake saw events under: distinct ids, and the ids an alias joined.
ids_seen() {
	accepted_events | jq -r 'select(.event != "usage-report forget requested") | .distinct_id, (.properties.alias // empty)' |
		sort -u
}

forget_event() {
	accepted_events | jq -c 'select(.event == "usage-report forget requested")'
}

@test "forget: one event naming every id those events carried; queue and history gone; a new identity" {
	run "$UR" --command before-login --wait
	run "$UR" login --principal-id user-1 --wait
	run "$UR" --command logged-in --wait
	run "$UR" logout --wait
	run "$UR" --command after-logout --wait
	local old_anon
	old_anon=$("$UR" status --json | jq -r .anon_id)
	run "$UR" forget --wait
	assert_success
	assert_line --partial "forget requested for usage-report: the queue and the history are discarded"
	assert_line "a new anonymous id starts now."
	local event
	event=$(forget_event)
	[ -n "$event" ]
	# every id the intake has data under is named
	assert_equal "$(jq -r '.properties.forget_anon_ids[], .properties.forget_principal_ids[]' <<<"$event" | sort -u)" "$(ids_seen)"
	assert_equal "$(jq -r .distinct_id <<<"$event")" "$old_anon"
	assert_equal "$(jq -r .properties.command_name <<<"$event")" "usage-report forget"
	# a fresh identity, no queue, a history of that one request only, nothing kept to name
	local now
	now=$("$UR" status --json | jq -r '"\(.anon_id) \(.linked_principal_id)"')
	[[ $now != "$old_anon null" ]]
	assert_equal "$(ids_seen | grep -c "${now% *}")" 0
	assert_equal "$(queued)" ""
	run "$UR" history --json
	assert_equal "${#lines[@]}" 1
	assert_equal "$(jq -r '.body.batch[0].event' <<<"${lines[0]}")" "usage-report forget requested"
	assert_not_exist "$STATE/earlier_ids.json"
	assert_not_exist "$STATE/forced.pending"
}

@test "forget: its event is never held by the notice; held events are discarded" {
	posthog_config usage-report on
	"$UR" --command held 2>/dev/null # the notice cannot be shown: held
	assert_equal "$(queued | wc -l)" 1
	"$UR" forget --wait 2>/dev/null >/dev/null
	assert_equal "$(forget_event | jq -r .event)" "usage-report forget requested"
	assert_equal "$(intake_requests | jq -r '.body.batch[].properties.command_name')" "usage-report forget"
	assert_equal "$(queued)" ""
}

@test "forget --disable: reporting off after, and the request retried until it is delivered" {
	run "$UR" --command one --wait
	intake_control '{"route":"batch","script":[{"status":503}]}'
	run "$UR" forget --disable --wait
	assert_success
	assert_line "usage reporting is now off (that one request still goes)."
	assert_equal "$("$UR" status --json | jq -r '"\(.enabled) \(.source)"')" "false config"
	assert_equal "$(forget_event)" ""
	assert_equal "$(queued | wc -l)" 1
	# reporting is off: a run records nothing, but starts the sender for that one request,
	# which honours the backoff the 503 set: runs retry it until it goes
	wait_for '"$UR" --command not-recorded; [ -n "$(forget_event)" ]' 30
	wait_for '[ ! -e "$STATE/forced.pending" ]'
	assert_equal "$(queued)" ""
	assert_equal "$(intake_requests | jq -r '.body.batch[].properties.command_name' | grep -c not-recorded)" 0
	# and with the request gone, off is nothing at all again
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 run strace -f -e trace=clone,clone3,fork,vfork \
		-o "$BATS_TEST_TMPDIR/trace" "$UR" --command quiet
	run grep -cE '(clone|clone3|fork|vfork)\(' "$BATS_TEST_TMPDIR/trace"
	assert_output 0
}

@test "forget: a later disable keeps the request; with reporting off forget sends nothing (exit 3); --dry-run is refused" {
	intake_control '{"route":"batch","script":[{"status":503}]}'
	run "$UR" forget --wait
	run "$UR" disable
	assert_equal "$(queued | wc -l)" 1
	run "$UR" flush
	assert_equal "$(forget_event | jq -r .event)" "usage-report forget requested"
	run --separate-stderr "$UR" forget
	assert_equal "$status" 3
	assert_equal "$stderr" "usage-report: reporting is off (config): nothing was sent"
	run --separate-stderr "$UR" forget --dry-run
	assert_equal "$status" 2
	run --separate-stderr "$UR" status --disable
	assert_equal "$status" 2
	assert_equal "$stderr" "usage-report: option '--disable' applies only to 'forget', not 'status'"
}

@test "forget: the event's name comes from [events] forget" {
	printf '[events]\nforget = Data deletion requested\n' >>"$CONF"
	run "$UR" forget --wait
	assert_equal "$(intake_requests | jq -r '.body.batch[].event')" "Data deletion requested"
}

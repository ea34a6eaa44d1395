#!/usr/bin/env bats
# session.bats — PostHog sessions (design.md §2, §4.5): a $session_id the sender assigns from the
# events' times (30 minutes idle or 24 hours end one), never from the foreground.

load helpers

setup() {
	common_setup
	start_intake
}

# A UTC time $1 seconds from a fixed start a few minutes ago, in faketime's format.
at() { date -u -d "@$((START + $1))" '+%Y-%m-%d %H:%M:%S'; }

@test "sessions: 10 minutes apart share a \$session_id, 40 minutes apart do not; a UUID v7 of its start" {
	command -v faketime >/dev/null || skip "faketime is not installed"
	posthog_config
	hold_delivery
	START=$(($(date +%s) - 3 * 3600))
	local t
	for t in 0 600 3000 3060; do # 0, +10 min, +40 min after that, +1 min
		faketime "$(at $t)" "$UR" --command "at$t"
	done
	run "$UR" flush
	local ids
	ids=$(accepted_events | jq -r '.properties["$session_id"]')
	assert_equal "$(wc -l <<<"$ids")" 4
	local s0 s600 s3000 s3060
	{ read -r s0; read -r s600; read -r s3000; read -r s3060; } <<<"$ids"
	assert_equal "$s600" "$s0"
	[ "$s3000" != "$s0" ]
	assert_equal "$s3060" "$s3000"
	[[ $s0 =~ ^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	# its first 48 bits are the session's first event time, in ms (the fake clock runs on:
	# that time is a few ms, on a loaded machine more, after the start it was given)
	local first third
	first=$(date -u -d "$(accepted_events | sed -n 1p | jq -r .timestamp)" +%s%3N)
	third=$(date -u -d "$(accepted_events | sed -n 3p | jq -r .timestamp)" +%s%3N)
	assert_equal "$((16#${s0:0:8}${s0:9:4}))" "$first"
	assert_equal "$((16#${s3000:0:8}${s3000:9:4}))" "$third"
	((first / 1000 - START < 5 && third / 1000 - START - 3000 < 5))
	assert_equal "$("$UR" status --json | jq -r .session_id)" "$s3000"
	# remembered across senders: the next event 5 minutes later continues the session
	faketime "$(at 3360)" "$UR" --command later
	run "$UR" flush
	assert_equal "$(accepted_events | tail -1 | jq -r '.properties["$session_id"]')" "$s3000"
}

@test "sessions: none lasts more than 24 hours, however busy" {
	command -v faketime >/dev/null || skip "faketime is not installed"
	posthog_config
	hold_delivery
	START=$(($(date +%s) - 2 * 86400))
	local t
	for t in $(seq 0 1500 90000); do # every 25 minutes for 25 hours
		faketime "$(at $t)" "$UR" --command "at$t"
	done
	run "$UR" flush
	local ids
	ids=$(accepted_events | jq -r '.properties["$session_id"]' | uniq)
	assert_equal "$(wc -l <<<"$ids")" 2
	# the second began at the first event past 24 hours: 86400 + 1500 - (86400 % 1500) s
	local began
	began=$(date -u -d "$(accepted_events | jq -r 'select(.properties.command_name == "at87000") | .timestamp')" +%s%3N)
	assert_equal "$((16#$(sed -n 2p <<<"$ids" | cut -c1-8)$(sed -n 2p <<<"$ids" | cut -c10-13)))" "$began"
}

@test "sessions: a delivery state that is a FIFO or a folder neither hangs nor stops delivery" {
	posthog_config
	mkdir -p "$STATE"
	mkdir "$STATE/delivery.json"
	run timeout 10 "$UR" --command through-folder --wait
	assert_success
	assert_equal "$(delivered_count)" 1
	# it still got a session, only not remembered
	assert_equal "$(accepted_events | jq -r '.properties["$session_id"] | length')" 36
	run timeout 5 "$UR" status --json
	assert_success
	assert_equal "$(jq -r .session_id <<<"$output")" null
	# a FIFO is never waited for; the sender's next write replaces it with the state
	rmdir "$STATE/delivery.json" && mkfifo "$STATE/delivery.json"
	run timeout 10 "$UR" --command through-fifo --wait
	assert_success
	assert_equal "$(delivered_count)" 2
	run timeout 5 "$UR" status --json
	assert_equal "$(jq -r .session_id <<<"$output")" "$(accepted_events | jq -r '.properties["$session_id"]' | tail -1)"
}

@test "sessions: aliases carry none, a retried request the same, and the foreground pays nothing" {
	posthog_config
	intake_control '{"route":"batch","script":[{}, {"status":503}]}' # the alias goes, the event is refused once
	run "$UR" login --principal-id u1 --wait
	run "$UR" flush
	local attempts
	attempts=$(jq -c 'select(.path=="/batch/") | [.status, [.body.batch[] | .event, .properties["$session_id"]]]' "$INTAKE_DIR/requests.jsonl")
	assert_equal "$(jq -c '.[0]' <<<"$attempts" | tr '\n' ' ')" "200 503 200 "
	assert_equal "$(sed -n 1p <<<"$attempts" | jq -c '.[1]')" '["$create_alias",null]'
	local s1 s2
	s1=$(sed -n 2p <<<"$attempts" | jq -r '.[1][1]')
	s2=$(sed -n 3p <<<"$attempts" | jq -r '.[1][1]')
	[[ $s1 =~ ^[0-9a-f-]{36}$ ]]
	assert_equal "$s2" "$s1"
	# --dry-run shows the session the sender would give (the same one, minutes later)
	run --separate-stderr "$UR" --dry-run --command x
	assert_equal "$(sed -n '/^{/,/^}/p' <<<"$output" | jq -r '.batch[0].properties["$session_id"]')" "$s1"
	# and a run pays nothing for sessions: it never opens the session file
	if command -v strace >/dev/null; then
		hold_delivery
		ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=open,openat,stat,newfstatat,lstat -o "$BATS_TEST_TMPDIR/trace" "$UR" --command y
		run grep -c 'open.*delivery.json' "$BATS_TEST_TMPDIR/trace" # (a stat says whether a backoff holds)
		assert_output 0
		grep -q queue "$BATS_TEST_TMPDIR/trace" # the trace did see the run
	fi
}

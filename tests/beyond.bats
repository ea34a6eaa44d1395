#!/usr/bin/env bats
# beyond.bats — what users of CLI telemetry asked for and no peer offers (SPEC §2, §4.5,
# §5.4): a rate cap for CLIs called in tight loops, PostHog sessions assigned by the sender,
# and the OpenTelemetry backend.

load helpers

setup() {
	common_setup
	start_intake
}

accepted_events() {
	jq -c 'select(.path=="/batch/" and .status==200) | .body.batch[]' "$INTAKE_DIR/requests.jsonl"
}

# A UTC time $1 seconds from a fixed start a few minutes ago, in faketime's format.
at() { date -u -d "@$((START + $1))" '+%Y-%m-%d %H:%M:%S'; }

@test "rate cap: 500 calls in a minute with max_per_minute = 60 record 60; the next minute's first carries rate_limited 440" {
	command -v faketime >/dev/null || skip "faketime is not installed"
	printf '[posthog]\nhost = %s\napi_key = phc_k\n[consent]\nnotice = off\n[events]\nmax_per_minute = 60\n' "$URL" | write_config
	hold_delivery
	START=$(($(date +%s) - 600))
	# a frozen clock: all 500 in the same second
	faketime "$(at 0)" bash -c 'for i in $(seq 500); do "$0" --command "c$i" || exit 1; done' "$UR"
	assert_equal "$(queued | wc -l)" 60
	faketime "$(at 61)" "$UR" --command after
	faketime "$(at 62)" "$UR" --command next
	assert_equal "$(queued | wc -l)" 62
	run "$UR" flush
	assert_equal "$(delivered_count)" 62
	assert_equal "$(accepted_events | jq -r 'select(.properties.rate_limited) | "\(.properties.command_name) \(.properties.rate_limited)"')" \
		"after 440"
	assert_equal "$(accepted_events | jq -r '.properties.command_name' | sed -n '1p;60p')" $'c1\nc60'
	# a clock that steps back starts a new window rather than capping forever
	faketime "$(at 10)" "$UR" --command back
	assert_equal "$(queued | wc -l)" 1
}

@test "rate cap: off by default, and a count file that is not ours lets events through" {
	posthog_config
	hold_delivery
	local i
	for i in $(seq 130); do "$UR" --command "c$i"; done
	assert_equal "$(queued | wc -l)" 130
	assert_not_exist "$STATE/rate"
	printf '[posthog]\nhost = %s\napi_key = phc_k\n[consent]\nnotice = off\n[events]\nmax_per_minute = 1\n' "$URL" | write_config
	mkfifo "$STATE/rate"
	run timeout 5 "$UR" --command through
	assert_success
	assert_equal "$(queued | wc -l)" 131
}

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
	# its first 48 bits are the session's first event time, in ms
	assert_equal "$((16#${s0:0:8}${s0:9:4} / 1000))" "$START"
	assert_equal "$((16#${s3000:0:8}${s3000:9:4} / 1000))" "$((START + 3000))"
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
	assert_equal "$((16#$(sed -n 2p <<<"$ids" | cut -c1-8)$(sed -n 2p <<<"$ids" | cut -c10-13) / 1000))" "$((START + 87000))"
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
	run "$UR" --dry-run --command x
	assert_equal "$(sed -n '/^{/,/^}/p' <<<"$output" | jq -r '.batch[0].properties["$session_id"]')" null
}

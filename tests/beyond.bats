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

#!/usr/bin/env bats
# rate.bats — [events] max_per_minute (design.md §4.5): a rate cap for CLIs called in tight
# loops; the runs past it are counted and the next recorded one carries the count.

load helpers

setup() {
	common_setup
	start_intake
}

# A UTC time $1 seconds from a fixed start a few minutes ago, in faketime's format.
at() { date -u -d "@$((START + $1))" '+%Y-%m-%d %H:%M:%S'; }

# A PostHog config for the test intake with [events] max_per_minute = $1.
rate_config() {
	printf '[posthog]\nhost = %s\napi_key = phc_k\n[consent]\nnotice = off\n[events]\nmax_per_minute = %s\n' "$URL" "$1" | write_config
}

@test "rate cap: 500 calls in a minute with max_per_minute = 60 record 60; the next minute's first carries rate_limited 440" {
	command -v faketime >/dev/null || skip "faketime is not installed"
	rate_config 60
	hold_delivery
	START=$(($(date +%s) - 600))
	# a frozen clock (-f; plain faketime lets it run, and 500 runs of a loaded sanitizer
	# build can cross into the next minute): all 500 in the same minute
	faketime -f "$(at 0)" bash -c 'for i in $(seq 500); do "$0" --command "c$i" || exit 1; done' "$UR"
	assert_equal "$(queued | wc -l)" 60
	faketime "$(at 61)" "$UR" --command after
	faketime "$(at 62)" "$UR" --command next
	assert_equal "$(queued | wc -l)" 62
	run "$UR" flush
	assert_equal "$(delivered_count)" 62
	assert_equal "$(accepted_events | jq -r 'select(.properties.rate_limited) | "\(.properties.command_name) \(.properties.rate_limited)"')" \
		"after 440"
	# the first 60 were recorded (their capture times are equal under the frozen clock: the set)
	assert_equal "$(accepted_events | jq -r '.properties.command_name' | grep '^c' | sort -V)" "$(seq -f 'c%g' 60)"
	# a clock that steps back starts a new window rather than capping forever (held again:
	# the flush ended the backoff, and a sender would race the count)
	hold_delivery
	faketime "$(at 10)" "$UR" --command back
	assert_equal "$(queued | wc -l)" 1
}

@test "rate cap: 60 callers at once with max_per_minute = 20 record exactly 20; the rest are counted" {
	command -v faketime >/dev/null || skip "faketime is not installed"
	rate_config 20
	hold_delivery
	START=$(($(date +%s) - 600))
	faketime -f "$(at 0)" bash -c 'for i in $(seq 60); do "$0" --command "c$i" & done; wait' "$UR"
	assert_equal "$(queued | wc -l)" 20
	assert_equal "$("$UR" status --json | jq .rate_limited)" 40
	faketime "$(at 61)" "$UR" --command after
	run "$UR" flush
	assert_equal "$(accepted_events | jq -r 'select(.properties.rate_limited) | "\(.properties.command_name) \(.properties.rate_limited)"')" "after 40"
}

@test "rate cap: off by default, and a count file that is not ours lets events through" {
	posthog_config
	hold_delivery
	local i
	for i in $(seq 130); do "$UR" --command "c$i"; done
	assert_equal "$(queued | wc -l)" 130
	assert_not_exist "$STATE/rate.d"
	rate_config 1
	mkfifo "$STATE/rate.d"
	run timeout 5 "$UR" --command through
	assert_success
	assert_equal "$(queued | wc -l)" 131
	# a FIFO where this minute's count goes: never opened for long, the event goes through
	rm "$STATE/rate.d" && mkdir "$STATE/rate.d"
	mkfifo "$STATE/rate.d/$(($(date +%s) / 60))"
	run timeout 5 "$UR" --command through-again
	assert_success
	assert_equal "$(queued | wc -l)" 132
}

@test "rate cap: the count takes no lock, so a stopped caller delays nobody and every run is counted" {
	rate_config 2
	hold_delivery
	"$UR" --command first
	local count
	count=$(ls "$STATE/rate.d")
	hold_lock "$STATE/rate.d/$count" # a caller of an older version, stopped while it held a lock
	"$UR" --command second &
	local pid=$!
	# it does not wait for the lock: done at once (well before the holder would let go)
	wait_for '! kill -0 '"$pid"' 2>/dev/null' 3
	wait "$pid"
	"$UR" --command third # past the cap of 2: counted, not recorded
	release_lock
	assert_equal "$(queued | wc -l)" 2
	assert_equal "$(stat -c %s "$STATE/rate.d/$count")" 3
	assert_equal "$("$UR" status --json | jq .rate_limited)" 1
}

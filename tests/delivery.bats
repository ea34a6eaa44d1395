#!/usr/bin/env bats
# delivery.bats — the detached sender and the PostHog wire (design.md §4.5, §5.1) against the
# test intake: exact requests, retries, backoff, batching, 413 splitting, bounds, deadlines,
# concurrency, and a sender killed mid-request.

load helpers

setup() {
	common_setup
	start_intake
	posthog_config
}

@test "one event travels end to end through the detached sender" {
	run --separate-stderr "$UR" --command deploy --duration 42 --cli-version 2.0
	assert_success
	assert_equal "$output$stderr" ""
	wait_for '[ "$(delivered_count)" = 1 ]'
	local req uuid
	req=$(intake_requests)
	uuid=$(jq -r '.body.batch[0].uuid' <<<"$req")
	assert_equal "$(jq -r '.method, .path, .headers["content-type"], .headers["content-encoding"], .headers["user-agent"], .gzip' <<<"$req")" \
		"POST"$'\n'"/batch/"$'\n'"application/json"$'\n'"gzip"$'\n'"usage-report/$("$UR" --version | cut -d' ' -f2)"$'\n'"true"
	assert_equal "$(jq -c '.body | keys' <<<"$req")" '["api_key","batch","sent_at"]'
	assert_equal "$(jq -r '.body.api_key, .body.batch[0].properties.command_name, .body.batch[0].properties.duration_ms' <<<"$req")" \
		"phc_testkey"$'\n'"deploy"$'\n'"42"
	assert_equal "$(jq -r '.body.batch[0].distinct_id' <<<"$req")" "$(jq -r .anon_id "$STATE/usage.json")"
	wait_for '[ -z "$(queued)" ]'
	assert_equal "$(jq -r '"\(.result) \(.status) \(.events) \(.uuids[0])"' "$STATE/sent.log")" "delivered 200 1 $uuid"
	assert_file_permission 600 "$STATE/sent.log"
	run "$UR" status --json
	assert_equal "$(jq -c '[.queued, .last_delivery.status, .last_delivery.events]' <<<"$output")" '[0,200,1]'
}

@test "a 503 is retried later: same uuid and timestamp, fresh sent_at" {
	# with a Retry-After, so that the backoff is still in force however slowly the checks below
	# run (a first backoff of its own is 0.5 to 1 s: tests/unit/test_backoff.c)
	intake_control '{"route":"batch","script":[{"status":503,"retry_after":"30"}]}'
	run "$UR" --command x
	wait_for '[ "$(intake_requests | wc -l)" = 1 ]'
	wait_for '[ -z "$(senders)" ]'
	assert_equal "$(queued | wc -l)" 1
	assert_equal "$(last_delivery .status)" 503
	[ "$(last_delivery_backoff)" != null ]
	run "$UR" flush
	assert_success
	assert_equal "$(intake_requests | wc -l)" 2
	local first second
	first=$(intake_requests | sed -n 1p)
	second=$(intake_requests | sed -n 2p)
	assert_equal "$(jq -r .status <<<"$first") $(jq -r .status <<<"$second")" "503 200"
	assert_equal "$(jq -c '.body.batch[0] | [.uuid, .timestamp]' <<<"$first")" "$(jq -c '.body.batch[0] | [.uuid, .timestamp]' <<<"$second")"
	assert_not_equal "$(jq -r .body.sent_at <<<"$first")" "$(jq -r .body.sent_at <<<"$second")"
	assert_equal "$(queued)" ""
	assert_equal "$(last_delivery .status) $(last_delivery_backoff)" "200 null"
}

@test "250 queued events go out in 3 requests of at most 100, oldest first" {
	hold_delivery
	local i
	for i in $(seq 250); do "$UR" --command "c$i"; done
	assert_equal "$(queued | wc -l)" 250
	assert_equal "$(intake_requests | wc -l)" 0
	run "$UR" flush
	assert_success
	assert_equal "$(intake_requests | jq -c '.body.batch | length' | tr '\n' ' ')" "100 100 50 "
	assert_equal "$(intake_requests | jq -r '.body.batch[].properties.command_name' | tr '\n' ' ')" "$(printf 'c%s ' $(seq 250))"
	assert_equal "$(delivered_count)" 250
	assert_equal "$(queued)" ""
}

@test "413 halves the batch; a lone event that still gets 413 is dropped" {
	hold_delivery
	local i
	for i in 1 2 3 4; do "$UR" --command "c$i"; done
	intake_control '{"route":"batch","script":[{"status":413},{"status":413},{"status":413}]}'
	run "$UR" flush
	# [1,2,3,4] -> 413; [1,2] -> 413; [1] -> 413 (dropped); [2] -> 200; [3,4] -> 200
	assert_equal "$(intake_requests | jq -c '[.status, [.body.batch[].properties.command_name]]' | tr '\n' ' ')" \
		'[413,["c1","c2","c3","c4"]] [413,["c1","c2"]] [413,["c1"]] [200,["c2"]] [200,["c3","c4"]] '
	assert_equal "$(queued)" ""
	assert_equal "$(grep -c '"result":"dropped"' "$STATE/sent.log")" 1
}

@test "400 and 401 are final: the events are dropped and noted in sent.log" {
	intake_control '{"route":"batch","script":[{"status":400}]}'
	run "$UR" --command x --wait
	assert_equal "$(queued)" ""
	assert_equal "$(jq -r 'select(.result=="dropped") | .status' "$STATE/sent.log")" 400
	# a personal key is refused by the intake itself
	API_KEY=phx_personal posthog_config
	run "$UR" --command y --wait
	assert_equal "$(intake_requests | jq -r .status | tail -1)" 401
	assert_equal "$(queued)" ""
	assert_equal "$("$UR" status --json | jq -r .backoff_until)" null
}

@test "backoff with Retry-After is honoured across invocations: no request before it" {
	intake_control '{"route":"batch","script":[{"status":429,"retry_after":"3"}]}'
	run "$UR" --command first
	wait_for '[ "$(intake_requests | wc -l)" = 1 ]'
	assert_next_request_after 3
	assert_equal "$(intake_requests | jq -r .status | sed -n 1,2p | tr '\n' ' ')" "429 200 "
}

# The backoff status shows, in ms: backoff_until minus the time of the last attempt.
backoff_ms() {
	"$UR" status --json | python3 -c '
import json, sys
from datetime import datetime
d = json.load(sys.stdin)
t = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
print(round((t(d["backoff_until"]) - t(d["last_delivery"]["time"])) * 1000))'
}

# assert_between VALUE LOW HIGH
assert_between() {
	(($1 >= $2 && $1 <= $3)) || fail "$1 is not within [$2, $3]"
}

@test "5xx and refused connections back off: 1 s doubling, no sender started meanwhile" {
	# the first answer asks for a minute, so that "no sender meanwhile" holds however slow the machine
	intake_control '{"route":"batch","script":[{"status":500,"retry_after":"60"},{"status":502},{"status":504}]}'
	run "$UR" --command x
	wait_for '[ "$(last_delivery .status)" = 500 ]'
	wait_for '[ -z "$(senders)" ]'
	assert_equal "$(backoff_ms)" 60000 # reckoned from the attempt's own time, however slow the machine
	run "$UR" --command y
	assert_equal "$(senders)" "" # in backoff: none started
	assert_equal "$(intake_requests | wc -l)" 1
	# each further failure doubles the base (equal jitter: between half of it and all of it)
	run "$UR" flush
	assert_equal "$(last_delivery .status)" 502
	assert_between "$(backoff_ms)" 1000 2000
	run "$UR" flush
	assert_equal "$(last_delivery .status)" 504
	assert_between "$(backoff_ms)" 2000 4000
	run "$UR" flush
	assert_equal "$(last_delivery .status) $(last_delivery_backoff)" "200 null"
	assert_equal "$(delivered_count)" 2
	# a closed port is "no answer": kept, backoff
	URL=http://127.0.0.1:9 posthog_config
	run "$UR" --command z --wait
	assert_equal "$(queued | wc -l)" 1
	[[ $(last_delivery .error) == *"onnect"* ]]
}

@test "backoff is capped at an hour, however many failures came before" {
	mkdir -p "$STATE"
	echo '{"failures":40}' >"$STATE/delivery.json"
	intake_control '{"route":"batch","script":[{"status":503}]}'
	run "$UR" --command x --wait
	assert_equal "$(last_delivery .status)" 503
	assert_between "$(backoff_ms)" 1800000 3600000
	run "$UR" status --json
	assert_not_equal "$(jq -r .backoff_until <<<"$output")" null
}

@test "sent_at is fresh on each attempt within one sender run, uuid and timestamp fixed" {
	hold_delivery
	local i
	for i in 1 2; do "$UR" --command "c$i"; done
	intake_control '{"route":"batch","script":[{"status":413,"delay":0.05}]}'
	run "$UR" flush # one run: [c1,c2] -> 413, then [c1] and [c2]
	local answered
	answered=$(intake_requests | jq -c 'select(.status != -1)')
	assert_equal "$(jq -r .status <<<"$answered" | tr '\n' ' ')" "413 200 200 "
	assert_equal "$(jq -r .body.sent_at <<<"$answered" | sort -u | wc -l)" 3
	assert_equal "$(jq -c '.body.batch[] | [.uuid, .timestamp]' <<<"$answered" | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')" "2 2 "
}

@test "an event queued while the sender works is not stranded: the sender looks again before it leaves" {
	intake_control '{"route":"batch","script":[{"delay":0.5}]}'
	run "$UR" --command first
	wait_for '[ -n "$(intake_requests)" ]' # the sender is inside its request
	run "$UR" --command second             # sees the lock held: starts no sender
	wait_for '[ -z "$(senders)" ]'
	assert_equal "$(delivered_count)" 2
	assert_equal "$(queued)" ""
}

@test "a burst of commands is served by one sender, which leaves half a second after the last" {
	local i start end log=$BATS_TEST_TMPDIR/burst
	: >"$log"
	# the first requests take 0.2 s each: the sender is busy, then idle, through the burst
	intake_control '{"route":"batch","script":[{"delay":0.2},{"delay":0.2},{"delay":0.2},{"delay":0.2},{"delay":0.2}]}'
	for i in $(seq 10); do
		start=${EPOCHREALTIME/./}
		"$UR" --command "burst$i"
		end=${EPOCHREALTIME/./}
		echo "$start $end $(senders | tr '\n' ' ')" >>"$log"
		sleep 0.1 # a script's next command: well within the sender's idle time
	done
	wait_for '[ "$(delivered_count)" = 10 ]'
	assert_equal "$(jq -s 'map(.events // 0) | add' "$STATE/sent.log")" 10
	# One sender for all ten. A command may have found none, and started another, only if the
	# sender could have been idle 0.5 s since the command before it queued its event: from that
	# command's start to this one's end (the clock here can only overstate that time), on a
	# machine that stalled the script; and only in the sender's first 6 s, before its deadline
	# shortens its idle time. On a machine that runs the script as written, that never happens.
	run awk '{ new = 0; for (f = 3; f <= NF; f++) if (!($f in seen)) { seen[$f]; new = NR > 1 }
		if (NR == 1) first = $1
		if (new && $2 - prev < 500000 && $2 - first < 6000000)
			printf "command %d started another sender, %d ms from the start of the one before it to its own end\n", NR, ($2 - prev) / 1000
		prev = $1 }' "$log"
	assert_output ""
	[ -n "$(awk '{print $3}' "$log" | sort -u)" ] # a sender was seen
	wait_for '[ -z "$(senders)" ]' 3 # and then it goes: idle 0.5 s, never past its 10 s
	assert_equal "$(queued)" ""
}

@test "an idle sender ended by SIGTERM or SIGHUP strands nothing: the next command starts another" {
	local sig pid n=0
	for sig in TERM HUP; do
		# catch a sender idle with the lock: delivered, within its half second of idling (a
		# loaded machine may let one leave first: then another command, another try)
		pid=
		local try
		for try in 1 2 3 4 5; do
			"$UR" --command "before-$sig"
			n=$((n + 1))
			wait_for '[ "$(delivered_count)" = $n ]'
			pid=$(senders)
			[ -z "$pid" ] || break
		done
		[ -n "$pid" ]
		kill -s "$sig" "$pid"
		wait_for '[ -z "$(senders)" ]'
		"$UR" --command "after-$sig" # the lock is free again: a new sender goes
		n=$((n + 1))
		wait_for '[ "$(delivered_count)" = $n ]'
	done
	assert_equal "$(intake_requests | jq -r 'select(.status==200) | .body.batch[].properties.command_name' | uniq | tr '\n' ' ')" \
		"before-TERM after-TERM before-HUP after-HUP "
	assert_equal "$(queued)" ""
}

@test "the sender looks at the queue once more before it releases the lock" {
	command -v strace >/dev/null || skip "strace is not installed"
	hold_delivery
	"$UR" --command first
	# hold the sender for 3 s right before it releases the lock (its second flock call):
	# an event queued then sees the lock held and starts no sender of its own
	ASAN_OPTIONS=detect_leaks=0 strace -f -qq -o /dev/null -e trace=flock \
		-e inject=flock:delay_enter=3000000:when=2 "$UR" flush &
	local flusher=$!
	wait_for '[ "$(delivered_count)" = 1 ]'
	run flock -n "$STATE/sender.lock" true
	assert_failure # held: the sender is in its pause
	"$UR" --command late # sees the lock held: starts no sender
	run flock -n "$STATE/sender.lock" true
	assert_failure
	wait $flusher
	assert_equal "$(delivered_count)" 2
	assert_equal "$(queued)" ""
}

@test "writes are atomic: a reader polling the identity and the queue never sees half a file" {
	hold_delivery
	python3 - "$STATE" >"$BATS_TEST_TMPDIR/reader" <<'PY' &
import json, os, sys, time
state, bad, reads, deadline = sys.argv[1], 0, 0, time.time() + 60
open(os.path.join(state, "reader-ready"), "w").close()
while not os.path.exists(os.path.join(state, "stop")) and time.time() < deadline:
    paths = [os.path.join(state, "usage.json")]
    q = os.path.join(state, "queue")
    paths += [os.path.join(q, n) for n in (os.listdir(q) if os.path.isdir(q) else []) if not n.startswith(".")]
    for p in paths:
        try:
            json.load(open(p))
            reads += 1
        except FileNotFoundError:
            pass
        except ValueError:
            bad += 1
print("reads>0=%s bad=%d" % (reads > 0, bad))
PY
	local reader=$! i
	wait_for '[ -e "$STATE/reader-ready" ]' 30 # a slow start must not leave it nothing to read
	for i in $(seq 40); do
		"$UR" --command "c$i" &
		"$UR" login --principal-id "user-$((i % 3))" &
		"$UR" logout &
	done
	wait_for '[ "$(queued | wc -l)" -ge 120 ]' 30
	touch "$STATE/stop"
	wait $reader
	assert_equal "$(cat "$BATS_TEST_TMPDIR/reader")" "reads>0=True bad=0"
}

@test "a hung intake: the caller returns at once and the sender is gone within 10 s" {
	intake_control '{"route":"batch","script":[{"hang":true},{"hang":true},{"hang":true}]}'
	local start end
	start=$(date +%s%N)
	run "$UR" --command x
	end=$(date +%s%N)
	assert_success
	(((end - start) / 1000000 < 500))
	wait_for '[ -n "$(intake_requests)" ]'
	wait_for '[ -z "$(senders)" ]' 11
	local gone
	gone=$(date +%s%N)
	(((gone - start) / 1000000 <= 10500))
	assert_equal "$(queued | wc -l)" 1
}

@test "a dropped connection is retried later and nothing is lost" {
	intake_control '{"route":"batch","script":[{"drop":true}]}'
	run "$UR" --command x --wait
	assert_equal "$(queued | wc -l)" 1
	run "$UR" flush
	assert_equal "$(delivered_count)" 1
	assert_equal "$(queued)" ""
}

@test "a sender killed with -9 mid-request loses nothing" {
	hold_sender_mid_request
	run "$UR" --command precious
	local uuid pid
	pid=$(sender_mid_request)
	uuid=$(intake_requests | head -1 | jq -r '.body.batch[0].uuid') # the request it was killed in
	[ -n "$uuid" ] && [ "$uuid" != null ]
	kill -9 "$pid"
	wait_for '[ -z "$(senders)" ]'
	assert_equal "$(queued | wc -l)" 1
	run "$UR" flush
	assert_equal "$(intake_requests | jq -r 'select(.status==200) | .body.batch[0].uuid')" "$uuid"
	assert_equal "$(queued)" ""
}

@test "200 concurrent tracks: 200 distinct uuids delivered exactly once, few senders" {
	(while :; do senders | wc -l; sleep 0.01; done >"$BATS_TEST_TMPDIR/alive") 3>&- &
	local sampler=$!
	local i
	for i in $(seq 200); do "$UR" --command "c$i" & done
	wait_for '[ "$(delivered_count)" -ge 200 ]' 30
	wait_for '[ -z "$(senders)" ]'
	kill "$sampler" 2>/dev/null || true
	assert_equal "$(intake_requests | jq -r 'select(.status==200) | .body.batch[].uuid' | sort | uniq | wc -l)" 200
	assert_duplicates_explained
	local most
	most=$(sort -n "$BATS_TEST_TMPDIR/alive" | tail -1)
	((most <= 2))
	assert_equal "$(queued)" ""
}

@test "queue bounds: at most 1000 events, none older than 7 days, oldest dropped first" {
	hold_delivery
	run "$UR" --command template
	local template now
	template=$BATS_TEST_TMPDIR/template.json
	mv "$STATE/queue/$(queued)" "$template"
	now=$(date +%s%N)
	copy_queued "$template" 1005 $((now - 2000000000)) c
	# one from 8 days ago
	jq -c '.event.uuid="00000000-0000-4000-8000-999999999999"' "$template" \
		>"$STATE/queue/$(printf '%020d' $((now - 8 * 86400 * 1000000000)))-00000000-0000-4000-8000-999999999999.json"
	run "$UR" flush
	assert_equal "$(delivered_count)" 1000
	assert_equal "$(intake_requests | jq -r '.body.batch[0].properties.command_name' | head -1)" c6
	assert_equal "$(jq -r 'select(.result=="dropped") | .events' "$STATE/sent.log")" 6
	assert_equal "$(queued)" ""
}

@test "flush and --wait deliver in the foreground; --debug traces the request and answer" {
	hold_delivery
	run "$UR" --command a
	rm "$STATE/delivery.json"
	run --separate-stderr "$UR" --command b --debug
	assert_success
	assert_equal "$(delivered_count)" 2
	[[ "$stderr" == *"usage-report: debug: consent: on (source default)"* ]]
	[[ "$stderr" == *"POST $URL/batch/"* ]]
	[[ "$stderr" == *'"api_key": "…"'* ]] # a key under 16 characters shows nothing of itself
	[[ "$stderr" == *"usage-report: debug: answer: HTTP 200"* ]]
	[[ "$stderr" != *phc_testkey* ]]
	run --separate-stderr "$UR" --command c --wait
	assert_equal "$stderr" ""
	assert_equal "$(delivered_count)" 3
}

@test "the standard proxy variables are honoured" {
	URL=http://intake.usage-report.invalid posthog_config
	http_proxy=$URL no_proxy= NO_PROXY= run "$UR" --command via-proxy --wait
	assert_equal "$(intake_requests | jq -r '.headers.host, .status')" $'intake.usage-report.invalid\n200'
}

@test "TLS certificates are verified, against the trust store the environment names" {
	kill "$INTAKE_PID"
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		-keyout "$BATS_TEST_TMPDIR/key.pem" -out "$BATS_TEST_TMPDIR/cert.pem" 2>/dev/null
	rm -rf "$BATS_TEST_TMPDIR/intake"
	start_intake --tls "$BATS_TEST_TMPDIR/cert.pem" "$BATS_TEST_TMPDIR/key.pem"
	URL=https://127.0.0.1:$PORT posthog_config
	run "$UR" --command x --wait
	assert_equal "$(queued | wc -l)" 1
	[[ $(last_delivery .error) == *"certificate"* ]]
	SSL_CERT_FILE=$BATS_TEST_TMPDIR/cert.pem run "$UR" flush
	assert_equal "$(intake_requests | jq -r '.status')" 200
	assert_equal "$(queued)" ""
}

@test "status tells a person the queue, the last result and a backoff in force" {
	intake_control '{"route":"batch","script":[{"status":503,"retry_after":"60"}]}'
	run "$UR" --command x --wait
	run "$UR" status
	assert_line "usage reporting: on"
	assert_line "decided by:      default"
	assert_line "backend:         posthog $URL/batch/"
	assert_line "queued events:   1"
	assert_line --regexp "^last delivery:   [0-9T:.-]+Z, 1 event\(s\): HTTP 503$"
	assert_line --regexp "^backoff until:   [0-9T:.-]+Z$"
	run "$UR" flush
	run "$UR" status
	assert_line --regexp "^last delivery:   [0-9T:.-]+Z, 1 event\(s\): HTTP 200$"
	assert_line "queued events:   0"
	refute_line --partial "backoff until"
}

@test "sent.log is rotated so that it and sent.log.1 stay under 1 MiB" {
	mkdir -p "$STATE"
	head -c 600000 /dev/zero | tr '\0' '#' >"$STATE/sent.log"
	run "$UR" --command x --wait
	assert_equal "$(wc -c <"$STATE/sent.log.1")" 600000
	assert_equal "$(wc -l <"$STATE/sent.log")" 1
	assert_equal "$(jq -r .result "$STATE/sent.log")" delivered
	(($(cat "$STATE/sent.log" "$STATE/sent.log.1" | wc -c) < 1048576))
}

@test "queue bounds: at most 5 MiB, the oldest dropped first" {
	hold_delivery
	run "$UR" --command big
	local template=$BATS_TEST_TMPDIR/template.json
	mv "$STATE/queue/$(queued)" "$template"
	copy_queued "$template" 7 $(($(date +%s%N) - 1000000000)) big 890000
	(($(du -cb "$STATE"/queue/*.json | tail -1 | cut -f1) > 5 * 1048576))
	run "$UR" flush
	# 7 events of ~900 KB: the two oldest go, the 5 newest (under 5 MiB) are delivered
	assert_equal "$(intake_requests | jq -r 'select(.status==200) | .body.batch[].properties.command_name' | tr '\n' ' ')" "big3 big4 big5 big6 big7 "
	assert_equal "$(jq -r 'select(.result=="dropped") | .uuids | length' "$STATE/sent.log")" 2
}

delivered_uuids() {
	accepted_events | jq -r '.uuid' | sort -u
}

@test "a sender leaving at its deadline hands the rest to a successor: an event whose caller found the lock held is not stranded" {
	posthog_config
	# the first two requests take 4.5 s: the first sender's 10 s hold one, and not the second
	# whole; the successor's is answered at once (a slow answer there would only test timeouts)
	intake_control '{"route":"batch","script":[{"status":200,"delay":4.5},{"status":200,"delay":4.5}]}'
	"$UR" --command first
	wait_for '[ "$(delivered_count)" = 1 ]' 10 # 4.5 s of the sender's 10 are gone
	"$UR" --command second # the lock is held: these callers start no sender
	sleep 0.5              # the sender is sending "second" (4.5 s more)
	"$UR" --command third  # nobody has the time for this one but a successor
	# no further command: a successor delivers what the first sender had no time for (a
	# request the deadline cut short is sent again: delivery is at least once)
	wait_for '[ "$(delivered_uuids | wc -l)" = 3 ]' 30
	wait_for '[ "$(queued)" = "" ]' 10
	assert_equal "$(accepted_events | jq -r '.properties.command_name' | sort -u | tr '\n' ' ')" \
		"first second third "
}

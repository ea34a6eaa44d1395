#!/usr/bin/env bats
# beyond.bats — what users of CLI telemetry asked for and no peer offers (design.md §2, §4.5,
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

@test "sessions: a session file that is a FIFO or a folder neither hangs nor stops delivery" {
	posthog_config
	mkdir -p "$STATE"
	mkfifo "$STATE/session.json"
	run timeout 10 "$UR" --command through-fifo --wait
	assert_success
	rm "$STATE/session.json" && mkdir "$STATE/session.json"
	run timeout 10 "$UR" --command through-folder --wait
	assert_success
	assert_equal "$(delivered_count)" 2
	# each still got a session, only not remembered
	assert_equal "$(accepted_events | jq -r '.properties["$session_id"] | length' | sort -u)" 36
	run timeout 5 "$UR" status --json
	assert_success
	assert_equal "$(jq -r .session_id <<<"$output")" null
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
		run grep -c session.json "$BATS_TEST_TMPDIR/trace"
		assert_output 0
		grep -q queue "$BATS_TEST_TMPDIR/trace" # the trace did see the run
	fi
}

# --- OpenTelemetry ------------------------------------------------------------------------

otlp_config() {
	write_config <<CONF
backend = otlp
[otlp]
endpoint = $URL
headers = x-team=cli,authorization=Bearer%20t0ken
[consent]
notice = off
CONF
}

otlp_requests() { jq -c 'select(.path=="/v1/logs")' "$INTAKE_DIR/requests.jsonl"; }

# The official exporter's packages, installed once per build folder (test-only, like the
# bench's posthog-node) into OTEL_MODULES; skip with a visible note when npm cannot reach
# its registry. The registry is the one address the tests' dead proxy must not catch.
otel_modules() {
	local cache=$BUILDDIR/tests/otel-cache
	OTEL_MODULES=$cache/node_modules
	[ ! -d "$OTEL_MODULES/@opentelemetry/exporter-logs-otlp-http" ] || return 0
	command -v npm >/dev/null || skip "npm is not installed: the official exporter cannot be compared"
	mkdir -p "$cache"
	env -u http_proxy -u https_proxy -u HTTPS_PROXY -u all_proxy -u ALL_PROXY -u no_proxy -u NO_PROXY \
		timeout 300 npm install --prefix "$cache" --no-audit --no-fund --silent \
		@opentelemetry/exporter-logs-otlp-http @opentelemetry/sdk-logs @opentelemetry/resources >/dev/null 2>&1 ||
		skip "npm could not install @opentelemetry/exporter-logs-otlp-http: the official exporter cannot be compared"
}

@test "otlp: the request is the one the official OpenTelemetry exporter sends for the same records" {
	otel_modules
	otlp_config
	hold_delivery
	"$UR" --command "mycli build" --duration 250 --cli-version 2.0.0
	"$UR" --command "mycli deploy" --cli-version 2.0.0 --error-type api_error --error "quota exceeded" \
		--property region=eu --property replicas:=3 --property ratio:=0.25 --property dry:=false \
		--property none:=null --property 'tags:=["a",1,true]' --property 'limits:={"cpu":2,"mem":"1G"}'
	"$UR" --event "MCP tool called" --command mcp.tool --cli-version 2.0.0 --exit-code 130
	run "$UR" flush
	local ours
	ours=$(otlp_requests)
	assert_equal "$(wc -l <<<"$ours")" 1
	assert_equal "$(jq -r '.method, .headers["content-type"], .headers["content-encoding"], .gzip, .headers["x-team"], .headers.authorization, .status' <<<"$ours")" \
		$'POST\napplication/json\ngzip\ntrue\ncli\nBearer t0ken\n200'
	jq '.body' <<<"$ours" >"$BATS_TEST_TMPDIR/ours.json"
	# the facts, field by field
	local logs='.body.resourceLogs[0].scopeLogs[0].logRecords'
	assert_equal "$(jq -c '.body.resourceLogs[0].resource.attributes' <<<"$ours")" \
		'[{"key":"service.name","value":{"stringValue":"usage-report"}},{"key":"service.version","value":{"stringValue":"2.0.0"}}]'
	assert_equal "$(jq -c '.body.resourceLogs[0].scopeLogs[0].scope' <<<"$ours")" "{\"name\":\"usage-report\",\"version\":\"$("$UR" --version | cut -d' ' -f2)\"}"
	assert_equal "$(jq -c "[$logs[] | [.severityNumber, .severityText, .eventName, .body.stringValue]]" <<<"$ours")" \
		'[[9,"INFO","CLI execution succeeded","mycli build success"],[17,"ERROR","CLI execution failed","mycli deploy failure"],[9,"INFO","MCP tool called","mcp.tool cancelled"]]'
	local deploy
	deploy=$(jq -c "$logs[1].attributes | map({(.key): .value}) | add" <<<"$ours")
	assert_equal "$(jq -c '[.error_type, .error_message, .region, .replicas, .ratio, .dry, .none, .tags, .limits]' <<<"$deploy")" \
		'[{"stringValue":"api_error"},{"stringValue":"quota exceeded"},{"stringValue":"eu"},{"intValue":3},{"doubleValue":0.25},{"boolValue":false},{},{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":1},{"boolValue":true}]}},{"kvlistValue":{"values":[{"key":"cpu","value":{"intValue":2}},{"key":"mem","value":{"stringValue":"1G"}}]}}]'
	assert_equal "$(jq -r '.["device.id"].stringValue' <<<"$deploy")" "$("$UR" status --json | jq -r .anon_id)"
	[[ $(jq -r '.["event.id"].stringValue' <<<"$deploy") =~ ^[0-9a-f-]{36}$ ]]
	[[ $(jq -r '.["$session_id"].stringValue' <<<"$deploy") =~ ^[0-9a-f]{8}-[0-9a-f]{4}-7 ]]
	assert_equal "$(jq -c '[has("$process_person_profile"), has("$geoip_disable"), has("user.id")]' <<<"$deploy")" '[false,false,false]'
	# time: the capture time in ns, as a string; observed the same
	[[ $(jq -r "$logs[0].timeUnixNano" <<<"$ours") =~ ^1[0-9]{12}000000$ ]]
	assert_equal "$(jq -r "$logs[0].observedTimeUnixNano" <<<"$ours")" "$(jq -r "$logs[0].timeUnixNano" <<<"$ours")"
	# the official exporter, given the same records, sends the same request
	run node "$SRCDIR/tests/otlp_reference.mjs" "$OTEL_MODULES" "$BATS_TEST_TMPDIR/ours.json" "$URL"
	assert_success
	local theirs
	theirs=$(otlp_requests | tail -1)
	assert_equal "$(jq -r '.headers["content-type"], .gzip, .status' <<<"$theirs")" $'application/json\ntrue\n200'
	assert_equal "$(jq -S '.body' <<<"$theirs")" "$(jq -S . "$BATS_TEST_TMPDIR/ours.json")"
}

@test "otlp: OTEL_EXPORTER_OTLP_ENDPOINT and _HEADERS are honoured, by the detached sender too" {
	printf 'backend = otlp\n[consent]\nnotice = off\n' | write_config
	assert_equal "$("$UR" status --json | jq -r .source)" no-backend
	export OTEL_EXPORTER_OTLP_ENDPOINT=$URL OTEL_EXPORTER_OTLP_HEADERS='api-key=k%3D1, x-env = prod'
	assert_equal "$("$UR" status --json | jq -r '.backend, .endpoint')" $'otlp\n'"$URL/v1/logs"
	run "$UR" --command detached
	wait_for '[ -n "$(otlp_requests)" ]'
	assert_equal "$(otlp_requests | jq -r '.headers["api-key"], .headers["x-env"], .status')" $'k=1\nprod\n200'
	# the config's own endpoint and headers win
	printf 'backend = otlp\n[otlp]\nendpoint = http://127.0.0.1:9\nheaders = x-env=conf\n[consent]\nnotice = off\n' | write_config
	run "$UR" --command x --dry-run
	assert_line "POST http://127.0.0.1:9/v1/logs"
	assert_line "x-env: conf"
	refute_line "api-key: k=1"
	OTEL_EXPORTER_OTLP_HEADERS='bad header' run "$UR" status --json
	assert_equal "$(jq -r .enabled <<<"$output")" true
}

@test "otlp: 408, 429, every 5xx and no answer are retried after Retry-After; other 4xx dropped; partialSuccess noted" {
	otlp_config
	local code
	for code in 408 429 500 502 503 504; do
		rm -f "$STATE/delivery.json"
		intake_control "{\"route\":\"otlp\",\"script\":[{\"status\":$code,\"retry_after\":\"1\"}]}"
		run "$UR" --command "r$code" --wait
		assert_equal "$(jq -r "select(.status==$code) | .result" "$STATE/sent.log")" retry
		assert_equal "$(queued | wc -l)" 1
		run "$UR" flush
		assert_equal "$(queued | wc -l)" 0
	done
	for code in 400 401 404; do
		rm -f "$STATE/delivery.json"
		intake_control "{\"route\":\"otlp\",\"script\":[{\"status\":$code}]}"
		run "$UR" --command "d$code" --wait
		assert_equal "$(jq -r "select(.status==$code) | .result" "$STATE/sent.log" | sort -u | tr '\n' ' ')" "dropped "
		assert_equal "$(queued | wc -l)" 0
	done
	# an answer that is not JSON at all is a success like any 2xx, noting nothing
	intake_control '{"route":"otlp","script":[{"status":200,"body":"<html>ok</html>"}]}'
	run "$UR" --command garbage --wait
	assert_equal "$(queued | wc -l)" 0
	assert_equal "$(jq -r 'select(.result=="partial")' "$STATE/sent.log")" ""
	intake_control '{"route":"otlp","script":[{"status":200,"body":"{\"partialSuccess\":{\"rejectedLogRecords\":\"1\",\"errorMessage\":\"too old\"}}"}]}'
	run "$UR" --command partial --wait
	assert_equal "$(jq -r 'select(.result=="partial") | .error' "$STATE/sent.log")" "1 log record(s) rejected: too old"
	assert_equal "$(queued | wc -l)" 0
	assert_equal "$(otlp_requests | jq -r '.headers["x-team"]' | sort -u)" cli
	# the trace never shows the headers' values
	run --separate-stderr "$UR" --command traced --debug
	[[ $stderr == *"authorization: …"* ]]
	[[ $stderr != *t0ken* ]]
}

@test "otlp: a linked account is user.id (its pending events too), no alias is sent, one resource per cli_version" {
	otlp_config
	hold_delivery
	"$UR" --command a --cli-version 1.0
	"$UR" --command b --cli-version 1.1
	"$UR" login --principal-id acct-9 --cli-version 1.1
	run "$UR" flush
	local body
	body=$(otlp_requests | jq -c '.body')
	assert_equal "$(otlp_requests | wc -l)" 1
	assert_equal "$(jq -c '[.resourceLogs[] | [(.resource.attributes[] | select(.key=="service.version") | .value.stringValue), (.scopeLogs[0].logRecords | length)]]' <<<"$body")" \
		'[["1.0",1],["1.1",2]]'
	assert_equal "$(jq -r '[.resourceLogs[].scopeLogs[0].logRecords[] | (.attributes | map({(.key): .value.stringValue}) | add) | .["user.id"] // ("device:" + .["device.id"])] | join(" ")' <<<"$body" | sed 's/device:[0-9a-f-]*/device/g')" \
		"acct-9 acct-9 acct-9"
	run grep -c create_alias "$INTAKE_DIR/requests.jsonl"
	assert_output 0
}

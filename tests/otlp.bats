#!/usr/bin/env bats
# otlp.bats — the OpenTelemetry backend (design.md §5.4): OTLP/HTTP JSON logs as the official
# exporter sends them, its environment variables, its answers, and accounts as user.id.

load helpers

setup() {
	common_setup
	start_intake
}

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

#!/usr/bin/env bats
# event.bats — what one event is (design.md §2), checked by parsing the dry-run request with jq.

load helpers

setup() {
	common_setup
	posthog_config
	mkdir -p "$STATE"
	echo '{"anon_id":"22222222-2222-4222-8222-222222222222","linked_principal_id":null}' >"$STATE/usage.json"
}

# The first event of the dry-run request, compact JSON.
@test "the request: POST HOST/batch/ with the exact headers, and the envelope" {
	run --separate-stderr "$UR" --dry-run --command deploy
	assert_success
	assert_equal "$(sed -n 1,4p <<<"$output")" "POST http://127.0.0.1:9/batch/
Content-Type: application/json
Content-Encoding: gzip
User-Agent: usage-report/$("$UR" --version | cut -d' ' -f2)"
	assert_equal "$(sed -n 5p <<<"$output")" ""
	local body
	body=$(sed -n '/^{/,/^}/p' <<<"$output")
	assert_equal "$(jq -r 'keys_unsorted | join(",")' <<<"$body")" "api_key,batch,sent_at"
	assert_equal "$(jq -r .api_key <<<"$body")" phc_testkey
	[[ $(jq -r .sent_at <<<"$body") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$ ]]
}

@test "a successful run: the exact property set and types" {
	run event_of --command "toolkit list" --duration 1234 --cli-version 1.2.3
	local e=$output
	assert_equal "$(jq -r .event <<<"$e")" "CLI execution succeeded"
	assert_equal "$(jq -r .distinct_id <<<"$e")" 22222222-2222-4222-8222-222222222222
	[[ $(jq -r .uuid <<<"$e") =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	[[ $(jq -r .timestamp <<<"$e") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$ ]]
	assert_equal "$(jq -c '.properties | to_entries | map("\(.key):\(.value|type)") | sort' <<<"$e")" \
		'["$geoip_disable:boolean","$lib:string","$lib_version:string","$os:string","$os_version:string","$process_person_profile:boolean","$session_id:string","app:string","arch:string","ci:boolean","cli_version:string","command_name:string","duration_ms:number","exit_code:number","os_release:string","os_type:string","outcome:string"]'
	assert_equal "$(jq -c '.properties | [.command_name, .cli_version, .duration_ms, .exit_code, .outcome, .ci, .app, .["$lib"], .["$geoip_disable"], .["$process_person_profile"]]' <<<"$e")" \
		"[\"toolkit list\",\"1.2.3\",1234,0,\"success\",false,\"usage-report\",\"usage-report\",true,false]"
	assert_equal "$(jq -r '.properties | "\(.os_type) \(.os_release) \(.arch)"' <<<"$e")" "$(uname -s) $(uname -r) $(uname -m)"
	# PostHog's own names for the same facts, so that its built-in views work
	assert_equal "$(jq -r '.properties | "\(.["$os"]) \(.["$os_version"])"' <<<"$e")" "Linux $(uname -r)"
}

@test "duration: rounded half to even, omitted when absent or 0" {
	for pair in 100.5:100 250.75:251 123.456789:123 2.5:2 3.5:4 0.5:null 0.4:null 0:null 7:7 \
		2.5001:3 2.50000:2 3.50001:4 0.50001:1 2.4999:2; do
		assert_equal "$(event_of --command x --duration "${pair%%:*}" | jq -c .properties.duration_ms)" "${pair#*:}"
	done
	assert_equal "$(event_of --command x | jq -c .properties.duration_ms)" null
}

@test "duration 0: the Datadog log carries it, the OpenTelemetry record omits it, as the man page says" {
	printf 'backend = datadog\n[datadog]\nclient_token = pub0\n[consent]\nnotice = off\n' >"$BATS_TEST_TMPDIR/dd.conf"
	run "$UR" --config "$BATS_TEST_TMPDIR/dd.conf" --command x --duration 0 --dry-run
	assert_equal "$(sed -n '/^\[/,/^\]/p' <<<"$output" | jq -c '.[0].duration_ms')" 0
	printf 'backend = otlp\n[otlp]\nendpoint = http://127.0.0.1:9\n[consent]\nnotice = off\n' >"$BATS_TEST_TMPDIR/otlp.conf"
	run "$UR" --config "$BATS_TEST_TMPDIR/otlp.conf" --command x --duration 0 --dry-run
	assert_success
	refute_output --partial duration_ms
	run "$UR" --config "$BATS_TEST_TMPDIR/otlp.conf" --command x --duration 5 --dry-run
	assert_output --partial duration_ms
}

@test "outcome from the exit code and --error" {
	assert_equal "$(event_of --command x | jq -c '[.event, .properties.exit_code, .properties.outcome]')" '["CLI execution succeeded",0,"success"]'
	assert_equal "$(event_of --command x --exit-code 3 | jq -c '[.event, .properties.exit_code, .properties.outcome]')" '["CLI execution failed",3,"failure"]'
	assert_equal "$(event_of --command x --exit-code 130 | jq -c '[.event, .properties.exit_code, .properties.outcome]')" '["CLI execution failed",130,"cancelled"]'
	assert_equal "$(event_of --command x --error boom | jq -c '[.properties.exit_code, .properties.outcome, .properties.error_message]')" '[1,"failure","boom"]'
	assert_equal "$(event_of --command x --error boom --exit-code 0 | jq -c '[.properties.exit_code, .properties.outcome]')" '[0,"failure"]'
	assert_equal "$(event_of --command x --error boom --exit-code 130 | jq -c '[.properties.outcome, .properties.error_message]')" '["cancelled",null]'
	assert_equal "$(event_of --command x --error '' | jq -c '[.properties.outcome, .properties.error_message]')" '["failure",null]'
}

@test "event names come from [events]" {
	printf '[posthog]\napi_key = k\n[events]\nsuccess = ok run\nfailure = bad run\n' | write_config
	assert_equal "$(event_of --command x | jq -r .event)" "ok run"
	assert_equal "$(event_of --command x --exit-code 2 | jq -r .event)" "bad run"
}

@test "--property adds string properties" {
	assert_equal "$(event_of --command x --property region=eu --property n=5 --property empty= | jq -c '.properties | [.region, .n, .empty]')" '["eu","5",""]'
}

@test "environment fallbacks fill every event field" {
	run env USAGE_REPORT_COMMAND=hooked USAGE_REPORT_DURATION=12 USAGE_REPORT_EXIT_CODE=4 \
		USAGE_REPORT_ERROR=oops USAGE_REPORT_CLI_VERSION=9.9 "$UR" --dry-run
	assert_equal "$(sed -n '/^{/,/^}/p' <<<"$output" | jq -c '.batch[0].properties | [.command_name, .duration_ms, .exit_code, .error_message, .cli_version]')" \
		'["hooked",12,4,"oops","9.9"]'
}

@test "a linked identity: distinct_id is the principal and no \$process_person_profile" {
	echo '{"anon_id":"22222222-2222-4222-8222-222222222222","linked_principal_id":"user-7"}' >"$STATE/usage.json"
	assert_equal "$(event_of --command x | jq -c '[.distinct_id, .properties["$process_person_profile"]]')" '["user-7",null]'
}

@test "at most 64 properties: 64 pass, the 65th and 70,000 are refused at once" {
	local args=() value
	value=$(printf 'x%.0s' $(seq 1000))
	mapfile -t args < <(seq -f "--property=k%g=$value" 64)
	run --separate-stderr "$UR" --command big "${args[@]}"
	assert_success
	# the largest event the command line can make stays far under the 900 KiB capture limit
	(($(wc -c <"$STATE/queue/$(queued)") < 100000))
	run --separate-stderr "$UR" --command big "${args[@]}" --property k65=x
	assert_equal "$status" 2
	assert_equal "$stderr" "usage-report: invalid --property 'k65=x': at most 64 properties"
	mapfile -t args < <(seq -f '--property=k%g=v' 70000)
	run --separate-stderr "$UR" --command many "${args[@]}"
	assert_equal "$status" 2
	assert_equal "$stderr" "usage-report: invalid --property 'k65=v': at most 64 properties"
	assert_equal "$(queued | wc -l)" 1
}

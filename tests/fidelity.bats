#!/usr/bin/env bats
# fidelity.bats — the two seed CLIs switch to usage-report and keep their data: the event
# interfaces they need (--event, --error-type, typed properties, $os), AssemblyAI's Datadog
# dashboard replayed facet by facet (examples/assemblyai.conf), Arcade's PostHog data for its
# CLI and MCP events with credentials in both of its layouts (examples/arcade.conf), and
# adopt for device ids that must stay continuous.

load helpers

setup() {
	common_setup
	start_intake
}

accepted_logs() {
	jq -c 'select(.path=="/api/v2/logs" and .status==202) | .body[]' "$INTAKE_DIR/requests.jsonl"
}

# --- the event interfaces ---------------------------------------------------------------

@test "--event names the event, --error-type marks a failure and is recorded, := types a property" {
	posthog_config
	local e
	e=$(event_of --command mcp.serve --event "MCP server started" --property transport=stdio \
		--property tool_count:=12 --property 'ratio:=0.5' --property 'debug:=false' --property 'none:=null' \
		--property 'tags:=["a","b"]' --property 'limits:={"rps":5}' --property 'quoted:="12"')
	assert_equal "$(jq -c '[.event, .properties.outcome, .properties.exit_code]' <<<"$e")" '["MCP server started","success",0]'
	assert_equal "$(jq -c '.properties | [.transport, .tool_count, .ratio, .debug, .none, .tags, .limits, .quoted]' <<<"$e")" \
		'["stdio",12,0.5,false,null,["a","b"],{"rps":5},"12"]'
	e=$(event_of --command deploy --error-type api_error)
	assert_equal "$(jq -c '[.event, .properties.outcome, .properties.exit_code, .properties.error_type, .properties.error_message]' <<<"$e")" \
		'["CLI execution failed","failure",1,"api_error",null]'
	e=$(event_of --command deploy --error-type usage_error --exit-code 2 --error "bad flag")
	assert_equal "$(jq -c '.properties | [.outcome, .exit_code, .error_type, .error_message]' <<<"$e")" \
		'["failure",2,"usage_error","bad flag"]'
	# a named event keeps its name whatever the outcome
	e=$(event_of --command mcp.tool --event "MCP tool called" --exit-code 1)
	assert_equal "$(jq -c '[.event, .properties.outcome]' <<<"$e")" '["MCP tool called","failure"]'
}

@test "the environment and track --json - take the same: USAGE_REPORT_EVENT, _ERROR_TYPE, typed properties" {
	posthog_config
	local e
	e=$(USAGE_REPORT_EVENT="MCP tool called" USAGE_REPORT_ERROR_TYPE=tool_error event_of --command mcp.tool)
	assert_equal "$(jq -c '[.event, .properties.error_type, .properties.outcome]' <<<"$e")" '["MCP tool called","tool_error","failure"]'
	e=$(echo '{"command":"mcp.tool","event":"MCP tool called","error_type":"timeout","properties":{"n":3,"ok":true,"s":"x","o":{"k":[1]}}}' |
		"$UR" track --json - --dry-run | sed -n '/^{/,/^}/p' | jq -c '.batch[0]')
	assert_equal "$(jq -c '[.event, .properties.error_type, .properties.n, .properties.ok, .properties.s, .properties.o]' <<<"$e")" \
		'["MCP tool called","timeout",3,true,"x",{"k":[1]}]'
	run --separate-stderr bash -c "echo '{\"command\":\"x\",\"event\":\"\$bad\"}' | '$UR' track --json -"
	assert_equal "$status" 2
	# and a real delivery carries the types unchanged
	run "$UR" --command typed --property n:=3 --property 'l:=[1,2]' --wait
	assert_equal "$(accepted_events | jq -c '.properties | [.n, .l]')" '[3,[1,2]]'
}

@test "exec takes --event and --error-type too, and PROGRAM never inherits them" {
	posthog_config
	run env USAGE_REPORT_EVENT=E USAGE_REPORT_ERROR_TYPE=k "$UR" --wait exec -- sh -c 'echo "[${USAGE_REPORT_EVENT-}${USAGE_REPORT_ERROR_TYPE-}]"'
	assert_output "[]"
	assert_equal "$(accepted_events | jq -c '[.event, .properties.error_type, .properties.outcome]')" '["E","k","failure"]'
}

@test "datadog: properties sit at the top level; reserved attributes and built-in fields are refused" {
	printf 'backend = datadog\n[datadog]\nclient_token = pub_k\nurl = %s/api/v2/logs\n[consent]\nnotice = off\n' "$URL" | write_config
	local name
	for name in host service status message date ddsource ddtags usr error network http trace_id span_id view session \
		HOST Service command os device_id event_id captured_at; do
		run --separate-stderr "$UR" --command x --property "$name=v"
		assert_equal "$status" 2
		assert_equal "$stderr" "usage-report: invalid --property '$name': a reserved Datadog attribute"
	done
	assert_equal "$(queued)" ""
	run --separate-stderr "$UR" --command x --property outcome=v
	assert_equal "$stderr" "usage-report: invalid --property 'outcome=v': KEY is a built-in property name"
	# PostHog has no such rule
	posthog_config
	run "$UR" --command x --property host=h --dry-run
	assert_success
}

# --- AssemblyAI -----------------------------------------------------------------------------

@test "AssemblyAI replay: every facet its Datadog dashboard reads, from examples/assemblyai.conf" {
	sed -e "s|^site = .*|url = $URL/api/v2/logs|" "$SRCDIR/examples/assemblyai.conf" | write_config assembly
	grep -q '^notice = on' "$XDG_CONFIG_HOME/usage-report/assembly.conf"
	local ur=("$UR" --app assembly) device=6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b
	# the migration: the device id from config.toml, once; the host shows the notice itself
	run "${ur[@]}" adopt "$device"
	assert_success
	run "${ur[@]}" notice
	assert_success
	# the seed's outcome classes (B.2): success, CLIError types, typer.Exit, internal error, Ctrl-C
	local common=(--cli-version 1.4.0 --property python_version=3.12.9)
	"${ur[@]}" --command "assembly transcripts get" --duration 2000 "${common[@]}"
	"${ur[@]}" --command "assembly balance" --duration 120 --error-type api_error --error "Insufficient balance" "${common[@]}"
	"${ur[@]}" --command "assembly transcribe" --duration 3 --error-type usage_error --exit-code 2 --error "Missing argument 'FILE'." "${common[@]}"
	"${ur[@]}" --command "assembly login" --error-type not_authenticated --error "Not logged in" "${common[@]}"
	"${ur[@]}" --command "assembly stream" --exit-code 3 "${common[@]}"
	"${ur[@]}" --command "assembly config path" --error-type internal_error --error "boom" "${common[@]}"
	"${ur[@]}" --command "assembly stream" --duration 5000 --exit-code 130 "${common[@]}"
	CI=true "${ur[@]}" --command "assembly balance" "${common[@]}"
	wait_for '[ "$(accepted_logs | wc -l)" = 8 ]'
	local req
	req=$(jq -c 'select(.path=="/api/v2/logs")' "$INTAKE_DIR/requests.jsonl" | head -1)
	assert_equal "$(jq -r '.query.ddsource, .query["dd-api-key"], .headers["dd-api-key"]' <<<"$req")" $'aai-cli\npub_your_client_token\npub_your_client_token'
	# each log: source, service, status, @command, @outcome, @exit_code, @duration_ms, @os,
	# @cli_version, @python_version, @ci, @device_id, @error.kind, @error.message
	local facets='[.ddsource, .service, .status, .command, .outcome, .exit_code, .duration_ms, .os, .cli_version, .python_version, .ci, .device_id, .error.kind, .error.message, .message, .ddtags]'
	assert_equal "$(accepted_logs | jq -c "$facets" | sort)" "$(sort <<EOF
["aai-cli","aai-cli","info","assembly transcripts get","success",0,2000,"linux","1.4.0","3.12.9",false,"$device",null,null,"assembly transcripts get success","version:1.4.0"]
["aai-cli","aai-cli","error","assembly balance","api_error",1,120,"linux","1.4.0","3.12.9",false,"$device","api_error","Insufficient balance","assembly balance api_error","version:1.4.0"]
["aai-cli","aai-cli","error","assembly transcribe","usage_error",2,3,"linux","1.4.0","3.12.9",false,"$device","usage_error","Missing argument 'FILE'.","assembly transcribe usage_error","version:1.4.0"]
["aai-cli","aai-cli","error","assembly login","not_authenticated",1,0,"linux","1.4.0","3.12.9",false,"$device","not_authenticated","Not logged in","assembly login not_authenticated","version:1.4.0"]
["aai-cli","aai-cli","error","assembly stream","error",3,0,"linux","1.4.0","3.12.9",false,"$device","error",null,"assembly stream error","version:1.4.0"]
["aai-cli","aai-cli","error","assembly config path","internal_error",1,0,"linux","1.4.0","3.12.9",false,"$device","internal_error","boom","assembly config path internal_error","version:1.4.0"]
["aai-cli","aai-cli","info","assembly stream","cancelled",130,5000,"linux","1.4.0","3.12.9",false,"$device",null,null,"assembly stream cancelled","version:1.4.0"]
["aai-cli","aai-cli","info","assembly balance","success",0,0,"linux","1.4.0","3.12.9",true,"$device",null,null,"assembly balance success","version:1.4.0"]
EOF
)"
	# no field beyond the seed's, its event_id and date
	assert_equal "$(accepted_logs | jq -c 'keys - ["ddsource","service","ddtags","message","status","command","outcome","exit_code","duration_ms","cli_version","os","python_version","ci","device_id","error","event_id","date"]' | sort -u)" '[]'
	# the seed's opt-out variable
	AAI_TELEMETRY_DISABLED=1 "${ur[@]}" --command "assembly balance"
	assert_equal "$(queued)" ""
}

# --- Arcade ---------------------------------------------------------------------------------

arcade_config() {
	sed -e "s|https://us.i.posthog.com|$URL|" -e "s|https://cloud.arcade.dev|$URL|g" "$SRCDIR/examples/arcade.conf" | write_config arcade
	mkdir -p "$HOME/.arcade"
}

arcade() { "$UR" --app arcade "$@"; }

# Arcade's own usage.json, as it writes it (indent=2), from before the switch.
arcade_identity() {
	printf '{\n  "anon_id": "%s",\n  "linked_principal_id": null\n}' "$1" >"$HOME/.arcade/usage.json"
}

@test "Arcade replay, OAuth credentials: whoami at the coordinator, CLI and MCP events as Arcade sends them" {
	arcade_config
	local anon=0c9e4d1a-5b6f-4a7c-8d9e-0f1a2b3c4d5e
	arcade_identity "$anon"
	intake_control '{"accounts":{"oauth-token":"acct-123"}}'
	run arcade notice # the host shows the notice its own way (design.md §4.3)
	# anonymous first (not logged in yet)
	arcade --command toolkit.list --duration 50.25 --cli-version 1.2.3 --wait
	# `arcade login` writes today's layout: the coordinator's URL and an OAuth access token
	printf 'cloud:\n  coordinator_url: %s\n  auth:\n    access_token: oauth-token\n    refresh_token: r\n    expires_at: 1900000000\n  context:\n    org_id: o1\n  user:\n    email: a@b.c\n' \
		"$URL" >"$HOME/.arcade/credentials.yaml"
	arcade login --duration 812 --cli-version 1.2.3 --wait
	arcade --command failed.command --error "Something went wrong" --cli-version 1.2.3 --wait
	arcade --event "MCP server started" --command mcp.serve --cli-version 1.2.3 --property transport=stdio \
		--property host=127.0.0.1 --property port:=8000 --property tool_count:=12 --property server_version=1.6.0 \
		--property runtime_language=python --property runtime_version=3.11.7 --wait
	arcade --event "MCP tool called" --command mcp.tool --cli-version 1.2.3 --property tool_count:=12 --duration 33 --wait
	arcade logout --duration 100.5 --cli-version 1.2.3 --wait
	# exactly one lookup, Arcade's (A.7 46)
	local who
	who=$(jq -c 'select(.path | startswith("/api/v1/auth/"))' "$INTAKE_DIR/requests.jsonl")
	assert_equal "$(jq -r '"\(.method) \(.path) \(.headers.authorization) \(.headers.accept)"' <<<"$who")" \
		"GET /api/v1/auth/whoami Bearer oauth-token application/json"
	assert_equal "$(accepted_events | jq -r '"\(.event)|\(.distinct_id)|\(.properties.command_name)|\(.properties.duration_ms)|\(.properties["$process_person_profile"])"')" \
		"CLI execution succeeded|$anon|toolkit.list|50|false
\$create_alias|acct-123|null|null|null
CLI execution succeeded|acct-123|login|812|null
CLI execution failed|acct-123|failed.command|null|null
MCP server started|acct-123|mcp.serve|null|null
MCP tool called|acct-123|mcp.tool|33|null
CLI execution succeeded|acct-123|logout|100|null"
	# the alias in Arcade's direction of PostHog's call: principal <- anon
	assert_equal "$(accepted_events | jq -c 'select(.event=="$create_alias") | [.properties.distinct_id, .properties.alias]')" "[\"acct-123\",\"$anon\"]"
	# the properties Arcade's dashboards read, typed
	local mcp
	mcp=$(accepted_events | jq -c 'select(.event=="MCP server started") | .properties')
	assert_equal "$(jq -c '[.transport, .host, .port, .tool_count, .server_version, .runtime_language, .runtime_version, .cli_version, .os_type, .["$os"], .["$lib"], .["$geoip_disable"]]' <<<"$mcp")" \
		'["stdio","127.0.0.1",8000,12,"1.6.0","python","3.11.7","1.2.3","Linux","Linux","usage-report",true]'
	assert_equal "$(accepted_events | jq -r 'select(.event=="CLI execution failed") | .properties | "\(.outcome) \(.exit_code) \(.error_message)"')" \
		"failure 1 Something went wrong"
	# logout reset Arcade's file in Arcade's format: a new anon id, no link
	assert_equal "$(jq -r '.linked_principal_id' "$HOME/.arcade/usage.json")" null
	[ "$(jq -r .anon_id "$HOME/.arcade/usage.json")" != "$anon" ]
}

@test "Arcade replay, the older API-key credentials: validate at the default host, data.principal_id" {
	arcade_config
	arcade_identity 1d2e3f40-5a6b-4c7d-8e9f-a0b1c2d3e4f5
	printf 'cloud:\n  api:\n    key: test-api-key\n  user:\n    email: a@b.c\n' >"$HOME/.arcade/credentials.yaml"
	intake_control '{"principals":{"test-api-key":"api-principal-123"}}'
	run arcade notice
	arcade --command toolkit.list --wait # a login outside the host: linked lazily (A.2)
	local v
	v=$(jq -c 'select(.path | startswith("/api/v1/auth/"))' "$INTAKE_DIR/requests.jsonl")
	assert_equal "$(jq -r '"\(.method) \(.path) \(.headers.authorization)"' <<<"$v")" "GET /api/v1/auth/validate Bearer test-api-key"
	assert_equal "$(accepted_events | jq -r '"\(.event) \(.distinct_id)"')" \
		"\$create_alias api-principal-123
CLI execution succeeded api-principal-123"
	assert_equal "$(jq -r .linked_principal_id "$HOME/.arcade/usage.json")" api-principal-123
	# the opt-out Arcade documents, and the notice names it
	ARCADE_USAGE_TRACKING=0 arcade --command toolkit.list
	assert_equal "$(ls "$XDG_STATE_HOME/usage-report/arcade/queue" | wc -l)" 0
	run arcade notice
	assert_output --partial "ARCADE_USAGE_TRACKING=0"
}

@test "[auth]: key_path, validate_url and principal_path lists, first found wins; a /path needs its base" {
	mkdir -p "$HOME/.arcade"
	write_config <<EOF
[posthog]
host = $URL
api_key = phc_k
[auth]
credentials_file = ~/.arcade/credentials.yaml
key_path = cloud.auth.access_token, cloud.api.key
validate_url = /api/v1/auth/whoami, /api/v1/auth/validate
validate_url_path = cloud.coordinator_url
principal_path = data.account_id, data.principal_id
[consent]
notice = off
EOF
	intake_control '{"principals":{"k2":"p2"}}'
	# no access token: the second key with the second URL; no account_id: the second path
	printf 'cloud:\n  coordinator_url: %s/\n  api:\n    key: k2\n' "$URL" >"$HOME/.arcade/credentials.yaml"
	run "$UR" login --wait
	assert_equal "$(jq -r .linked_principal_id "$STATE/usage.json")" p2
	assert_equal "$(jq -r 'select(.path | startswith("/api/v1/auth/")) | .path' "$INTAKE_DIR/requests.jsonl")" /api/v1/auth/validate
	# no base URL in the file for a /path: nothing is asked, the events go out anonymous
	run "$UR" logout --wait
	printf 'cloud:\n  api:\n    key: k2\n' >"$HOME/.arcade/credentials.yaml"
	run "$UR" login --wait
	assert_equal "$(jq -r .linked_principal_id "$STATE/usage.json")" null
	assert_equal "$(jq -r 'select(.path | startswith("/api/v1/auth/")) | .path' "$INTAKE_DIR/requests.jsonl" | wc -l)" 1
	run "$UR" status --json
	assert_equal "$(jq -r '.config_issues | length' <<<"$output")" 0
	# a config with a /path and no validate_url_path says so
	sed -i '/validate_url_path/d' "$CONF"
	run "$UR" status --json
	assert_equal "$(jq -r '.config_issues[]' <<<"$output")" "auth.validate_url: a /path needs auth.validate_url_path"
}

# --- adopt ----------------------------------------------------------------------------------

@test "adopt: the host's device id becomes the anonymous id, once; never over an existing identity" {
	posthog_config
	local id=6F1C2A3B-4D5E-4F60-8A7B-9C0D1E2F3A4B
	run --separate-stderr "$UR" adopt not-a-uuid
	assert_equal "$status" 2
	assert_equal "$stderr" "usage-report: invalid ANON_ID 'not-a-uuid': expected a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"
	run --separate-stderr "$UR" adopt
	assert_equal "$status" 2
	assert_equal "$stderr" "usage-report: adopt: expected ANON_ID"
	assert_not_exist "$STATE"
	# reporting off: nothing written, and exit 3 so that a run-once migration tries again later
	DO_NOT_TRACK=1 run "$UR" adopt "$id"
	assert_equal "$status" 3
	assert_output "usage reporting is off for usage-report: nothing adopted"
	assert_not_exist "$STATE"
	run "$UR" adopt "$id"
	assert_success
	assert_output "usage-report now uses the anonymous id $id"
	assert_file_permission 600 "$STATE/usage.json"
	assert_equal "$(jq -r .anon_id "$STATE/usage.json")" "$id" # exactly as the host had it
	run "$UR" --command x --wait
	assert_equal "$(accepted_events | jq -r .distinct_id)" "$id"
	# a second adopt changes nothing, and says so
	run --separate-stderr "$UR" adopt 11111111-2222-4333-8444-555555555555
	assert_equal "$status" 1
	assert_equal "$stderr" "usage-report: usage-report already has the anonymous id $id: nothing adopted"
	assert_equal "$(jq -r .anon_id "$STATE/usage.json")" "$id"
}

# --- the seeds' sessions, replayed where their users run them ------------------------------

# What Arcade's own code sends (its usage module and MCP server tracker, arcade-mcp@597debaa):
# per event, every property and its JSON type.
ARCADE_CLI='{"command_name":"string","cli_version":"string","runtime_language":"string","runtime_version":"string","duration_ms":"number","os_type":"string","os_release":"string"}'
ARCADE_LOGGED_IN='{"org_id":"string","project_id":"string"}'
ARCADE_SERVER='{"transport":"string","host":"string","port":"number","tool_count":"number","resource_server_type":"string","arcade_mcp_server_version":"string","runtime_language":"string","runtime_version":"string","os_type":"string","os_release":"string","device_timestamp":"number"}'
ARCADE_TOOL='{"is_execution_success":"boolean","failure_reason":"string","arcade_mcp_server_version":"string","runtime_language":"string","runtime_version":"string","os_type":"string","os_release":"string","device_timestamp":"number"}'

# via KIND CMD...: run CMD with its stderr where a user's would be (its exit status is the
# replayed command's own, not the test's concern here).
via() {
	local kind=$1
	shift
	case $kind in
	terminal) on_tty "$@" ;;
	pipe) "$@" 2>&1 | cat >/dev/null ;;
	file) "$@" 2>>"$HOME/stderr.log" || true ;;
	ci) CI=true "$@" 2>&1 | cat >/dev/null ;;
	esac
}

# One Arcade user's session after the switch, following doc/migrating.md to the letter, with
# stderr on KIND; the account is acct-KIND.
arcade_session() {
	local kind=$1 v=(--cli-version 1.6.0) rt=(--property runtime_language=python --property runtime_version=3.11.7)
	export HOME=$BATS_TEST_TMPDIR/user-$kind XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/user-$kind/.config \
		XDG_STATE_HOME=$BATS_TEST_TMPDIR/user-$kind/.local/state
	mkdir -p "$HOME"
	arcade_config
	intake_control "{\"principals\":{\"key-$kind\":\"acct-$kind\"}}"
	via "$kind" "$UR" --app arcade --command toolkit.list --duration 50 "${v[@]}" "${rt[@]}" # the first run
	via "$kind" "$UR" --app arcade --command deploy --duration 900 --error "Deployment failed: quota exceeded" "${v[@]}" "${rt[@]}"
	via "$kind" "$UR" --app arcade --event "MCP server started" --command mcp.serve --property transport=http \
		--property host=127.0.0.1 --property port:=8002 --property tool_count:=12 --property resource_server_type=none \
		--property arcade_mcp_server_version=1.9.0 "${rt[@]}" --property device_timestamp:=1764756000.25
	via "$kind" "$UR" --app arcade --event "MCP tool called" --command mcp.tool --property is_execution_success:=true \
		--property failure_reason:=null --property arcade_mcp_server_version=1.9.0 "${rt[@]}" --property device_timestamp:=1764756001.5
	via "$kind" "$UR" --app arcade --event "MCP tool called" --command mcp.tool --error "tool raised" \
		--property is_execution_success:=false --property failure_reason="tool raised" --property arcade_mcp_server_version=1.9.0 \
		"${rt[@]}" --property device_timestamp:=1764756002.75
	printf 'cloud:\n  api:\n    key: key-%s\n  context:\n    org_id: o-1\n    project_id: p-1\n' "$kind" >"$HOME/.arcade/credentials.yaml"
	local org=(--property org_id=o-1 --property project_id=p-1)
	via "$kind" "$UR" --app arcade login --duration 812 "${v[@]}" "${rt[@]}" "${org[@]}"
	wait_for "accepted_events | jq -e 'select(.properties.command_name==\"login\" and .distinct_id==\"acct-$kind\")' >/dev/null"
	via "$kind" "$UR" --app arcade --command worker.list --duration 40 "${v[@]}" "${rt[@]}" "${org[@]}"
	rm "$HOME/.arcade/credentials.yaml" # arcade logout removes them, then reports
	via "$kind" "$UR" --app arcade logout --duration 30 "${v[@]}" "${rt[@]}" "${org[@]}"
	via "$kind" "$UR" --app arcade --command toolkit.list --duration 20 "${v[@]}" "${rt[@]}" # the next person
	ARCADE_USAGE_TRACKING=0 via "$kind" "$UR" --app arcade --command opted.out "${v[@]}" "${rt[@]}"
}

# seed_properties_arrive EVENT_JSON EXPECTED: every property the seed sends is there, typed
# (failure_reason is null on success, as the seed sends it).
seed_properties_arrive() {
	local wrong
	wrong=$(jq -nc --argjson e "$1" --argjson want "$2" \
		'[$want | to_entries[] | select(($e.properties[.key] | type) as $t | $t != .value and ($t != "null" or .key != "failure_reason")) | .key]')
	[ "$wrong" = "[]" ] || fail "$(jq -r '.event + " " + .properties.command_name' <<<"$1"): missing or mistyped: $wrong"
}

# The events of one replayed user (not its alias), in the order they arrived.
user_events() {
	accepted_events | jq -c --arg a "$1" --arg k "$2" --arg n "$3" \
		'select(.event != "$create_alias" and (.distinct_id==$a or .distinct_id==$k or .distinct_id==$n))'
}

@test "Arcade's whole session arrives, every property it sends typed and under the right id, with stderr on a terminal, a pipe, a file and in CI" {
	local kind e first anon expected
	for kind in terminal pipe file ci; do
		arcade_session "$kind"
	done
	wait_for '[ "$(accepted_events | jq -r .properties.command_name | grep -vc null)" = 36 ]' 30
	for kind in terminal pipe file ci; do
		anon=$(jq -r .anon_id "$BATS_TEST_TMPDIR/user-$kind/.arcade/usage.json")
		first=$(accepted_events | jq -r --arg k "acct-$kind" 'select(.event=="$create_alias" and .distinct_id==$k) | .properties.alias')
		[[ $first =~ ^[0-9a-f-]{36}$ ]] || fail "$kind: no alias for acct-$kind"
		expected="CLI execution succeeded|toolkit.list|$first
CLI execution failed|deploy|$first
MCP server started|mcp.serve|$first
MCP tool called|mcp.tool|$first
MCP tool called|mcp.tool|$first
CLI execution succeeded|login|acct-$kind
CLI execution succeeded|worker.list|acct-$kind
CLI execution succeeded|logout|acct-$kind
CLI execution succeeded|toolkit.list|$anon"
		assert_equal "$(user_events "$first" "acct-$kind" "$anon" | jq -r '"\(.event)|\(.properties.command_name)|\(.distinct_id)"')" "$expected"
		while read -r e; do
			case $(jq -r '.event + ":" + .properties.command_name' <<<"$e") in
			"MCP server started:"*) seed_properties_arrive "$e" "$ARCADE_SERVER" ;;
			"MCP tool called:"*) seed_properties_arrive "$e" "$ARCADE_TOOL" ;;
			*:login | *:worker.list | *:logout) seed_properties_arrive "$e" "$(jq -nc --argjson a "$ARCADE_CLI" --argjson b "$ARCADE_LOGGED_IN" '$a + $b')" ;;
			*) seed_properties_arrive "$e" "$ARCADE_CLI" ;;
			esac
		done < <(user_events "$first" "acct-$kind" "$anon")
		assert_equal "$(user_events "$first" "acct-$kind" "$anon" | jq -r 'select(.event=="CLI execution failed") | .properties.error_message')" \
			"Deployment failed: quota exceeded"
		assert_equal "$(user_events "$first" "acct-$kind" "$anon" | jq -c 'select(.event=="MCP tool called") | [.properties.is_execution_success, .properties.failure_reason]' | tr '\n' ' ')" \
			'[true,null] [false,"tool raised"] '
		assert_equal "$(user_events "$first" "acct-$kind" "$anon" | jq -r '.properties.ci' | sort -u)" "$([ "$kind" = ci ] && echo true || echo false)"
	done
	# the notice went where that user's stderr went, once, with Arcade's privacy link
	assert_equal "$(grep -c 'collects usage data' "$BATS_TEST_TMPDIR/user-file/stderr.log")" 1
	grep -q 'Privacy policy: https://www.arcade.dev/privacy' "$BATS_TEST_TMPDIR/user-file/stderr.log"
	# nobody's opted-out run left anything
	assert_equal "$(accepted_events | jq -r .properties.command_name | grep -c opted.out)" 0
}

# What AssemblyAI's own track() sends for each outcome class (aai_cli/telemetry.py,
# AssemblyAI/cli@b7eb293): every Datadog facet and its JSON type.
AAI_LOG='{"ddsource":"string","service":"string","ddtags":"string","message":"string","status":"string","command":"string","outcome":"string","exit_code":"number","duration_ms":"number","cli_version":"string","os":"string","python_version":"string","ci":"boolean","device_id":"string"}'

@test "AssemblyAI's session through a real typer CLI and the Python helper arrives, facet by facet, with stderr on a terminal, a pipe, a file and in CI" {
	local kind device
	for kind in terminal pipe file ci; do
		export HOME=$BATS_TEST_TMPDIR/user-$kind XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/user-$kind/.config \
			XDG_STATE_HOME=$BATS_TEST_TMPDIR/user-$kind/.local/state
		mkdir -p "$HOME"
		sed -e "s|^site = .*|url = $URL/api/v2/logs|" "$SRCDIR/examples/assemblyai.conf" | write_config assembly
		local cli=(env "PATH=$BUILDDIR/src:$PATH" "PYTHONPATH=$SRCDIR/python" /usr/bin/python3 "$SRCDIR/python/tests/assemblycli.py")
		via "$kind" "${cli[@]}" transcripts # the first run shows the notice
		via "$kind" "${cli[@]}" balance
		via "$kind" "${cli[@]}" whoami
		via "$kind" "${cli[@]}" stream
		via "$kind" "${cli[@]}" stream --code 0
		via "$kind" "${cli[@]}" listen
		via "$kind" "${cli[@]}" config set telemetry_enabled false # the host's own opt-out
		via "$kind" "${cli[@]}" transcripts
		via "$kind" "${cli[@]}" balance
	done
	wait_for '[ "$(accepted_logs | wc -l)" = 24 ]' 30
	for kind in terminal pipe file ci; do
		device=$(jq -r .anon_id "$BATS_TEST_TMPDIR/user-$kind/.local/state/usage-report/assembly/usage.json")
		local logs
		logs=$(accepted_logs | jq -c --arg d "$device" 'select(.device_id==$d)')
		assert_equal "$(jq -r '[.command, .status, .outcome, .exit_code, .error.kind // "-", .error.message // "-", .ci] | join("|")' <<<"$logs" | sort)" "$(sort <<EOF
assembly transcripts get|info|success|0|-|-|$([ "$kind" = ci ] && echo true || echo false)
assembly balance|error|api_error|1|api_error|Insufficient balance|$([ "$kind" = ci ] && echo true || echo false)
assembly whoami|error|not_authenticated|4|not_authenticated|Not authenticated: run 'assembly login'|$([ "$kind" = ci ] && echo true || echo false)
assembly stream|error|error|3|error|-|$([ "$kind" = ci ] && echo true || echo false)
assembly stream|info|success|0|-|-|$([ "$kind" = ci ] && echo true || echo false)
assembly listen|info|cancelled|130|-|-|$([ "$kind" = ci ] && echo true || echo false)
EOF
)"
		local e
		while read -r e; do
			local wrong
			wrong=$(jq -nc --argjson e "$e" --argjson want "$AAI_LOG" '[$want | to_entries[] | select(($e[.key] | type) != .value) | .key]')
			[ "$wrong" = "[]" ] || fail "$kind $(jq -r .command <<<"$e"): missing or mistyped: $wrong"
		done <<<"$logs"
		# after `config set telemetry_enabled false`: nothing, and status says who decided
		assert_equal "$(HOME=$BATS_TEST_TMPDIR/user-$kind XDG_STATE_HOME=$BATS_TEST_TMPDIR/user-$kind/.local/state \
			XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/user-$kind/.config "$UR" --app assembly status --json | jq -c '[.enabled, .source]')" '[false,"config"]'
	done
	assert_equal "$(grep -c 'collects usage data' "$BATS_TEST_TMPDIR/user-file/stderr.log")" 1
	grep -q "assembly telemetry disable" "$BATS_TEST_TMPDIR/user-file/stderr.log"
}

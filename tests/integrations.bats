#!/usr/bin/env bats
# integrations.bats — every way a CLI calls usage-report (design.md §1 exec, §4.6), the Datadog
# (§5.2) and file (§5.3) backends, hook-style input, the examples, and the installed layout.

load helpers

setup() {
	common_setup
	start_intake
	posthog_config
}

# The last event the intake accepted on the batch route.
last_event() {
	accepted_events | tail -1
}

# --- exec --------------------------------------------------------------------------------

@test "exec: the program's output, input and environment pass through untouched" {
	run bash -c "echo piped | FOO=bar '$UR' exec -- sh -c 'cat; echo \"\$FOO\"; echo err >&2'"
	assert_success
	assert_output $'piped\nbar\nerr'
}

@test "exec: exit status kept; command is the basename; arguments never recorded" {
	run "$UR" --wait exec -- sh -c 'exit 7' secret-argument
	assert_equal "$status" 7
	local e
	e=$(last_event)
	assert_equal "$(jq -c '.properties | [.command_name, .exit_code, .outcome]' <<<"$e")" '["sh",7,"failure"]'
	run grep -c secret-argument "$INTAKE_DIR/requests.jsonl"
	assert_output 0
}

@test "exec: 127 when the program is not found, 126 when it cannot run" {
	run -127 --separate-stderr "$UR" --wait exec -- no-such-program-here
	assert_equal "$status" 127
	assert_equal "$stderr" "usage-report: cannot run 'no-such-program-here': No such file or directory"
	assert_equal "$(last_event | jq -c '.properties | [.command_name, .exit_code]')" '["no-such-program-here",127]'
	printf 'not a program\n' >"$BATS_TEST_TMPDIR/plain"
	chmod 644 "$BATS_TEST_TMPDIR/plain"
	run --separate-stderr "$UR" --wait exec -- "$BATS_TEST_TMPDIR/plain"
	assert_equal "$status" 126
	assert_equal "$(last_event | jq -c '.properties | [.command_name, .exit_code]')" '["plain",126]'
}

@test "exec: a program killed by a signal: the same signal ends usage-report, recorded as 128+N" {
	run "$UR" --wait exec -- sh -c 'kill -TERM $$'
	assert_equal "$status" 143
	assert_equal "$(last_event | jq -c '.properties | [.exit_code, .outcome]')" '[143,"failure"]'
}

# Become CMD... with SIGINT and SIGQUIT at their defaults (for a background job: `... &`
# runs it in a subshell, which this replaces, so that $! is CMD's pid): a shell starts a
# background job with them ignored, and exec keeps what its caller ignores, where a
# terminal's foreground job has them at their defaults.
interruptible() {
	exec /usr/bin/python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGQUIT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

@test "exec: Ctrl-C reaches the program, usage-report waits, and records a cancel" {
	# SIGINT sent to usage-report alone is ignored while the program runs
	interruptible "$UR" --wait exec --command interrupted -- sh -c 'trap "exit 42" INT; while :; do sleep 0.05; done' &
	local pid=$!
	wait_for "pgrep -P $pid >/dev/null"
	kill -INT "$pid"
	kill -0 "$pid" # still waiting for its program
	kill -INT "$(pgrep -P "$pid")"
	local st=0
	wait "$pid" || st=$?
	assert_equal "$st" 42
	# Ctrl-C at a terminal signals the whole foreground process group
	interruptible setsid "$UR" --wait exec --command cancelled -- sleep 30 &
	pid=$!
	wait_for "pgrep -f '^sleep 30$' >/dev/null"
	kill -INT -- "-$(ps -o pgid= -p "$pid" | tr -d ' ')"
	st=0
	wait "$pid" || st=$?
	assert_equal "$st" 130
	wait_for '[ "$(last_event | jq -r .properties.command_name)" = cancelled ]'
	assert_equal "$(last_event | jq -c '.properties | [.exit_code, .outcome]')" '[130,"cancelled"]'
}

@test "exec: the duration is measured with the monotonic clock" {
	run "$UR" --wait exec -- sleep 0.3
	assert_success
	local ms
	ms=$(last_event | jq .properties.duration_ms)
	((ms >= 300 && ms < 2000))
}

@test "exec: an invalid event option is left out of the event; the program runs all the same (design.md §4.6)" {
	run --separate-stderr "$UR" exec --duration x --exit-code 999 --error-type 'Not A Kind' -- touch "$BATS_TEST_TMPDIR/ran"
	assert_equal "$status $stderr" "0 "
	assert_file_exist "$BATS_TEST_TMPDIR/ran"
	wait_for '[ "$(last_event | jq -r .properties.command_name)" = touch ]'
	assert_equal "$(last_event | jq -c '.properties | [.exit_code, .outcome, .error_type, (.duration_ms | type)]')" '[0,"success",null,"number"]'
	# an unknown option is a malformed exec, not a fact: exit 2, nothing runs
	run --separate-stderr "$UR" exec --no-such-option -- touch "$BATS_TEST_TMPDIR/ran2"
	assert_equal "$status" 2
	assert_not_exist "$BATS_TEST_TMPDIR/ran2"
}

# --- hook-style input --------------------------------------------------------------------

@test "track --json -: one event as a JSON object on stdin, with the same validation" {
	run bash -c "echo '{\"command\":\"from-stdin\",\"duration_ms\":12.5,\"exit_code\":3,\"error\":\"e\",\"cli_version\":\"1.0\",\"properties\":{\"k\":\"v\"}}' | '$UR' track --json - --wait"
	assert_success
	assert_equal "$(last_event | jq -c '.properties | [.command_name, .duration_ms, .exit_code, .error_message, .cli_version, .k]')" \
		'["from-stdin",12,3,"e","1.0","v"]'
	run --separate-stderr bash -c "echo '{\"command\":\"x\",\"duration_ms\":-1}' | '$UR' track --json -"
	assert_equal "$status" 2
	assert_equal "$stderr" "usage-report: invalid --json duration_ms '-1': expected milliseconds"
	run --separate-stderr bash -c "echo 'not json' | '$UR' track --json -"
	assert_equal "$stderr" "usage-report: invalid --json '-': expected one JSON object on stdin"
	run --separate-stderr bash -c "echo '{\"command\":\"x\",\"colour\":\"red\"}' | '$UR' track --json -"
	assert_equal "$stderr" "usage-report: invalid --json field 'colour': unknown field"
	run bash -c "echo '{\"command\":\"x\"}' | '$UR' track --json - --command override --wait"
	assert_equal "$(last_event | jq -r .properties.command_name)" override
}

@test "track --json -: up to 512 KiB on stdin is read whole; one byte more is refused in one line" {
	# an object padded with spaces to exactly the limit
	python3 -c 'import sys; d = b"{\"command\":\"at-limit\"}"; sys.stdout.buffer.write(d + b" " * (512 * 1024 - len(d)))' >"$BATS_TEST_TMPDIR/at"
	run bash -c "'$UR' track --json - --wait <'$BATS_TEST_TMPDIR/at'"
	assert_success
	assert_equal "$(last_event | jq -r .properties.command_name)" at-limit
	printf ' ' >>"$BATS_TEST_TMPDIR/at"
	run --separate-stderr bash -c "'$UR' track --json - <'$BATS_TEST_TMPDIR/at'"
	assert_equal "$status" 2
	assert_equal "$stderr" "usage-report: invalid --json '-': the event on stdin is larger than 512 KiB"
}

# --- Datadog -----------------------------------------------------------------------------

datadog_config() {
	write_config <<EOF
backend = datadog
[datadog]
client_token = pub0123456789abcdef0123456789abcdef
service = mycli
url = $URL/api/v2/logs
[consent]
notice = off
EOF
}

@test "datadog: the request, and exactly AssemblyAI's field set plus event_id and device_id" {
	datadog_config
	run "$UR" --command "mycli build" --duration 250 --cli-version 0.3.1 --wait
	run "$UR" --command "mycli deploy" --error "Audio file not found" --cli-version 0.3.1 --wait
	run "$UR" --command "mycli watch" --exit-code 130 --cli-version 0.3.1 --wait
	local reqs
	reqs=$(intake_requests /api/v2/logs)
	assert_equal "$(jq -r .status <<<"$reqs" | sort -u)" 202
	local r
	r=$(head -1 <<<"$reqs")
	assert_equal "$(jq -r '.method, .headers["dd-api-key"], .headers["content-type"], .query.ddsource, .query["dd-api-key"]' <<<"$r")" \
		$'POST\npub0123456789abcdef0123456789abcdef\napplication/json\nusage-report\npub0123456789abcdef0123456789abcdef'
	[[ $(jq -r '.query["dd-request-id"]' <<<"$r") =~ ^[0-9a-f-]{36}$ ]]
	local success failure cancel
	success=$(sed -n 1p <<<"$reqs" | jq -c '.body[0]')
	failure=$(sed -n 2p <<<"$reqs" | jq -c '.body[0]')
	cancel=$(sed -n 3p <<<"$reqs" | jq -c '.body[0]')
	assert_equal "$(jq -c 'keys' <<<"$success")" \
		'["ci","cli_version","command","date","ddsource","ddtags","device_id","duration_ms","event_id","exit_code","message","os","outcome","service","status"]'
	assert_equal "$(jq -c '[.ddsource, .service, .ddtags, .message, .status, .command, .outcome, .exit_code, .duration_ms, .os, .ci]' <<<"$success")" \
		'["usage-report","mycli","version:0.3.1","mycli build success","info","mycli build","success",0,250,"linux",false]'
	assert_equal "$(jq -r .device_id <<<"$success")" "$(jq -r .anon_id "$STATE/usage.json")"
	assert_equal "$(jq -c 'keys' <<<"$failure")" \
		'["ci","cli_version","command","date","ddsource","ddtags","device_id","duration_ms","error","event_id","exit_code","message","os","outcome","service","status"]'
	assert_equal "$(jq -c '[.status, .error, .exit_code, .duration_ms]' <<<"$failure")" \
		'["error",{"kind":"failure","message":"Audio file not found"},1,0]'
	assert_equal "$(jq -c '[.status, .outcome, has("error")]' <<<"$cancel")" '["info","cancelled",false]'
	# date is the capture time in ms
	(($(jq .date <<<"$success") > 1700000000000))
}

@test "datadog: a linked account is usr.id; up to 50 logs per request; 5xx retried" {
	datadog_config
	hold_delivery
	run "$UR" login --principal-id user-dd
	local i
	for i in $(seq 119); do "$UR" --command "c$i"; done
	intake_control '{"route":"logs","script":[{"status":503}]}'
	run "$UR" flush
	assert_equal "$(intake_requests /api/v2/logs | jq -r .status)" 503
	run "$UR" flush
	assert_equal "$(intake_requests /api/v2/logs | jq -r '"\(.status) \(.body | length)"' | tr '\n' ' ')" "503 50 202 50 202 50 202 20 "
	assert_equal "$(intake_requests /api/v2/logs | jq -r 'select(.status==202) | .body[].usr.id' | sort -u)" user-dd
	assert_equal "$(queued)" ""
}

@test "datadog: intake hosts for every site" {
	local pair
	for pair in datadoghq.com:browser-intake-datadoghq.com us3.datadoghq.com:browser-intake-us3-datadoghq.com \
		us5.datadoghq.com:browser-intake-us5-datadoghq.com datadoghq.eu:browser-intake-datadoghq.eu \
		ap1.datadoghq.com:browser-intake-ap1-datadoghq.com ddog-gov.com:browser-intake-ddog-gov.com; do
		printf 'backend = datadog\n[datadog]\nsite = %s\nclient_token = pubabc\n' "${pair%%:*}" | write_config
		run --separate-stderr "$UR" --command x --dry-run
		assert_line --index 0 --regexp "^POST https://${pair#*:}/api/v2/logs\?ddsource=usage-report&dd-api-key=pubabc&dd-request-id=[0-9a-f-]{36}$"
	done
}

# --- file --------------------------------------------------------------------------------

@test "file backend: one PostHog event object per line, 0600" {
	printf 'backend = file\n[file]\npath = ~/events.jsonl\n[consent]\nnotice = off\n' | write_config
	run "$UR" --command one --wait
	run "$UR" --command two --exit-code 1 --wait
	assert_file_permission 600 "$HOME/events.jsonl"
	assert_equal "$(jq -r '"\(.event) \(.properties.command_name)"' "$HOME/events.jsonl")" \
		$'CLI execution succeeded one\nCLI execution failed two'
	assert_equal "$(jq -r .distinct_id "$HOME/events.jsonl" | sort -u)" "$(jq -r .anon_id "$STATE/usage.json")"
}

@test "file backend: 200 concurrent writers never interleave their lines" {
	local i pids=() pad
	pad=$(printf 'x%.0s' $(seq 900))
	for i in $(seq 200); do
		printf 'backend = file\n[file]\npath = %s/shared.jsonl\n[consent]\nnotice = off\n' "$HOME" | write_config "app$i"
	done
	for i in $(seq 200); do
		"$UR" --app "app$i" --command "c$i" --property "pad=$pad" &
		pids+=($!)
	done
	wait "${pids[@]}"
	wait_for '[ "$(wc -l <"$HOME/shared.jsonl" 2>/dev/null || echo 0)" -ge 200 ]' 30
	wait_for '[ -z "$(senders)" ]'
	assert_equal "$(wc -l <"$HOME/shared.jsonl")" 200
	assert_equal "$(jq -r .properties.command_name "$HOME/shared.jsonl" | sort -u | wc -l)" 200
}

# --- examples ----------------------------------------------------------------------------

@test "example wrapper.sh: output and exit status kept, timing reported; exec variant too" {
	export PATH="$BUILDDIR/src:$PATH"
	posthog_config false
	run env WRAPPED="$(command -v false)" APP=false sh "$SRCDIR/examples/wrapper.sh" deploy --secret-flag
	assert_equal "$status" 1
	wait_for '[ "$(delivered_count)" = 1 ]'
	assert_equal "$(last_event | jq -c '.properties | [.command_name, .exit_code, .app]')" '["false deploy",1,"false"]'
	posthog_config echo
	run env WRAPPED="$(command -v echo)" APP=echo USAGE_REPORT_EXEC=1 sh "$SRCDIR/examples/wrapper.sh" hello /etc/passwd
	assert_success
	assert_output "hello /etc/passwd"
	wait_for '[ "$(delivered_count)" = 2 ]'
	assert_equal "$(last_event | jq -c '.properties | [.command_name, .exit_code]')" '["echo hello",0]'
	run grep -c /etc/passwd "$INTAKE_DIR/requests.jsonl"
	assert_output 0
}

@test "example caller.py reports success and a scrubbed failure through the usage_report package" {
	export PATH="$BUILDDIR/src:$PATH" PYTHONPATH="$SRCDIR/python"
	posthog_config mycli
	run python3 "$SRCDIR/examples/caller.py" you
	assert_output "hello, you"
	run python3 "$SRCDIR/examples/caller.py" fail
	assert_equal "$status" 1
	wait_for '[ "$(delivered_count)" = 2 ]'
	assert_equal "$(jq -c 'select(.status==200) | .body.batch[].properties | [.command_name, .outcome, .cli_version, .error_message]' "$INTAKE_DIR/requests.jsonl" | sort)" \
		'["mycli fail","failure","1.0.0","could not reach the build server"]
["mycli hello","success","1.0.0",null]'
}

@test "example caller.js reports through the usage-report package" {
	command -v node || skip "node is not installed"
	export PATH="$BUILDDIR/src:$PATH"
	posthog_config mycli
	# as a host has it: the package in its node_modules
	# (as caller.js beside the package.json `npm init -y` writes)
	mkdir -p "$BATS_TEST_TMPDIR/host/node_modules"
	(cd "$BATS_TEST_TMPDIR/host" && npm init -y >/dev/null)
	ln -s "$SRCDIR/node" "$BATS_TEST_TMPDIR/host/node_modules/usage-report"
	cp "$SRCDIR/examples/caller.js" "$BATS_TEST_TMPDIR/host/caller.js"
	run node "$BATS_TEST_TMPDIR/host/caller.js"
	assert_output built
	run node "$BATS_TEST_TMPDIR/host/caller.js" fail
	assert_equal "$status" 1
	wait_for '[ "$(delivered_count)" = 2 ]'
	assert_equal "$(jq -c 'select(.status==200) | .body.batch[].properties | [.command_name, .outcome, .error_message]' "$INTAKE_DIR/requests.jsonl" | sort)" \
		'["mycli build","success",null]
["mycli fail","failure","build failed: 3 errors"]'
}

@test "example post-commit hook reports git usage, nothing about the commit" {
	export PATH="$BUILDDIR/src:$PATH"
	posthog_config git-usage
	git init -q "$BATS_TEST_TMPDIR/repo"
	cp "$SRCDIR/examples/post-commit" "$BATS_TEST_TMPDIR/repo/.git/hooks/post-commit"
	cd "$BATS_TEST_TMPDIR/repo"
	echo content >file-with-private-name.txt
	git add . && git -c user.name=Jane -c user.email=jane@example.com commit -qm "confidential message"
	wait_for '[ "$(delivered_count)" = 1 ]'
	assert_equal "$(last_event | jq -c '.properties | [.command_name, .app, .outcome]')" '["git commit","git-usage","success"]'
	[[ $(last_event | jq -r .properties.cli_version) =~ ^[0-9]+\.[0-9]+ ]]
	run grep -cE 'confidential|private-name|jane' "$INTAKE_DIR/requests.jsonl"
	assert_output 0
}

@test "example arcade.conf: Arcade's files, opt-out variable, account lookup and event names" {
	mkdir -p "$XDG_CONFIG_HOME/usage-report" "$HOME/.arcade"
	sed -e "s|https://us.i.posthog.com|$URL|" -e "s|https://cloud.arcade.dev|$URL|g" \
		"$SRCDIR/examples/arcade.conf" >"$XDG_CONFIG_HOME/usage-report/arcade.conf"
	printf 'cloud:\n  api:\n    key: arc_example_key\n' >"$HOME/.arcade/credentials.yaml"
	intake_control '{"principals":{"arc_example_key":"principal-arcade"}}'
	ARCADE_USAGE_TRACKING=0 run "$UR" --app arcade --command toolkit.list --wait
	assert_not_exist "$HOME/.arcade/usage.json"
	# the notice is on: until it is shown where it can be read, events are held
	run bash -c '"$1" --app arcade --command toolkit.list --wait 2>/dev/null' _ "$UR"
	assert_equal "$(last_event)" ""
	run "$UR" --app arcade notice # how a host shows it in its own interface
	assert_output --partial "ARCADE_USAGE_TRACKING=0"
	run "$UR" --app arcade --command toolkit.list --wait
	assert_file_exist "$HOME/.arcade/usage.json"
	assert_equal "$(jq -r .linked_principal_id "$HOME/.arcade/usage.json")" principal-arcade
	assert_equal "$(last_event | jq -r '"\(.event) \(.distinct_id) \(.properties.command_name)"')" \
		"CLI execution succeeded principal-arcade toolkit.list"
}

# --- install -----------------------------------------------------------------------------

@test "make install puts every file where design.md §7 says, and the installed binary finds its sender" {
	local stage=$BATS_TEST_TMPDIR/stage prefix
	make -s -C "$BUILDDIR" install DESTDIR="$stage" >/dev/null
	prefix=$(sed -n 's/^prefix = //p' "$BUILDDIR/Makefile")
	local root=$stage$prefix
	assert_file_executable "$root/bin/usage-report"
	assert_file_executable "$root/libexec/usage-report/usage-report-sender"
	assert_file_exist "$root/share/man/man1/usage-report.1"
	assert_file_exist "$root/share/man/man5/usage-report.conf.5"
	local f
	for f in wrapper.sh caller.py caller.js post-commit arcade.conf; do
		assert_file_exist "$root/share/doc/usage-report/examples/$f"
	done
	assert_not_exist "$root/bin/usage-report-sender"
	run "$root/bin/usage-report" --command installed --wait
	wait_for '[ "$(delivered_count)" = 1 ]'
	# and an example runs from the fresh install
	export PATH="$root/bin:$PATH"
	posthog_config mycli
	PYTHONPATH="$SRCDIR/python" run python3 "$root/share/doc/usage-report/examples/caller.py"
	wait_for '[ "$(delivered_count)" = 2 ]'
	assert_equal "$(last_event | jq -r .properties.command_name)" "mycli hello"
}

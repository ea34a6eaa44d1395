#!/usr/bin/env bats
# privacy.bats — what never leaves the foreground or reaches the sender: no network and no
# libcurl in the foreground, no key or event data in the sender's argv or environment, a
# properly detached sender, and "off" proven with strace.

load helpers

setup() {
	common_setup
	start_intake
	posthog_config
	mkdir -p "$HOME/.arcade"
	printf 'cloud:\n  api:\n    key: arc_credentials_secret_1\n' >"$HOME/.arcade/credentials.yaml"
	cat >>"$CONF" <<EOF
[auth]
credentials_file = ~/.arcade/credentials.yaml
key_path = cloud.api.key
validate_url = $URL/api/v1/auth/validate
principal_path = data.principal_id
EOF
}

@test "the foreground program does not link libcurl, libyaml or zlib" {
	run ldd "$UR"
	refute_output --partial libcurl
	refute_output --partial libyaml
	refute_output --partial libz.so
}

@test "a consented track opens no socket in the foreground process" {
	command -v strace || skip "strace is not installed"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		run strace -e trace=socket,connect,sendto -o "$BATS_TEST_TMPDIR/trace" "$UR" --command x
	assert_success
	assert_equal "$(grep -cE '^(socket|connect|sendto)' "$BATS_TEST_TMPDIR/trace")" 0
	wait_for '[ "$(delivered_count)" = 1 ]'
}

@test "while the sender runs: no key and no event data in its argv, environment or files" {
	hold_sender_mid_request
	USAGE_REPORT_ERROR="secret-error-text" USAGE_REPORT_CLI_VERSION="9.9.9-private" \
		MY_OWN_TOKEN=ghp_callersecret run "$UR" --command private-command --duration 5
	local pid
	pid=$(sender_mid_request)
	local cmdline environ
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
	environ=$(tr '\0' '\n' <"/proc/$pid/environ")
	for secret in phc_testkey arc_credentials_secret_1 secret-error-text 9.9.9-private private-command ghp_callersecret; do
		[[ "$cmdline" != *"$secret"* ]] || fail "$secret in the sender's argv"
		[[ "$environ" != *"$secret"* ]] || fail "$secret in the sender's environment"
	done
	# only what locates files, proxies and certificates
	assert_equal "$(cut -d= -f1 <<<"$environ" | grep -vxE 'HOME|PATH|TZ|LANG|LC_ALL|XDG_CONFIG_HOME|XDG_STATE_HOME|https?_proxy|HTTPS_PROXY|all_proxy|ALL_PROXY|no_proxy|NO_PROXY|SSL_CERT_FILE|SSL_CERT_DIR|CURL_CA_BUNDLE|[A-Z]+SAN_OPTIONS' || true)" ""
	release_sender "$pid"
	run "$UR" flush
	assert_equal "$(delivered_count)" 1
	run grep -rlE 'phc_testkey|arc_credentials_secret_1' "$STATE"
	assert_failure
}

@test "the sender is fully detached: own session, cwd /, stdio on /dev/null, no other descriptor" {
	hold_sender_mid_request
	run "$UR" --command x
	local pid
	pid=$(sender_mid_request)
	assert_equal "$(readlink "/proc/$pid/cwd")" /
	local fd
	for fd in 0 1 2; do
		assert_equal "$(readlink "/proc/$pid/fd/$fd")" /dev/null
	done
	assert_equal "$(readlink "/proc/$pid/fd/3")" "$STATE/sender.lock"
	# beyond those: only the socket of the request in flight
	assert_equal "$(ls "/proc/$pid/fd" | sort -n | awk '$1 > 3' | while read -r f; do readlink "/proc/$pid/fd/$f"; done | grep -vc '^socket:' || true)" 0
	# a session of its own with no controlling terminal (it opens every file O_NOCTTY, so it
	# never acquires one), and not our child
	local sid pgid ppid tty
	read -r ppid pgid sid tty < <(ps -o ppid=,pgid=,sid=,tty= -p "$pid")
	assert_not_equal "$sid" "$(ps -o sid= -p $$ | tr -d ' ')"
	assert_equal "$tty" "?"
	assert_not_equal "$ppid" "$$"
	# no zombie left behind for the caller
	assert_equal "$(ps -o stat= --ppid $$ | grep -c Z || true)" 0
	release_sender "$pid"
}

@test "the caller's pipes are not held by the sender: \$(usage-report ...) returns at once" {
	# the intake answers after 10 s: a substitution that waited for the sender would return
	# only once the request was answered (no clock in the test: the order proves it)
	intake_control '{"route":"batch","script":[{"delay":10}]}'
	local out
	out=$("$UR" --command x 2>&1)
	assert_equal "$out" ""
	assert_equal "$(intake_requests | jq -r 'select(.status != -1) | .status')" "" # nothing answered yet
	wait_for '[ "$(intake_requests | jq -r .status | head -1)" = -1 ]'
	[ -n "$(senders)" ] # the sender is still mid-request, yet the pipe was closed
}

# Run a track under strace: no socket, no connection, no new process. (LeakSanitizer cannot
# work under ptrace; a sanitizer build keeps its other checks.)
off_is_silent_to_strace() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 run strace -f -e trace=socket,connect,clone,clone3,fork,vfork -o "$BATS_TEST_TMPDIR/trace" \
		"$UR" --command x --duration 3
	assert_success
	run grep -cE '(socket|connect|clone|clone3|fork|vfork)\(' "$BATS_TEST_TMPDIR/trace"
	assert_output 0
}

@test "consent off, every source: no socket, no process, no file (strace)" {
	command -v strace || skip "strace is not installed"
	USAGE_REPORT_DISABLED=1 off_is_silent_to_strace
	DO_NOT_TRACK=1 off_is_silent_to_strace
	printf '[consent]\nci = skip\ntracking_env = T\ndisabled_env = D\n' >>"$CONF"
	CI=true off_is_silent_to_strace
	T=off off_is_silent_to_strace
	D=1 off_is_silent_to_strace
	assert_not_exist "$HOME/.local"
	run "$UR" disable
	off_is_silent_to_strace
	assert_equal "$(ls -A "$STATE")" "consent.json"
	assert_equal "$(intake_requests | wc -l)" 0
}

@test "no backend: nothing recorded, no process, no file" {
	rm "$CONF"
	off_is_silent_to_strace
	assert_not_exist "$HOME/.local"
}

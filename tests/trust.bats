#!/usr/bin/env bats
# trust.bats — the promises of design.md §1, §4 and §6 at their edges: the caller's outcome under
# exec, the user's files, never blocking, alias order in every sequence, clocks, odd intake
# answers, bounded input. One test per promise, named after it.

load helpers

setup() {
	common_setup
	start_intake
	posthog_config
}

# The accepted batch requests, one line each: the events' "name distinct_id" joined by ','.
accepted_requests() {
	jq -r 'select(.path=="/batch/" and .status==200) | [.body.batch[] | "\(.event) \(.distinct_id)"] | join(",")' \
		"$INTAKE_DIR/requests.jsonl"
}

# No request the intake accepted carries an event under principal $1 before the one that
# carried its alias; and that alias was accepted.
assert_alias_first() {
	local principal=$1 line seen_alias=0
	while IFS= read -r line; do
		if [[ $line == "\$create_alias $principal" ]]; then
			seen_alias=1
		elif [[ ",$line," == *" $principal,"* && $seen_alias == 0 ]]; then
			fail "an event under $principal was accepted before its alias: $line"
		fi
	done < <(accepted_requests)
	assert_equal "$seen_alias" 1
}

# Run as an unprivileged user (uid 54321) that owns HOME, for permission and process limits
# that root ignores; the command finds the binary under test as $UR. Skipped, and counted as
# skipped, when this is not root. The user must really reach HOME and the binaries, or the
# test proves nothing (bats' run folder is 0700, a clone under /root is unreachable): the
# folders above HOME get o+x, and the two executables are copied to a folder of the user's.
as_user() {
	[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null || skip "needs root and setpriv to switch users"
	chown -R 54321:54321 "$HOME"
	local d=$HOME
	while [ "$d" != / ]; do
		d=$(dirname "$d")
		[ "$d" = / ] || chmod o+x "$d"
	done
	local bin=$BATS_TEST_TMPDIR/user-bin
	mkdir -p "$bin"
	cp "$BUILDDIR/src/usage-report" "$BUILDDIR/src/usage-report-sender" "$bin/"
	chmod 755 "$bin"
	setpriv --reuid 54321 --regid 54321 --clear-groups -- env HOME="$HOME" UR="$bin/usage-report" bash -c "$1"
}

# --- alias order -------------------------------------------------------------------------

@test "alias order: track, track, login --principal-id: nothing under the principal before its alias" {
	intake_control '{"route":"batch","script":[{"delay":0.3}]}' # the first sender is mid-request
	"$UR" --command one
	"$UR" --command two
	"$UR" login --principal-id user-x
	wait_for '[ "$(delivered_count)" = 4 ] && [ -z "$(senders)" ]'
	assert_alias_first user-x
	assert_equal "$(queued)" ""
}

@test "alias order: events captured before the login, delivered in one flush after it" {
	hold_delivery
	"$UR" --command one
	"$UR" --command two
	"$UR" login --principal-id user-y
	run "$UR" flush
	assert_alias_first user-y
	# the alias was acknowledged: the earlier events of that identity go out under the account
	assert_equal "$(accepted_requests | tail -1)" "CLI execution succeeded user-y,CLI execution succeeded user-y,CLI execution succeeded user-y"
}

@test "alias order: across a backoff and a flush the alias is still first" {
	hold_delivery
	"$UR" --command one
	"$UR" login --principal-id user-z
	"$UR" --command two
	intake_control '{"route":"batch","script":[{"status":503}]}'
	run "$UR" flush # the alias gets 503: nothing else goes
	assert_equal "$(intake_requests | jq -r '[.status, .body.batch[0].event] | join(" ")')" '503 $create_alias'
	run "$UR" flush
	assert_alias_first user-z
	assert_equal "$(delivered_count)" 4
}

@test "alias order: a clock that steps backwards between calls" {
	hold_delivery
	"$UR" --command early
	faketime -f '-2h' "$UR" login --principal-id user-w
	faketime -f '-3h' "$UR" --command later
	run "$UR" flush
	assert_alias_first user-w
	assert_equal "$(delivered_count)" 4
}

@test "alias order: an alias refused for good leaves the events captured before the login anonymous" {
	hold_delivery
	"$UR" --command before
	"$UR" login --principal-id user-v
	intake_control '{"route":"batch","script":[{"status":400}]}'
	run "$UR" flush
	local anon
	anon=$(jq -r '.body.batch[0].properties.alias' <<<"$(intake_requests | head -1)")
	assert_equal "$(accepted_requests)" "CLI execution succeeded $anon,CLI execution succeeded user-v"
}

@test "alias order: a lazy link aliases before the pending events go out under the account" {
	auth_config
	intake_control '{"principals":{"arc_lazy123456":"acct-lazy"}}'
	hold_delivery
	"$UR" --command before
	mkdir -p "$HOME/.arcade"
	printf 'cloud:\n  api:\n    key: arc_lazy123456\n' >"$HOME/.arcade/credentials.yaml"
	"$UR" --command after
	run "$UR" flush
	assert_alias_first acct-lazy
	assert_equal "$(delivered_count)" 3
}

# --- exec never lies about PROGRAM -------------------------------------------------------

@test "exec: PROGRAM's status even when the caller ignores SIGCHLD" {
	run python3 -c '
import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execv(sys.argv[1], [sys.argv[1], "exec", "--", "sh", "-c", "exit 3"])' "$UR"
	assert_equal "$status" 3
	run python3 -c '
import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execv(sys.argv[1], [sys.argv[1], "exec", "--", "sh", "-c", "kill -TERM $$"])' "$UR"
	assert_equal "$status" $((128 + 15))
	wait_for '[ "$(delivered_count)" = 2 ]'
	assert_equal "$(jq -r 'select(.status==200) | .body.batch[].properties.exit_code' "$INTAKE_DIR/requests.jsonl" | sort | tr '\n' ' ')" "143 3 "
}

@test "exec: 125 when usage-report runs out of memory before PROGRAM starts, never 0" {
	cat >"$BATS_TEST_TMPDIR/nomem.c" <<'EOF'
#include <stddef.h>
void *malloc(size_t n) { (void)n; return NULL; }
void *calloc(size_t n, size_t m) { (void)n; (void)m; return NULL; }
void *realloc(void *p, size_t n) { (void)p; (void)n; return NULL; }
EOF
	[[ "${USAGE_REPORT_SANITIZED:-}" != yes ]] || skip "a sanitizer runtime owns malloc in this build"
	cc -shared -fPIC -o "$BATS_TEST_TMPDIR/nomem.so" "$BATS_TEST_TMPDIR/nomem.c"
	run --separate-stderr env LD_PRELOAD="$BATS_TEST_TMPDIR/nomem.so" "$UR" exec -- touch "$BATS_TEST_TMPDIR/ran"
	assert_equal "$status" 125
	assert_equal "$stderr" "usage-report: out of memory"
	assert_not_exist "$BATS_TEST_TMPDIR/ran"
	# the same failure under track is a runtime failure: exit 0, silent
	run --separate-stderr env LD_PRELOAD="$BATS_TEST_TMPDIR/nomem.so" "$UR" --command x
	assert_equal "$status $stderr" "0 "
}

@test "exec: 125 when no process can be started, never 0" {
	# (LeakSanitizer needs a thread of its own at exit, which the limit refuses)
	as_user "ulimit -u 1; ASAN_OPTIONS=detect_leaks=0 exec \"\$UR\" exec -- touch '$BATS_TEST_TMPDIR/ran'" || status=$?
	assert_equal "${status:-0}" 125
	assert_not_exist "$BATS_TEST_TMPDIR/ran"
}

@test "exec: PROGRAM runs even when the event's facts are invalid" {
	local odd="$BATS_TEST_TMPDIR/bin/"$'\xff\xfe'
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	printf '#!/bin/sh\necho ran "$@"\nexit 4\n' >"$odd"
	chmod +x "$odd"
	run --separate-stderr "$UR" exec -- "$odd" a
	assert_equal "$status $output $stderr" "4 ran a "
	local long="$BATS_TEST_TMPDIR/bin/$(printf 'p%.0s' $(seq 230))"
	cp "$odd" "$long"
	run --separate-stderr "$UR" exec -- "$long" b
	assert_equal "$status $output" "4 ran b"
	run --separate-stderr "$UR" exec -- ""
	assert_equal "$status" 127
	# malformed event variables left in the environment: PROGRAM runs, the event keeps what is valid
	run --separate-stderr env USAGE_REPORT_DURATION=abc USAGE_REPORT_EXIT_CODE=x USAGE_REPORT_COMMAND=$'bad\x01' \
		USAGE_REPORT_CLI_VERSION=1.2.3 "$UR" exec -- sh -c 'exit 5'
	assert_equal "$status $stderr" "5 "
	wait_for '[ "$(delivered_count)" = 1 ]'
	assert_equal "$(jq -c 'select(.status==200) | .body.batch[].properties | [.command_name, .exit_code, .cli_version, (.duration_ms|type)]' "$INTAKE_DIR/requests.jsonl")" \
		'["sh",5,"1.2.3","number"]'
}

@test "exec: SIGTERM and SIGHUP reach PROGRAM, which is waited for and recorded" {
	local sig code
	for sig in TERM HUP; do
		code=$([ $sig = TERM ] && echo 7 || echo 9)
		rm -f "$BATS_TEST_TMPDIR/pid" "$BATS_TEST_TMPDIR/got"
		# the trap first, then the pid: a signal sent once the pid is there finds the trap set;
		# both signals at their default for us, whatever the suite inherited (under nohup,
		# SIGHUP arrives ignored, and rightly stays ignored for PROGRAM)
		env --default-signal=TERM,HUP "$UR" exec --command "wrapped-$sig" -- sh -c "trap 'echo $sig >\"$BATS_TEST_TMPDIR/got\"; exit $code' $sig; echo \$\$ >'$BATS_TEST_TMPDIR/pid'; i=0; while [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done; exit 99" &
		local ur=$!
		wait_for "[ -s '$BATS_TEST_TMPDIR/pid' ]"
		kill -$sig $ur
		local rc=0
		wait $ur || rc=$?
		assert_equal "$rc $(cat "$BATS_TEST_TMPDIR/got")" "$code $sig"
		run kill -0 "$(cat "$BATS_TEST_TMPDIR/pid")"
		assert_failure # not left running as an orphan
	done
	# a PROGRAM that does not catch it dies of it, and so does usage-report
	env --default-signal=TERM,HUP "$UR" exec --command plain -- sh -c "echo \$\$ >'$BATS_TEST_TMPDIR/pid2'; i=0; while [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done; exit 99" &
	local ur=$!
	wait_for "[ -s '$BATS_TEST_TMPDIR/pid2' ]"
	kill -TERM $ur
	local rc=0
	wait $ur || rc=$?
	assert_equal "$rc" 143
	wait_for '[ "$(delivered_count)" = 3 ]'
	assert_equal "$(jq -r 'select(.status==200) | .body.batch[].properties | "\(.command_name)=\(.exit_code)"' "$INTAKE_DIR/requests.jsonl" | sort | tr '\n' ' ')" \
		"plain=143 wrapped-HUP=9 wrapped-TERM=7 "
}

@test "exec: PROGRAM gets USAGE_REPORT_PARENT, not the event variables; its own events carry parent_uuid" {
	run env USAGE_REPORT_COMMAND=outer USAGE_REPORT_ERROR=e USAGE_REPORT_CLI_VERSION=1 \
		"$UR" exec -- sh -c "env | grep -E '^USAGE_REPORT_(PARENT|COMMAND|DURATION|EXIT_CODE|ERROR|ERROR_TYPE|EVENT|CLI_VERSION)='; env -u USAGE_REPORT_COMMAND '$UR' --command inner; '$UR' --app other --command elsewhere"
	assert_success
	[[ "${lines[0]}" =~ ^USAGE_REPORT_PARENT=usage-report:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	assert_equal "${#lines[@]}" 1
	wait_for '[ "$(delivered_count)" = 2 ]'
	local outer inner
	outer=$(jq -r 'select(.status==200) | .body.batch[] | select(.properties.command_name=="outer") | .uuid' "$INTAKE_DIR/requests.jsonl")
	inner=$(jq -r 'select(.status==200) | .body.batch[] | select(.properties.command_name=="inner") | .properties.parent_uuid' "$INTAKE_DIR/requests.jsonl")
	assert_equal "${lines[0]}" "USAGE_REPORT_PARENT=usage-report:$outer"
	assert_equal "$inner" "$outer"
	# parent_uuid is the tool's own: a host cannot set it
	run "$UR" --command x --property parent_uuid=y
	assert_equal "$status" 2
}

@test "exec: a closed stdout or stderr stays closed for PROGRAM" {
	local alone under
	alone=$(bash -c 'sh -c "echo hi" 1>&-; echo $?')
	under=$(bash -c '"$1" exec -- sh -c "echo hi" 1>&-; echo $?' _ "$UR")
	assert_equal "$under" "$alone"
	assert_equal "$alone" 1 # echo to a closed stdout fails
	# and stderr: PROGRAM sees it closed (fd 2 not open)
	under=$(bash -c '"$1" exec -- sh -c "[ -e /proc/self/fd/2 ] && echo open || echo closed" 2>&-' _ "$UR")
	assert_equal "$under" closed
}

@test "exec: signals the caller ignores stay ignored for PROGRAM (nohup, trap '')" {
	local sig num
	for sig in INT TERM QUIT HUP; do
		num=$(kill -l "$sig")
		# alone: PROGRAM survives the signal it inherits as ignored
		run bash -c "trap '' $sig; sh -c 'kill -$sig \$\$; exit 3'"
		assert_equal "$status" 3
		run bash -c "trap '' $sig; \"\$1\" exec -- sh -c 'kill -$sig \$\$; exit 3'" _ "$UR"
		assert_equal "$status" 3
	done
	# SIGPIPE ignored: yes | head -1 ends yes with a write error (1), not the signal (141)
	run bash -c 'trap "" PIPE; yes 2>/dev/null | head -1 >/dev/null; echo "rc=${PIPESTATUS[0]}"'
	assert_equal "$output" rc=1
	run bash -c 'trap "" PIPE; "$1" exec -- yes 2>/dev/null | head -1 >/dev/null; echo "rc=${PIPESTATUS[0]}"' _ "$UR"
	assert_equal "$output" rc=1
	# not ignored: the default, as before
	run bash -c '"$1" exec -- yes | head -1 >/dev/null; echo "rc=${PIPESTATUS[0]}"' _ "$UR"
	assert_equal "$output" rc=141
	run nohup "$UR" exec -- sh -c 'kill -HUP $$; exit 5'
	assert_equal "$status" 5
}

@test "exec: a script without #! runs under /bin/sh, as execvp runs it" {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	printf 'echo plain script "$@"\nexit 6\n' >"$BATS_TEST_TMPDIR/bin/plain"
	chmod +x "$BATS_TEST_TMPDIR/bin/plain"
	run env PATH="$BATS_TEST_TMPDIR/bin:$PATH" "$UR" exec -- plain a b
	assert_equal "$status $output" "6 plain script a b"
	run "$UR" exec -- "$BATS_TEST_TMPDIR/bin/plain" c
	assert_equal "$status $output" "6 plain script c"
	# env runs it the same way
	run env "$BATS_TEST_TMPDIR/bin/plain" c
	assert_equal "$status $output" "6 plain script c"
	wait_for '[ "$(delivered_count)" = 2 ]'
	assert_equal "$(jq -r 'select(.status==200) | .body.batch[].properties | "\(.command_name)=\(.exit_code)"' "$INTAKE_DIR/requests.jsonl" | sort -u)" "plain=6"
}

@test "exec: a malformed USAGE_REPORT_APP, --app or event option never keeps PROGRAM from running" {
	run --separate-stderr env USAGE_REPORT_APP='My App' "$UR" exec -- sh -c 'echo ran; exit 4'
	assert_equal "$status $output $stderr" "4 ran "
	run --separate-stderr "$UR" --app 'My App' exec -- sh -c 'echo ran; exit 4'
	assert_equal "$status $output $stderr" "4 ran "
	run --separate-stderr "$UR" exec --cli-version "$(printf '1.2.3\r')" --duration abc -- sh -c 'echo ran; exit 4'
	assert_equal "$status $output $stderr" "4 ran "
	# the event keeps what is valid; with no valid app there is no event
	wait_for '[ "$(delivered_count)" = 1 ]'
	assert_equal "$(jq -c 'select(.status==200) | .body.batch[].properties | [.command_name, .exit_code, .cli_version]' "$INTAKE_DIR/requests.jsonl")" \
		'["sh",4,null]'
	# a malformed exec itself is still a usage error
	run --separate-stderr "$UR" exec
	assert_equal "$status" 2
	# and outside exec, a malformed value is still refused
	run --separate-stderr env USAGE_REPORT_APP='My App' "$UR" --command x
	assert_equal "$status" 2
}

@test "exec: PROGRAM killed by a signal makes usage-report die of the same signal, not exit 128+N" {
	# the wait status, not a shell's $? (which says 143 for both)
	run python3 -c 'import subprocess, sys
r = subprocess.run([sys.argv[1], "exec", "--", "sh", "-c", "kill -TERM $$"])
print(r.returncode)' "$UR"
	assert_output -15
	run python3 -c 'import subprocess, sys
r = subprocess.run([sys.argv[1], "exec", "--", "sh", "-c", "exit 143"])
print(r.returncode)' "$UR"
	assert_output 143
}

@test "two foreground senders at once (flush and --wait) never deliver an event twice" {
	hold_delivery
	local i
	for i in $(seq 6); do "$UR" --command "q$i"; done
	intake_control '{"route":"batch","script":[{"status":200,"delay":1.0}]}'
	"$UR" flush &
	local first=$!
	sleep 0.2
	"$UR" --command late --wait
	"$UR" flush
	wait "$first"
	assert_equal "$(queued)" ""
	assert_equal "$(accepted_events | jq -r '.uuid' | sort | uniq -d)" ""
	assert_equal "$(delivered_count)" 7
}

@test "a 408 from the intake keeps the events and backs off, like a 5xx" {
	intake_control '{"route":"batch","script":[{"status":408}]}'
	run "$UR" --command timed-out --wait
	assert_equal "$(queued | wc -l)" 1
	assert_equal "$(jq -r 'select(.status==408) | .result' "$STATE/sent.log")" retry
	[ -f "$STATE/delivery.json" ]
	run "$UR" flush
	assert_equal "$(queued)" ""
	assert_equal "$(delivered_count)" 1
}

# --- nothing of the user's is moved, replaced or lost --------------------------------------

@test "run as root with another user's HOME (sudo -E), it creates nothing that user would not own" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	chown -R 54321:54321 "$HOME"
	run env HOME="$HOME" "$UR" --command as-root
	assert_success
	assert_not_exist "$HOME/.local" # no root-owned ~/.local for the user to trip over
	run env HOME="$HOME" "$UR" login --principal-id p
	assert_not_exist "$HOME/.local"
	# the user's own mkdir and later runs are unharmed
	as_user 'mkdir -p ~/.local/bin && "$UR" --command as-user --wait'
	assert_equal "$(delivered_count)" 1
	assert_equal "$(stat -c %u "$HOME/.local/state")" 54321
}

@test "run as root with another user's HOME whose state exists (sudo -E), it writes nothing there" {
	as_user '"$UR" --command mine --wait && "$UR" login --principal-id u && "$UR" flush'
	wait_for '[ -z "$(senders)" ]'
	local before
	before=$(cd "$HOME" && find . -printf '%u %m %s %p\n' | sort && cat "$STATE/usage.json")
	run env HOME="$HOME" "$UR" --command as-root
	assert_success
	run env HOME="$HOME" "$UR" logout
	assert_success
	run env HOME="$HOME" "$UR" login --principal-id root-account
	assert_success
	wait_for '[ -z "$(senders)" ]'
	# every file as it was: the same owner, mode, size, and the identity unchanged
	assert_equal "$(cd "$HOME" && find . -printf '%u %m %s %p\n' | sort && cat "$STATE/usage.json")" "$before"
	# and the user's next run goes out under the user's own account
	as_user '"$UR" --command mine-again --wait'
	assert_equal "$(accepted_events | jq -r 'select(.properties.command_name == "mine-again") | .distinct_id')" u
	assert_equal "$(accepted_events | jq -r '.properties.command_name // .event' | tr '\n' ' ')" 'mine $create_alias login mine-again '
}

@test "project_file: a folder above that cannot be searched turns reporting off, since nobody can tell" {
	printf '[posthog]\nhost = %s\napi_key = phc_k\n[consent]\nnotice = off\nproject_file = .no-telemetry\n' "$URL" | write_config
	mkdir -p "$HOME/a/b"
	run as_user 'cd "$HOME/a/b" && chmod 0 "$HOME/a" && "$UR" status --json; "$UR" --command x --wait; chmod 755 "$HOME/a"'
	assert_equal "$(jq -c '[.enabled, (.source | startswith("project:"))]' <<<"$output")" '[false,true]'
	assert_equal "$(delivered_count)" 0
	# searchable again: on, as before
	run as_user 'cd "$HOME/a/b" && "$UR" status --json'
	assert_equal "$(jq -c '[.enabled, .source]' <<<"$output")" '[true,"default"]'
}

@test "an identity file that cannot be read is never treated as corrupt" {
	mkdir -p "$STATE"
	echo '{"anon_id":"keep-me"}' >"$STATE/usage.json"
	chmod 000 "$STATE/usage.json"
	as_user "\"\$UR\" --command x; echo rc=\$?" >"$BATS_TEST_TMPDIR/out" 2>&1
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" "rc=0"
	assert_equal "$(cat "$STATE/usage.json")" '{"anon_id":"keep-me"}'
	assert_not_exist "$STATE/usage.json.corrupt"
	assert_equal "$(queued)" ""
	# the same user, the same files, once it can read the identity: a run is recorded, so the
	# run above did reach the config and the state folder
	chmod 600 "$STATE/usage.json"
	echo '{"anon_id":"6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b","linked_principal_id":null}' >"$STATE/usage.json"
	as_user "\"\$UR\" --command x --wait"
	assert_equal "$(delivered_count)" 1
}

@test "an identity_file that is a folder, FIFO, device or another program's file is left as it is" {
	mkdir -p "$HOME/.arcade" "$STATE"
	printf 'cloud:\n  api:\n    key: arc_x\n' >"$HOME/.arcade/credentials.yaml"
	mkfifo "$HOME/fifo"
	ln -s "$HOME/fifo" "$HOME/link-to-fifo"
	local target kinds=("$HOME/.arcade" "$HOME/.arcade/credentials.yaml" "$HOME/fifo" "$HOME/link-to-fifo")
	if [ "$(id -u)" = 0 ]; then
		mknod "$HOME/null" c 1 3
		kinds+=("$HOME/null")
	fi
	for target in "${kinds[@]}"; do
		write_config <<EOF
identity_file = $target
[posthog]
host = $URL
api_key = phc_testkey
[consent]
notice = off
EOF
		local before
		before=$(ls -la --time-style=+ "$HOME" "$HOME/.arcade" | md5sum)
		run timeout 5 "$UR" --command x
		assert_equal "$status" 0
		run timeout 5 "$UR" login --principal-id p
		run timeout 5 "$UR" logout
		assert_equal "$status" 0
		assert_equal "$(ls -la --time-style=+ "$HOME" "$HOME/.arcade" | md5sum)" "$before"
		assert_equal "$(queued)" ""
	done
	assert_equal "$(cat "$HOME/.arcade/credentials.yaml")" $'cloud:\n  api:\n    key: arc_x'
	# one that looks like ours (an Arcade usage.json) is used, and a corrupt copy of ours replaced
	echo '{"anon_id":"11111111-2222-4333-8444-555555555555","linked_principal_id":null}' >"$HOME/.arcade/usage.json"
	sed -i "s|^identity_file = .*|identity_file = $HOME/.arcade/usage.json|" "$CONF"
	run "$UR" --command x
	wait_for '[ "$(delivered_count)" = 1 ]'
	assert_equal "$(jq -r 'select(.status==200) | .body.batch[0].distinct_id' "$INTAKE_DIR/requests.jsonl")" 11111111-2222-4333-8444-555555555555
}

@test "the file backend never leaves a torn line when the disk fills: the partial write is rolled back" {
	write_config <<EOF
backend = file
[file]
path = $HOME/events.jsonl
[consent]
notice = off
EOF
	# 900 bytes of lines already there; the next event does not fit under a 1 KiB file-size limit
	python3 -c 'import json; print(json.dumps({"event": "earlier", "pad": "x" * 860}))' >"$HOME/events.jsonl"
	local before
	before=$(md5sum <"$HOME/events.jsonl")
	run bash -c "ulimit -f 1; '$UR' --wait --command x --error 'a long error message to make the line longer than what remains'; echo rc=\$?"
	assert_output "rc=0"
	assert_equal "$(md5sum <"$HOME/events.jsonl")" "$before"
	assert_equal "$(queued | wc -l)" 1 # kept for later
	assert_equal "$(jq -r 'select(.result=="retry") | .error' "$STATE/sent.log")" "cannot write '$HOME/events.jsonl': File too large"
	run "$UR" flush
	assert_equal "$(wc -l <"$HOME/events.jsonl")" 2
	jq -e . "$HOME/events.jsonl" >/dev/null # every line whole
	assert_equal "$(tail -1 "$HOME/events.jsonl" | jq -r .properties.command_name)" x
}

@test "a 3xx from the intake keeps the events, backs off and names the Location" {
	intake_control '{"route":"batch","script":[{"status":301,"location":"https://eu.i.posthog.com/batch/"}]}'
	run "$UR" --command x --wait
	assert_equal "$(queued | wc -l)" 1
	assert_equal "$(jq -c 'select(.result=="retry") | [.status, .error]' "$STATE/sent.log")" \
		'[301,"redirected to https://eu.i.posthog.com/batch/: fix the intake URL"]'
	run "$UR" status --json
	assert_not_equal "$(jq -r .backoff_until <<<"$output")" null
	run "$UR" flush
	assert_equal "$(delivered_count)" 1
	assert_equal "$(queued)" ""
}

@test "a 400 caused by one bad record does not take the valid records of its batch with it" {
	hold_delivery
	local i
	for i in 1 2 3 4; do "$UR" --command "c$i"; done
	# a record from a broken writer: its event has no name, which the intake refuses
	local third=$STATE/queue/$(queued | sed -n 3p)
	jq -c '.event.event = ""' "$third" >"$third.new" && mv "$third.new" "$third"
	run "$UR" flush
	assert_equal "$(intake_requests | jq -r 'select(.status==200) | .body.batch[].properties.command_name' | tr '\n' ' ')" "c1 c2 c4 "
	assert_equal "$(jq -c 'select(.result=="dropped") | [.status, .events]' "$STATE/sent.log")" '[400,1]'
	assert_equal "$(queued)" ""
}

# --- never block, never linger -----------------------------------------------------------

@test "a FIFO anywhere in the state folder or at the identity path hangs no subcommand" {
	local name
	for name in usage.json usage.json.lock consent.json delivery.json sender.lock sent.log queue login.json login.json.lock \
		reset.json history.jsonl credentials; do
		rm -rf "$STATE"
		mkdir -p "$STATE"
		mkfifo "$STATE/$name"
		for args in "--command x" "--command x --wait" "login --principal-id p" "logout" "status" "status --json" \
			"flush" "enable" "disable" "--command x --dry-run"; do
			run timeout 8 "$UR" $args
			[ "$status" != 124 ] || fail "'usage-report $args' hung on a FIFO at $name"
		done
		wait_for '[ -z "$(senders)" ]' 12
		# (delivery.json and consent.json are rewritten, reset.json removed once a logout is
		# applied, history.jsonl and credentials removed by disable)
		case $name in delivery.json | consent.json | reset.json | history.jsonl | credentials) ;;
		*) [ -p "$STATE/$name" ] || fail "the FIFO $name was replaced" ;;
		esac
	done
}

@test "an environment that names an allowed variable many times starts the sender all the same" {
	# execve keeps duplicates; the sender's environment is bounded by its allowlist, not by them
	cat >"$BATS_TEST_TMPDIR/dups.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	static char *env[220];
	int n = 0;
	env[n++] = getenv("HOME") - 5; /* "HOME=..." as the test set it */
	env[n++] = getenv("XDG_CONFIG_HOME") - 16;
	env[n++] = getenv("XDG_STATE_HOME") - 15;
	for (int i = 0; i < 200; i++)
		env[n++] = i % 2 ? "NO_PROXY=127.0.0.1" : "no_proxy=127.0.0.1";
	env[n] = NULL;
	execve(argv[1], argv + 1, env);
	perror("execve");
	return 127;
}
C
	cc -o "$BATS_TEST_TMPDIR/dups" "$BATS_TEST_TMPDIR/dups.c"
	run "$BATS_TEST_TMPDIR/dups" "$UR" --command dup-env
	assert_success
	wait_for '[ "$(delivered_count)" = 1 ]'
}

@test "no intermediate process is left for a subreaper to reap" {
	run python3 - "$UR" <<'PY'
import ctypes, os, subprocess, sys, time
libc = ctypes.CDLL(None, use_errno=True)
assert libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
for i in range(5):
    subprocess.run([sys.argv[1], "--command", "c%d" % i], check=True)

def children():
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                stat = open("/proc/%s/stat" % pid).read()
            except OSError:
                continue
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[1]) == os.getpid():
                out.append((comm, fields[0]))
    return out

deadline = time.time() + 12
while any(c == "usage-report-se" and s != "Z" for c, s in children()) and time.time() < deadline:
    time.sleep(0.02)
left = sorted(c for c, s in children() if c != "usage-report-se")
print("left: %s" % ",".join(left))
PY
	assert_output "left: "
	wait_for '[ "$(delivered_count)" = 5 ]'
}

@test "the 10 s deadline holds when the sender blocks on a held lock" {
	hold_delivery
	"$UR" --command x
	hold_lock "$STATE/sender.lock"
	local start end
	start=$(date +%s%N)
	run "$UR" flush
	end=$(date +%s%N)
	release_lock
	assert_success
	(((end - start) / 1000000 < 10500))
	assert_equal "$(queued | wc -l)" 1
}

@test "the foreground never waits on a lock another process holds: a first run, a login, a logout" {
	# a stopped process holds the identity's lock from before the first run
	hold_delivery
	hold_lock "$STATE/usage.json.lock"
	run timeout 1.5 "$UR" --command first-run # made without the lock, by link
	assert_success
	assert_equal "$(queued | wc -l)" 1
	run timeout 1.5 "$UR" login --principal-id p-locked # queued for the sender to link
	assert_success
	run timeout 1.5 "$UR" --command while-locked
	assert_success
	assert_equal "$(queued | wc -l)" 3
	release_lock
	run "$UR" flush
	assert_equal "$(jq -r .linked_principal_id "$STATE/usage.json")" p-locked
	# the alias before anything under the account; the login and what followed it under it
	assert_alias_first p-locked
	assert_equal "$(accepted_events | jq -r 'select(.distinct_id=="p-locked") | .properties.command_name // empty' | tr '\n' ' ')" \
		"login while-locked "
}

@test "the budget is checked before every request: a split batch's second half past the deadline stays queued" {
	hold_delivery
	"$UR" --command first
	"$UR" --command second
	# the batch of two: 413 after 4.5 s; its first half alone: 413 after 4.3 s (dropped as the
	# record at fault). Less than a request's minimum is left of the 9.5 s then: the second
	# half must not go (libcurl would read the timeout left, 0 or less, as "never").
	intake_control '{"route":"batch","script":[{"status":413,"delay":4.5},{"status":413,"delay":4.3}]}'
	run "$UR" flush --debug
	assert_line --regexp '^usage-report: debug: deadline: [12] event\(s\) stay queued'
	assert_equal "$(intake_requests | jq -c 'select(.status != -1)' | wc -l)" 2 # (-1: a delayed request's start)
	[ "$(queued | wc -l)" -ge 1 ]
	assert_equal "$(delivered_count)" 0
}

# --- clocks ------------------------------------------------------------------------------

@test "a backoff further ahead than the longest backoff is ignored" {
	mkdir -p "$STATE"
	echo '{"failures":3,"retry_after":9999999}' >"$STATE/delivery.json"
	touch -d '+6 days' "$STATE/delivery.json" # a clock that ran 6 days ahead wrote it
	run "$UR" --command six-days
	wait_for '[ "$(delivered_count)" = 1 ]'
	wait_for '[ -z "$(senders)" ]' # a sender still idling would take the next event, and write delivery.json
	# more than an hour ahead is only honoured when a Retry-After asked for it
	echo '{"failures":1}' >"$STATE/delivery.json"
	touch -d '+2 hours' "$STATE/delivery.json"
	run "$UR" --command two-hours
	wait_for '[ "$(delivered_count)" = 2 ]'
	wait_for '[ -z "$(senders)" ]'
	echo '{"failures":1,"retry_after":10800}' >"$STATE/delivery.json"
	touch -d '+2 hours' "$STATE/delivery.json"
	run "$UR" --command asked-for
	wait_for '[ -z "$(senders)" ]'
	assert_equal "$(delivered_count)" 2
	assert_equal "$(queued | wc -l)" 1
}

@test "timestamps are valid RFC 3339 for any clock, and the queue order does not wrap" {
	local sixties=(env FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f '@1960-01-01 00:00:00')
	run "${sixties[@]}" "$UR" --command x --dry-run
	[[ "$output" == *'"timestamp": "1970-01-01T00:00:00.000Z"'* ]]
	[[ "$output" == *'"sent_at": "1970-01-01T00:00:00.000Z"'* ]]
	# 1970-01-01T00:00:00.000Z is a time like any other: the event has its session
	[[ "$output" =~ \"\$session_id\":\ \"[0-9a-f-]{36}\" ]]
	# captured by a clock before 1970: it counts as 1970, so it is the oldest in the queue and
	# ages out first (a wrapped order would have kept it last, forever)
	hold_delivery
	"${sixties[@]}" "$UR" --command sixties
	"$UR" --command now
	run "$UR" flush
	assert_equal "$(intake_requests | jq -r '.body.batch[].properties.command_name')" now
	assert_equal "$(jq -r 'select(.result=="dropped") | .error' "$STATE/sent.log")" "queue bounds (1000 events, 5 MiB, 7 days)"
	assert_equal "$(queued)" ""
	# a name whose order is past what 64 bits hold is not "too old": it goes, last
	hold_delivery
	"$UR" --command template
	local t
	t=$(queued)
	sed 's/"command_name":"template"/"command_name":"far-future"/' "$STATE/queue/$t" >"$STATE/queue/99999999999999999999-${t#*-}"
	rm "$STATE/queue/$t"
	run "$UR" flush
	assert_equal "$(intake_requests | jq -r '.body.batch[].properties.command_name' | tail -1)" far-future
}

@test "state files with numbers at the ends of their types: no overflow, delivery goes on" {
	write_config <<EOF
[posthog]
host = $URL
api_key = phc_testkey
[events]
max_per_minute = 5
[consent]
notice = off
EOF
	mkdir -p "$STATE"
	# a minute's count larger than any (a sparse file of 1 TiB), a session from INT64_MIN, a
	# backoff after INT64_MAX failures
	mkdir -p "$STATE/rate.d"
	truncate -s 1099511627776 "$STATE/rate.d/$(($(date +%s) / 60 - 1))"
	echo '{"failures":9223372036854775807,"retry_after":9223372036854775807,"session":{"id":"01a23af2-8100-710c-9e6f-e72f18daf03b","start_ms":-9223372036854775808,"last_ms":-9223372036854775808}}' >"$STATE/delivery.json"
	run "$UR" --command edge --wait
	assert_success
	wait_for '[ "$(delivered_count)" = 1 ]'
	assert_equal "$(intake_requests | jq -r '.body.batch[0].properties | [.command_name, (.["$session_id"] | length)] | join(" ")')" "edge 36"
	assert_equal "$(intake_requests | jq -r '.body.batch[0].properties.rate_limited')" 1099511627771
	# the intake refuses once: a backoff is set from that count, not a wrapped one
	intake_control '{"route":"batch","script":[{"status":503}]}'
	echo '{"failures":9223372036854775807}' >"$STATE/delivery.json"
	run "$UR" --command edge2 --wait
	local until
	until=$(last_delivery_backoff)
	[[ $until =~ ^[0-9]{4}- ]]
	# a queued record stamped after 2262 does not overflow the account switch check
	hold_delivery
	"$UR" --command late
	local q
	q=$(queued | tail -1)
	jq -c '.event.timestamp = "9999-12-31T23:59:59.999Z"' "$STATE/queue/$q" >"$STATE/queue/$q.tmp" && mv "$STATE/queue/$q.tmp" "$STATE/queue/$q"
	run "$UR" flush
	assert_success
}

@test "datadog: an event older than the intake's 18 hours goes without date and with captured_at" {
	write_config <<EOF
backend = datadog
[datadog]
client_token = pub0123456789abcdef0123456789abcdef
url = http://127.0.0.1:9/api/v2/logs
[consent]
notice = off
EOF
	faketime -f '-19h' "$UR" --command old --wait # no intake yet: kept
	sed -i "s|^url = .*|url = $URL/api/v2/logs|" "$CONF"
	"$UR" --command new
	run "$UR" flush
	local req
	req=$(intake_requests /api/v2/logs | jq -c 'select(.status==202)')
	assert_equal "$(jq -r .answer <<<"$req")" "{}" # nothing discarded
	assert_equal "$(jq -c '[.body[] | [.command, has("date"), has("captured_at")]]' <<<"$req")" \
		'[["old",false,true],["new",true,false]]'
	local captured
	captured=$(jq -r '.body[0].captured_at' <<<"$req")
	(($(date +%s%3N) - captured > 18 * 3600 * 1000))
	assert_equal "$(jq -r 'select(.result=="delivered") | .events' "$STATE/sent.log")" 2
}

# --- small things ------------------------------------------------------------------------

@test "datadog.site = . is a config problem" {
	local site
	for site in . .com datadoghq. a..com -a.com datadoghq.c0m; do
		printf 'backend = datadog\n[datadog]\nsite = %s\nclient_token = pub1\n' "$site" >"$CONF"
		run "$UR" status --json
		assert_equal "$(jq -r '.config_issues[0]' <<<"$output")" "datadog.site: '$site' is not a Datadog site"
		assert_equal "$(jq -r .endpoint <<<"$output")" "https://browser-intake-datadoghq.com/api/v2/logs"
	done
}

@test "--help, --version and status to a full device exit non-zero" {
	local args
	for args in --help --version status "status --json" "--command x --dry-run"; do
		run --separate-stderr bash -c "'$UR' $args >/dev/full"
		assert_equal "$status" 1
		assert_equal "$stderr" "usage-report: cannot write the output: No space left on device"
	done
}

@test "--debug masking never shows a key whole, nor most of a short one" {
	API_KEY=phc_short posthog_config
	run --separate-stderr "$UR" --command x --debug
	[[ "$stderr" != *phc_short* && "$stderr" != *phc_* ]]
	[[ "$stderr" == *'"api_key": "…"'* ]]
	API_KEY=phc_a_much_longer_project_key posthog_config
	run --separate-stderr "$UR" --command x --debug
	[[ "$stderr" != *much_longer* ]]
	[[ "$stderr" == *'"api_key": "phc_…"'* ]]
}

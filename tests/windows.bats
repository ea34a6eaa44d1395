#!/usr/bin/env bats
# windows.bats — the Windows executables (make dist-windows, design.md §9.1) under wine:
# delivery through the detached sender, the profile's folders, identity under concurrent first
# runs, the notice, consent, exec's exit codes and argument quoting, a profile whose name is
# not ASCII, and a file held by another process. Run by `make check-windows` and .ci/run.
#
# One wine prefix for the suite (cached in the build folder: wine-cache/prefix); each test
# runs as a user of its own (USER=wtN: its wine server gives it the profile C:\users\wtN),
# so no test sees another's files. What wine cannot prove is in the README ("Platforms").

load helpers

WIN=$BUILDDIR/dist/windows
CACHE=$BUILDDIR/wine-cache

setup_file() {
	[ -x "$WIN/usage-report.exe" ] || fail "no Windows executables: run make dist-windows"
	command -v wine >/dev/null || fail "wine is missing (apt-get install wine wine64)"
	wine_prefix
	mkdir -p "$CACHE/bin"
	local p
	for p in argv hold; do
		[ "$CACHE/bin/$p.exe" -nt "$SRCDIR/tests/windows/$p.c" ] ||
			x86_64-w64-mingw32-gcc -municode -O2 -o "$CACHE/bin/$p.exe" "$SRCDIR/tests/windows/$p.c"
	done
}

# A wine server per test, started for the test's user (the server fixes the profile), and
# wine's own services started at once on /dev/null: started by a test's first run, they
# would keep that run's output pipe open, and bats would wait for them.
start_wine() {
	stop_wine
	wineserver -p >/dev/null 2>&1 3>&- || true
	timeout 60 wine cmd /c exit 0 </dev/null >/dev/null 2>&1 3>&-
}

stop_wine() {
	wineserver -k 2>/dev/null || true
	timeout 30 wineserver -w 2>/dev/null || true
}

setup() {
	common_setup
	export LC_ALL=C.UTF-8 # wine turns Linux arguments and names into Windows' by the locale
	export USER=wt$BATS_TEST_NUMBER
	PROFILE=$WINEPREFIX/drive_c/users/$USER
	rm -rf "$PROFILE"
	start_wine
	WCONF=$PROFILE/AppData/Roaming/usage-report
	WSTATE=$PROFILE/AppData/Local/usage-report/app
	start_intake
	mkdir -p "$WCONF"
	printf '[posthog]\nhost = %s\napi_key = phc_testkey\n' "$URL" >"$WCONF/app.conf"
}

senders_running() {
	pgrep -f 'usage-report-sender\.exe' >/dev/null
}

teardown() {
	local left=0
	wait_for '! senders_running' 15 || left=1
	kill "$INTAKE_PID" 2>/dev/null || true
	wait "$INTAKE_PID" 2>/dev/null || true
	stop_wine
	[ "$left" = 0 ] || fail "a sender was left running"
}

# ur ARGS: the Windows usage-report for the app "app".
# (bats waits for its descriptor 3 to close: neither wine nor what it starts may keep it;
# a hung wine fails the test.)
ur() {
	timeout 60 wine "$WIN/usage-report.exe" --app app "$@" 3>&-
}

@test "usage-report.exe answers --version, and --debug names the Windows facilities it uses" {
	run ur --version
	assert_success
	assert_output "usage-report $(sed -n 's/^AC_INIT(\[usage-report\], \[\([^]]*\)\].*/\1/p' "$SRCDIR/configure.ac")"
	run ur --debug --version
	assert_line --partial 'random=BCryptGenRandom'
	assert_line --partial 'spawn=CreateProcessW'
	assert_line --partial 'lock=LockFileEx'
}

@test "a tracked command reaches the intake through the detached sender; config and state in the profile's folders" {
	run --separate-stderr ur --command 'deploy' --exit-code 0 --duration 12 track
	assert_success
	assert_output ""
	[[ $stderr == *"app collects usage data"* ]] # the notice, on stderr (a pipe)
	wait_for '[ "$(accepted_events | wc -l)" = 1 ]'
	run accepted_events
	assert_equal "$(jq -r .properties.command_name <<<"$output")" deploy
	assert_equal "$(jq -r .properties.os_type <<<"$output")" Windows
	assert_equal "$(jq -r '.properties["$os"]' <<<"$output")" Windows
	assert_equal "$(jq -r .properties.arch <<<"$output")" x86_64
	assert_equal "$(jq -r .properties.duration_ms <<<"$output")" 12
	# the state folder is %LOCALAPPDATA%\usage-report\app, its id the event's
	assert_file_exists "$WSTATE/usage.json"
	assert_equal "$(jq -r .distinct_id <<<"$output")" "$(jq -r .anon_id "$WSTATE/usage.json")"
	wait_for '[ -z "$(ls "$WSTATE/queue")" ]'
	run ur status
	assert_line --partial "C:/users/$USER/AppData/Roaming/usage-report/app.conf"
	assert_line --partial "C:/users/$USER/AppData/Local/usage-report/app"
}

@test "concurrent first runs agree on one anonymous id" {
	printf '\n[consent]\nnotice = off\n' >>"$WCONF/app.conf"
	local i pids=()
	for i in 1 2 3 4 5 6; do
		ur --command "run-$i" track &
		pids+=($!)
	done
	wait "${pids[@]}" # not the intake, also a child of this shell
	wait_for '[ "$(accepted_events | wc -l)" = 6 ]' 30
	assert_equal "$(accepted_events | jq -r .distinct_id | sort -u)" "$(jq -r .anon_id "$WSTATE/usage.json")"
}

@test "the notice: written to a pipe it counts as shown; to NUL the event is held, then sent" {
	run bash -c "wine '$WIN/usage-report.exe' --app app --command quiet track 2>/dev/null 3>&-"
	assert_success
	sleep 1
	assert_equal "$(accepted_events | wc -l)" 0
	assert_equal "$(ls "$WSTATE/queue" | wc -l)" 1 # held, not lost
	run ur status
	assert_line --regexp '^notice: +pending'
	run --separate-stderr ur --command loud track
	[[ $stderr == *"app collects usage data"* ]]
	wait_for '[ "$(accepted_events | wc -l)" = 2 ]'
	assert_equal "$(accepted_events | jq -r .properties.command_name | sort | tr '\n' ' ')" "loud quiet "
}

@test "consent: DO_NOT_TRACK, and disable persisted in the profile, record nothing" {
	printf '\n[consent]\nnotice = off\n' >>"$WCONF/app.conf"
	DO_NOT_TRACK=1 run ur --command one track
	assert_success
	assert_file_not_exists "$WSTATE/queue"
	run ur disable
	assert_success
	run ur --command two track
	assert_success
	run ur status
	assert_line --regexp '^usage reporting: +off'
	run ur enable
	run ur --command three track
	wait_for '[ "$(accepted_events | wc -l)" = 1 ]'
	assert_equal "$(accepted_events | jq -r .properties.command_name)" three
}

@test "--dry-run, CI detection and status mean what they mean on Linux" {
	run ur --dry-run --command plan --exit-code 2
	assert_success
	assert_output --partial '"command_name": "plan"'
	assert_output --partial '"os_type": "Windows"'
	assert_output --partial '"ci": false'
	assert_file_not_exists "$WSTATE/queue" # a dry run records nothing
	CI=true run ur --dry-run --command plan
	assert_output --partial '"ci": true'
	run ur status --json
	assert_success
	assert_equal "$(jq -r .state_dir <<<"$output")" "C:/users/$USER/AppData/Local/usage-report/app"
}

@test "exec returns the program's exit code, 32 bits of it in the event, and 127 for a program not found" {
	printf '\n[consent]\nnotice = off\n' >>"$WCONF/app.conf"
	run ur exec -- cmd /c exit 7
	assert_equal "$status" 7
	run ur exec -- cmd /c exit -1073741510 # 0xC000013A: what Ctrl-C leaves
	assert_equal "$status" $((0x3A)) # wine passes the low 8 bits to Linux
	run -127 ur exec -- no-such-program
	assert_equal "$status" 127
	assert_output "usage-report: cannot run 'no-such-program': No such file or directory"
	wait_for '[ "$(accepted_events | wc -l)" = 3 ]'
	assert_equal "$(accepted_events | jq -r '.properties.exit_code' | sort -n | tr '\n' ' ')" "7 127 3221225786 "
}

@test "exec quotes arguments as the MSVC runtime splits them, finds PROGRAM by PATHEXT, and passes its output" {
	printf '\n[consent]\nnotice = off\n' >>"$WCONF/app.conf"
	cp "$CACHE/bin/argv.exe" "$BATS_TEST_TMPDIR/"
	cd "$BATS_TEST_TMPDIR"
	USAGE_REPORT_COMMAND=leak ARGV_EXIT=3 run ur exec -- argv 'two words' 'q"uote' 'back\slash\' '' 'tail\\"q' 'ünï cödé' '%PATH%'
	assert_equal "$status" 3
	assert_equal "$output" '[two words]
[q"uote]
[back\slash\]
[]
[tail\\"q]
[ünï cödé]
[%PATH%]
parent=set command=unset'
	wait_for '[ "$(accepted_events | wc -l)" = 1 ]'
	assert_equal "$(accepted_events | jq -r '.properties.exit_code')" 3
}

@test "a profile whose user name is not ASCII: its folders, paths and scrubbed errors" {
	export USER='jürgen'
	PROFILE=$WINEPREFIX/drive_c/users/$USER
	rm -rf "$PROFILE"
	start_wine
	mkdir -p "$PROFILE/AppData/Roaming/usage-report"
	printf '[posthog]\nhost = %s\napi_key = phc_testkey\n\n[consent]\nnotice = off\n' "$URL" >"$PROFILE/AppData/Roaming/usage-report/app.conf"
	run ur --command sync --exit-code 1 --error 'cannot open C:\users\jürgen\Documents\plan.txt' track
	assert_success
	wait_for '[ "$(accepted_events | wc -l)" = 1 ]'
	assert_file_exists "$PROFILE/AppData/Local/usage-report/app/usage.json"
	assert_equal "$(accepted_events | jq -r .properties.error_message)" 'cannot open ~\Documents\plan.txt'
	# a --config path with such a name, and a state folder named in it
	local dir="$BATS_TEST_TMPDIR/Zoë Øre"
	mkdir -p "$dir"
	printf 'state_dir = %s\n\n[posthog]\nhost = %s\napi_key = phc_testkey\n\n[consent]\nnotice = off\n' \
		"Z:$dir/state" "$URL" >"$dir/app.conf"
	run ur --config "Z:$dir/app.conf" --command other track
	assert_success
	wait_for '[ "$(accepted_events | wc -l)" = 2 ]'
	assert_file_exists "$dir/state/usage.json"
}

@test "a file held open without sharing (an antivirus): a brief hold is waited out, a long one fails nothing" {
	printf '\n[consent]\nnotice = off\n' >>"$WCONF/app.conf"
	run ur --command first track
	wait_for '[ "$(accepted_events | wc -l)" = 1 ]'
	wait_for '! senders_running'
	local anon
	anon=$(jq -r .anon_id "$WSTATE/usage.json")
	# held until the run says it retries, then let go: the run waits it out and records the
	# event under the same id
	local release=$BATS_TEST_TMPDIR/release trace=$BATS_TEST_TMPDIR/trace
	coproc HOLD { wine 3>&- "$CACHE/bin/hold.exe" "C:\\users\\$USER\\AppData\\Local\\usage-report\\app\\usage.json" 30000 "Z:$release"; }
	read -r -t 20 line <&"${HOLD[0]}"
	assert_equal "$line" held
	ur --debug --command second track 2>"$trace" &
	local run=$!
	wait_for "grep -q 'held by another process: retrying' '$trace'"
	touch "$release"
	wait "$run"
	wait "$HOLD_PID" || true
	wait_for '[ "$(accepted_events | wc -l)" = 2 ]'
	assert_equal "$(accepted_events | jq -r .distinct_id | sort -u)" "$anon"
	# held past the retries: the run gives up silently, and the person's identity is untouched
	coproc HOLD { wine 3>&- "$CACHE/bin/hold.exe" "C:\\users\\$USER\\AppData\\Local\\usage-report\\app\\usage.json" 3000; }
	read -r -t 20 line <&"${HOLD[0]}"
	assert_equal "$line" held
	run ur --command third track
	assert_success
	assert_output ""
	wait "$HOLD_PID" || true
	assert_equal "$(jq -r .anon_id "$WSTATE/usage.json")" "$anon"
}

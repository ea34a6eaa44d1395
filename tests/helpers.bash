# helpers.bash — shared by every test file: a private HOME and XDG folders per test, an
# environment with no opt-out, CI or proxy surprises, the binary under test, and the test
# intake (tests/intake.py) on 127.0.0.1.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

SRCDIR=${USAGE_REPORT_SRCDIR:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}
BUILDDIR=${USAGE_REPORT_BUILDDIR:-$SRCDIR}
UR=${USAGE_REPORT_BIN:-$BUILDDIR/src/usage-report}

common_setup() {
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	export XDG_CONFIG_HOME="$HOME/.config" XDG_STATE_HOME="$HOME/.local/state"
	export LC_ALL=C TZ=UTC
	local v
	for v in $(env | sed -n 's/^\(USAGE_REPORT_[A-Z_]*\)=.*/\1/p'); do
		case $v in USAGE_REPORT_BIN | USAGE_REPORT_SRCDIR | USAGE_REPORT_BUILDDIR | USAGE_REPORT_SANITIZED | USAGE_REPORT_PORTABLE) ;; *) unset "$v" ;; esac
	done
	unset DO_NOT_TRACK ARCADE_USAGE_TRACKING AAI_TELEMETRY_DISABLED CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR
	unset CI CONTINUOUS_INTEGRATION BUILD_NUMBER BUILD_ID RUN_ID CI_NAME GITHUB_ACTIONS GITLAB_CI \
		TF_BUILD JENKINS_URL BUILDKITE CIRCLECI TRAVIS TEAMCITY_VERSION CODEBUILD_BUILD_ARN BITBUCKET_COMMIT
	# Anything that is not 127.0.0.1 goes to a dead proxy: no test can reach the internet.
	export http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9
	export all_proxy=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9
	export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
	# Under the sanitizer build, tests that preload a library (faketime) come before the ASan
	# runtime in the library list: tell ASan that is fine.
	[ -z "${ASAN_OPTIONS:-}" ] || export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
	STATE="$XDG_STATE_HOME/usage-report/usage-report"
	CONF="$XDG_CONFIG_HOME/usage-report/usage-report.conf"
}

# The suites' wine prefix (BUILDDIR/wine-cache/prefix, kept between runs), made the first
# time (wineboot: about 15 s), so that no test sees wine's own messages about making it.
wine_prefix() {
	export WINEPREFIX=$BUILDDIR/wine-cache/prefix WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml='
	if [ ! -f "$WINEPREFIX/system.reg" ]; then
		rm -rf "$WINEPREFIX"
		mkdir -p "$BUILDDIR/wine-cache"
		wineboot -i </dev/null >/dev/null 2>&1 3>&-
		wineserver -w
	fi
}

# Poll until the shell condition holds, for at most $2 seconds (default 10).
wait_for() {
	local deadline=$(($(date +%s%N) / 1000000 + ${2:-10} * 1000))
	until eval "$1"; do
		if (($(date +%s%N) / 1000000 > deadline)); then
			echo "timed out waiting for: $1" >&2
			return 1
		fi
		sleep 0.02
	done
}

# start_intake [--tls CERT KEY]
start_intake() {
	INTAKE_DIR="$BATS_TEST_TMPDIR/intake"
	mkdir -p "$INTAKE_DIR"
	python3 "$SRCDIR/tests/intake.py" "$INTAKE_DIR" "$@" 3>&- &
	INTAKE_PID=$!
	wait_for "[ -s '$INTAKE_DIR/port' ]" 30
	PORT=$(cat "$INTAKE_DIR/port")
	URL="http://127.0.0.1:$PORT"
}

# POST a control document to the intake.
intake_control() {
	curl -sf --noproxy '*' -X POST --data-binary "$1" "$URL/_control" >/dev/null
}

# Requests recorded on a route prefix (default the PostHog batch route), one JSON per line.
intake_requests() {
	jq -c --arg p "${1:-/batch/}" 'select(.path | startswith($p))' "$INTAKE_DIR/requests.jsonl"
}

# The events the intake accepted (2xx) on the batch route, one compact object a line, in order.
accepted_events() {
	jq -c 'select(.path=="/batch/" and .status==200) | .body.batch[]' "$INTAKE_DIR/requests.jsonl" 2>/dev/null
}

# The command names of the events the intake accepted, in order (an event without one: its name).
delivered_commands() {
	accepted_events | jq -r '.properties.command_name // .event'
}

# Number of events the intake accepted (2xx) on the batch route.
delivered_count() {
	accepted_events | jq -s length
}

# A field of the last delivery attempt as status shows it (.status, .error, .time), and the
# end of the backoff it set (null when none).
last_delivery() { "$UR" status --json | jq -r ".last_delivery$1"; }
last_delivery_backoff() { "$UR" status --json | jq -r .backoff_until; }

# The first event of the request a dry run with these arguments would make.
event_of() {
	"$UR" --dry-run "$@" | sed -n '/^{/,/^}/p' | jq -c '.batch[0]'
}

# Whether reporting is on, and the setting that decided it ("true default").
source_of() { "$UR" status --json | jq -r '"\(.enabled) \(.source)"'; }

# Delivery is at least once: an event may go out twice only when a request timed out on our
# side after the intake had taken it. Fail on any duplicate sent.log does not explain so.
assert_duplicates_explained() {
	local u
	for u in $(accepted_events | jq -r '.uuid' | sort | uniq -d); do
		jq -e --arg u "$u" 'select(.result=="retry" and ((.error // "") | test("timed out")) and (.uuids | index($u)))' \
			"${1:-$STATE}/sent.log" >/dev/null || fail "event $u was delivered twice without a timeout to explain it"
	done
}

# Keep calling the tool until the intake hears a second request, which must come at least
# $1 seconds after the first: a backoff honoured across invocations (polling, no fixed sleep).
assert_next_request_after() {
	local seconds=$1 t0 t1
	t0=$(intake_requests | sed -n 1p | jq -r .time)
	wait_for '"$UR" --command again; [ "$(intake_requests | wc -l)" -ge 2 ]' $((seconds + 10))
	t1=$(intake_requests | sed -n 2p | jq -r .time)
	python3 -c "import sys; sys.exit(0 if $t1 - $t0 >= $seconds - 0.1 else 1)" ||
		fail "the second request came $(python3 -c "print(round($t1 - $t0, 2))") s after the first"
}

# Write the config for app $1 (default usage-report) from stdin.
write_config() {
	mkdir -p "$XDG_CONFIG_HOME/usage-report"
	cat >"$XDG_CONFIG_HOME/usage-report/${1:-usage-report}.conf"
}

# A PostHog config for app $1 pointing at $URL (or a closed port) with $API_KEY (or
# phc_testkey), notice off unless $2 says otherwise.
posthog_config() {
	write_config "${1:-usage-report}" <<EOF
[posthog]
host = ${URL:-http://127.0.0.1:9}
api_key = ${API_KEY:-phc_testkey}

[consent]
notice = ${2:-off}
EOF
}

# A PostHog config with an [auth] section reading ~/.arcade/credentials.yaml.
auth_config() {
	write_config <<EOF
[posthog]
host = $URL
api_key = phc_testkey

[auth]
credentials_file = ~/.arcade/credentials.yaml
key_path = cloud.api.key
validate_url = $URL/api/v1/auth/validate
principal_path = data.principal_id

[consent]
notice = off
EOF
}

# Make the intake look in backoff for an hour, so that no invocation starts a sender and
# events pile up in the queue (flush ignores it).
hold_delivery() {
	mkdir -p "$STATE"
	echo '{"failures":1}' >"$STATE/delivery.json"
	touch -d '+1 hour' "$STATE/delivery.json"
}

# The queued record files of the default app, oldest first.
queued() {
	ls "$STATE/queue" 2>/dev/null | grep -v '^\.' || true
}

# copy_queued TEMPLATE N FIRST_NS PREFIX [PAD]: N copies of the queue record TEMPLATE in the
# default app's queue, ordered from FIRST_NS, with uuids 00000000-0000-4000-8000-<i>,
# command names PREFIX<i>, and PAD bytes in a property "pad" (one process for all of them).
copy_queued() {
	python3 - "$@" "$STATE/queue" <<'PY'
import json, os, sys
template, n, first, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
pad, queue = (int(sys.argv[5]), sys.argv[6]) if len(sys.argv) > 6 else (0, sys.argv[5])
record = json.load(open(template))
for i in range(1, n + 1):
    uuid = "00000000-0000-4000-8000-%012d" % i
    record["event"]["uuid"] = uuid
    record["event"]["properties"]["command_name"] = prefix + str(i)
    if pad:
        record["event"]["properties"]["pad"] = "x" * pad
    with open(os.path.join(queue, "%020d-%s.json" % (first + i, uuid)), "w") as f:
        json.dump(record, f, separators=(",", ":"))
PY
}

# hold_lock FILE: another process takes an exclusive flock on FILE and keeps it (as a caller
# stopped while it held it) until release_lock; it holds none of bats' descriptors, so bats
# never waits for it.
hold_lock() {
	rm -f "$BATS_TEST_TMPDIR/lock-held"
	python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); open(sys.argv[2], "w").close(); time.sleep(60)' \
		"$1" "$BATS_TEST_TMPDIR/lock-held" </dev/null >/dev/null 2>&1 3>&- &
	LOCK_HOLDER=$!
	wait_for '[ -e "$BATS_TEST_TMPDIR/lock-held" ]'
}

release_lock() {
	kill "$LOCK_HOLDER" 2>/dev/null || true
	wait "$LOCK_HOLDER" 2>/dev/null || true
}

# on_tty CMD...: run CMD with stdin, stdout and stderr on a new pseudo-terminal (nothing of
# the test's own stdin reaches it); $output is what the terminal showed, $status CMD's.
on_tty() {
	run python3 -c 'import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace").replace("\r", ""))
sys.exit(os.waitstatus_to_exitcode(st) & 255)' "$@"
}

# PIDs of senders running under this test's HOME.
senders() {
	local p
	for p in $(pgrep -f 'usage-report-sender' 2>/dev/null); do
		tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qx "HOME=$HOME" && echo "$p"
	done
	return 0
}

# The intake holds the next batch request unanswered until the sender lets go of it (its 10 s
# deadline at most), so that a test can look at the sender mid-request however slowly the
# machine runs it; the sender's pid is printed once the request has arrived. release_sender
# ends it with SIGTERM (the event stays queued, as for any interrupted request).
hold_sender_mid_request() {
	intake_control '{"route":"batch","script":[{"hang":true}]}'
}

sender_mid_request() {
	wait_for '[ "$(intake_requests | jq -r .status | head -1)" = -1 ]'
	local pid
	pid=$(senders)
	[ -n "$pid" ] && [ "$(wc -w <<<"$pid")" = 1 ] || fail "expected one sender mid-request, found: '$pid'"
	echo "$pid"
}

release_sender() {
	kill -TERM "$1"
	wait_for '[ -z "$(senders)" ]'
}

common_teardown() {
	local left=0
	wait_for '[ -z "$(senders)" ]' 12 || left=1
	if [ -n "${INTAKE_PID:-}" ]; then
		kill "$INTAKE_PID" 2>/dev/null || true
		wait "$INTAKE_PID" 2>/dev/null || true
	fi
	if [ "$left" = 1 ]; then
		echo "a sender was left running: $(senders)" >&2
		return 1
	fi
}

setup() { common_setup; }
teardown() { common_teardown; }

#!/usr/bin/env bats
# accounts.bats — login, logout, aliasing and account resolution (design.md §4.2) end to end:
# real processes, the sender, and the test intake serving both PostHog and the validate
# endpoint. Arcade's identity scenarios (its own test list, section A.7 of the study of it) are
# named by number.

load helpers

UUID4='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

setup() {
	common_setup
	start_intake
	auth_config
}

credentials() {
	mkdir -p "$HOME/.arcade"
	printf 'cloud:\n  api:\n    key: %s\n  user:\n    email: someone@example.com\n' "$1" >"$HOME/.arcade/credentials.yaml"
}

# Every event the intake accepted, in order: "event distinct_id command" per line.
accepted() {
	accepted_events | jq -r '"\(.event) \(.distinct_id) \(.properties.command_name // .properties.alias)"'
}

validate_calls() {
	jq -s '[.[] | select(.path=="/api/v1/auth/validate")] | length' "$INTAKE_DIR/requests.jsonl"
}

anon() { jq -r .anon_id "$STATE/usage.json"; }
linked() { jq -r .linked_principal_id "$STATE/usage.json"; }

@test "login --principal-id links at once; the alias goes alone, before the login event (A.7 11, 13)" {
	run "$UR" --command before
	wait_for '[ "$(delivered_count)" = 1 ]'
	local a
	a=$(anon)
	run "$UR" login --principal-id user-42 --duration 100.5
	assert_success
	assert_equal "$(linked)" user-42
	assert_equal "$(jq -r .usage_report.linked_via "$STATE/usage.json")" login
	wait_for '[ "$(delivered_count)" = 3 ]'
	assert_equal "$(accepted)" "CLI execution succeeded $a before
\$create_alias user-42 $a
CLI execution succeeded user-42 login"
	local alias_req
	alias_req=$(intake_requests | sed -n 2p)
	assert_equal "$(jq '.body.batch | length' <<<"$alias_req")" 1
	assert_equal "$(jq -c '.body.batch[0].properties | [.distinct_id, .alias, has("$process_person_profile")]' <<<"$alias_req")" "[\"user-42\",\"$a\",false]"
	local login_event
	login_event=$(intake_requests | sed -n 3p | jq -c '.body.batch[0]')
	assert_equal "$(jq -c '[.properties.duration_ms, (.properties | has("$process_person_profile"))]' <<<"$login_event")" '[100,false]'
}

@test "a second login as the same principal aliases nothing (A.7 12, 48)" {
	run "$UR" login --principal-id user-1 --wait
	run "$UR" login --principal-id user-1 --wait
	assert_equal "$(accepted | grep -c create_alias)" 1
	assert_equal "$(accepted | grep -c ' user-1 login')" 2
}

@test "nothing under the principal is sent before the intake acknowledged the alias" {
	intake_control '{"route":"batch","script":[{"status":503}]}'
	run "$UR" login --principal-id user-9
	wait_for '[ "$(intake_requests | wc -l)" = 1 ]'
	wait_for '[ -z "$(senders)" ]'
	# the alias got 503: it and the login event behind it are both still queued
	assert_equal "$(intake_requests | jq -r '.status, .body.batch[0].event')" $'503\n$create_alias'
	assert_equal "$(queued | wc -l)" 2
	run "$UR" --command next
	run "$UR" flush
	assert_equal "$(intake_requests | jq -r '"\(.status) \(.body.batch | map(.event) | join(","))"')" \
		"503 \$create_alias
200 \$create_alias
200 CLI execution succeeded,CLI execution succeeded"
	assert_equal "$(accepted | tail -2 | cut -d' ' -f4-)" "user-9 login
user-9 next"
}

@test "an alias refused for good (400) is dropped and the events go on" {
	intake_control '{"route":"batch","script":[{"status":400}]}'
	run "$UR" login --principal-id user-3 --wait
	assert_equal "$(accepted)" "CLI execution succeeded user-3 login"
	assert_equal "$(jq -r 'select(.result=="dropped") | .status' "$STATE/sent.log")" 400
}

@test "login through [auth]: the sender resolves the principal, links, aliases, then logs in (A.7 42)" {
	intake_control '{"principals":{"arc_key_111":"acct-111"}}'
	run "$UR" --command first --wait
	assert_equal "$(validate_calls)" 0 # no credentials: nothing to resolve
	credentials arc_key_111
	local a
	a=$(anon)
	run "$UR" login
	assert_success
	wait_for '[ "$(delivered_count)" -ge 3 ]'
	assert_equal "$(linked)" acct-111
	local v
	v=$(intake_requests /api/v1/auth/validate | tail -1)
	assert_equal "$(jq -r '.method, .headers.authorization, .headers.accept' <<<"$v")" \
		$'GET\nBearer arc_key_111\napplication/json'
	assert_equal "$(accepted | tail -2)" "\$create_alias acct-111 $a
CLI execution succeeded acct-111 login"
}

@test "logout: its event under the old id, then a fresh anonymous identity (A.7 15, 16, 50-52)" {
	run "$UR" login --principal-id user-5 --wait
	local a
	a=$(anon)
	run "$UR" logout --wait
	assert_success
	assert_equal "$(linked)" null
	[[ $(anon) =~ $UUID4 ]]
	assert_not_equal "$(anon)" "$a"
	run "$UR" --command after --wait
	assert_equal "$(accepted | tail -2)" "CLI execution succeeded user-5 logout
CLI execution succeeded $(anon) after"
	assert_equal "$(intake_requests | tail -1 | jq '.body.batch[0].properties["$process_person_profile"]')" false
}

@test "logout rotates an unlinked identity too, so the next person starts fresh" {
	run "$UR" --command x
	local a
	a=$(anon)
	run "$UR" logout --wait
	assert_not_equal "$(anon)" "$a"
	assert_equal "$(accepted | tail -1)" "CLI execution succeeded $a logout"
}

@test "events captured before a logout keep their identity even when delivered after" {
	hold_delivery
	run "$UR" login --principal-id user-6
	run "$UR" --command while-linked
	run "$UR" logout
	run "$UR" --command after-logout
	run "$UR" flush
	assert_equal "$(accepted | cut -d' ' -f4- | tail -4)" "user-6 login
user-6 while-linked
user-6 logout
$(anon) after-logout"
}

@test "side-channel login: credentials written by hand are picked up lazily (A.7 24, 39)" {
	hold_delivery
	run "$UR" --command pending-1
	local a
	a=$(anon)
	credentials arc_key_222
	intake_control '{"principals":{"arc_key_222":"acct-222"}}'
	run "$UR" --command pending-2
	run "$UR" flush
	assert_equal "$(linked)" acct-222
	assert_equal "$(jq -r .usage_report.linked_via "$STATE/usage.json")" auth
	# the alias first, then the pending events of that identity under the principal
	assert_equal "$(accepted)" "\$create_alias acct-222 $a
CLI execution succeeded acct-222 pending-1
CLI execution succeeded acct-222 pending-2"
	assert_equal "$(validate_calls)" 1
}

@test "with unchanged credentials, 100 tracks make no validate call after the first" {
	credentials arc_key_333
	intake_control '{"principals":{"arc_key_333":"acct-333"}}'
	run "$UR" --command one --wait
	assert_equal "$(validate_calls)" 1
	local i
	for i in $(seq 100); do "$UR" --command "c$i"; done
	wait_for '[ "$(delivered_count)" -ge 102 ]' 30
	assert_equal "$(validate_calls)" 1
	assert_equal "$(accepted | grep -E ' acct-333 c[0-9]+$' | sort -u | wc -l)" 100
	assert_duplicates_explained
}

@test "an account switch outside login re-links with a fresh anonymous id and alias" {
	credentials arc_key_444
	intake_control '{"principals":{"arc_key_444":"acct-444","arc_key_555":"acct-555"}}'
	run "$UR" --command a --wait
	local first_anon
	first_anon=$(anon)
	credentials arc_key_555
	run "$UR" --command b --wait
	assert_equal "$(linked)" acct-555
	assert_not_equal "$(anon)" "$first_anon"
	assert_equal "$(accepted | grep create_alias)" "\$create_alias acct-444 $first_anon
\$create_alias acct-555 $(anon)"
	assert_equal "$(accepted | tail -1)" "CLI execution succeeded acct-555 b"
	assert_equal "$(validate_calls)" 2
}

@test "after logout, the same credentials are not linked again; new ones are" {
	credentials arc_key_888
	intake_control '{"principals":{"arc_key_888":"acct-888","arc_key_889":"acct-889"}}'
	run "$UR" --command a --wait
	assert_equal "$(linked)" acct-888
	run "$UR" logout --wait
	run "$UR" --command b --wait
	assert_equal "$(linked)" null
	assert_equal "$(validate_calls)" 1
	assert_equal "$(accepted | tail -1)" "CLI execution succeeded $(anon) b"
	credentials arc_key_889
	run "$UR" --command c --wait
	assert_equal "$(linked)" acct-889
	assert_equal "$(accepted | tail -1)" "CLI execution succeeded acct-889 c"
}

@test "an invalid key (401): events go anonymous, no second call until the file changes (A.7 14, 45)" {
	credentials arc_bad_key
	run "$UR" --command a --wait
	run "$UR" --command b --wait
	run "$UR" login --wait
	assert_equal "$(validate_calls)" 1
	assert_equal "$(linked)" null
	assert_equal "$(accepted | cut -d' ' -f4 | sort -u)" "$(anon)"
	assert_equal "$(accepted | grep -c create_alias)" 0
	intake_control '{"principals":{"arc_good_key":"acct-ok"}}'
	credentials arc_good_key
	run "$UR" --command c --wait
	assert_equal "$(validate_calls)" 2
	assert_equal "$(linked)" acct-ok
}

@test "a hanging validate endpoint: the events go anonymous and the sender is done within 10 s" {
	credentials arc_key_666
	intake_control '{"route":"validate","script":[{"hang":true}]}'
	local start
	start=$(date +%s%N)
	run "$UR" --command x
	wait_for '[ "$(delivered_count)" = 1 ]' 11
	wait_for '[ -z "$(senders)" ]' 11
	(($(date +%s%N) / 1000000 - start / 1000000 <= 10500))
	assert_equal "$(accepted)" "CLI execution succeeded $(anon) x"
	[[ $(jq -r 'select(.backend=="auth") | .error' "$STATE/sent.log") == "no answer: "* ]]
}

@test "no credentials file, an empty cloud section, malformed YAML: no validate call (A.7 41, 44)" {
	run "$UR" --command no-file --wait
	mkdir -p "$HOME/.arcade"
	echo 'cloud: {}' >"$HOME/.arcade/credentials.yaml"
	run "$UR" --command empty --wait
	printf 'cloud:\n  api: [unclosed\n  key: {\n' >"$HOME/.arcade/credentials.yaml"
	run "$UR" --command malformed --wait
	assert_equal "$(validate_calls)" 0
	assert_equal "$(accepted | cut -d' ' -f4 | sort -u)" "$(anon)"
}

@test "a network error or a malformed answer from validate leaves the events anonymous (A.7 43)" {
	credentials arc_key_777
	intake_control '{"route":"validate","script":[{"drop":true}]}'
	run "$UR" --command dropped --wait
	assert_equal "$(linked)" null
	printf 'cloud:\n  api:\n    key: arc_key_778\n' >"$HOME/.arcade/credentials.yaml"
	intake_control '{"route":"validate","script":[{"status":200,"body":"{\"data\": [\"not\", \"an\", \"id\"]}"}]}'
	run "$UR" --command malformed --wait
	assert_equal "$(linked)" null
	assert_equal "$(validate_calls)" 2
	[[ $(jq -r 'select(.backend=="auth") | .error' "$STATE/sent.log" | tail -1) == "no id at 'data.principal_id' in the answer" ]]
	assert_equal "$(accepted | cut -d' ' -f4 | sort -u)" "$(anon)"
}

@test "20 concurrent logins and tracks leave one consistent identity" {
	local i pids=()
	for i in $(seq 10); do
		"$UR" login --principal-id user-20 &
		pids+=($!)
		"$UR" --command "c$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	wait_for '[ -z "$(queued)" ]' 20
	wait_for '[ -z "$(senders)" ]'
	run "$UR" flush
	assert_equal "$(linked)" user-20
	assert_equal "$(accepted | grep -c create_alias)" 1
	assert_equal "$(accepted | grep -c ' login$')" 10
	assert_equal "$(accepted | grep -c ' c[0-9]*$')" 10
	# anonymous events, if any, carry the identity's one anon id
	assert_equal "$(accepted | grep -v create_alias | cut -d' ' -f4 | sort -u | grep -v user-20 | grep -vx "$(anon)" || true)" ""
}

@test "the credentials key never reaches the queue, sent.log, argv, the environment or --debug" {
	credentials arc_secret_key_999
	intake_control '{"principals":{"arc_secret_key_999":"acct-999"}}'
	run --separate-stderr "$UR" login --debug
	[[ "$stderr" == *"Authorization: Bearer arc_…"* ]]
	[[ "$stderr" != *arc_secret_key_999* ]]
	assert_equal "$(linked)" acct-999
	run grep -rl arc_secret_key_999 "$STATE"
	assert_failure
}

@test "status shows the linked account and how it was linked" {
	run "$UR" login --principal-id user-s
	run "$UR" status
	assert_line --regexp "^linked account:  user-s \(via login, [0-9T:.-]+Z\)$"
	run "$UR" status --json
	assert_equal "$(jq -r '.linked_principal_id, .link.linked_via' <<<"$output")" $'user-s\nlogin'
}

@test "--dry-run of a login shows the alias and the login event, writing nothing" {
	run --separate-stderr "$UR" login --principal-id user-d --dry-run
	assert_success
	assert_equal "$(grep -c '^POST ' <<<"$output")" 2
	assert_not_exist "$STATE"
	run --separate-stderr "$UR" login --dry-run
	assert_equal "$(sed -n 1,3p <<<"$output")" "GET $URL/api/v1/auth/validate
Authorization: Bearer <cloud.api.key in $HOME/.arcade/credentials.yaml>
Accept: application/json"
}

@test "--dry-run of a track shows every request the real one makes: the account look-up, the alias, the event under the account" {
	credentials arc_key_dry
	intake_control '{"principals":{"arc_key_dry":"acct-dry"}}'
	run --separate-stderr "$UR" --command x --dry-run
	assert_success
	assert_not_exist "$STATE"
	assert_equal "$(grep -E '^(GET|POST) ' <<<"$output" | cut -d' ' -f1 | tr '\n' ' ')" "GET POST POST "
	[[ $output != *arc_key_dry* ]] # the key is masked
	# and the real run makes those very requests
	run "$UR" --command x --wait
	assert_equal "$(jq -r 'select(.path != "/_control") | .method' "$INTAKE_DIR/requests.jsonl" | tr '\n' ' ')" "GET POST POST "
	assert_equal "$(accepted | tail -1)" "CLI execution succeeded acct-dry x"
	# once linked with these credentials, a dry run shows the one request a run makes
	run --separate-stderr "$UR" --command y --dry-run
	assert_equal "$(grep -cE '^(GET|POST) ' <<<"$output")" 1
}

# --- the identity of capture (design.md §4.2) ------------------------------------------------------

# One host session, with delivery held back by $1 (notice or backoff): a login through [auth],
# a command, the host's logout (which removes the credentials first), a command after.
held_session() {
	credentials arc_key_777
	intake_control '{"principals":{"arc_key_777":"acct-777"}}'
	"$UR" --command before 2>/dev/null
	"$UR" login 2>/dev/null
	"$UR" --command while-logged-in 2>/dev/null
	rm "$HOME/.arcade/credentials.yaml"
	"$UR" logout 2>/dev/null
	"$UR" --command after-logout 2>/dev/null
}

@test "identity of capture: [auth] login, events held by the notice, logout before any send: the logged-in events go out under the account" {
	sed -i 's/^notice = off/notice = on/' "$CONF"
	local a
	held_session
	a=$(jq -r .anon_id "$STATE/usage.json")
	no_request() { [ ! -s "$INTAKE_DIR/requests.jsonl" ] || ! grep -q '/batch/' "$INTAKE_DIR/requests.jsonl"; }
	no_request
	run "$UR" notice
	wait_for '[ "$(delivered_count)" -ge 6 ]'
	run accepted
	# the alias of the identity the login was captured under goes before any event under the account
	local first_anon
	first_anon=$(accepted | awk '$1=="$create_alias" {print $3; exit}')
	assert_equal "$(accepted | head -1)" "\$create_alias acct-777 $first_anon"
	assert_equal "$(accepted | grep -c '^\$create_alias')" 1
	assert_line "CLI execution succeeded acct-777 login"
	assert_line "CLI execution succeeded acct-777 while-logged-in"
	assert_line "CLI execution succeeded $a after-logout"
	refute_line --regexp "acct-777 after-logout"
	# once delivered, no snapshot of the credentials is kept
	wait_for '[ -z "$(senders)" ]'
	assert_equal "$(ls "$STATE" | grep -c '^credentials')" 0
}

@test "identity of capture: the same session held by a backoff of days, then flushed" {
	hold_delivery
	held_session
	local a
	a=$(anon)
	run "$UR" flush
	run accepted
	assert_line "CLI execution succeeded acct-777 login"
	assert_line "CLI execution succeeded acct-777 while-logged-in"
	assert_line "CLI execution succeeded $a after-logout"
	assert_equal "$(accepted | grep -c "acct-777 after-logout")" 0
	assert_equal "$(validate_calls)" 1 # the account was looked up once, from what the login saw
}

@test "identity of capture: an account switch while delivery is held sends each event under its own account" {
	hold_delivery
	intake_control '{"principals":{"arc_key_1":"acct-1","arc_key_2":"acct-2"}}'
	credentials arc_key_1
	run "$UR" --command as-one
	sleep 0.01
	credentials arc_key_2
	touch -d '+2 seconds' "$HOME/.arcade/credentials.yaml" # a different file state, whatever the clock's grain
	run "$UR" --command as-two
	run "$UR" flush
	run accepted
	assert_line "CLI execution succeeded acct-1 as-one"
	assert_line "CLI execution succeeded acct-2 as-two"
	assert_equal "$(linked)" acct-2
}

@test "identity of capture: a record whose copy a sender purged just before it was queued goes out under its account" {
	hold_delivery
	intake_control '{"principals":{"arc_key_1":"acct-1"}}'
	credentials arc_key_1
	run "$UR" --command captured
	assert_equal "$(ls "$STATE/credentials" | wc -l)" 1
	# a sender that found the queue empty, between the copy and the record, removed the copy
	rm -r "$STATE/credentials"
	run "$UR" flush
	assert_success
	run accepted
	assert_line "CLI execution succeeded acct-1 captured"
	assert_equal "$(queued)" ""
}

@test "logout ends the session: the next person's events never carry the previous \$session_id" {
	hold_delivery
	run "$UR" login --principal-id user-s
	run "$UR" --command while-in
	run "$UR" logout
	run "$UR" --command next-person
	assert_equal "$("$UR" status --json | jq -r .session_id)" null # nothing delivered yet
	run "$UR" flush
	local sid
	sid() { accepted_events | jq -r --arg c "$1" 'select(.properties.command_name==$c) | .properties["$session_id"]'; }
	[[ $(sid while-in) =~ ^[0-9a-f-]{36}$ ]]
	assert_equal "$(sid logout)" "$(sid while-in)"
	[[ $(sid next-person) =~ ^[0-9a-f-]{36}$ ]]
	assert_not_equal "$(sid next-person)" "$(sid logout)"
	# and it is remembered across runs: a later event starts from the new session, not the old one
	run "$UR" --command later --wait
	assert_equal "$(sid later)" "$(sid next-person)"
}

@test "a logout whose reset cannot be written (the identity locked): later events never go out under the old account" {
	hold_delivery
	run "$UR" login --principal-id user-old
	run "$UR" --command while-in
	# another process holds the identity's lock through the logout and the next command
	hold_lock "$STATE/usage.json.lock"
	run "$UR" logout
	assert_success
	assert_file_exist "$STATE/reset.json"
	assert_equal "$(linked)" user-old # usage.json could not be rewritten
	run "$UR" --command next-person
	assert_success
	release_lock
	run "$UR" flush
	assert_file_not_exist "$STATE/reset.json"
	assert_equal "$(linked)" null
	local fresh
	fresh=$(jq -r .anon_id "$STATE/usage.json")
	run accepted
	assert_line "CLI execution succeeded user-old while-in"
	assert_line "CLI execution succeeded user-old logout"
	# the anonymous id the logout chose, before it could be written, then kept
	assert_line "CLI execution succeeded $fresh next-person"
	refute_line --regexp "user-old next-person"
}

@test "a login whose link cannot be written (the identity locked): the runs after it, its logout included, go out under its account" {
	hold_delivery
	run "$UR" --command before
	local first
	first=$(jq -r .anon_id "$STATE/usage.json")
	hold_lock "$STATE/usage.json.lock"
	run "$UR" login --principal-id user-new
	assert_success
	assert_file_exist "$STATE/login.json"
	assert_equal "$(linked)" null # usage.json could not be rewritten
	run "$UR" --command while-in
	run "$UR" logout
	run "$UR" --command next-person
	assert_success
	release_lock
	run "$UR" flush
	local fresh
	fresh=$(jq -r .anon_id "$STATE/usage.json")
	assert_not_equal "$fresh" "$first"
	assert_equal "$(linked)" null
	run accepted
	assert_line "\$create_alias user-new $first"
	assert_line "CLI execution succeeded user-new while-in"
	assert_line "CLI execution succeeded user-new logout"
	assert_line "CLI execution succeeded $fresh next-person"
	refute_line --regexp "user-new next-person"
	run "$UR" --command later --wait
	assert_file_not_exist "$STATE/login.json"
}

@test "an account switch whose link cannot be written (the identity locked): the runs after it go out under the new account" {
	hold_delivery
	run "$UR" login --principal-id user-old
	run "$UR" --command as-old
	local old
	old=$(jq -r .anon_id "$STATE/usage.json")
	hold_lock "$STATE/usage.json.lock"
	run "$UR" login --principal-id user-new
	assert_success
	assert_equal "$(linked)" user-old # usage.json could not be rewritten
	run "$UR" --command as-new
	release_lock
	run "$UR" flush
	assert_equal "$(linked)" user-new
	local fresh
	fresh=$(jq -r .anon_id "$STATE/usage.json")
	assert_not_equal "$fresh" "$old"
	run accepted
	assert_line "CLI execution succeeded user-old as-old"
	assert_line "CLI execution succeeded user-new login"
	assert_line "CLI execution succeeded user-new as-new"
	refute_line --regexp "user-old as-new"
	# the new account gets the anon id its link keeps; the old account's is never aliased to it
	assert_line "\$create_alias user-new $fresh"
	assert_equal "$(accepted | grep -c '^\$create_alias user-new ')" 1 # never the old account's id
}

@test "two logins while the identity is locked: each run goes out under the account of its time, and the last one stays linked" {
	hold_delivery
	hold_lock "$STATE/usage.json.lock"
	run "$UR" login --principal-id user-one
	run "$UR" --command as-one
	run "$UR" login --principal-id user-two
	run "$UR" --command as-two
	assert_equal "$(jq '.logins | length' "$STATE/login.json")" 2
	release_lock
	run "$UR" flush
	assert_equal "$(linked)" user-two
	run accepted
	assert_line "CLI execution succeeded user-one as-one"
	assert_line "CLI execution succeeded user-two as-two"
	assert_line "CLI execution succeeded user-two login"
	refute_line "CLI execution succeeded user-one as-two"
	refute_line "CLI execution succeeded user-two as-one"
}

@test "eight logins at once while the identity is locked: login.json keeps every one (its own lock)" {
	hold_delivery
	hold_lock "$STATE/usage.json.lock"
	local i pids=()
	for i in 1 2 3 4 5 6 7 8; do
		"$UR" login --principal-id "user-$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	assert_equal "$(jq -r '.logins[].principal' "$STATE/login.json" | sort | tr '\n' ' ')" \
		"user-1 user-2 user-3 user-4 user-5 user-6 user-7 user-8 "
	release_lock
	run "$UR" --command after
	assert_success
	assert_file_not_exist "$STATE/login.json" # applied, all of them, then removed
}

@test "a run that settles the logins while login.json's lock is held does not wait: the next run finds them done, one alias each" {
	hold_delivery
	hold_lock "$STATE/usage.json.lock"
	run "$UR" login --principal-id user-once
	release_lock
	hold_lock "$STATE/login.json.lock"
	run "$UR" --command settles # links the login, cannot remove it from login.json
	assert_success
	assert_equal "$(linked)" user-once
	assert_equal "$(jq -r '.logins[].principal' "$STATE/login.json")" user-once
	release_lock
	run "$UR" --command again # applies it again: already done; removes it
	assert_file_not_exist "$STATE/login.json"
	run "$UR" flush
	assert_equal "$(accepted_events | jq -r 'select(.event == "$create_alias") | .properties.alias' | wc -l)" 1
	run accepted
	assert_line "CLI execution succeeded user-once settles"
	assert_line "CLI execution succeeded user-once again"
}

@test "a login that waited is linked by the first later run that can take the lock, its alias queued first" {
	hold_delivery
	hold_lock "$STATE/usage.json.lock"
	run "$UR" login --principal-id user-late
	release_lock
	assert_equal "$(linked)" null
	run "$UR" --command next
	assert_success
	assert_equal "$(linked)" user-late
	assert_file_not_exist "$STATE/login.json"
	# the queue, oldest first: the alias, then the login, then the run
	run bash -c 'cd "$1" && jq -r "\"\\(.type) \\(.principal)\"" $(ls | sort)' _ "$STATE/queue"
	assert_line --index 0 "alias user-late"
	assert_equal "${#lines[@]}" 3
}

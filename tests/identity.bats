#!/usr/bin/env bats
# identity.bats — usage.json (design.md §4.1): creation, modes, preserved keys, corrupt files,
# concurrent first runs, and the queue file a consented track leaves.

load helpers

UUID4='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

setup() {
	common_setup
	posthog_config
}

@test "a first consented run creates usage.json: v4 anon id, no link, 0700/0600" {
	run "$UR" --command x
	assert_success
	assert_file_exist "$STATE/usage.json"
	[[ $(jq -r .anon_id "$STATE/usage.json") =~ $UUID4 ]]
	assert_equal "$(jq -c .linked_principal_id "$STATE/usage.json")" null
	assert_file_permission 700 "$STATE"
	assert_file_permission 600 "$STATE/usage.json"
	assert_equal "$(find "$STATE" -name '.usage.json.*' | wc -l)" 0 # no temporary file left
}

# The distinct ids of the events the intake accepted, one per line, sorted and unique.
delivered_ids() {
	accepted_events | jq -r '.distinct_id' | sort -u
}

@test "the identity is reused: every event carries the same anon id" {
	start_intake
	posthog_config
	run "$UR" --command a
	run "$UR" --command b
	run "$UR" flush
	assert_equal "$(delivered_count)" 2
	assert_equal "$(delivered_ids)" "$("$UR" status --json | jq -r .anon_id)"
}

@test "50 concurrent first runs writing stderr to one log file: the notice is in it exactly once" {
	posthog_config usage-report on
	hold_delivery
	local i
	for i in $(seq 50); do
		"$UR" --command "run$i" 2>>"$BATS_TEST_TMPDIR/stderr" &
	done
	wait
	assert_equal "$(grep -c 'collects usage data' "$BATS_TEST_TMPDIR/stderr")" 1
	assert_equal "$(queued | wc -l)" 50
	assert_equal "$("$UR" status --json | jq -c '[.notice, .held]')" '["shown",0]'
}

@test "keys this tool does not know are preserved" {
	mkdir -p "$STATE"
	echo '{"anon_id":"11111111-1111-4111-8111-111111111111","linked_principal_id":null,"theirs":{"x":[1,2]}}' >"$STATE/usage.json"
	run "$UR" login --principal-id user-1
	assert_equal "$(jq -c .theirs "$STATE/usage.json")" '{"x":[1,2]}'
	assert_equal "$(jq -r .linked_principal_id "$STATE/usage.json")" user-1
	run "$UR" logout
	assert_equal "$(jq -c .theirs "$STATE/usage.json")" '{"x":[1,2]}'
}

corrupt_case() {
	wait_for '[ -z "$(senders)" ]' # the previous case's sender may still be writing here
	rm -rf "$STATE"
	mkdir -p "$STATE"
	printf '%s' "$1" >"$STATE/usage.json"
	run "$UR" --command x
	assert_success
	[[ $(jq -r .anon_id "$STATE/usage.json") =~ $UUID4 ]]
	assert_equal "$(cat "$STATE/usage.json.corrupt")" "$1"
	assert_equal "$(queued | wc -l)" 1 # a replaced identity is not a first run: no notice
}

@test "a corrupt, empty or wrongly typed file is replaced and kept as usage.json.corrupt" {
	corrupt_case '{not json'
	corrupt_case ''
	corrupt_case '[1,2,3]'
	corrupt_case '{"linked_principal_id":null}'
	corrupt_case '{"anon_id":42,"linked_principal_id":null}'
	corrupt_case '{"anon_id":"a","linked_principal_id":7}'
	corrupt_case '{"anon_id":""}'
}

@test "identity_file may live elsewhere (an Arcade-style ~/.arcade/usage.json)" {
	printf '[posthog]\napi_key = phc_k\nhost = http://127.0.0.1:9\n[consent]\nnotice = off\n' >"$BATS_TEST_TMPDIR/c"
	sed -i '1i identity_file = ~/.arcade/usage.json' "$BATS_TEST_TMPDIR/c"
	run "$UR" --config "$BATS_TEST_TMPDIR/c" --command x
	assert_file_exist "$HOME/.arcade/usage.json"
	assert_file_permission 700 "$HOME/.arcade"
	assert_not_exist "$STATE/usage.json"
}

@test "--dry-run writes nothing, not even the identity" {
	run "$UR" --command x --dry-run
	assert_success
	assert_not_exist "$HOME/.local"
}

@test "50 concurrent first runs end with exactly one anon id, carried by every event" {
	local i
	for i in $(seq 50); do
		"$UR" --command "run$i" &
	done
	wait
	local anon
	anon=$("$UR" status --json | jq -r .anon_id)
	[[ $anon =~ $UUID4 ]]
	assert_equal "$("$UR" status --json | jq -c '[.anon_id, .queued]')" "[\"$anon\",50]"
	start_intake
	posthog_config
	run "$UR" flush
	assert_equal "$(delivered_count)" 50
	assert_equal "$(delivered_ids)" "$anon"
}

@test "50 concurrent first runs with the notice pending: 50 events held, one identity" {
	posthog_config usage-report on
	local i
	for i in $(seq 50); do
		"$UR" --command "run$i" 2>/dev/null & # where nobody can read the notice
	done
	wait
	assert_equal "$(queued | wc -l)" 50
	assert_equal "$("$UR" status --json | jq .held)" 50
	start_intake
	posthog_config usage-report on
	run "$UR" notice # shown: the held events go
	run "$UR" flush
	assert_equal "$(delivered_count)" 50
	assert_equal "$(delivered_ids)" "$("$UR" status --json | jq -r .anon_id)"
}

@test "a queued event is one 0600 file named by capture time and uuid" {
	run "$UR" --command x
	local f
	f=$(queued)
	[[ $f =~ ^[0-9]{20}-[0-9a-f-]{36}\.json$ ]]
	assert_file_permission 600 "$STATE/queue/$f"
	assert_equal "$(jq -r '.v, .type' "$STATE/queue/$f")" $'1\nevent'
	assert_equal "${f:21:36}" "$(jq -r .event.uuid "$STATE/queue/$f")"
}

@test "an unwritable state folder: exit 0, silent, the reason under --debug" {
	mkdir -p "$XDG_STATE_HOME/usage-report"
	echo "not a folder" >"$STATE"
	run --separate-stderr "$UR" --command x
	assert_success
	assert_equal "$output$stderr" ""
	run --separate-stderr "$UR" --command x --debug
	assert_success
	[[ "$stderr" == *"state folder '$STATE' refused: Not a directory"* ]]
	assert_equal "$(cat "$STATE")" "not a folder"
}

@test "a state folder that is a symlink is refused, and nothing is written through it" {
	mkdir -p "$XDG_STATE_HOME/usage-report" "$BATS_TEST_TMPDIR/elsewhere"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$STATE"
	run --separate-stderr "$UR" --command x --debug
	assert_success
	[[ "$stderr" == *"refused: Too many levels of symbolic links"* ]]
	assert_equal "$(ls -A "$BATS_TEST_TMPDIR/elsewhere")" ""
}

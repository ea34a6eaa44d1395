#!/usr/bin/env bats
# scrub.bats — error-message scrubbing (SPEC §6), checked on the event the dry run shows.

load helpers

setup() {
	common_setup
	posthog_config
}

scrubbed() {
	"$UR" --dry-run --command x --error "$1" 2>/dev/null | sed -n '/^{/,/^}/p' | jq -r '.batch[0].properties.error_message'
}

@test "the home folder becomes ~" {
	assert_equal "$(scrubbed "cannot open $HOME/projects/app/config.yaml")" "cannot open ~/projects/app/config.yaml"
	assert_equal "$(scrubbed "in $HOME")" "in ~"
	assert_equal "$(scrubbed "not ${HOME}x/y")" "not ${HOME}x/y"
}

@test "the login name becomes <user>, as a whole word only" {
	local me
	me=$(id -un)
	assert_equal "$(scrubbed "permission denied for $me on /srv")" "permission denied for <user> on /srv"
	assert_equal "$(scrubbed "x${me}y stays")" "x${me}y stays"
}

@test "e-mail addresses become <email>" {
	assert_equal "$(scrubbed "no account for jane.doe+cli@example.co.uk, try again")" "no account for <email>, try again"
}

@test "URL credentials and query strings are removed" {
	assert_equal "$(scrubbed "GET https://bob:hunter2@api.example.com/v1/items?token=abc&x=1 failed")" \
		"GET https://api.example.com/v1/items failed"
	assert_equal "$(scrubbed "proxy http://user@proxy:8080 refused")" "proxy http://proxy:8080 refused"
}

@test "secrets become <redacted>" {
	assert_equal "$(scrubbed "bad key phc_abcdefghijk and phx_1234567890")" "bad key <redacted> and <redacted>"
	assert_equal "$(scrubbed "openai sk-proj-abcdef123 rejected")" "openai <redacted> rejected"
	assert_equal "$(scrubbed "token ghp_ABCDEFabcdef123456 and arc_key_123456")" "token <redacted> and <redacted>"
	assert_equal "$(scrubbed "dd pub0d633113b9f7d22faff215fefaf30b43 ok")" "dd <redacted> ok"
	assert_equal "$(scrubbed "header Authorization: Bearer eyJhbGciOi.abc.def sent")" "header Authorization: <redacted> sent"
	assert_equal "$(scrubbed "id a1b2c3d4e5f6a7b8c9d0e1f2a3 seen")" "id <redacted> seen"
	# long runs of only letters, or only digits, are words and numbers, not secrets
	assert_equal "$(scrubbed "internationalizationalisations 123456789012345678901234567")" \
		"internationalizationalisations 123456789012345678901234567"
	assert_equal "$(scrubbed "publish the public pubkey")" "publish the public pubkey"
}

@test "invalid UTF-8 becomes U+FFFD and control characters become spaces" {
	assert_equal "$(scrubbed $'bad \xff\xfe byte')" $'bad \xef\xbf\xbd\xef\xbf\xbd byte'
	assert_equal "$(scrubbed $'line1\nline2\ttab\x1b[31m')" "line1 line2 tab [31m"
	assert_equal "$(scrubbed $'c1 \xc2\x85 next')" "c1   next"
}

@test "cut to 300 characters on a character boundary, even from 10 kB" {
	local long
	long=$(printf 'word %.0s' $(seq 2000))
	local out
	out=$(scrubbed "$long")
	assert_equal "${#out}" 300
	long=$(printf 'é%.0s' $(seq 400))
	out=$(scrubbed "$long")
	assert_equal "$(printf '%s' "$out" | wc -c)" 600
	assert_equal "$(printf '%s' "$out" | iconv -f UTF-8 -t UTF-8 | wc -c)" 600
}

@test "the queued event carries the scrubbed message, never the raw one" {
	run "$UR" --command x --error "failed for $HOME with key phc_secret1234"
	assert_success
	local f
	f=$(queued)
	assert_equal "$(jq -r .event.properties.error_message "$STATE/queue/$f")" "failed for ~ with key <redacted>"
	run grep -c phc_secret1234 "$STATE/queue/$f"
	assert_output 0
}

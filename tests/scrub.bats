#!/usr/bin/env bats
# scrub.bats — error-message scrubbing (design.md §6), checked on the event the dry run shows.

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

@test "the exact boundaries: 24 mixed characters are a secret, 23 are not; a home that contains the login name" {
	assert_equal "$(scrubbed "a abcdefghijklmnopqrstuvw1 b")" "a <redacted> b"
	assert_equal "$(scrubbed "a abcdefghijklmnopqrstuv1 b")" "a abcdefghijklmnopqrstuv1 b"
	# HOME=/home/<login>: the home folder becomes ~ first, so the path never shows the login
	local me
	me=$(id -un)
	HOME=/home/$me run scrubbed "no /home/$me/app/x.yaml for $me"
	assert_output "no ~/app/x.yaml for <user>"
}

@test "key=value and key: value secrets lose their value, any case, with _ and - variants" {
	assert_equal "$(scrubbed "login failed: password=hunter2 and token=abc123")" "login failed: password=<redacted> and token=<redacted>"
	assert_equal "$(scrubbed 'DB_PASSWORD=pw1 Api-Key: k2 {"client_secret": "s3"} passwd=p pwd:x')" \
		'DB_PASSWORD=<redacted> Api-Key: <redacted> {"client_secret": "<redacted>"} passwd=<redacted> pwd:<redacted>'
	assert_equal "$(scrubbed "access_key=a private-key=b credentials: c SESSION=d auth=e apikey=f")" \
		"access_key=<redacted> private-key=<redacted> credentials: <redacted> SESSION=<redacted> auth=<redacted> apikey=<redacted>"
	assert_equal "$(scrubbed "status=500 retry: 3")" "status=500 retry: 3"
}

@test "every known key shape: AWS ids, JWTs, PEM private keys, Basic, and the listed prefixes" {
	assert_equal "$(scrubbed "aws AKIAIOSFODNN7EXAMPLE and ASIAIOSFODNN7EXAMPLE, not AKIAshort")" "aws <redacted> and <redacted>, not AKIAshort"
	assert_equal "$(scrubbed "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_DEF-1 end")" "jwt <redacted> end"
	assert_equal "$(scrubbed $'key -----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY----- done')" "key <redacted> done"
	assert_equal "$(scrubbed "-----BEGIN PUBLIC KEY----- stays")" "-----BEGIN PUBLIC KEY----- stays"
	assert_equal "$(scrubbed "Basic dXNlcjpwYXNzd29yZA== sent; Basic auth failed")" "<redacted> sent; Basic auth failed"
	assert_equal "$(scrubbed "sk_live_abc123 github_pat_11ABCDEF glpat-abcdefgh xoxb-1234567 xoxa-1234567 xoxp-1234567")" \
		"<redacted> <redacted> <redacted> <redacted> <redacted> <redacted>"
}

@test "another user's home folder becomes <home>" {
	assert_equal "$(scrubbed "cannot read /home/alice/.ssh/id_rsa")" "cannot read <home>/.ssh/id_rsa"
	assert_equal "$(scrubbed "in /Users/bob/Library and C:\Users\bob\AppData and C:/Users/carol/x")" \
		"in <home>/Library and <home>\AppData and <home>/x"
	assert_equal "$(scrubbed "/home is empty")" "/home is empty"
}

@test "IPv4 and IPv6 addresses become <ip>, times and versions stay" {
	assert_equal "$(scrubbed "connect 10.0.0.1:443 refused, [::1]:8080 and fe80::1 and 2001:db8::8a2e:370:7334.")" \
		"connect <ip>:443 refused, [<ip>]:8080 and <ip> and <ip>."
	assert_equal "$(scrubbed "at 12:30:45 in v1.2.3.4, std::vector, 999.1.1.1, a :: b")" "at 12:30:45 in v1.2.3.4, std::vector, 999.1.1.1, a :: b"
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

#!/usr/bin/env bats
# config.bats — the config file (design.md §3): search order, ~ expansion, keys, bad configs.

load helpers

status_json() { "$UR" "$@" status --json; }

@test "no config file: no backend, nothing recorded" {
	run status_json
	assert_success
	assert_equal "$(jq -r '.enabled, .source, .backend, .config_file' <<<"$output")" $'false\nno-backend\nnull\nnull'
	# a person is pointed at the manual that says how to write one
	run "$UR" status
	assert_line "config file:     none found (see usage-report.conf(5))"
}

@test "--dry-run names the config problem that keeps reporting off" {
	printf '[posthog]\nhost = http://127.0.0.1:9\n' | write_config
	run --separate-stderr "$UR" --command x --dry-run
	assert_success
	assert_equal "$stderr" "usage-report: dry run: nothing would be sent: reporting is off (no-backend)
usage-report: dry run: config problem: backend posthog: required key missing (posthog.api_key)"
}

@test "the XDG config folder is searched, then HOME/.config" {
	posthog_config
	assert_equal "$(status_json | jq -r .config_file)" "$CONF"
	unset XDG_CONFIG_HOME
	assert_equal "$(status_json | jq -r .config_file)" "$HOME/.config/usage-report/usage-report.conf"
	export XDG_CONFIG_HOME="$HOME/elsewhere"
	assert_equal "$(status_json | jq -r .config_file)" null
}

@test "--app selects APP.conf and the state folder" {
	posthog_config mycli
	run status_json --app mycli
	assert_equal "$(jq -r '.config_file, .state_dir, .identity_file' <<<"$output")" \
		"$XDG_CONFIG_HOME/usage-report/mycli.conf"$'\n'"$XDG_STATE_HOME/usage-report/mycli"$'\n'"$XDG_STATE_HOME/usage-report/mycli/usage.json"
}

@test "--config and USAGE_REPORT_CONFIG replace the search" {
	posthog_config
	printf '[posthog]\napi_key = phc_other\n' >"$BATS_TEST_TMPDIR/x.conf"
	assert_equal "$(status_json --config "$BATS_TEST_TMPDIR/x.conf" | jq -r .config_file)" "$BATS_TEST_TMPDIR/x.conf"
	assert_equal "$(USAGE_REPORT_CONFIG=$BATS_TEST_TMPDIR/x.conf status_json | jq -r .config_file)" "$BATS_TEST_TMPDIR/x.conf"
	run status_json --config "$BATS_TEST_TMPDIR/missing.conf"
	assert_equal "$(jq -r '.source, .config_issues[0]' <<<"$output")" \
		$'no-backend\ncannot read '"'$BATS_TEST_TMPDIR/missing.conf'"': No such file or directory'
}

@test "~ expands to HOME in paths, and inline # and ; comments are stripped" {
	write_config <<'EOF2'
backend = file          # one JSON line per event
state_dir = ~/state     ; semicolons too
identity_file = ~/.mycli/usage.json
[file]
path = ~/events.jsonl
EOF2
	run status_json
	assert_equal "$(jq -r '.backend, .endpoint, .state_dir, .identity_file, (.config_issues|length)' <<<"$output")" \
		"file"$'\n'"$HOME/events.jsonl"$'\n'"$HOME/state"$'\n'"$HOME/.mycli/usage.json"$'\n'"0"
}

@test "unknown keys and malformed values are reported, never fatal" {
	write_config <<'EOF2'
backend = carrier-pigeon
colour = blue
state_dir = relative/path
[posthog]
host = ftp://example
api_key = phc_k
[events]
max_per_minute = lots
[nosuch]
key = v
this line is not ini
EOF2
	run status_json
	assert_success
	assert_equal "$(jq -r '.config_issues[]' <<<"$output")" "$(cat <<'EOF2'
backend: 'carrier-pigeon' is not posthog, datadog, otlp or file
colour: unknown key
state_dir: 'relative/path' is not an absolute path
posthog.host: 'ftp://example' is not an http(s) URL
events.max_per_minute: 'lots' is not a number from 0 to 1000000
nosuch.key: unknown key
line 11: not a key = value, [section] or comment
EOF2
)"
	# the valid parts still apply: posthog with the default host
	assert_equal "$(jq -r '.backend, .endpoint, .enabled' <<<"$output")" $'posthog\nhttps://us.i.posthog.com/batch/\ntrue'
	run --separate-stderr "$UR" --command x
	assert_success
	assert_output ""
	assert_equal "$(queued | wc -l)" 1
}

@test "[consent] fails closed: a malformed or unknown consent line turns reporting off, and status says why" {
	local line
	for line in 'default = disabled' 'ci = sometimes' 'tracking_env = 1BAD' 'notice = maybe' 'defualt = off' \
		'notice_url = ftp://x' 'notice_file = relative.txt'; do
		printf '[posthog]\napi_key = phc_k\nhost = http://127.0.0.1:9\n[consent]\n%s\n' "$line" | write_config
		run status_json
		assert_equal "$(jq -c '[.enabled, .source]' <<<"$output")" '[false,"invalid-config"]'
		run --separate-stderr "$UR" --command x
		assert_success
		assert_equal "$stderr" ""
		assert_not_exist "$STATE" # off means nothing at all
	done
	printf '[posthog]\napi_key = phc_k\n[consent]\ndefault = disabled\n' | write_config
	run "$UR" status
	assert_line "usage reporting: off"
	assert_line "decided by:      invalid-config"
	assert_line "                 (the [consent] section is malformed, so reporting is off: consent.default: 'disabled' is not on or off)"
	run "$UR" enable
	assert_line "note: the config's [consent] section is malformed (consent.default: 'disabled' is not on or off), so nothing is recorded until it is mended"
	# the same value written right: on
	printf '[posthog]\napi_key = phc_k\n[consent]\ndefault = on\nnotice = tty\nnotice_url = https://example.com/p\n' | write_config
	assert_equal "$(status_json | jq -c '[.enabled, .source]')" '[true,"config"]'
	# a malformed [consent] is named before the opt-out variables, which would turn it off too
	printf '[posthog]\napi_key = phc_k\n[consent]\ndefault = disabled\n' | write_config
	assert_equal "$(DO_NOT_TRACK=1 status_json | jq -c '[.enabled, .source]')" '[false,"invalid-config"]'
}

@test "paths expand \${NAME} and \${NAME:-default} (a host's own override, such as ARCADE_WORK_DIR)" {
	write_config <<'EOF2'
backend = file
identity_file = ${ARCADE_WORK_DIR:-~/.arcade}/usage.json
state_dir = ${MYCLI_STATE:-~/st}/${MYCLI_SUB:-x}
[file]
path = ${EVENTS_DIR}/events.jsonl
EOF2
	EVENTS_DIR=$HOME/ev run status_json
	assert_equal "$(jq -r '.identity_file, .state_dir, .endpoint, (.config_issues|length)' <<<"$output")" \
		"$HOME/.arcade/usage.json"$'\n'"$HOME/st/x"$'\n'"$HOME/ev/events.jsonl"$'\n'0
	ARCADE_WORK_DIR=/srv/arcade MYCLI_SUB=y EVENTS_DIR=/e run status_json
	assert_equal "$(jq -r '.identity_file, .state_dir, .endpoint' <<<"$output")" \
		"/srv/arcade/usage.json"$'\n'"$HOME/st/y"$'\n'"/e/events.jsonl"
	# an empty variable takes the default too; an unset one with no default is never guessed
	ARCADE_WORK_DIR= run status_json
	assert_equal "$(jq -r '.identity_file, .backend, .config_issues[]' <<<"$output")" \
		"$HOME/.arcade/usage.json"$'\n'null$'\n'"file.path: '\${EVENTS_DIR}/events.jsonl' names a variable that is not set, or not as \${NAME} or \${NAME:-default}"$'\n'"backend file: required key missing (file.path)"
	# malformed forms are problems too
	printf 'state_dir = ${HOME\nidentity_file = ${1X}/u.json\n[file]\npath = ${HOME:=x}/e\n' | write_config
	assert_equal "$(status_json | jq '.config_issues | length')" 4
	# the identity really lives where the variable says
	printf 'backend = file\nidentity_file = ${ARCADE_WORK_DIR:-~/.arcade}/usage.json\n[file]\npath = ~/e.jsonl\n[consent]\nnotice = off\n' | write_config
	ARCADE_WORK_DIR=$HOME/work run "$UR" --command x --wait
	assert_file_exist "$HOME/work/usage.json"
	assert_equal "$(jq -r .distinct_id "$HOME/e.jsonl")" "$(jq -r .anon_id "$HOME/work/usage.json")"
}

@test "--debug traces the config problems" {
	printf 'colour = blue\n' | write_config
	run --separate-stderr "$UR" --debug --command x
	assert_success
	[[ "$stderr" == *"usage-report: debug: config problem: colour: unknown key"* ]]
}

@test "a backend without its required key is not configured" {
	printf 'backend = datadog\n' | write_config
	run status_json
	assert_equal "$(jq -r '.source, .config_issues[0]' <<<"$output")" \
		$'no-backend\nbackend datadog: required key missing (datadog.client_token)'
}

@test "datadog intake hosts follow the site rule" {
	local site host
	for pair in datadoghq.com:browser-intake-datadoghq.com us3.datadoghq.com:browser-intake-us3-datadoghq.com \
		us5.datadoghq.com:browser-intake-us5-datadoghq.com datadoghq.eu:browser-intake-datadoghq.eu \
		ap1.datadoghq.com:browser-intake-ap1-datadoghq.com ddog-gov.com:browser-intake-ddog-gov.com; do
		site=${pair%%:*} host=${pair#*:}
		printf 'backend = datadog\n[datadog]\nsite = %s\nclient_token = pubabc\n' "$site" | write_config
		assert_equal "$(status_json | jq -r .endpoint)" "https://$host/api/v2/logs"
	done
}

@test "the config file found under SYSCONFDIR is used when the user has none" {
	local sysconf
	sysconf=$(sed -n 's/^sysconfdir = //p' "$BUILDDIR/Makefile")
	sysconf=${sysconf/\$\{prefix\}/$(sed -n 's/^prefix = //p' "$BUILDDIR/Makefile")}
	run strings "$UR"
	assert_output --partial "$sysconf"
}

@test "a relative --config is read by the detached sender too" {
	start_intake
	posthog_config
	cp "$CONF" "$BATS_TEST_TMPDIR/rel.conf"
	rm "$CONF"
	cd "$BATS_TEST_TMPDIR"
	run "$UR" --config rel.conf --command x
	assert_equal "$("$UR" --config rel.conf status --json | jq -r .config_file)" "$BATS_TEST_TMPDIR/rel.conf"
	wait_for '[ "$(delivered_count)" = 1 ]'
}

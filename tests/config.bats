#!/usr/bin/env bats
# config.bats — the config file (SPEC §3): search order, ~ expansion, keys, bad configs.

load helpers

status_json() { "$UR" "$@" status --json; }

@test "no config file: no backend, nothing recorded" {
	run status_json
	assert_success
	assert_equal "$(jq -r '.enabled, .source, .backend, .config_file' <<<"$output")" $'false\nno-backend\nnull\nnull'
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
[consent]
default = maybe
ci = sometimes
tracking_env = 1BAD
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
consent.default: 'maybe' is not on or off
consent.ci: 'sometimes' is not report or skip
consent.tracking_env: '1BAD' is not an environment variable name
nosuch.key: unknown key
line 13: not a key = value, [section] or comment
EOF2
)"
	# the valid parts still apply: posthog with the default host
	assert_equal "$(jq -r '.backend, .endpoint, .enabled' <<<"$output")" $'posthog\nhttps://us.i.posthog.com/batch/\ntrue'
	run --separate-stderr "$UR" --command x
	assert_success
	assert_output ""
	assert_equal "$stderr" "" # no terminal: the notice waits, the event is held
	assert_equal "$(queued | wc -l)" 1
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

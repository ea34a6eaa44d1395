#!/usr/bin/env bats
# debian.bats — the Debian package (design.md §7): dpkg-buildpackage builds it from a clean tree,
# lintian reports no error or warning, it installs the files where Debian keeps them, and
# the installed program finds its sender and delivers an event. It installs a package on
# this machine: run by `make check-debian` (and .ci/run) as root, never by `make check`.

load helpers

setup_file() {
	command -v dpkg-buildpackage >/dev/null || skip "dpkg-buildpackage is not installed"
	[ "$(id -u)" = 0 ] || skip "installing a package needs root"
	export DEB_WORK=$BATS_FILE_TMPDIR/deb
	mkdir -p "$DEB_WORK"
	# a clean tree: what git tracks, nothing of this build
	git -C "$SRCDIR" archive --prefix=usage-report/ HEAD | tar -x -C "$DEB_WORK"
	(cd "$DEB_WORK/usage-report" && dpkg-buildpackage -us -uc -b >"$DEB_WORK/build.log" 2>&1) ||
		{ tail -30 "$DEB_WORK/build.log" >&3; return 1; }
}

teardown_file() {
	dpkg -r usage-report >/dev/null 2>&1 || :
}

@test "dpkg-buildpackage builds it from a clean tree" {
	run ls "$DEB_WORK"/usage-report_*_*.deb
	assert_success
}

@test "lintian reports no error and no warning" {
	run lintian --fail-on error,warning "$DEB_WORK"/usage-report_*.changes
	assert_success
}

@test "it installs the program, the sender under /usr/libexec, man pages, completions and examples" {
	local files
	files=$(dpkg -c "$DEB_WORK"/usage-report_*_*.deb | awk '{print $6}' | sed 's|^\./|/|')
	local f
	for f in /usr/bin/usage-report /usr/libexec/usage-report/usage-report-sender \
		/usr/share/man/man1/usage-report.1.gz /usr/share/man/man5/usage-report.conf.5.gz \
		/usr/share/bash-completion/completions/usage-report /usr/share/zsh/vendor-completions/_usage-report \
		/usr/share/fish/vendor_completions.d/usage-report.fish /usr/share/doc/usage-report/examples/arcade.conf \
		/usr/share/doc/usage-report/examples/wrapper.sh /usr/share/doc/usage-report/copyright; do
		grep -qx "$f" <<<"$files" || fail "$f is not in the package"
	done
}

@test "the installed program finds its sender and delivers an event; /etc is its SYSCONFDIR" {
	dpkg -i "$DEB_WORK"/usage-report_*_*.deb >/dev/null
	start_intake
	posthog_config
	run /usr/bin/usage-report --command "from the package"
	assert_success
	wait_for '[ "$(delivered_count)" = 1 ]'
	assert_equal "$(jq -r 'select(.path=="/batch/") | .body.batch[0].properties.command_name' "$INTAKE_DIR/requests.jsonl")" "from the package"
	run strings /usr/bin/usage-report
	assert_output --partial "/etc"
	refute_output --partial "/usr/local/etc"
}

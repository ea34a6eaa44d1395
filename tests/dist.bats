#!/usr/bin/env bats
# dist.bats — what pip and npm bring (design.md §9): the static executables (make
# dist-static), alone in an empty root, delivering over HTTPS to the test intake with a CA
# made here; the aarch64 twins under qemu-user; the platform wheel in a fresh venv and the
# npm packages installed offline into an empty folder, driven by real host CLIs with no
# usage-report on PATH (the arm64 one by Node 18 for aarch64 under qemu-user). Run by `make check-dist` (which builds all three first) and .ci/run.

load helpers

DIST=$BUILDDIR/dist
STATIC=$DIST/static

setup() {
	common_setup
	[ -x "$STATIC/x86_64/usage-report-sender" ] || fail "no static executables: run make dist-static"
	# Instead of any usage-report: a decoy on PATH that leaves a mark if anything runs it.
	DECOY=$BATS_TEST_TMPDIR/decoy
	mkdir -p "$DECOY"
	printf '#!/bin/sh\ntouch "%s/ran"\n' "$DECOY" >"$DECOY/usage-report"
	chmod +x "$DECOY/usage-report"
}

teardown() { common_teardown; }

# make_ca NAME: a CA (NAME.pem) and, signed by it, the intake's certificate for 127.0.0.1
# (NAME-server.pem, NAME-server.key), in $BATS_TEST_TMPDIR.
make_ca() {
	local d=$BATS_TEST_TMPDIR name=$1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=usage-report test CA $name" \
		-keyout "$d/$name.key" -out "$d/$name.pem" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$d/$name-server.key" \
		-out "$d/$name-server.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' >"$d/san.ext"
	openssl x509 -req -in "$d/$name-server.csr" -CA "$d/$name.pem" -CAkey "$d/$name.key" -CAcreateserial \
		-days 2 -extfile "$d/san.ext" -out "$d/$name-server.pem" 2>/dev/null
}

# An HTTPS intake whose certificate the CA "good" signed.
start_tls_intake() {
	make_ca good
	start_intake --tls "$BATS_TEST_TMPDIR/good-server.pem" "$BATS_TEST_TMPDIR/good-server.key"
	URL=https://127.0.0.1:$PORT
}

# empty_root: a root folder holding only the two static executables, /dev/null and the
# config /app.conf for $URL ($ROOT; the state lands in $ROOT/.local/state/usage-report/app).
empty_root() {
	[ "$(id -u)" = 0 ] || skip "chroot needs root"
	ROOT=$BATS_TEST_TMPDIR/root
	mkdir -p "$ROOT/dev"
	mknod -m 666 "$ROOT/dev/null" c 1 3
	cp "$STATIC/x86_64/usage-report" "$STATIC/x86_64/usage-report-sender" "$ROOT/"
	printf '[posthog]\nhost = %s\napi_key = phc_testkey\n\n[consent]\nnotice = off\n' "$URL" >"$ROOT/app.conf"
	RSTATE=$ROOT/.local/state/usage-report/app
	CHROOT=$(command -v chroot)
}

# in_root [VAR=VALUE...] -- ARGS: run the static usage-report in $ROOT with only HOME=/, the
# dead proxies of common_setup and the given variables in its environment.
in_root() {
	local vars=()
	while [ "$1" != -- ]; do
		vars+=("$1")
		shift
	done
	shift
	run env -i HOME=/ PATH=/ http_proxy="$http_proxy" https_proxy="$https_proxy" no_proxy="$no_proxy" "${vars[@]}" \
		"$CHROOT" "$ROOT" /usage-report --app app --config /app.conf "$@"
}

@test "dist-static: each program of each architecture is a static executable, under 6 MiB together" {
	local arch machine
	for arch in x86_64 aarch64; do
		if [ ! -d "$STATIC/$arch" ]; then
			[ "$arch" = aarch64 ] && ! command -v aarch64-linux-gnu-gcc >/dev/null && continue
			fail "dist/static/$arch is missing"
		fi
		machine=$([ "$arch" = x86_64 ] && echo X86-64 || echo AArch64)
		for p in usage-report usage-report-sender; do
			run readelf -lhd "$STATIC/$arch/$p"
			assert_line --regexp "Machine: .*$machine"
			assert_line "There is no dynamic section in this file."
			refute_line --partial "Requesting program interpreter"
		done
		(($(du -cb "$STATIC/$arch"/usage-report* | tail -1 | cut -f1) <= 6 * 1024 * 1024))
	done
	run cat "$STATIC/BUILDINFO"
	assert_line --regexp '^  curl_7\.88\.1-[^ ]+\.dsc sha256 [0-9a-f]{64}$'
	assert_line --regexp '^  openssl_3\.0\.[^ ]+\.dsc sha256 [0-9a-f]{64}$'
}

@test "dist-static: musl's executables take the fast system paths (no descriptor-by-descriptor close loop)" {
	run "$STATIC/x86_64/usage-report" --debug --version
	assert_line "portability: self-exe=/proc/self/exe random=getentropy close=close_range-syscall spawn=vfork+setsid sync=fsync timegm=timegm wipe=explicit_bzero watch=inotify lock=flock"
}

@test "dist-static: libcurl speaks HTTP and HTTPS only, over OpenSSL" {
	run "$BUILDDIR/static-cache/x86_64/prefix/bin/curl-config" --protocols
	assert_output $'HTTP\nHTTPS'
	run "$BUILDDIR/static-cache/x86_64/prefix/bin/curl-config" --ssl-backends
	assert_output --regexp '^OpenSSL'
}

@test "an empty root: delivered over HTTPS with the CA SSL_CERT_FILE names, waited for and detached" {
	start_tls_intake
	empty_root
	cp "$BATS_TEST_TMPDIR/good.pem" "$ROOT/ca.pem"
	in_root SSL_CERT_FILE=/ca.pem -- --command waited --wait
	assert_success
	assert_output ""
	in_root SSL_CERT_FILE=/ca.pem -- --command detached
	assert_success
	wait_for '[ "$(delivered_commands | wc -l)" = 2 ]'
	assert_equal "$(delivered_commands)" $'waited\ndetached'
}

@test "an empty root: with a wrong CA or none, events are kept and retried, never sent unverified" {
	start_tls_intake
	make_ca wrong
	empty_root
	in_root -- --command one --debug # no CA anywhere in this root, and none built in
	assert_success
	assert_line "usage-report: debug: certificates: none found"
	cp "$BATS_TEST_TMPDIR/wrong.pem" "$ROOT/wrong.pem"
	in_root SSL_CERT_FILE=/wrong.pem -- --command two
	in_root SSL_CERT_FILE=/wrong.pem -- flush # flush: the first failure set a backoff
	assert_success
	assert_equal "$(ls "$RSTATE/queue" | grep -vc '^\.')" 2
	in_root -- status --json
	[[ $(jq -r .last_delivery.error <<<"$output") == *certificate* ]]
	assert_equal "$(jq -c 'select(.path=="/batch/")' "$INTAKE_DIR/requests.jsonl")" ""
	cp "$BATS_TEST_TMPDIR/good.pem" "$ROOT/ca.pem"
	in_root SSL_CERT_FILE=/ca.pem -- flush
	assert_equal "$(delivered_commands | sort)" $'one\ntwo'
	assert_equal "$(ls "$RSTATE/queue" | grep -vc '^\.')" 0
}

@test "an empty root: the system's CA bundle is found where Debian, Fedora, RHEL, openSUSE, Alpine and Arch keep it" {
	start_tls_intake
	empty_root
	local path n=0 hash
	for path in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt \
		/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem /etc/ssl/ca-bundle.pem /etc/ssl/cert.pem; do
		rm -rf "$ROOT/etc"
		mkdir -p "$ROOT$(dirname "$path")"
		cp "$BATS_TEST_TMPDIR/good.pem" "$ROOT$path"
		in_root -- --command "$path" --wait
		n=$((n + 1))
		assert_equal "$(delivered_commands | tail -1)" "$path"
	done
	# a folder of hashed certificates alone (OpenSSL's c_rehash layout)
	hash=$(openssl x509 -hash -noout -in "$BATS_TEST_TMPDIR/good.pem")
	for path in /etc/ssl/certs /etc/pki/tls/certs; do
		rm -rf "$ROOT/etc"
		mkdir -p "$ROOT$path"
		cp "$BATS_TEST_TMPDIR/good.pem" "$ROOT$path/$hash.0"
		in_root -- --command "$path" --wait
		n=$((n + 1))
		assert_equal "$(delivered_commands | tail -1)" "$path"
	done
	assert_equal "$(delivered_commands | wc -l)" "$n"
}

@test "an empty root: CURL_CA_BUNDLE comes before SSL_CERT_FILE, and SSL_CERT_DIR is honoured" {
	start_tls_intake
	make_ca wrong
	empty_root
	mkdir -p "$ROOT/certs"
	cp "$BATS_TEST_TMPDIR/good.pem" "$ROOT/good.pem"
	cp "$BATS_TEST_TMPDIR/wrong.pem" "$ROOT/wrong.pem"
	in_root CURL_CA_BUNDLE=/good.pem SSL_CERT_FILE=/wrong.pem -- --command bundle --wait
	assert_equal "$(delivered_commands)" bundle
	in_root CURL_CA_BUNDLE=/wrong.pem SSL_CERT_FILE=/good.pem -- --command not-sent --wait
	assert_equal "$(delivered_commands)" bundle
	cp "$BATS_TEST_TMPDIR/good.pem" "$ROOT/certs/$(openssl x509 -hash -noout -in "$BATS_TEST_TMPDIR/good.pem").0"
	in_root SSL_CERT_DIR=/certs -- --command dir
	in_root SSL_CERT_DIR=/certs -- flush # the failure above set a backoff: flush sends anyway
	assert_equal "$(delivered_commands | sort)" $'bundle\ndir\nnot-sent'
}

@test "an empty root: the static sender goes through the proxy http_proxy names" {
	start_intake
	URL=http://intake.usage-report.invalid empty_root
	run env -i HOME=/ http_proxy="http://127.0.0.1:$PORT" "$CHROOT" "$ROOT" /usage-report --app app --config /app.conf \
		--command via-proxy --wait
	assert_success
	assert_equal "$(jq -r 'select(.path=="/batch/") | .headers.host, .status' "$INTAKE_DIR/requests.jsonl")" \
		$'intake.usage-report.invalid\n200'
}

# run_aarch64_sender SENDER APP: run an aarch64 sender under qemu-user, in the foreground, as
# usage-report would start it (which needs binfmt_misc, which a container may lack), trusting
# the CA of start_tls_intake.
run_aarch64_sender() {
	local proto
	proto=$(sed -n 's/^#define SENDER_PROTO_VERSION //p' "$SRCDIR/src/common/sender-proto.h")
	SSL_CERT_FILE=$BATS_TEST_TMPDIR/good.pem run qemu-aarch64-static "$1" \
		--app "$2" --config "$XDG_CONFIG_HOME/usage-report/$2.conf" --foreground --proto "$proto"
}

@test "aarch64: the executables run under qemu-user: an event queued, then delivered over HTTPS" {
	command -v aarch64-linux-gnu-gcc >/dev/null || skip "no aarch64 cross compiler: no aarch64 build"
	command -v qemu-aarch64-static >/dev/null || fail "qemu-user-static is missing"
	[ -x "$STATIC/aarch64/usage-report" ] || fail "dist/static/aarch64 is missing"
	start_tls_intake
	posthog_config app
	run qemu-aarch64-static "$STATIC/aarch64/usage-report" --version
	assert_output --regexp '^usage-report [0-9.]+$'
	# the foreground's own start of the sender needs binfmt_misc, which a container may lack:
	# the sender is then run here, as the foreground would run it
	run qemu-aarch64-static "$STATIC/aarch64/usage-report" --app app --command arm64
	assert_success
	assert_output ""
	run_aarch64_sender "$STATIC/aarch64/usage-report-sender" app
	assert_success
	wait_for '[ "$(delivered_commands)" = arm64 ]'
}

# A venv of Debian's own python3 (which has typer, as python3-typer), with pip's own wheel.
fresh_venv() {
	/usr/bin/python3 -m venv --system-site-packages "$BATS_TEST_TMPDIR/venv" || fail "python3 -m venv failed (python3-venv)"
	PY=$BATS_TEST_TMPDIR/venv/bin/python
}

@test "wheel: tagged for every Linux of its architecture, the executables inside and executable" {
	local whl=$DIST/usage_report-0.1.0-py3-none-manylinux_2_17_x86_64.musllinux_1_1_x86_64.whl
	assert_file_exist "$whl"
	run python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for n in ("usage_report/bin/usage-report", "usage_report/bin/usage-report-sender"):
    print(n, oct(z.getinfo(n).external_attr >> 16 & 0o777))
print(z.read("usage_report-0.1.0.dist-info/WHEEL").decode())' "$whl"
	assert_line "usage_report/bin/usage-report 0o755"
	assert_line "usage_report/bin/usage-report-sender 0o755"
	assert_line "Root-Is-Purelib: false"
	assert_line "Tag: py3-none-manylinux_2_17_x86_64"
	assert_line "Tag: py3-none-musllinux_1_1_x86_64"
	if [ -d "$STATIC/aarch64" ]; then
		assert_file_exist "$DIST/usage_report-0.1.0-py3-none-manylinux_2_17_aarch64.musllinux_1_1_aarch64.whl"
	fi
}

@test "wheel: win_amd64 carries the Windows executables, and the one inside answers under wine" {
	local whl=$DIST/usage_report-0.1.0-py3-none-win_amd64.whl
	assert_file_exist "$whl"
	run python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print(z.read("usage_report-0.1.0.dist-info/WHEEL").decode())
z.extractall(sys.argv[2])' "$whl" "$BATS_TEST_TMPDIR/whl"
	assert_line "Tag: py3-none-win_amd64"
	assert_line "Root-Is-Purelib: false"
	local bin=$BATS_TEST_TMPDIR/whl/usage_report/bin
	cmp "$bin/usage-report.exe" "$DIST/windows/usage-report.exe"
	cmp "$bin/usage-report-sender.exe" "$DIST/windows/usage-report-sender.exe"
	command -v wine >/dev/null || skip "wine is missing"
	wine_prefix
	run timeout 120 wine "$bin/usage-report.exe" --version </dev/null 3>&-
	wineserver -k 2>/dev/null || true
	assert_output "usage-report 0.1.0"
}

@test "wheel: pip install into a fresh venv, offline; a typer CLI delivers over HTTPS, no usage-report on PATH" {
	fresh_venv
	run "$PY" -m pip install --no-index --quiet "$DIST"/usage_report-*_x86_64.whl
	assert_success
	start_tls_intake
	posthog_config democli
	run env PATH="$DECOY" SSL_CERT_FILE="$BATS_TEST_TMPDIR/good.pem" "$PY" "$SRCDIR/python/tests/typercli.py" exit3
	assert_equal "$status" 3
	wait_for '[ "$(delivered_commands)" = "typercli exit3" ]'
	assert_equal "$(jq -r 'select(.path=="/batch/") | .body.batch[0].properties.exit_code' "$INTAKE_DIR/requests.jsonl")" 3
	assert_file_not_exist "$DECOY/ran"
	run env PATH="$DECOY" "$PY" -m usage_report --version
	assert_output --regexp '^usage-report [0-9.]+$'
	assert_file_not_exist "$DECOY/ran"
}

@test "wheel: with no executable for the platform and none on PATH, the helper does nothing, silently" {
	fresh_venv
	run "$PY" -m pip install --no-index --quiet "$SRCDIR/python" # the pure wheel: no executable
	assert_success
	local empty=$BATS_TEST_TMPDIR/empty-path
	mkdir -p "$empty"
	run --separate-stderr env PATH="$empty" "$PY" "$SRCDIR/python/tests/typercli.py" done
	assert_success
	assert_output done
	assert_equal "$stderr" ""
	run -127 --separate-stderr env PATH="$empty" "$PY" -m usage_report --version
	assert_equal "$stderr" "usage-report: this package carries no executable for this platform, and none is on PATH"
}

# An empty npm project in $BATS_TEST_TMPDIR/host, the packages installed offline.
npm_host() {
	command -v npm >/dev/null || fail "npm is missing"
	HOST=$BATS_TEST_TMPDIR/host
	mkdir -p "$HOST"
	cd "$HOST"
	echo '{"name":"host","version":"1.0.0"}' >package.json
	run npm install --offline --no-audit --no-fund --loglevel=error "$@"
}

# A CommonJS and an ES module host, each reporting one command.
write_hosts() {
	cat >"$HOST/host.cjs" <<'EOF'
const usageReport = require('usage-report');
usageReport.configure({ app: 'mycli', cliVersion: '1.0.0' });
usageReport.command('mycli cjs', () => console.log('cjs ran'))();
EOF
	cat >"$HOST/host.mjs" <<'EOF'
import * as usageReport from 'usage-report';
usageReport.configure({ app: 'mycli', cliVersion: '1.0.0' });
await usageReport.command('mycli esm', async () => console.log('esm ran'))();
EOF
}

@test "npm: the tarballs installed offline into an empty folder; CommonJS and ESM hosts deliver over HTTPS" {
	npm_host "$DIST/npm/usage-report-0.1.0.tgz" "$DIST/npm/usage-report-linux-x64-0.1.0.tgz"
	assert_success
	assert_file_executable node_modules/@usage-report/linux-x64/bin/usage-report
	assert_file_executable node_modules/@usage-report/linux-x64/bin/usage-report-sender
	assert_file_exist node_modules/@usage-report/linux-x64/lib/usage-report.node
	assert_equal "$(jq -r '.optionalDependencies | keys | join(" ")' node_modules/usage-report/package.json)" \
		"$( [ -d "$STATIC/aarch64" ] && echo '@usage-report/linux-arm64 ')@usage-report/linux-x64$( [ -d "$DIST/windows" ] && echo ' @usage-report/win32-x64')"
	write_hosts
	start_tls_intake
	posthog_config mycli
	local node
	node=$(command -v node)
	run env PATH="$DECOY" SSL_CERT_FILE="$BATS_TEST_TMPDIR/good.pem" "$node" host.cjs
	assert_output "cjs ran"
	run env PATH="$DECOY" SSL_CERT_FILE="$BATS_TEST_TMPDIR/good.pem" "$node" host.mjs
	assert_output "esm ran"
	wait_for '[ "$(delivered_commands | sort | tr "\n" " ")" = "mycli cjs mycli esm " ]'
	assert_file_not_exist "$DECOY/ran"
}

@test "npm: each Linux package's native starter is a shared object of its architecture, needing no glibc past 2.17" {
	local arch tgz dir
	for arch in x64:X86-64 arm64:AArch64; do
		tgz=$DIST/npm/usage-report-linux-${arch%%:*}-0.1.0.tgz
		[ -f "$tgz" ] || { [ "${arch%%:*}" = arm64 ] && continue; fail "no $tgz"; }
		dir=$BATS_TEST_TMPDIR/${arch%%:*}
		mkdir -p "$dir"
		tar -xzf "$tgz" -C "$dir"
		run readelf -h "$dir/package/lib/usage-report.node"
		assert_line --regexp "Type: +DYN "
		assert_line --regexp "Machine: .*${arch#*:}"
		# the newest glibc symbol version it asks for
		run sh -c "readelf -V '$dir/package/lib/usage-report.node' | grep -o 'GLIBC_[0-9.]*' | sort -V | tail -1"
		[[ $output =~ ^GLIBC_2\.([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -le 17 ] || fail "needs $output"
	done
}

@test "npm: the installed helper starts usage-report with posix_spawn (the native starter), not a fork of Node" {
	command -v strace >/dev/null || fail "strace is missing"
	npm_host "$DIST/npm/usage-report-0.1.0.tgz" "$DIST/npm/usage-report-linux-x64-0.1.0.tgz"
	assert_success
	write_hosts
	start_intake
	posthog_config mycli
	local node
	node=$(command -v node)
	# the main thread's process-making calls only: no threads, no signal lines (a SIGCHLD
	# from usage-report may arrive while Node still runs)
	run strace -qq -e signal=none -o "$BATS_TEST_TMPDIR/strace.log" -e trace=clone,clone3,fork,vfork \
		env PATH="$DECOY" "$node" host.cjs
	assert_output "cjs ran"
	run sh -c 'grep -E "^(clone|clone3|fork|vfork)\(.* = [0-9]+\$" "$1" | grep -v CLONE_THREAD |
		sed -E "s/.*CLONE_VM\\|CLONE_VFORK.*/vfork/; t; s/(.{0,160}).*/fork: \\1/"' _ "$BATS_TEST_TMPDIR/strace.log"
	assert_output vfork # else the calls, for a diagnosis
	wait_for '[ "$(delivered_commands)" = "mycli cjs" ]'
}

@test "npm: on aarch64 (qemu-user), Node 18 loads the linux-arm64 package's native starter, which starts its usage-report" {
	local tgz=$DIST/npm/usage-report-linux-arm64-0.1.0.tgz node=$SRCDIR/tests/node18-arm64-cache/package/bin/node
	[ -f "$tgz" ] || skip "no aarch64 build"
	[ -x "$node" ] || skip "Node 18 for aarch64 is not unpacked (./bootstrap --test)"
	command -v qemu-aarch64-static >/dev/null || fail "qemu-user-static is missing"
	# What npm installs on an arm64 machine: the helper, and of its optional platform packages
	# the one whose os and cpu match (--cpu=arm64), taken from the tarball offline.
	local repack=$BATS_TEST_TMPDIR/repack
	mkdir -p "$repack"
	tar -xzf "$DIST/npm/usage-report-0.1.0.tgz" -C "$repack"
	jq --arg arm "file:$tgz" --arg x64 "file:$DIST/npm/usage-report-linux-x64-0.1.0.tgz" \
		'.optionalDependencies = {"@usage-report/linux-arm64": $arm, "@usage-report/linux-x64": $x64}' \
		"$repack/package/package.json" >"$repack/package.json" && mv "$repack/package.json" "$repack/package/package.json"
	(cd "$repack" && npm pack --silent ./package >/dev/null) || fail "npm pack failed"
	npm_host --cpu=arm64 "$repack/usage-report-0.1.0.tgz"
	assert_success
	assert_equal "$(ls node_modules/@usage-report)" linux-arm64
	local pkg=$HOST/node_modules/@usage-report/linux-arm64
	assert_file_exist "$pkg/lib/usage-report.node"
	start_tls_intake
	posthog_config mycli
	# Without binfmt_misc (a container) the kernel cannot exec an aarch64 file: the host names a
	# script that runs the package's usage-report under qemu, and the sender is run below as
	# the foreground would run it.
	printf '#!/bin/sh\nexec qemu-aarch64-static "%s/bin/usage-report" "$@"\n' "$pkg" >"$HOST/usage-report-arm64"
	chmod +x "$HOST/usage-report-arm64"
	cat >"$HOST/host.cjs" <<'EOF'
const usageReport = require('usage-report');
usageReport.configure({ app: 'mycli', cliVersion: '1.0.0', binary: process.argv[2] });
usageReport.command('mycli arm64', () => console.log('arm64 ran'))();
EOF
	# the aarch64 Node's own libraries (glibc, libstdc++) are the cross compiler's
	run --separate-stderr qemu-aarch64-static -L /usr/aarch64-linux-gnu -strace \
		"$node" "$HOST/host.cjs" "$HOST/usage-report-arm64"
	assert_success
	assert_output "arm64 ran"
	# the starter of the arm64 package was loaded, and started usage-report by posix_spawn
	# (CLONE_VM|CLONE_VFORK), not by a fork of Node
	grep -qE '^[0-9]+ openat\(.*/@usage-report/linux-arm64/lib/usage-report\.node",.*\) = [0-9]+$' <<<"$stderr" || fail "the arm64 starter was not loaded"
	grep -qE '^[0-9]+ clone\(CLONE_VM\|CLONE_VFORK' <<<"$stderr" || fail "usage-report was not started by posix_spawn"
	wait_for '[ -n "$(ls "$XDG_STATE_HOME/usage-report/mycli/queue" 2>/dev/null)" ]'
	run_aarch64_sender "$pkg/bin/usage-report-sender" mycli
	assert_success
	assert_equal "$(delivered_commands)" "mycli arm64"
	# the event came whole through the starter's stdin, not from the caller's event variables
	assert_equal "$(accepted_events | jq -r '.properties.cli_version')" 1.0.0
}

@test "npm: a platform package says its os and cpu: npm refuses the one for another machine" {
	[ -f "$DIST/npm/usage-report-linux-arm64-0.1.0.tgz" ] || skip "no aarch64 build"
	[ "$(uname -m)" = x86_64 ] || skip "this test runs on x86_64"
	npm_host "$DIST/npm/usage-report-linux-arm64-0.1.0.tgz"
	assert_failure
	assert_output --partial EBADPLATFORM
}

@test "npm: @usage-report/win32-x64 carries the Windows executables, for win32 x64 only" {
	local tgz=$DIST/npm/usage-report-win32-x64-0.1.0.tgz
	assert_file_exist "$tgz"
	run tar -tzf "$tgz"
	assert_output "package/package.json
package/bin/usage-report.exe
package/bin/usage-report-sender.exe"
	assert_equal "$(tar -xOzf "$tgz" package/package.json | jq -c '[.os, .cpu]')" '[["win32"],["x64"]]'
	npm_host "$tgz"
	assert_failure
	assert_output --partial EBADPLATFORM
}

@test "npm: with no package for the platform and nothing on PATH, the helper does nothing, silently" {
	npm_host "$DIST/npm/usage-report-0.1.0.tgz" # the optional platform package cannot be fetched offline
	assert_success
	assert_file_not_exist node_modules/@usage-report/linux-x64
	write_hosts
	local empty=$BATS_TEST_TMPDIR/empty-path node
	node=$(command -v node)
	mkdir -p "$empty"
	run --separate-stderr env PATH="$empty" "$node" host.cjs
	assert_success
	assert_output "cjs ran"
	assert_equal "$stderr" ""
	run --separate-stderr env PATH="$empty" "$node" host.mjs
	assert_success
	assert_output "esm ran"
	assert_equal "$stderr" ""
}

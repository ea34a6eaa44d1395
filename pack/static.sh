#!/usr/bin/env bash
# static.sh — fully static Linux executables of usage-report and usage-report-sender, linked
# against musl, every library built from the Debian source packages pinned in sources.lock
# (design.md §9). Run by `make dist-static`.
#
#   pack/static.sh SRCDIR BUILDDIR ARCH...      ARCH: x86_64, aarch64
#
# Writes BUILDDIR/dist/static/ARCH/{usage-report,usage-report-sender} and
# BUILDDIR/dist/static/BUILDINFO (what was built from what). Everything it builds is cached
# under BUILDDIR/static-cache: a library is rebuilt only when its pinned version or its
# recipe below changes, so a second run only recompiles the project's own changed files.
# An ARCH whose cross compiler is missing is skipped with a message (exit 0); any other
# failure stops the run (exit 1) and names the log to read.
set -euo pipefail

SRCDIR=$(cd "$1" && pwd)
BUILDDIR=$(cd "$2" && pwd)
shift 2
CACHE=$BUILDDIR/static-cache
DIST=$BUILDDIR/dist/static
JOBS=$(nproc 2>/dev/null || echo 2)
LOCK=$SRCDIR/pack/sources.lock

say() { echo "dist-static: $*" >&2; }
die() { say "$*"; exit 1; }

# The pinned version of a package, from sources.lock.
pinned() { awk -v p="$1" '$1 == p { print $2 }' "$LOCK"; }

# apt with a sources list of its own (deb-src entries for the suites sources.lock names, on
# the system's Debian mirror) and lists of its own: the system's apt configuration is never
# touched. apt-get source checks every file against the signed index (the archive keyring).
apt_own() {
	apt-get -q -o Dir::Etc::sourcelist="$CACHE/apt/sources.list" -o Dir::Etc::sourceparts=/nonexistent \
		-o Dir::State::Lists="$CACHE/apt/lists" -o Dir::Cache="$CACHE/apt/cache" \
		-o APT::Sandbox::User=root "$@"
}

mirror() {
	local uri
	uri=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
		grep -v security | head -1 | awk '{ print ($1 == "deb") ? $2 : $2 }')
	[ "${uri#\[}" = "$uri" ] || uri=""
	echo "${uri:-http://deb.debian.org/debian}"
}

fetch_sources() {
	local stamp=$CACHE/sources/.stamp
	if [ -f "$stamp" ] && cmp -s "$stamp" "$LOCK"; then
		return
	fi
	say "fetching the pinned Debian source packages"
	mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial" "$CACHE/sources"
	local m suites
	m=$(mirror)
	suites=$(awk '!/^#/ && NF >= 3 { print $3 }' "$LOCK" | sort -u)
	: >"$CACHE/apt/sources.list"
	for s in $suites; do
		echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $m $s main" >>"$CACHE/apt/sources.list"
	done
	apt_own update >"$CACHE/apt/update.log" 2>&1 || die "apt-get update failed: $CACHE/apt/update.log"
	local pins
	pins=$(awk '!/^#/ && NF >= 3 { print $1 "=" $2 }' "$LOCK")
	rm -rf "$CACHE/sources" && mkdir -p "$CACHE/sources"
	(cd "$CACHE/sources" && apt_own source $pins) >"$CACHE/apt/source.log" 2>&1 ||
		die "apt-get source failed (a pin no longer in the archive?): $CACHE/apt/source.log"
	cp "$LOCK" "$stamp"
}

# The unpacked source folder of a package (apt-get source unpacked it as NAME-UPSTREAMVERSION).
srcdir_of() {
	local v
	v=$(pinned "$1")
	v=${v#*:}
	v=${v%-*}
	echo "$CACHE/sources/$1-$v"
}

# ---- the toolchain of one architecture ----------------------------------------------------

# musl for a cross target is built from Debian's musl source, with its gcc wrapper; the
# host's own musl comes from musl-tools (the same Debian version).
build_musl() {
	CC="${CROSS}gcc" ./configure --prefix="$MUSL" --target="$ARCH" CROSS_COMPILE="$CROSS" --disable-shared \
		--enable-wrapper=gcc
	make -j"$JOBS"
	make install
}

toolchain() {
	KH=$CACHE/$ARCH/kernel-headers
	case $ARCH in
	x86_64)
		command -v musl-gcc >/dev/null || { say "musl-gcc is missing (apt-get install musl-tools)"; return 1; }
		CC=musl-gcc HOST=x86_64-linux-musl
		OSSL_TARGET=linux-x86_64
		local inc=/usr/include
		mkdir -p "$KH"
		ln -sfn "$inc/linux" "$KH/linux"
		ln -sfn "$inc/asm-generic" "$KH/asm-generic"
		ln -sfn "$inc/x86_64-linux-gnu/asm" "$KH/asm"
		;;
	aarch64)
		CROSS=aarch64-linux-gnu-
		command -v "${CROSS}gcc" >/dev/null || { say "skipping aarch64: ${CROSS}gcc is missing (apt-get install gcc-aarch64-linux-gnu)"; return 1; }
		MUSL=$CACHE/$ARCH/musl CC=$CACHE/$ARCH/musl/bin/musl-gcc HOST=aarch64-linux-musl
		OSSL_TARGET=linux-aarch64
		local inc=/usr/aarch64-linux-gnu/include
		mkdir -p "$KH"
		ln -sfn "$inc/linux" "$KH/linux"
		ln -sfn "$inc/asm-generic" "$KH/asm-generic"
		ln -sfn "$inc/asm" "$KH/asm"
		step musl
		;;
	windows)
		CROSS=x86_64-w64-mingw32-
		command -v "${CROSS}gcc" >/dev/null || { say "skipping windows: ${CROSS}gcc is missing (apt-get install gcc-mingw-w64-x86-64)"; return 1; }
		CC=${CROSS}gcc HOST=x86_64-w64-mingw32
		AR=${CROSS}ar RANLIB=${CROSS}ranlib NM=${CROSS}nm STRIP=${CROSS}strip
		return
		;;
	*) die "unknown architecture $ARCH (x86_64, aarch64 or windows)" ;;
	esac
	# musl's headers do not include the kernel's; util-linux's configure needs them
	CC="$CC -isystem $KH"
	AR=${CROSS}ar RANLIB=${CROSS}ranlib NM=${CROSS}nm STRIP=${CROSS}strip
}

# ---- the libraries ------------------------------------------------------------------------

build_zlib() {
	CFLAGS="-O2" ./configure --static --prefix="$PREFIX"
	make -j"$JOBS" libz.a
	make install
}

# jansson and libyaml come without a generated configure (Debian runs autoreconf too).
build_jansson() {
	autoreconf -fi
	./configure --host="$HOST" --prefix="$PREFIX" --disable-shared --enable-static CFLAGS=-O2
	make -j"$JOBS"
	make install
}

build_libyaml() {
	autoreconf -fi
	./configure --host="$HOST" --prefix="$PREFIX" --disable-shared --enable-static CFLAGS=-O2
	make -j"$JOBS"
	make install
}

# libuuid alone, from util-linux.
build_util_linux() {
	./configure --host="$HOST" --prefix="$PREFIX" --disable-all-programs --enable-libuuid --disable-shared \
		--enable-static --without-python --disable-nls --without-systemd --without-udev --disable-bash-completion \
		CFLAGS=-O2
	make -j"$JOBS" libuuid.la
	make install-uuidincHEADERS install-usrlib_execLTLIBRARIES install-pkgconfigDATA
}

# inih is one C file, compiled with inih's own defaults (those of the header every caller
# sees: no INI_HANDLER_LINENO) and described by an inih.pc like Debian's.
build_libinih() {
	$CC -O2 -c ini.c -o ini.o
	mkdir -p "$PREFIX/lib/pkgconfig" "$PREFIX/include"
	$AR rcs "$PREFIX/lib/libinih.a" ini.o
	cp ini.h "$PREFIX/include/"
	printf 'prefix=%s\nlibdir=${prefix}/lib\nincludedir=${prefix}/include\n\nName: inih\nDescription: simple .INI file parser\nVersion: %s\nLibs: -L${libdir} -linih\nCflags: -I${includedir}\n' \
		"$PREFIX" "$(pinned libinih)" >"$PREFIX/lib/pkgconfig/inih.pc"
}

# OpenSSL 3.0, libraries only, without what HTTPS to an intake never uses. Its own folder
# (OPENSSLDIR) is one no system has, so that no system openssl.cnf is loaded: the sender
# finds the certificates itself (http.c).
build_openssl() {
	./Configure "$OSSL_TARGET" CC="$CC" --prefix="$PREFIX" --libdir=lib --openssldir=/usr/lib/usage-report/ssl \
		no-shared no-tests no-engine no-dso no-async no-afalgeng no-legacy no-comp no-ssl3 no-dtls no-srp \
		no-psk no-idea no-seed no-whirlpool no-md4 no-mdc2 no-rc2 no-rc4 no-rc5 no-bf no-cast no-camellia \
		no-aria no-sm2 no-sm3 no-sm4 no-cms no-ts no-ct no-ui-console
	make -j"$JOBS" build_libs
	make install_dev
}

# libcurl for HTTP and HTTPS only; no CA path compiled in (the sender finds the bundle at
# run time), the threaded resolver (timeouts hold while a name resolves).
build_curl() {
	./configure --host="$HOST" --prefix="$PREFIX" --disable-shared --enable-static --with-openssl="$PREFIX" \
		--without-ca-bundle --without-ca-path --without-ca-fallback --enable-threaded-resolver \
		--disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet --disable-tftp \
		--disable-pop3 --disable-imap --disable-smb --disable-smtp --disable-gopher --disable-mqtt \
		--disable-ftp --disable-file --disable-manual --disable-docs --disable-ntlm --disable-cookies \
		--without-libpsl --without-libidn2 --without-nghttp2 --without-brotli --without-zstd \
		--without-zlib --without-librtmp --without-libssh2 CFLAGS=-O2 CPPFLAGS="-I$PREFIX/include" \
		LDFLAGS="-L$PREFIX/lib"
	make -j"$JOBS" -C lib
	make -C lib install
	make -C include install
	make install-pkgconfigDATA install-binSCRIPTS # curl-config: what this libcurl speaks
}

# Windows: zlib's configure knows mingw only from CHOST; libcurl speaks TLS through Schannel,
# Windows' own TLS and certificate store (no OpenSSL to build, no bundle to find).
build_zlib_windows() {
	CHOST=x86_64-w64-mingw32 CFLAGS="-O2" ./configure --static --prefix="$PREFIX"
	make -j"$JOBS" libz.a
	make install
}

build_curl_windows() {
	./configure --host="$HOST" --prefix="$PREFIX" --disable-shared --enable-static --with-schannel \
		--without-ca-bundle --without-ca-path --without-ca-fallback --enable-threaded-resolver \
		--disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet --disable-tftp \
		--disable-pop3 --disable-imap --disable-smb --disable-smtp --disable-gopher --disable-mqtt \
		--disable-ftp --disable-file --disable-manual --disable-docs --disable-ntlm --disable-cookies \
		--without-libpsl --without-libidn2 --without-nghttp2 --without-brotli --without-zstd \
		--without-zlib --without-librtmp --without-libssh2 CFLAGS=-O2
	make -j"$JOBS" -C lib
	make -C lib install
	make -C include install
	make install-pkgconfigDATA
}

# Build one package unless its stamp says this version was built by this very recipe.
step() {
	local pkg=$1 fn=build_${1//-/_}
	declare -F "${fn}_$ARCH" >/dev/null && fn=${fn}_$ARCH
	local stamp=$CACHE/$ARCH/stamps/$pkg want
	want="$(pinned "$pkg") $CC $AR $(declare -f "$fn")"
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		return
	fi
	say "$ARCH: building $pkg $(pinned "$pkg")"
	local work=$CACHE/$ARCH/build/$pkg log=$CACHE/$ARCH/$pkg.log
	rm -rf "$work" && mkdir -p "$work" "$CACHE/$ARCH/stamps"
	cp -a "$(srcdir_of "$pkg")/." "$work/"
	local t0=$SECONDS
	(cd "$work" && export CC AR RANLIB NM && "$fn") >"$log" 2>&1 || die "$ARCH: $pkg failed: $log"
	say "$ARCH: $pkg built in $((SECONDS - t0)) s"
	printf '%s' "$want" >"$stamp"
}

# ---- the project ----------------------------------------------------------------------------

# A pristine copy of the project's distributed files (automake builds out of tree only
# from an unconfigured source folder); unchanged files keep their times, so make in the
# static build folder recompiles only what changed.
project_sources() {
	rm -rf "$CACHE/dist.new"
	make -s -C "$BUILDDIR" distdir distdir="$CACHE/dist.new" >/dev/null
	mkdir -p "$CACHE/project"
	cp -pRu "$CACHE/dist.new/." "$CACHE/project/"
	rm -rf "$CACHE/dist.new"
}

build_project() {
	local obj=$CACHE/$ARCH/project out=$DIST/$ARCH exe=""
	if [ "$ARCH" = windows ]; then
		out=$BUILDDIR/dist/windows exe=.exe
	fi
	mkdir -p "$obj"
	if [ ! -f "$obj/Makefile" ]; then
		say "$ARCH: configuring usage-report"
		(cd "$obj" && "$CACHE/project/configure" -q --host="$HOST" --prefix=/usr --sysconfdir=/etc \
			--libexecdir=/usr/libexec --disable-static-deps CC="$CC" CFLAGS="-O2" LDFLAGS="-static" \
			PKG_CONFIG="pkg-config --static" PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig" PKG_CONFIG_PATH="") \
			>"$CACHE/$ARCH/project.log" 2>&1 || die "$ARCH: configure failed: $CACHE/$ARCH/project.log"
	fi
	make -s -C "$obj" -j"$JOBS" "src/usage-report$exe" "src/usage-report-sender$exe" >>"$CACHE/$ARCH/project.log" 2>&1 ||
		die "$ARCH: build failed: $CACHE/$ARCH/project.log"
	mkdir -p "$out"
	for p in usage-report usage-report-sender; do
		$STRIP -o "$out/$p$exe.new" "$obj/src/$p$exe"
		mv -f "$out/$p$exe.new" "$out/$p$exe"
	done
	say "$ARCH: $out ($(du -cb "$out"/usage-report* | tail -1 | cut -f1) bytes)"
}

# BUILDINFO beside the executables of dist/static/ or dist/windows/.
buildinfo() {
	{
		echo "usage-report static executables, built $(date -u +%Y-%m-%d) from these Debian source packages"
		echo "(checked by apt-get source against the archive's signed index):"
		for dsc in "$CACHE"/sources/*.dsc; do
			echo "  $(basename "$dsc") sha256 $(sha256sum "$dsc" | cut -d' ' -f1)"
		done
	} >"$1/BUILDINFO"
}

fetch_sources
project_sources
for ARCH in "$@"; do
	PREFIX=$CACHE/$ARCH/prefix
	CROSS="" MUSL="" AR=""
	toolchain || continue
	# Windows has its own UUIDs (rpcrt4) and TLS (Schannel)
	case $ARCH in
	windows) pkgs="zlib jansson libyaml libinih curl" ;;
	*) pkgs="zlib jansson libyaml util-linux libinih openssl curl" ;;
	esac
	for pkg in $pkgs; do
		step "$pkg"
	done
	build_project
	if [ "$ARCH" = windows ]; then buildinfo "$BUILDDIR/dist/windows"; else buildinfo "$DIST"; fi
done

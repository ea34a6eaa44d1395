#!/usr/bin/env bash
# addon.sh — the Node helper's native starter (node/addon.c) for the npm platform packages
# (make npm-packages, design.md §9): usage-report.node for each Linux architecture, built
# against glibc 2.17's symbols or older and Node-API 8, so that one file loads in every Node
# from 18 on; where it does not load (a musl Node), the helper uses child_process.
# Writes BUILDDIR/dist/node/ARCH/usage-report.node.
#
#   pack/addon.sh SRCDIR BUILDDIR ARCH...      ARCH: x86_64, aarch64
set -euo pipefail
SRC=$1 BUILD=$2
shift 2
say() { echo "dist-addon: $*" >&2; }

# Node's headers: beside the node on PATH, the system's, or Debian's Node 18 that
# ./bootstrap --test unpacks (libnode-dev).
headers=""
for dir in "$(command -v node 2>/dev/null | sed 's,/bin/node$,,')/include/node" /usr/include/node \
	"$SRC/tests/node18-cache/root/usr/include/node"; do
	[ -f "$dir/node_api.h" ] && { headers=$dir; break; }
done
[ -n "$headers" ] || { say "node_api.h not found (Node's headers: Debian's libnode-dev)"; exit 1; }

for arch; do
	case $arch in
	x86_64) cross= ;;
	aarch64) cross=aarch64-linux-gnu- ;;
	*) say "unknown architecture $arch (x86_64 or aarch64)"; exit 1 ;;
	esac
	command -v "${cross}gcc" >/dev/null || { say "skipping $arch: ${cross}gcc is missing"; continue; }
	out=$BUILD/dist/node/$arch
	mkdir -p "$out"
	"${cross}gcc" -std=c11 -O2 -Wall -Wextra -Werror -shared -fPIC -I"$headers" \
		-o "$out/usage-report.node" "$SRC/node/addon.c"
	"${cross}strip" --strip-unneeded "$out/usage-report.node"
	say "dist/node/$arch/usage-report.node"
done

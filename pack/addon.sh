#!/usr/bin/env bash
# addon.sh — the Node helper's native starter (node/addon.c), built against glibc 2.17's
# symbols or older and Node-API 8, so that one file loads in every Node from 18 on (where it
# does not load, a musl Node, the helper uses child_process). NODE_API_CFLAGS finds
# node_api.h (configure looks beside the node on PATH, in /usr/include/node, and in the
# Debian Node 18 that ./bootstrap --test unpacks).
#
#   pack/addon.sh SRCDIR BUILDDIR ARCH...
#     ARCH x86_64, aarch64: BUILDDIR/dist/node/ARCH/usage-report.node, stripped, for the npm
#          platform packages (make dist-addons, design.md §9)
#     native: BUILDDIR/node/usage-report.node with this machine's compiler, for the helper's
#          tests (make check)
set -euo pipefail
SRC=$1 BUILD=$2
shift 2
say() { echo "dist-addon: $*" >&2; }
[ -n "${NODE_API_CFLAGS:-}" ] || { say "node_api.h not found (Node's headers: Debian's libnode-dev; configure again)"; exit 1; }

for arch; do
	case $arch in
	native) cross= out=$BUILD/node ;;
	x86_64) cross= out=$BUILD/dist/node/$arch ;;
	aarch64) cross=aarch64-linux-gnu- out=$BUILD/dist/node/$arch ;;
	*) say "unknown architecture $arch (x86_64, aarch64 or native)"; exit 1 ;;
	esac
	command -v "${cross}gcc" >/dev/null || { say "skipping $arch: ${cross}gcc is missing"; continue; }
	mkdir -p "$out"
	# shellcheck disable=SC2086 # NODE_API_CFLAGS is a list of flags
	"${cross}gcc" -std=c11 -O2 -Wall -Wextra -Werror -shared -fPIC $NODE_API_CFLAGS \
		-o "$out/usage-report.node" "$SRC/node/addon.c"
	[ "$arch" = native ] || { "${cross}strip" --strip-unneeded "$out/usage-report.node"; say "dist/node/$arch/usage-report.node"; }
done

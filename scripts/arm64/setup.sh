#!/usr/bin/env bash
# Prepares everything the linux-arm64 cross build and its qemu test run need, on a
# Debian (bookworm) x86-64 host, reproducibly and without touching the host's Node:
#   - the aarch64 cross toolchain (g++-aarch64-linux-gnu), qemu-user and cmake (for the
#     C++ tests, scripts/check-arm64-compile.sh) (apt, as root);
#   - a sysroot with Debian's arm64 Node.js and the shared libraries it needs,
#     unpacked from .deb files fetched with `apt-get download` (never installed).
# Result: $DENSELY_ARM64_SYSROOT (default .cache/arm64-sysroot) holds usr/bin/node,
# runnable as `qemu-aarch64 -L $SYSROOT $SYSROOT/usr/bin/node`.
# Idempotent: a sysroot with a working node is kept as it is.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SYSROOT="${DENSELY_ARM64_SYSROOT:-$ROOT/.cache/arm64-sysroot}"
DEBS="$ROOT/.cache/arm64-debs"

need_apt=()
command -v aarch64-linux-gnu-g++ >/dev/null || need_apt+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64 >/dev/null || command -v qemu-aarch64-static >/dev/null || need_apt+=(qemu-user)
command -v cmake >/dev/null || need_apt+=(cmake)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  as_root dpkg --add-architecture arm64
  as_root apt-get update -qq
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

QEMU="$(command -v qemu-aarch64 || command -v qemu-aarch64-static)"
if [ -x "$SYSROOT/usr/bin/node" ] && "$QEMU" -L "$SYSROOT" "$SYSROOT/usr/bin/node" -e 'process.exit(0)' 2>/dev/null; then
  echo "arm64 sysroot ready: $SYSROOT"
  exit 0
fi

# Every arm64 package nodejs:arm64 pulls in (real packages only: the <virtual> ones are
# provided by these). Tools such as dpkg/tar/openssl come along harmlessly.
mapfile -t pkgs < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances nodejs:arm64 | grep -v '^ ' | grep ':arm64$' | sort -u)
if [ "${#pkgs[@]}" -eq 0 ]; then
  as_root apt-get update -qq
  mapfile -t pkgs < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances nodejs:arm64 | grep -v '^ ' | grep ':arm64$' | sort -u)
fi
# libnode108 loads some builtins from Debian's arch-independent node-* packages
# (/usr/share/nodejs/{acorn,cjs-module-lexer,undici}, with their own node-* deps).
mapfile -t jspkgs < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances node-acorn node-cjs-module-lexer node-undici \
  | grep -v '^ ' | grep -E '^node-[a-z0-9.-]+$' | sort -u)
pkgs+=("${jspkgs[@]}")
echo "fetching ${#pkgs[@]} packages: ${pkgs[*]}"

rm -rf "$DEBS" "$SYSROOT"
mkdir -p "$DEBS" "$SYSROOT"
# apt-get download writes into the current directory; as root it warns that the
# sandbox user cannot write there, which is harmless.
(cd "$DEBS" && apt-get download -qq "${pkgs[@]}" 2>&1 | grep -v 'unsandboxed' || true)
for deb in "$DEBS"/*.deb; do
  dpkg-deb -x "$deb" "$SYSROOT"
done

"$QEMU" -L "$SYSROOT" "$SYSROOT/usr/bin/node" -p '"arm64 node " + process.version + " " + process.arch'

#!/bin/sh
# Cross-compiles the native core (groups core + core_neon of native/sources.json, with
# its cflags/defines) and the C++ tests for aarch64 Linux, links the tests statically,
# and runs them under qemu-aarch64 when it is installed (then with DENSELY_TEST_QUICK=1,
# emulation is slow).
# Needs Debian's g++-aarch64-linux-gnu (apt-get install g++-aarch64-linux-gnu; qemu-user
# for the run). Output: build-arm64/.
set -eu
cd "$(dirname "$0")/.."
CXX="${CXX_AARCH64:-aarch64-linux-gnu-g++}"
if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "check-arm64-compile: $CXX not found (apt-get install g++-aarch64-linux-gnu)" >&2
  exit 1
fi
out=build-arm64
mkdir -p "$out"
m=native/sources.cjs
cflags="$(node $m flags cflags_cc) -Wall -Wextra"
defines="$(node $m flags defines | sed 's/[^ ][^ ]*/-D&/g')"
core="$(node $m sources core arm64) $(node $m sources core_neon arm64)"
neon_flags="$(node $m isa-flags core_neon)"
objs=""
for src in $core; do
  obj="$out/$(echo "$src" | tr '/' '_' | sed 's/\.cc$/.o/')"
  extra=""
  case " $(node $m sources core_neon arm64) " in *" $src "*) extra="$neon_flags" ;; esac
  # shellcheck disable=SC2086
  $CXX $cflags $extra $defines -Inative/core -c "$src" -o "$obj"
  objs="$objs $obj"
done
echo "check-arm64-compile: core compiled for aarch64 ($(echo $objs | wc -w) objects)"
tests="$(node $m sources tests arm64)"
for src in $tests; do
  exe="$out/$(basename "$src" .cc)"
  # shellcheck disable=SC2086
  $CXX $cflags $defines -Inative/core -Inative/tests "$src" $objs -static -pthread -o "$exe"
  if command -v qemu-aarch64 >/dev/null 2>&1; then
    DENSELY_TEST_QUICK=1 qemu-aarch64 "$exe"
  fi
done
echo "check-arm64-compile: ok"

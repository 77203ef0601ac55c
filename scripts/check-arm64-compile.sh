#!/bin/sh
# Cross-compiles the native core (the arm64 groups of native/sources.json: core +
# core_neon, with their flags) and the C++ tests for aarch64 Linux with CMake and the
# toolchain file scripts/arm64/toolchain.cmake (the same CMakeLists.txt as
# `npm run test:native`; static test executables), then runs them with CTest under
# qemu-aarch64 when it is installed (with DENSELY_TEST_QUICK=1: emulation is slow).
# Needs Debian's g++-aarch64-linux-gnu (apt-get install g++-aarch64-linux-gnu; qemu-user
# for the run) and cmake >= 3.19. Output: build-arm64/ (override with DENSELY_ARM64_DIR).
# CXX_AARCH64=<prefix>g++ picks another cross compiler (its prefix is used for gcc too).
set -eu
cd "$(dirname "$0")/.."
CXX="${CXX_AARCH64:-aarch64-linux-gnu-g++}"
if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "check-arm64-compile: $CXX not found, so nothing was compiled for aarch64 (apt-get install g++-aarch64-linux-gnu)" >&2
  exit 1
fi
if ! command -v cmake >/dev/null 2>&1; then
  echo "check-arm64-compile: cmake not found, so nothing was compiled for aarch64 (apt-get install cmake)" >&2
  exit 1
fi
out="${DENSELY_ARM64_DIR:-build-arm64}"
prefix="${CXX%g++}"
# The core library and the C++ tests only (no addon, no benchmarks).
tests="$(node native/sources.cjs sources tests arm64 | tr ' ' '\n' | sed -n 's#.*/\([^/]*\)\.cc$#\1#p' | tr '\n' ' ')"
cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE=scripts/arm64/toolchain.cmake \
  -DDENSELY_CROSS_PREFIX="$prefix" >/dev/null
# shellcheck disable=SC2086
cmake --build "$out" -j "${JOBS:-2}" --target densely_core $tests
echo "check-arm64-compile: core and tests compiled for aarch64 ($(echo $tests | wc -w) test programs in $out)"
if command -v qemu-aarch64 >/dev/null 2>&1 || command -v qemu-aarch64-static >/dev/null 2>&1; then
  DENSELY_TEST_QUICK=1 ctest --test-dir "$out" --output-on-failure
else
  echo "check-arm64-compile: qemu-aarch64 not found, so the tests were compiled but not run (apt-get install qemu-user)"
fi
echo "check-arm64-compile: ok"

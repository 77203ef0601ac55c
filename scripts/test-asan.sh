#!/bin/sh
# npm run test:asan — the core and the C++ tests (and the addon, when native/binding
# has sources) built with -fsanitize=address,undefined and DENSELY_DEBUG_CHECKS=1 in
# build-asan/, then the C++ tests run under the sanitizers (any report fails the run).
#
# The addon under vitest with ASan (done at the end of this script): node is not instrumented, so the
# runtime must be preloaded, and leak checking turned off (V8 "leaks" by design):
#   LD_PRELOAD="$(g++ -print-file-name=libasan.so) $(g++ -print-file-name=libubsan.so)" \
#   ASAN_OPTIONS=detect_leaks=0 DENSELY_NATIVE_PATH="$(pwd)/build-asan/densely.node" \
#     npx vitest run --project native
# (DENSELY_NATIVE_PATH is the path override of the addon loader, lib/backend/native/load.ts).
#
# DENSELY_TSAN=1 builds with -fsanitize=thread instead (build-tsan/) and runs the same
# tests under ThreadSanitizer (the pool and the threaded GEMM paths).
set -eu
cd "$(dirname "$0")/.."
if [ "${DENSELY_TSAN:-0}" = "1" ]; then
  dir="${DENSELY_ASAN_DIR:-build-tsan}"
  sanitize=thread
  export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1}"
else
  dir="${DENSELY_ASAN_DIR:-build-asan}"
  sanitize=ON
fi
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DDENSELY_SANITIZE=$sanitize >/dev/null
cmake --build "$dir" -j "${JOBS:-2}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# The sanitizers slow the sweep down; the tests read this to trim their largest shapes.
export DENSELY_TEST_QUICK="${DENSELY_TEST_QUICK:-1}"
ctest --test-dir "$dir" --output-on-failure

# Then the addon built with the same sanitizers runs the whole native vitest project
# (the shared api/parity suites and the boundary tests: GC during async work, workers,
# bad arrays). Node is not instrumented, so the runtimes are preloaded; leak checking
# is off because V8 keeps allocations alive by design.
if [ "${DENSELY_TSAN:-0}" != "1" ] && [ -f "$dir/densely.node" ]; then
  LD_PRELOAD="$(g++ -print-file-name=libasan.so) $(g++ -print-file-name=libubsan.so)" \
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
  DENSELY_NATIVE_PATH="$(pwd)/$dir/densely.node" \
    npx vitest run --project native
fi

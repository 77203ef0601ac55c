#!/bin/sh
# npm run fuzz -- [seconds] [extra libFuzzer flags...]
#
# Coverage-guided fuzzing of the core with libFuzzer: native/tests/fuzz_core.cc (sgemm
# against a float64 reference, networks run on 1 and on 2–3 threads, model_spec_valid
# against a 128-bit restatement) built by clang with ASan + UBSan + float-cast-overflow
# into build-fuzz/, then run for the given time (default 60 s) on one core. The corpus
# grows in build-fuzz/corpus/ and is kept between runs; a failing input is written to
# build-fuzz/crash-* and can be replayed by any build of the test:
#   build-cmake/fuzz_core build-fuzz/crash-<hash>
# Needs clang with its libFuzzer runtime (Debian: clang-14 libclang-rt-14-dev), so CI
# runs the same target's own driver instead (CTest's fuzz_core, plain and under ASan).
set -eu
cd "$(dirname "$0")/.."
seconds="${1:-60}"
[ $# -gt 0 ] && shift
cxx="${FUZZ_CXX:-}"
if [ -z "$cxx" ]; then
  for c in clang++ clang++-19 clang++-18 clang++-17 clang++-16 clang++-15 clang++-14; do
    if command -v "$c" >/dev/null 2>&1; then cxx="$c"; break; fi
  done
fi
if [ -z "$cxx" ]; then
  echo "fuzz: no clang++ found (Debian: apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 2
fi
dir="${DENSELY_FUZZ_DIR:-build-fuzz}"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DDENSELY_SANITIZE=fuzzer -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
cmake --build "$dir" -j "${JOBS:-2}" --target fuzz_core
mkdir -p "$dir/corpus"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# Thread-local pack buffers of the pool's live workers are false positives of the
# in-run leak check: see the file.
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(pwd)/native/tests/lsan-fuzz.supp}"
exec "$dir/fuzz_core" -max_total_time="$seconds" -max_len=4096 -timeout=30 -rss_limit_mb=4096 \
  -artifact_prefix="$dir/" -print_final_stats=1 "$@" "$dir/corpus"

#!/bin/sh
# npm run test:native — configure, build and run the C++ unit tests (CTest) offline.
# Build dir: build-cmake/ (override with DENSELY_CMAKE_DIR).
set -eu
cd "$(dirname "$0")/.."
dir="${DENSELY_CMAKE_DIR:-build-cmake}"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$dir" -j "${JOBS:-2}"
ctest --test-dir "$dir" --output-on-failure

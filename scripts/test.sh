#!/usr/bin/env bash
# The whole test suite, as CI runs it: install/build (setup.sh), run the unit and GGUF tests plus
# a short libFuzzer run under ASan+UBSan, the NEON kernel tests under qemu-aarch64, then every
# test on the Release build. Output ends with
# ctest's summary of the Release run.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)

scripts/setup.sh

echo "== asan preset: unit + gguf tests, fuzzers =="
cmake --preset asan >/dev/null
cmake --build --preset asan -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --preset asan -L 'unit|gguf|fuzz' -j"$JOBS"

echo "== ARM NEON kernels: cross-built, run under qemu-aarch64 =="
scripts/test_neon.sh

echo "== release preset: all tests =="
ctest --preset release -j"$JOBS"

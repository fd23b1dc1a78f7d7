#!/usr/bin/env bash
# Cross-builds the quant/kernel libraries and the kernel tests for aarch64 and runs them under
# qemu-aarch64: the NEON dot products (plain and dotprod) against the scalar reference.
# Installs g++-aarch64-linux-gnu, qemu-user and googletest sources with apt-get when missing.
# Usage: scripts/test_neon.sh [BUILD_DIR]   (default build-neon; exits non-zero on failure)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-neon}"

need=()
command -v aarch64-linux-gnu-g++ >/dev/null || need+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
[ -d /usr/aarch64-linux-gnu/include ] || need+=(libc6-dev-arm64-cross)
[ -f /usr/src/googletest/googletest/src/gtest-all.cc ] || need+=(googletest)
command -v ninja >/dev/null || need+=(ninja-build)
if [ ${#need[@]} -gt 0 ]; then
  echo "test_neon: installing ${need[*]}"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

cmake -S "$root/tests/kernels/cross" -B "$build" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" --target test_kernels
# qemu's default CPU ("max") has dotprod, so the dispatched kernels use sdot; the test calls the
# plain-NEON versions directly as well.
qemu-aarch64 -L /usr/aarch64-linux-gnu "$build/test_kernels" --gtest_brief=1

#!/usr/bin/env bash
# Install the Debian packages uma needs (only those missing), then build the Release preset.
# Usage: scripts/setup.sh            (idempotent; safe to run again)
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(g++ cmake ninja-build pkg-config clang libclang-rt-14-dev
      libgtest-dev libgmock-dev libbenchmark-dev
      libpcre2-dev nlohmann-json3-dev libcli11-dev libcpp-httplib-dev python3 python3-jinja2)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"

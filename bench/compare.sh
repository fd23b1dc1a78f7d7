#!/usr/bin/env bash
# bench/compare: side-by-side uma bench vs llama.cpp on the same files (see compare.mjs).
# Installs node-llama-cpp (prebuilt llama.cpp CPU binaries, from npm) into bench/node_modules on
# first use — not committed. Example:
#   bench/compare.sh -m /tmp/llama3-1b.Q4_0.gguf -p 512 -n 128 -r 3 -t 2
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null; then echo "bench/compare: needs node (apt-get install nodejs npm)" >&2; exit 1; fi
if [ ! -d "$here/node_modules/node-llama-cpp" ]; then
  echo "bench/compare: installing node-llama-cpp into $here/node_modules ..." >&2
  # Only the linux-x64 CPU binaries: the optional CUDA/Vulkan/ARM packages are ~700 MB.
  (cd "$here" && npm install --no-save --no-audit --no-fund --omit=optional --no-package-lock \
       node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64@3.22.1 >&2)
fi
cd "$here/.." && exec node "$here/compare.mjs" "$@"

#!/usr/bin/env bash
# The one-token x86 kernels must still contain their software prefetches: GCC 12 once deleted
# every call of x8::prefetch_ahead_part (an out-of-line function of prefetches alone counts as
# having no effect to its mod/ref analysis), which no result test can see and which cost decode
# a quarter of its speed (docs/decisions.md #10, second addendum). Usage: prefetch_emitted_test.sh LIBUMA_QUANT.a
set -euo pipefail
lib="$1"
[[ "$(uname -m)" == x86_64 ]] || { echo "not x86_64: skipped"; exit 77; }
command -v objdump >/dev/null || { echo "no objdump: skipped"; exit 77; }
dis="$(objdump -d --no-show-raw-insn -C "$lib")"
fail=0
# Every VNNI one-token tile (the kernels decode runs on AVX-512 VNNI CPUs).
for t in Q4_0x8Tiles Q4_Kx8Tiles Q8_0x8Tiles Q6_Kx8Tiles; do
  n=$(awk -v f="vnni::(anonymous namespace)::$t::tile<1, 1>" 'index($0, f) && />:$/ {p = 1; next} p && />:$/ {p = 0} p && /prefetcht1/ {c++} END {print c + 0}' <<<"$dis")
  echo "vnni $t::tile<1, 1>: $n prefetcht1"
  [[ "$n" -gt 0 ]] || fail=1
done
# The AVX2 kernels are inlined into their drivers; the object must hold one prefetch per type at least.
n=$(awk '/^quant_avx2_gemm.cpp.o:/ {p = 1; next} /^[^ ]*\.o:/ {p = 0} p && /prefetcht1/ {c++} END {print c + 0}' <<<"$dis")
echo "quant_avx2_gemm.cpp.o: $n prefetcht1"
[[ "$n" -ge 4 ]] || fail=1
exit $fail

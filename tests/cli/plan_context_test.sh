#!/usr/bin/env bash
# uma run / uma serve plan their context from the memory they may use (src/plan choose_context):
# UMA_MEM_AVAILABLE pins that figure so the checks do not depend on this machine. Without -c they
# print the context they chose and why; a -c that does not fit is refused with needed vs usable
# and what would fit; a malformed UMA_MEM_AVAILABLE is an error that names it.
set -u
UMA=${UMA_BIN:?}; M=${UMA_SHARED_DIR:?}/models
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails+1)); fi; }
tmp=$(mktemp -d); pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
TINY=$M/random/llama-2-tiny-random.gguf  # 4096 training context, 32000-token vocabulary

# uma run, automatic: the whole training context fits in 88 MiB usable (600 MiB less 512 MiB).
UMA_MEM_AVAILABLE=600M "$UMA" run -m "$TINY" -p hi -n 2 --temp 0 >/dev/null 2>"$tmp/auto"
check "run auto: exit 0" '[ $? -eq 0 ]'
check "run auto: says what it chose and why" \
  'grep -q "context 4096, the model.s full training context" "$tmp/auto" && grep -q "88.00 MiB usable" "$tmp/auto" && grep -q "memory from UMA_MEM_AVAILABLE" "$tmp/auto"'

# uma run, -c that does not fit: refused before allocating, one line, with a context that fits.
UMA_MEM_AVAILABLE=600M "$UMA" run -m "$TINY" -p hi -n 2 -c 8000000 >/dev/null 2>"$tmp/big"
check "run -c too big: exit 1" '[ $? -eq 1 ]'
check "run -c too big: one line with needed, usable and a context that fits" \
  '[ "$(wc -l <"$tmp/big")" -eq 1 ] && grep -q "context 8000000 needs" "$tmp/big" && grep -q "88.00 MiB usable" "$tmp/big" && grep -q "a smaller context (-c [0-9]* fits)" "$tmp/big"'
check "run -c too big: no KV-quant tip (the engine has no quantized KV yet)" '! grep -q "q8_0" "$tmp/big"'

# Not even the weights and buffers fit: refused without -c too.
UMA_MEM_AVAILABLE=520M "$UMA" run -m "$TINY" -p hi -n 2 >/dev/null 2>"$tmp/none"
check "run nothing fits: exit 1, says so" '[ $? -eq 1 ] && grep -q "needs" "$tmp/none" && grep -q "8.00 MiB usable" "$tmp/none"'

for bad in lots 12X 0 99999999999999999999G; do
  UMA_MEM_AVAILABLE=$bad "$UMA" run -m "$TINY" -p hi -n 2 >/dev/null 2>"$tmp/bad"
  check "UMA_MEM_AVAILABLE=$bad: exit 1 naming it" '[ $? -eq 1 ] && grep -q "UMA_MEM_AVAILABLE" "$tmp/bad"'
done

# uma serve, automatic: slots and context planned, printed before "ready".
start_serve() {  # log file, args... ; waits until ready or exit
  local log=$1; shift
  "$UMA" serve -m "$TINY" --port 0 "$@" 2>"$log" & pids+=($!)
  local pid=$!
  for _ in $(seq 1 200); do
    grep -q "ready:" "$log" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
UMA_MEM_AVAILABLE=600M start_serve "$tmp/s1" --parallel 3
check "serve auto: ready" '[ $? -eq 0 ]'
check "serve auto: 3 slots x the training context, and why" \
  'grep -q "3 slots: context 4096, the model.s full training context" "$tmp/s1" && grep -q "3 slots x 4096 context" "$tmp/s1"'

# uma serve, -c too big for the slots asked for: refused with the numbers, exit 1.
UMA_MEM_AVAILABLE=600M timeout 60 "$UMA" serve -m "$TINY" --port 0 --parallel 4 -c 4000000 2>"$tmp/s2"
check "serve -c too big: exit 1" '[ $? -eq 1 ]'
check "serve -c too big: needed, usable, fewer slots" \
  'grep -q "context 4000000 needs" "$tmp/s2" && grep -q "fewer parallel sequences" "$tmp/s2"'

# uma serve without --parallel: the default 4 slots are halved until one long request fits.
UMA_MEM_AVAILABLE=600M start_serve "$tmp/s3" -c 2000000
check "serve -c without --parallel: fewer slots chosen" '[ $? -eq 0 ] && grep -q "1 slot: context 2000000 as asked" "$tmp/s3"'

[ $fails -eq 0 ] && echo "all plan-context checks passed" || { echo "$fails plan-context checks failed"; exit 1; }

#!/usr/bin/env bash
# uma quantize end to end: the Q4_K_M mix and a --pure file equal llama-quantize's files byte for
# byte, the summary names sizes and bits per weight, the output generates, and bad input gives one
# error line with exit 1 (bad file) or 2 (bad usage).
set -u
UMA=${UMA_BIN:?}; M=${UMA_SHARED_DIR:?}/models; Q=$M/quant-ref
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails+1)); fi; }
has() { grep -qF -- "$2" "$1"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$UMA" quantize "$Q/synth-tiny.f32.gguf" "$tmp/q4km.gguf" Q4_K_M -t 2 >"$tmp/out" 2>"$tmp/err"
check "Q4_K_M exit 0, stdout empty" '[ $? -eq 0 ] && [ ! -s "$tmp/out" ]'
check "Q4_K_M byte-identical to llama-quantize" 'cmp -s "$tmp/q4km.gguf" "$Q/synth-tiny.Q4_K_M.gguf"'
check "summary sizes" 'has "$tmp/err" "tensor data 7.00 MiB -> 1.08 MiB (32.00 -> 4.92 bits per weight)"'
check "summary types" 'has "$tmp/err" "types: f32 ×5, q4_K ×13, q6_K ×3"'
check "summary time" 'grep -qE "time: [0-9.]+ s on 2 threads" "$tmp/err"'

"$UMA" quantize --pure "$Q/synth-tiny.f32.gguf" "$tmp/q40.gguf" q4_0 >/dev/null 2>&1
check "--pure q4_0 byte-identical" 'cmp -s "$tmp/q40.gguf" "$Q/synth-tiny.Q4_0.pure.gguf"'

# stories260K: K-quant rows do not fit, so tensors fall back (as in llama.cpp's q5_0-mix file).
"$UMA" quantize "$M/stories260K.gguf" "$tmp/s.gguf" Q4_K_M >/dev/null 2>"$tmp/serr"
check "fallback mix byte-identical" 'cmp -s "$tmp/s.gguf" "$M/quant/stories260K.q5_0-mix.gguf"'
check "fallback reported" 'has "$tmp/serr" "36 tensors took a fallback type"'
"$UMA" run -m "$tmp/s.gguf" -p "Once upon a time" -n 8 --temp 0 >"$tmp/gen" 2>/dev/null
check "quantized file generates" '[ $? -eq 0 ] && [ -s "$tmp/gen" ]'

err_case() {  # name, exit code, expected substring, args...
  local name=$1 code=$2 want=$3; shift 3
  "$UMA" quantize "$@" >"$tmp/eo" 2>"$tmp/e"; local rc=$?
  check "$name: exit $code" "[ $rc -eq $code ]"
  check "$name: one line naming the problem" '[ "$(wc -l <"$tmp/e")" -eq 1 ] && has "$tmp/e" "$want" && [ ! -s "$tmp/eo" ]'
}
err_case "bad type" 2 "unknown type 'Q9_K'" "$Q/synth-tiny.f32.gguf" "$tmp/x.gguf" Q9_K
err_case "missing args" 2 "required" "$Q/synth-tiny.f32.gguf"
err_case "bad threads" 2 "--threads" "$Q/synth-tiny.f32.gguf" "$tmp/x.gguf" Q8_0 -t 0
err_case "missing input" 1 "no-such.gguf: cannot open" "$tmp/no-such.gguf" "$tmp/x.gguf" Q8_0
printf 'not a gguf' >"$tmp/bad.gguf"
err_case "not a gguf" 1 "bad.gguf: gguf: not a GGUF file" "$tmp/bad.gguf" "$tmp/x.gguf" Q8_0
err_case "rows do not fit" 1 "row length 172 is not a multiple of 32, which q4_0 needs" \
  "$M/stories260K.gguf" "$tmp/x.gguf" Q4_0
err_case "requantize" 1 "--allow-requantize" "$Q/synth-tiny.Q4_0.pure.gguf" "$tmp/x.gguf" Q8_0
err_case "unwritable dir" 1 "cannot create" "$Q/synth-tiny.f32.gguf" "$tmp/no/dir/x.gguf" Q8_0
check "no output left behind" '[ ! -e "$tmp/x.gguf" ] && [ ! -e "$tmp/x.gguf.tmp" ]'

"$UMA" quantize --help >"$tmp/h" 2>&1
check "--help lists types" '[ $? -eq 0 ] && has "$tmp/h" "Q4_K_M" && has "$tmp/h" "--pure"'

[ $fails -eq 0 ] && echo "all quantize checks passed" || { echo "$fails quantize checks failed"; exit 1; }

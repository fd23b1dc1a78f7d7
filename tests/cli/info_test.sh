#!/usr/bin/env bash
# uma info: metadata, tensor table, totals and the memory estimate on real files; one-line errors
# (exit 1) for missing and corrupt files; one-line usage errors (exit 2) for bad flags.
set -u
UMA=${UMA_BIN:?}; M=${UMA_SHARED_DIR:?}/models
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails+1)); fi; }
has() { grep -qF -- "$2" "$1"; }  # file, fixed string
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# stories260K: f32 llama, 48 tensors, 5 layers, 4 kv heads of 8, context 2048.
"$UMA" info "$M/stories260K.gguf" >"$tmp/out" 2>"$tmp/err"
check "stories260K exit 0" '[ $? -eq 0 ] && [ ! -s "$tmp/err" ]'
check "header" 'has "$tmp/out" "version:   3" && has "$tmp/out" "alignment: 32"'
check "scalar keys" 'has "$tmp/out" "llama.block_count = 5" && has "$tmp/out" "general.architecture = \"llama\""'
check "float key" 'has "$tmp/out" "llama.attention.layer_norm_rms_epsilon = 1e-05"'
check "array summary" 'has "$tmp/out" "tokenizer.ggml.tokens = [512 × string] \"<unk>\", \"<s>\", \"</s>\", …"'
check "tensor table" 'grep -qE "^  token_embd\.weight +f32 +\[64, 512\] +131072$" "$tmp/out"'
check "totals" 'has "$tmp/out" "totals: 48 tensors, 292.80 K parameters (292800), 1.12 MiB (1171200 bytes), 32.00 bits per weight"'
check "memory at training context" 'has "$tmp/out" "memory at context 2048 (KV cache f16):"'
check "kv cache f16" 'has "$tmp/out" "KV cache  1.25 MiB = 5 layers × 2048 tokens × (4 × 8 + 4 × 8) × 2 bytes"'

"$UMA" info "$M/stories260K.gguf" -c 4096 >"$tmp/c" 2>&1
check "-c 4096" 'has "$tmp/c" "memory at context 4096" && has "$tmp/c" "KV cache  2.50 MiB"'
"$UMA" info "$M/stories260K.gguf" --kv-type f32 >"$tmp/f32" 2>&1
check "--kv-type f32" 'has "$tmp/f32" "(KV cache f32)" && has "$tmp/f32" "KV cache  2.50 MiB"'
"$UMA" info "$M/stories260K.gguf" -c 4096 --kv-type q8_0 >"$tmp/q8" 2>&1
check "--kv-type q8_0" 'has "$tmp/q8" "KV cache  1.33 MiB"'

# A quantized file: block types in the table and fewer bits per weight.
"$UMA" info "$M/quant/stories260K.q4_0-mix.gguf" >"$tmp/q" 2>&1
check "q4_0 file" '[ $? -eq 0 ] && grep -qE "^  blk\.0\.attn_q\.weight +q4_0 " "$tmp/q" && has "$tmp/q" "7.29 bits per weight"'

# A vocab-only file: metadata but no tensors, memory skipped with a note.
"$UMA" info "$M/vocab/ggml-vocab-gpt-2.gguf" >"$tmp/v" 2>&1
check "vocab-only file" '[ $? -eq 0 ] && has "$tmp/v" "tensors (0):" && has "$tmp/v" "memory: skipped (no tensors"'

# Every shared file prints without error.
all_ok=1
for f in $(find "$M" -name '*.gguf'); do "$UMA" info "$f" >/dev/null 2>&1 || { echo "  failed: $f"; all_ok=0; }; done
check "every shared .gguf" '[ $all_ok -eq 1 ]'

# Errors: exactly one line on stderr, nothing on stdout, the given exit code.
err_case() {  # name, exit code, expected substring, args...
  local name=$1 code=$2 want=$3; shift 3
  "$UMA" info "$@" >"$tmp/eo" 2>"$tmp/e"; local rc=$?
  check "$name: exit $code" "[ $rc -eq $code ]"
  check "$name: one line naming the problem" '[ "$(wc -l <"$tmp/e")" -eq 1 ] && has "$tmp/e" "$want" && [ ! -s "$tmp/eo" ]'
}
err_case "missing file" 1 "no-such.gguf: cannot open" "$tmp/no-such.gguf"
err_case "directory" 1 "not a regular file" "$tmp"
printf 'not a gguf file at all' >"$tmp/bad.gguf"
err_case "not a gguf" 1 "bad.gguf: gguf: not a GGUF file" "$tmp/bad.gguf"
: >"$tmp/empty.gguf"
err_case "empty file" 1 "empty.gguf: gguf: not a GGUF file" "$tmp/empty.gguf"
head -c 5000 "$M/stories260K.gguf" >"$tmp/meta-cut.gguf"
err_case "cut in metadata" 1 "meta-cut.gguf: gguf: file truncated: key 'tokenizer.ggml.tokens'" "$tmp/meta-cut.gguf"
head -c 1000000 "$M/stories260K.gguf" >"$tmp/data-cut.gguf"
err_case "cut in tensor data" 1 "beyond end of file (size 1000000)" "$tmp/data-cut.gguf"

err_case "bad --kv-type" 2 "--kv-type: q4_0 not in {f16,f32,q8_0}" "$M/stories260K.gguf" --kv-type q4_0
err_case "zero -c" 2 "--ctx-size must be a whole number" "$M/stories260K.gguf" -c 0
err_case "huge -c" 2 "--ctx-size must be a whole number" "$M/stories260K.gguf" -c 99999999999999999999
err_case "unknown flag" 2 "--bogus" "$M/stories260K.gguf" --bogus
err_case "no file" 2 "file is required"

"$UMA" info --help >"$tmp/h" 2>&1
check "--help" '[ $? -eq 0 ] && has "$tmp/h" "--kv-type" && has "$tmp/h" "--ctx-size"'

[ $fails -eq 0 ] && echo "all info checks passed" || { echo "$fails info checks failed"; exit 1; }

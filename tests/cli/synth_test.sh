#!/usr/bin/env bash
# uma synth on the tiny shape: the file loads and generates; the same seed gives the same bytes
# (for any thread count) and another seed other bytes; tensor names, shapes and per-tensor types
# equal those of llama-quantize's files in shared/models/quant-ref; bad flags give one-line errors.
set -u
UMA=${UMA_BIN:?}; M=${UMA_SHARED_DIR:?}/models; Q=$M/quant-ref
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails+1)); fi; }
has() { grep -qF -- "$2" "$1"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
synth() { "$UMA" synth --vocab "$M/stories260K.gguf" "$@"; }
# The tensor table of `uma info` (name, type, shape, bytes), without the header line.
tensor_table() { "$UMA" info "$1" | awk '/^tensors \(/{on=1; next} on && /^$/{exit} on && !/^  name /'; }

# Loads and generates.
synth --shape tiny --type Q8_0 --seed 1 -o "$tmp/a.gguf" >"$tmp/out" 2>"$tmp/err"
check "synth exit 0, nothing on stdout" '[ $? -eq 0 ] && [ ! -s "$tmp/out" ]'
check "summary line" 'has "$tmp/err" "wrote $tmp/a.gguf: tiny Q8_0, 21 tensors"'
"$UMA" run -m "$tmp/a.gguf" -p hi -n 8 --temp 0 --ignore-eos >"$tmp/gen" 2>"$tmp/generr"
check "uma run generates" '[ $? -eq 0 ] && has "$tmp/generr" "generation 8 tokens"'
"$UMA" info "$tmp/a.gguf" >"$tmp/info"
check "metadata" 'has "$tmp/info" "general.file_type = 7" && has "$tmp/info" "llama.vocab_size = 512" && has "$tmp/info" "general.quantization_version = 2"'
check "tokenizer copied" 'has "$tmp/info" "tokenizer.ggml.tokens = [512 × string]" && has "$tmp/info" "tokenizer.ggml.scores"'
check "description names the seed" 'has "$tmp/info" "random weights (seed 1"'

# Determinism: same seed -> same bytes, whatever the thread count; other seed -> other bytes.
synth --shape tiny --type Q8_0 --seed 1 -t 1 -o "$tmp/b.gguf" 2>/dev/null
synth --shape tiny --type Q8_0 --seed 2 -o "$tmp/c.gguf" 2>/dev/null
check "same seed, same bytes (1 vs default threads)" 'cmp -s "$tmp/a.gguf" "$tmp/b.gguf"'
check "different seed, different bytes" '! cmp -s "$tmp/a.gguf" "$tmp/c.gguf"'
check "different seed, same size" '[ $(stat -c %s "$tmp/a.gguf") -eq $(stat -c %s "$tmp/c.gguf") ]'

# Same tensors (names, order, types, shapes, bytes) as llama-quantize made from synth-tiny.
same_table() {  # name, our file, reference file
  tensor_table "$2" >"$tmp/t.ours"; tensor_table "$3" >"$tmp/t.ref"
  check "$1 tensors as llama-quantize" '[ -s "$tmp/t.ref" ] && cmp -s "$tmp/t.ours" "$tmp/t.ref"'
}
for t in Q4_K_M; do
  synth --shape tiny --type $t -o "$tmp/$t.gguf" 2>/dev/null
  same_table "$t mix" "$tmp/$t.gguf" "$Q/synth-tiny.$t.gguf"
done
for t in Q4_0 Q5_1 Q8_0 Q2_K Q3_K_M Q6_K IQ4_NL; do
  synth --shape tiny --type $t --pure -o "$tmp/$t.pure.gguf" 2>/dev/null
  same_table "$t --pure" "$tmp/$t.pure.gguf" "$Q/synth-tiny.$t.pure.gguf"
done
synth --shape tiny --type F32 -o "$tmp/f32.gguf" 2>/dev/null
same_table "F32" "$tmp/f32.gguf" "$Q/synth-tiny.f32.gguf"
# Q4_K_M's mix, spelled out: Q6_K for output and the last layer's attn_v/ffn_down, Q4_K elsewhere.
tensor_table "$tmp/Q4_K_M.gguf" >"$tmp/mix"
check "Q4_K_M: output q6_K" 'grep -qE "^  output\.weight +q6_K " "$tmp/mix"'
check "Q4_K_M: blk.1.attn_v q6_K, blk.0.attn_v q4_K" 'grep -qE "^  blk\.1\.attn_v\.weight +q6_K " "$tmp/mix" && grep -qE "^  blk\.0\.attn_v\.weight +q4_K " "$tmp/mix"'
check "Q4_K_M: norms f32" 'grep -qE "^  output_norm\.weight +f32 " "$tmp/mix"'

# Default vocab: ../shared/models/<vocab> from the working directory (the source root here).
if [ -f ../shared/models/stories260K.gguf ]; then
  "$UMA" synth --shape tiny --type F16 -o "$tmp/dv.gguf" 2>"$tmp/dverr"
  check "default vocab found" '[ $? -eq 0 ] && [ -s "$tmp/dv.gguf" ]'
fi

# Errors: one line on stderr, nothing on stdout, exit 1 (bad input) or 2 (bad flags).
err_case() {  # name, exit code, expected substring, args...
  local name=$1 code=$2 want=$3; shift 3
  "$UMA" synth "$@" >"$tmp/eo" 2>"$tmp/e"; local rc=$?
  check "$name: exit $code" "[ $rc -eq $code ]"
  check "$name: one line naming the problem" '[ "$(wc -l <"$tmp/e")" -eq 1 ] && has "$tmp/e" "$want" && [ ! -s "$tmp/eo" ]'
}
V=(--vocab "$M/stories260K.gguf")
err_case "no --shape" 2 "--shape is required" --type Q4_0 -o "$tmp/x.gguf"
err_case "no -o" 2 "-o is required" --shape tiny --type Q4_0
err_case "unknown shape" 1 "unknown shape 'llama9-1t' (known: tiny, llama3-1b" --shape llama9-1t --type Q4_0 -o "$tmp/x.gguf" "${V[@]}"
err_case "unknown type" 1 "unknown type 'Q7_0'" --shape tiny --type Q7_0 -o "$tmp/x.gguf" "${V[@]}"
err_case "missing vocab" 1 "no-such.gguf: cannot open" --shape tiny --type Q4_0 -o "$tmp/x.gguf" --vocab "$tmp/no-such.gguf"
printf 'not a gguf' >"$tmp/bad.gguf"
err_case "vocab not a GGUF" 1 "not a GGUF file" --shape tiny --type Q4_0 -o "$tmp/x.gguf" --vocab "$tmp/bad.gguf"
err_case "vocab without tokens" 1 "no tokenizer.ggml.tokens" --shape tiny --type Q4_0 -o "$tmp/x.gguf" --vocab tests/gguf/corpus/empty_v3.seed
err_case "special ids beyond the shape's vocab" 1 "does not fit the shape's vocabulary of 512" --shape tiny --type Q4_0 -o "$tmp/x.gguf" --vocab "$M/vocab/ggml-vocab-llama-bpe.gguf"
err_case "unwritable output" 1 "cannot create" --shape tiny --type Q4_0 -o "$tmp/no/dir/x.gguf" "${V[@]}"
err_case "negative threads" 2 "--threads" --shape tiny --type Q4_0 -o "$tmp/x.gguf" -t -1 "${V[@]}"
err_case "unknown flag" 2 "--bogus" --shape tiny --bogus
check "no partial file left" '[ ! -e "$tmp/x.gguf" ] && [ ! -e "$tmp/x.gguf.tmp" ]'

"$UMA" synth --list >"$tmp/list" 2>&1
check "--list" '[ $? -eq 0 ] && has "$tmp/list" "llama3-8b" && has "$tmp/list" "Q4_K_M"'
"$UMA" synth --help >"$tmp/h" 2>&1
check "--help" '[ $? -eq 0 ] && has "$tmp/h" "--shape" && has "$tmp/h" "--vocab"'

[ $fails -eq 0 ] && echo "all synth checks passed" || { echo "$fails synth checks failed"; exit 1; }

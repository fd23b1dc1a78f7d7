#!/usr/bin/env bash
# uma convert end to end: stories260K's HF folder gives llama.cpp's convert_hf_to_gguf.py file byte
# for byte and the 200-token golden text; a tokenizer.json folder converts vocab-only and
# tokenizes; the converted model quantizes and runs; bad folders give one error line, exit 1,
# and bad usage exit 2.
set -u
UMA=${UMA_BIN:?}; M=${UMA_SHARED_DIR:?}/models; HF=$M/hf/stories260K
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails+1)); fi; }
has() { grep -qF -- "$2" "$1"; }
tmp=$(mktemp -d); trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT

"$UMA" convert "$HF" -o "$tmp/f32.gguf" --type f32 >"$tmp/out" 2>"$tmp/err"
check "f32 exit 0, stdout empty" '[ $? -eq 0 ] && [ ! -s "$tmp/out" ]'
check "f32 byte-identical to convert_hf_to_gguf.py" 'cmp -s "$tmp/f32.gguf" "$M/hf/stories260K.llamacpp-convert.f32.gguf"'
check "summary" 'has "$tmp/err" "llama from LlamaForCausalLM, 47 tensors (f32 ×47), 0.26 M params" && has "$tmp/err" "llama (SentencePiece), pre default, 512 tokens"'
"$UMA" run -m "$tmp/f32.gguf" -p "" -n 200 --temp 0 >"$tmp/gen" 2>/dev/null
check "golden 200-token text from the converted model" 'cmp -s "$tmp/gen" "$M/stories260K.greedy200.expected.txt"'

"$UMA" convert "$HF" -o "$tmp/f16.gguf" >/dev/null 2>"$tmp/err16"
check "default type f16" 'has "$tmp/err16" "f32 ×11, f16 ×36"'
"$UMA" run -m "$tmp/f16.gguf" -p "" -n 200 --temp 0 >"$tmp/gen16" 2>/dev/null
check "golden text from f16" 'cmp -s "$tmp/gen16" "$M/stories260K.greedy200.expected.txt"'
"$UMA" convert "$HF" -o "$tmp/q8.gguf" --type q8_0 >/dev/null 2>"$tmp/errq8"
check "q8_0 (ffn_down falls back to f16)" 'has "$tmp/errq8" "f32 ×11, f16 ×5, q8_0 ×31"'

# Convert, then quantize: the K-quant mix falls back per tensor on these narrow rows.
"$UMA" quantize "$tmp/f32.gguf" "$tmp/q.gguf" Q4_K_M >/dev/null 2>&1
"$UMA" run -m "$tmp/q.gguf" -p "Once upon a time" -n 8 --temp 0 >"$tmp/qgen" 2>/dev/null
check "converted then quantized model runs" '[ $? -eq 0 ] && [ -s "$tmp/qgen" ]'

# Vocab only from a tokenizer.json folder (no config.json): Llama 3's tokenizer.
"$UMA" convert "$M/tokenizers/llama3" -o "$tmp/l3.gguf" --vocab-only >/dev/null 2>"$tmp/errv"
check "vocab-only llama3" '[ $? -eq 0 ] && has "$tmp/errv" "gpt2 (byte-level BPE), pre llama-bpe, 128256 tokens"'
check "vocab-only tokenizes" '[ "$("$UMA" tokenize -m "$tmp/l3.gguf" -p "Hello world" 2>/dev/null)" = "[128000, 9906, 1917]" ]'

err_case() {  # name, exit code, expected substring, args...
  local name=$1 code=$2 want=$3; shift 3
  "$UMA" convert "$@" >"$tmp/eo" 2>"$tmp/e"; local rc=$?
  check "$name: exit $code" "[ $rc -eq $code ]"
  check "$name: one line naming the problem" '[ "$(wc -l <"$tmp/e")" -eq 1 ] && has "$tmp/e" "$want" && [ ! -s "$tmp/eo" ]'
}
err_case "missing dir" 1 "no-such: no such directory" "$tmp/no-such" -o "$tmp/x.gguf"
mkdir "$tmp/bad"; cp "$HF"/* "$tmp/bad/"; chmod u+w "$tmp/bad"/*
printf '{"architectures": ["LlamaForCausalLM"], "hidden' >"$tmp/bad/config.json"
err_case "bad config.json" 1 "config.json: not valid JSON" "$tmp/bad" -o "$tmp/x.gguf"
printf '{"architectures": ["GPT2LMHeadModel"]}' >"$tmp/bad/config.json"
err_case "unsupported architecture" 1 "architecture 'GPT2LMHeadModel' is not supported" "$tmp/bad" -o "$tmp/x.gguf"
cp "$HF/config.json" "$tmp/bad/config.json"; chmod u+w "$tmp/bad/config.json"
head -c 500000 "$HF/model.safetensors" >"$tmp/bad/model.safetensors"
err_case "truncated safetensors" 1 "the file is truncated" "$tmp/bad" -o "$tmp/x.gguf"
check "no output left behind" '[ ! -e "$tmp/x.gguf" ] && [ ! -e "$tmp/x.gguf.tmp" ]'
err_case "bad --type" 2 "--type: q4_0 not in {f32,f16,bf16,q8_0}" "$HF" -o "$tmp/x.gguf" --type q4_0
err_case "no output" 2 "--output is required" "$HF"

"$UMA" convert --help >"$tmp/h" 2>&1
check "--help" '[ $? -eq 0 ] && has "$tmp/h" "Qwen3ForCausalLM" && has "$tmp/h" "--vocab-only"'

[ $fails -eq 0 ] && echo "all convert checks passed" || { echo "$fails convert checks failed"; exit 1; }

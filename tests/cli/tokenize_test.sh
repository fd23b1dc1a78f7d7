#!/usr/bin/env bash
# uma tokenize: JSON ids for known texts (stories260K, Llama 2 and Llama 3 vocabs), --no-bos,
# --special, stdin input; one-line errors (exit 1) for bad files and unsupported tokenizers, usage
# errors (exit 2) for bad flags.
set -u
UMA=${UMA_BIN:?}; M=${UMA_SHARED_DIR:?}/models
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails+1)); fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

out=$("$UMA" tokenize -m "$M/stories260K.gguf" -p "Once upon a time" 2>"$tmp/err")
check "stories260K with BOS" '[ $? -eq 0 ] && [ "$out" = "[1, 403, 407, 261, 378]" ] && [ ! -s "$tmp/err" ]'
out=$("$UMA" tokenize -m "$M/stories260K.gguf" -p "Once upon a time" --no-bos)
check "--no-bos" '[ "$out" = "[403, 407, 261, 378]" ]'
out=$(printf 'Once upon a time' | "$UMA" tokenize -m "$M/stories260K.gguf")
check "stdin" '[ "$out" = "[1, 403, 407, 261, 378]" ]'
out=$("$UMA" tokenize -m "$M/stories260K.gguf" --no-bos -p "")
check "empty text" '[ "$out" = "[]" ]'
out=$("$UMA" tokenize -m "$M/vocab/ggml-vocab-llama-spm.gguf" --no-bos -p " Hello world")
check "llama-spm leading space" '[ "$out" = "[29871, 15043, 3186]" ]'
out=$("$UMA" tokenize -m "$M/vocab/ggml-vocab-llama-spm.gguf" -p "<s>Hi" --special)
check "--special SPM" '[ "$out" = "[1, 1, 6324]" ]'

if [ -f "$M/vocab/ggml-vocab-llama-bpe.gguf" ]; then
  out=$("$UMA" tokenize -m "$M/vocab/ggml-vocab-llama-bpe.gguf" -p "Hello world")
  check "llama3 BOS" '[ "$out" = "[128000, 9906, 1917]" ]'
  out=$("$UMA" tokenize -m "$M/vocab/ggml-vocab-llama-bpe.gguf" --no-bos --special -p "<|eot_id|>")
  check "llama3 --special" '[ "$out" = "[128009]" ]'
  out=$("$UMA" tokenize -m "$M/vocab/ggml-vocab-llama-bpe.gguf" --no-bos -p "<|eot_id|>")
  check "llama3 no --special" '[ "$out" != "[128009]" ] && [ "${out#\[}" != "$out" ]'
fi
out=$("$UMA" tokenize -m "$M/vocab/ggml-vocab-gpt-2.gguf" -p "Hello world")
check "gpt-2 adds no BOS" '[ "$out" = "[15496, 995]" ]'

err_case() {  # name, expected exit, expected stderr substring, args...
  local name=$1 code=$2 msg=$3; shift 3
  "$UMA" tokenize "$@" </dev/null >"$tmp/o" 2>"$tmp/e"
  local rc=$?
  check "$name" '[ $rc -eq $code ] && [ ! -s "$tmp/o" ] && [ $(wc -l <"$tmp/e") -eq 1 ] && grep -qF -- "$msg" "$tmp/e"'
}
err_case "missing file" 1 "nope.gguf" -m "$tmp/nope.gguf" -p x
printf 'not a gguf' >"$tmp/bad.gguf"
err_case "not a gguf" 1 "bad.gguf: gguf: not a GGUF file" -m "$tmp/bad.gguf" -p x
err_case "bert unsupported" 1 "unsupported tokenizer 'bert'" -m "$M/vocab/ggml-vocab-bert-bge.gguf" -p x
err_case "no model" 2 "--model is required" -p x
err_case "unknown flag" 2 "--bogus" -m "$M/stories260K.gguf" --bogus
err_case "missing -p value" 2 "--prompt" -m "$M/stories260K.gguf" -p

"$UMA" tokenize --help >"$tmp/h" 2>&1
check "--help" '[ $? -eq 0 ] && grep -qF -- "--no-bos" "$tmp/h" && grep -qF -- "--special" "$tmp/h"'

[ $fails -eq 0 ] && echo "all tokenize checks passed" || { echo "$fails tokenize checks failed"; exit 1; }

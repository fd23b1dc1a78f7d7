#!/usr/bin/env bash
# uma run: the golden 200-token greedy text from BOS, stdout/stderr separation, seeded sampling
# reproducibility, and one-line errors with a non-zero exit for bad input.
set -u
UMA=${UMA_BIN:?}; M=${UMA_SHARED_DIR:?}/models
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails+1)); fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# Golden: exactly the llama2.c text (stdout only; timing goes to stderr).
"$UMA" run -m "$M/stories260K.gguf" -p "" -n 200 --temp 0 >"$tmp/out" 2>"$tmp/err"
check "golden greedy200 exit 0" '[ $? -eq 0 ]'
check "golden greedy200 text" 'cmp -s "$tmp/out" "$M/stories260K.greedy200.expected.txt"'
check "stats on stderr" 'grep -q "tokens/s" "$tmp/err" && grep -q "time to first token" "$tmp/err"'

# Prompt continuation (llama.cpp's greedy text for this prompt starts like this).
"$UMA" run -m "$M/stories260K.gguf" -p "Once upon a time" -n 12 --temp 0 >"$tmp/cont" 2>/dev/null
check "prompt continuation" 'grep -q "^, there was a little girl named Lily" "$tmp/cont"'

# Same seed -> same text; different seed -> (almost surely) different text.
"$UMA" run -m "$M/stories260K.gguf" -p "The dog" -n 40 --temp 1 --seed 7 >"$tmp/s1" 2>/dev/null
"$UMA" run -m "$M/stories260K.gguf" -p "The dog" -n 40 --temp 1 --seed 7 >"$tmp/s2" 2>/dev/null
"$UMA" run -m "$M/stories260K.gguf" -p "The dog" -n 40 --temp 1 --seed 8 >"$tmp/s3" 2>/dev/null
check "same seed same text" 'cmp -s "$tmp/s1" "$tmp/s2"'
check "different seed different text" '! cmp -s "$tmp/s1" "$tmp/s3"'
check "sampled text non-empty" '[ -s "$tmp/s1" ]'

# Errors: one line on stderr, non-zero exit, no crash.
err_case() {  # name, expected-substring, args...
  local name=$1 want=$2; shift 2
  "$UMA" "$@" >/dev/null 2>"$tmp/e"; local rc=$?
  check "$name: exit 1" "[ $rc -eq 1 ]"
  check "$name: one line naming the problem" '[ "$(wc -l <"$tmp/e")" -eq 1 ] && grep -q -- "$want" "$tmp/e"'
}
err_case "missing file" "no-such.gguf" run -m "$tmp/no-such.gguf" -p hi
printf 'not a gguf file at all' >"$tmp/bad.gguf"
err_case "not a gguf" "bad.gguf" run -m "$tmp/bad.gguf" -p hi
err_case "vocab-only file" "architecture" run -m "$M/vocab/ggml-vocab-gpt-2.gguf" -p hi
err_case "huge context" "context" run -m "$M/stories260K.gguf" -p hi -c 100000000000
err_case "bad top-p" "top_p" run -m "$M/stories260K.gguf" -p hi --top-p 2
"$UMA" run -m "$M/stories260K.gguf" --no-such-flag >/dev/null 2>&1
check "unknown flag exits non-zero" '[ $? -ne 0 ]'

# llama-2-tiny-random: F16 weights and the full 32000-token Llama 2 vocabulary.
"$UMA" run -m "$M/random/llama-2-tiny-random.gguf" -p "Hello world" -n 16 --temp 0 --ignore-eos >"$tmp/r" 2>"$tmp/re"
check "llama-2-tiny-random generates" '[ $? -eq 0 ] && grep -q "generation 16 tokens" "$tmp/re"'

[ $fails -eq 0 ] && echo "all run checks passed" || { echo "$fails run checks failed"; exit 1; }

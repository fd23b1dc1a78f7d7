#!/usr/bin/env bash
# uma template end to end: a template file, a GGUF's own template and tokens, the ChatML
# fallback for a model without one, flags that override the messages file, and error exits.
set -u
UMA=${UMA_BIN:?}; SHARED=${UMA_SHARED_DIR:?}
T=$SHARED/templates; M=$T/messages
fails=0
check() {  # check NAME EXPECTED ACTUAL
  if [[ "$2" == "$3" ]]; then echo "ok   $1"; else
    echo "FAIL $1"; echo "  expected: $(printf %q "$2")"; echo "  actual:   $(printf %q "$3")"
    fails=$((fails + 1)); fi
}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
keep() { "$@"; local rc=$?; printf .; return $rc; }  # $(...) would drop trailing newlines

out=$(keep "$UMA" template --file "$T/chatml.jinja" --messages "$M/01_single_user.json"); out=${out%.}
check "file template" $'<|im_start|>user\nHello! What is the capital of France?<|im_end|>\n<|im_start|>assistant\n' "$out"

out=$(keep "$UMA" template --file "$T/chatml.jinja" --messages "$M/01_single_user.json" --no-generation-prompt); out=${out%.}
check "--no-generation-prompt" $'<|im_start|>user\nHello! What is the capital of France?<|im_end|>\n' "$out"

out=$(keep "$UMA" template --file "$T/chatml.jinja" --messages "$M/04_assistant_last.json" --generation-prompt); out=${out%.}; out=${out: -22}
check "--generation-prompt overrides the file" $'<|im_start|>assistant\n' "$out"

echo '[{"role": "user", "content": "hi"}]' > "$tmp/plain.json"
out=$(keep "$UMA" template --file "$T/llama2-chat.jinja" --messages "$tmp/plain.json" --bos '<B>' --eos '<E>'); out=${out%.}
check "bare array, --bos" "<B>[INST] hi [/INST]" "$out"

out=$(printf '{"messages": [{"role": "user", "content": "x"}], "bos_token": "<s>"}' |
      "$UMA" template --file "$T/mistral-7b-instruct-v0.1.jinja" --messages -)
check "messages on stdin" "<s>[INST] x [/INST]" "$out"

out=$("$UMA" template --file "$T/granite-3.3-instruct.jinja" --messages "$M/01_single_user.json" --now 2024-03-05T08:00:00 | head -n 1)
check "--now pins strftime_now" "<|start_of_role|>system<|end_of_role|>Knowledge Cutoff Date: April 2024. Today's Date: March 05, 2024. You are Granite, developed by IBM. You are a helpful AI assistant.<|end_of_text|>" "$out"

# A GGUF's own template and BOS/EOS (phi-3's vocab file carries its chat template).
phi3=$SHARED/models/vocab/ggml-vocab-phi-3.gguf
out=$(keep "$UMA" template -m "$phi3" --messages "$tmp/plain.json"); out=${out%.}
check "-m: GGUF template + model tokens" $'<s><|user|>\nhi<|end|>\n<|assistant|>\n' "$out"

# A model without tokenizer.chat_template gets ChatML, and stderr says so.
out=$(keep "$UMA" template -m "$SHARED/models/stories260K.gguf" --messages "$tmp/plain.json" 2>"$tmp/err"); out=${out%.}
check "-m without a template: ChatML" $'<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n' "$out"
check "ChatML note on stderr" "uma template: $SHARED/models/stories260K.gguf has no tokenizer.chat_template; using ChatML" "$(cat "$tmp/err")"

# Errors: one line on stderr, exit 1 (2 for bad flags).
"$UMA" template --file "$T/gemma2-it.jinja" --messages "$M/02_system_user.json" >/dev/null 2>"$tmp/err"; rc=$?
check "raise_exception -> exit 1" "1 uma template: System role not supported" "$rc $(cat "$tmp/err")"
printf '{%% if x %%}\nunclosed' > "$tmp/bad.jinja"
"$UMA" template --file "$tmp/bad.jinja" --messages "$tmp/plain.json" >/dev/null 2>"$tmp/err"; rc=$?
check "syntax error names the line" "1 uma template: $tmp/bad.jinja: line 2: unexpected end of template: 'if' opened on line 1 is never closed" "$rc $(cat "$tmp/err")"
echo '{"messages": [' > "$tmp/broken.json"
"$UMA" template --file "$T/chatml.jinja" --messages "$tmp/broken.json" >/dev/null 2>"$tmp/err"; rc=$?
check "invalid JSON" "1" "$rc"
grep -q "invalid JSON" "$tmp/err" || { echo "FAIL invalid JSON message: $(cat "$tmp/err")"; fails=$((fails + 1)); }
echo '{"msgs": []}' > "$tmp/nomsg.json"
"$UMA" template --file "$T/chatml.jinja" --messages "$tmp/nomsg.json" >/dev/null 2>"$tmp/err"; rc=$?
check "missing messages" "1 uma template: $tmp/nomsg.json: messages: missing" "$rc $(cat "$tmp/err")"
"$UMA" template --file "$T/chatml.jinja" --messages "$tmp/plain.json" --now tomorrow >/dev/null 2>"$tmp/err"; rc=$?
check "bad --now" "1" "$rc"
"$UMA" template --file /nonexistent.jinja --messages "$tmp/plain.json" >/dev/null 2>"$tmp/err"; rc=$?
check "missing file" "1 uma template: /nonexistent.jinja: cannot open" "$rc $(cat "$tmp/err")"
"$UMA" template --messages "$tmp/plain.json" >/dev/null 2>&1; rc=$?
check "no template source" "2" "$rc"
"$UMA" template -m "$phi3" --file "$T/chatml.jinja" --messages "$tmp/plain.json" >/dev/null 2>&1; rc=$?
check "-m and --file exclude each other" "2" "$rc"
"$UMA" template -m "$tmp/plain.json" --messages "$tmp/plain.json" >/dev/null 2>&1; rc=$?
check "-m with a non-GGUF" "1" "$rc"

[[ $fails -eq 0 ]] && echo "all template CLI checks passed" || { echo "$fails failed"; exit 1; }

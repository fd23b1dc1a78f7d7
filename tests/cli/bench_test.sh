#!/usr/bin/env bash
# uma bench on stories260K with tiny -p/-n (seconds, not minutes): the --json object has every
# field with sane values, the markdown table has a row per test, bad flags give one-line errors.
set -u
UMA=${UMA_BIN:?}; M=${UMA_SHARED_DIR:?}/models
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails+1)); fi; }
has() { grep -qF -- "$2" "$1"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
FAST=(--bw-buffer-mib 64 -r 2)

"$UMA" bench -m "$M/stories260K.gguf" -p 16 -n 8 -d 0,8 "${FAST[@]}" --json >"$tmp/j" 2>"$tmp/err"
check "--json exit 0" '[ $? -eq 0 ]'
python3 - "$tmp/j" >"$tmp/py" 2>&1 <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
keys = ["model", "type", "threads", "bandwidth_bytes_per_s", "bytes_per_token", "peak_rss_bytes",
        "ttft_ms", "results", "roofline_fraction", "best_bandwidth_bytes_per_s",
        "roofline_fraction_best_bandwidth"]
assert list(j.keys()) == keys, list(j.keys())
assert j["model"].endswith("stories260K.gguf") and j["type"] == "F32", (j["model"], j["type"])
assert isinstance(j["threads"], int) and j["threads"] >= 1
assert 1e9 < j["bandwidth_bytes_per_s"] < 1e13, j["bandwidth_bytes_per_s"]
# Separate output: all tensors but token_embd (1171200 - 131072), plus f16 KV at ~4.5 positions.
kv = 5 * (32 + 32) * 2
assert j["bytes_per_token"] == 1171200 - 131072 + int(4.5 * kv), j["bytes_per_token"]
assert 1 << 20 < j["peak_rss_bytes"] < 1 << 32, j["peak_rss_bytes"]
assert 0 < j["ttft_ms"] < 60000, j["ttft_ms"]
tests = [(r["test"], r["depth"]) for r in j["results"]]
assert tests == [("pp16", 0), ("tg8", 0), ("pp16", 8), ("tg8", 8)], tests
for r in j["results"]:
    assert list(r.keys()) == ["test", "depth", "tokens_per_s"]
    t = r["tokens_per_s"]
    assert list(t.keys()) == ["median", "min", "max"]
    assert 0 < t["min"] <= t["median"] <= t["max"] < 1e7, t
assert 0 < j["roofline_fraction"] < 100, j["roofline_fraction"]
# The bandwidth a repetition is measured against is at most the run's best, so the fraction
# against the best cannot be larger (the median is monotone).
assert j["bandwidth_bytes_per_s"] <= j["best_bandwidth_bytes_per_s"], j
assert 0 < j["roofline_fraction_best_bandwidth"] <= j["roofline_fraction"] * (1 + 1e-9), j
print("json ok")
PY
check "--json fields and values" 'has "$tmp/py" "json ok" || { cat "$tmp/py"; false; }'

"$UMA" bench -m "$M/stories260K.gguf" -p 8 -n 4 "${FAST[@]}" >"$tmp/md" 2>"$tmp/err"
check "table exit 0" '[ $? -eq 0 ]'
check "table header" 'has "$tmp/md" "| model | type | size | params | threads | test | t/s | min | max | roofline |"'
check "table rows" 'grep -qE "^\| stories260K\.gguf \| F32 \| .* \| pp8 \| " "$tmp/md" && grep -qE "^\| stories260K\.gguf \| F32 \| .* \| tg4 \| .*\| [0-9.]+ \|$" "$tmp/md"'
# The probe also runs before the model loads (the faster one counts); its buffer must not show up
# as the model's peak RSS (stories260K needs a few MiB; the probe here maps 256 MiB).
if [ -w /proc/self/clear_refs ]; then
  check "probe before loading and after the tests" 'has "$tmp/md" "before loading and 5 after the tests"'
  # The run's best is the fastest probe: before loading, after the tests, or around a repetition
  # (each printed per repetition of the tg test, -r 2 here), to the printed precision.
  check "best bandwidth is the fastest probe" 'python3 -c "
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r\"memory read bandwidth: ([0-9.]+) GB/s .*: ([0-9.]+) and ([0-9.]+) GB/s\", t)
a = re.search(r\"around each tg4 repetition [^:]*: ([0-9. ]+) GB/s, median ([0-9.]+)\", t)
reps = [float(x) for x in a[1].split()] if a else []
sys.exit(0 if m and len(reps) == 2 and abs(float(m[1]) - max([float(m[2]), float(m[3])] + reps)) < 0.006 else 1)" "$tmp/md"'
  "$UMA" bench -m "$M/stories260K.gguf" -p 0 -n 2 -r 1 --bw-buffer-mib 256 --json >"$tmp/jr" 2>"$tmp/err"
  check "no probe buffer (before loading or between repetitions) in peak RSS" 'python3 -c "import json,sys; r=json.load(open(sys.argv[1]))[\"peak_rss_bytes\"]; sys.exit(0 if r < 128 << 20 else print(r) or 1)" "$tmp/jr"'
fi
check "bandwidth, bytes/token, ttft, rss lines" 'has "$tmp/md" "memory read bandwidth:" && has "$tmp/md" "bytes per token (tg4):" && has "$tmp/md" "time to first token:" && has "$tmp/md" "peak RSS:"'

# Only tg (no pp): TTFT falls back to one decode step; a quantized file's type is its ftype.
"$UMA" bench -m "$M/quant/stories260K.q8_0-mix.gguf" -p 0 -n 4 "${FAST[@]}" --json >"$tmp/j2" 2>&1
check "tg only, ftype name" '[ $? -eq 0 ] && has "$tmp/j2" "\"type\": \"Q6_K\"" && has "$tmp/j2" "\"test\": \"tg4\"" && ! has "$tmp/j2" "\"pp"'

err_case() {  # name, exit code, expected substring, args...
  local name=$1 code=$2 want=$3; shift 3
  "$UMA" bench "$@" >"$tmp/eo" 2>"$tmp/e"; local rc=$?
  check "$name: exit $code" "[ $rc -eq $code ]"
  check "$name: one line naming the problem" '[ "$(wc -l <"$tmp/e")" -eq 1 ] && has "$tmp/e" "$want" && [ ! -s "$tmp/eo" ]'
}
err_case "missing file" 1 "no-such.gguf: cannot open" -m "$tmp/no-such.gguf"
err_case "no -m" 2 "--model is required"
err_case "nothing to run" 2 "nothing to run" -m "$M/stories260K.gguf" -p 0 -n 0
err_case "negative -p" 2 "--n-prompt" -m "$M/stories260K.gguf" -p -5
err_case "zero reps" 2 "--repetitions" -m "$M/stories260K.gguf" -r 0
err_case "bad -n" 2 "--n-gen" -m "$M/stories260K.gguf" -n abc
err_case "bad --kv-type" 2 "--kv-type" -m "$M/stories260K.gguf" --kv-type q4_0
err_case "depth out of range" 2 "--depth" -m "$M/stories260K.gguf" -d 99999999
err_case "-c below depth + length" 2 "smaller than depth + test length 24" -m "$M/stories260K.gguf" -p 16 -n 8 -d 8 -c 20

# -c allocates a larger context (peak RSS then includes its whole KV cache).
"$UMA" bench -m "$M/stories260K.gguf" -p 0 -n 2 -c 512 "${FAST[@]}" >"$tmp/mc" 2>&1
check "-c sets the context" '[ $? -eq 0 ] && has "$tmp/mc" "(context 512)"'

"$UMA" bench --help >"$tmp/h" 2>&1
check "--help" '[ $? -eq 0 ] && has "$tmp/h" "--json" && has "$tmp/h" "--depth"'

[ $fails -eq 0 ] && echo "all bench checks passed" || { echo "$fails bench checks failed"; exit 1; }

#!/usr/bin/env bash
# uma fit: the issue's seed examples through the CLI, JSON and SVG output, a real GGUF file, and
# one-line errors (exit 1 for a bad model, exit 2 for bad flags). A --bench result calibrates the
# local machine, so no run here waits for the bandwidth probe.
set -u
UMA=${UMA_BIN:?}; M=${UMA_SHARED_DIR:?}/models
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails+1)); fi; }
has() { grep -qF -- "$2" "$1"; }  # file, fixed string
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '{"model":"bench.gguf","bandwidth_bytes_per_s":3.0e10,"roofline_fraction":0.8}' >"$tmp/bench.json"

# Llama 3.1 70B Q4_K_M: 42.5 GB = 39.59 GiB of weights, KV at 32K = 10 GiB; fits an M4 Max, not a 4090.
"$UMA" fit llama3.1-70b:Q4_K_M --ctx 32768 --bench "$tmp/bench.json" >"$tmp/70b" 2>"$tmp/err"
check "70b exit 0" '[ $? -eq 0 ] && [ ! -s "$tmp/err" ]'
check "70b weights" 'has "$tmp/70b" "weights 39.59 GiB"'
check "70b kv at 32K" 'has "$tmp/70b" "KV cache 10.00 GiB"'
check "70b fits m4-max" 'grep -qE "^m4-max +Apple M4 Max .* yes " "$tmp/70b"'
check "70b not rtx4090" 'grep -qE "^rtx4090 +NVIDIA RTX 4090 .* no " "$tmp/70b"'
check "local calibrated by bench" 'has "$tmp/70b" "efficiency 0.80 (uma bench roofline fraction on bench.gguf)"'

# Several --bench results: the one of the model's type calibrates (decode efficiency depends on
# the type's kernels), else the first.
printf '{"model":"a.gguf","type":"Q8_0","bandwidth_bytes_per_s":3.0e10,"roofline_fraction":0.7}' >"$tmp/b8.json"
printf '{"model":"b.gguf","type":"Q4_K_M","bandwidth_bytes_per_s":3.0e10,"roofline_fraction":0.6}' >"$tmp/b4.json"
"$UMA" fit llama3.1-8b:Q4_K_M --machine local --bench "$tmp/b8.json" --bench "$tmp/b4.json" >"$tmp/typed" 2>&1
check "bench of the same type chosen" 'has "$tmp/typed" "efficiency 0.60 (uma bench roofline fraction on b.gguf (Q4_K_M))"'
"$UMA" fit llama3.1-8b:Q6_K --machine local --bench "$tmp/b8.json" --bench "$tmp/b4.json" >"$tmp/untyped" 2>&1
check "no bench of that type: the first" 'has "$tmp/untyped" "efficiency 0.70 (uma bench roofline fraction on a.gguf (Q8_0))"'

# Llama 3 8B Q4_K_M: 4.58 GiB (4.92 GB); KV at 8K = 1 GiB; 35-60 tok/s on an M3 Max.
"$UMA" fit llama3-8b:Q4_K_M --ctx 8192 --machine m3-max >"$tmp/8b" 2>&1
check "8b weights" 'has "$tmp/8b" "weights 4.58 GiB"'
check "8b kv at 8K" 'has "$tmp/8b" "KV cache 1.00 GiB"'
tps=$(grep -E "^m3-max " "$tmp/8b" | awk '{for (i=1;i<=NF;i++) if ($i ~ /^[0-9.]+\|[0-9.]+$/) print $i}')
check "8b m3-max decode in 35-60 tok/s ($tps)" 'echo "$tps" | awk -F"|" "{exit !(\$1>=35 && \$2<=60)}"'
check "single machine lists every quant" 'has "$tmp/8b" "quant mixes on m3-max:" && grep -qE "^  Q2_K " "$tmp/8b"'

# JSON: valid, with the figures and their sources.
"$UMA" fit deepseek-v3:Q4_K_M --machine h200 --json >"$tmp/json" 2>&1
check "json exit 0" '[ $? -eq 0 ]'
if command -v python3 >/dev/null; then
  check "json parses with sources" 'python3 -c "
import json,sys; j=json.load(open(\"$tmp/json\")); m=j[\"machines\"][0]
assert m[\"name\"]==\"h200\" and m[\"sources\"][\"bandwidth\"] and m[\"efficiency_source\"]
assert j[\"model\"][\"active_params\"] < j[\"model\"][\"params\"]/10   # MoE: active experts only
mem=j[\"memory\"]
assert mem[\"total_bytes\"] == sum(mem[k] for k in (\"weights_resident_bytes\",\"metadata_bytes\",\"kv_cache_bytes\",\"compute_bytes\",\"overhead_bytes\"))
assert mem[\"weights_bytes\"] == mem[\"weights_resident_bytes\"] + mem[\"embedding_not_resident_bytes\"]
assert len(m[\"quants\"]) == 10
"'
fi

# --plot writes an SVG with one line per machine.
"$UMA" fit qwen2.5-7b --plot "$tmp/fit.svg" --bench "$tmp/bench.json" >/dev/null 2>&1
check "svg written" '[ -s "$tmp/fit.svg" ] && head -c 4 "$tmp/fit.svg" | grep -q "<svg" && tail -1 "$tmp/fit.svg" | grep -q "</svg>"'
check "svg one group per machine" '[ "$(grep -c "^<g>" "$tmp/fit.svg")" -eq 25 ]'

# A real GGUF: exact bytes from its tensor table; Q4_0/Q8_0 are refused like llama-quantize does.
"$UMA" fit "$M/stories260K.gguf" --machine m1 --json >"$tmp/st" 2>&1
check "gguf weights = tensor table" 'grep -q "\"weights_bytes\": 1171200" "$tmp/st" && grep -q "\"file_bytes\": 1185376" "$tmp/st"'
check "gguf quant ladder skips Q8_0" '! grep -q "\"quant\": \"Q8_0\"" "$tmp/st" && grep -q "\"quant\": \"Q4_K_M\"" "$tmp/st"'
"$UMA" fit "$M/stories260K.gguf" --ctx 4096 --machine m1 >"$tmp/st2" 2>&1
check "beyond training context noted" 'has "$tmp/st2" "beyond the model'"'"'s training context 2048"'

# Errors: one line on stderr, nothing on stdout, the given exit code.
err_case() {  # name, exit code, expected substring, args...
  local name=$1 code=$2 want=$3; shift 3
  "$UMA" fit "$@" >"$tmp/eo" 2>"$tmp/e"; local rc=$?
  check "$name: exit $code" "[ $rc -eq $code ]"
  check "$name: one line naming the problem" '[ "$(wc -l <"$tmp/e")" -eq 1 ] && has "$tmp/e" "$want" && [ ! -s "$tmp/eo" ]'
}
err_case "unknown shape" 1 "'llama9-8b' is not a built-in shape" llama9-8b:Q4_K_M
err_case "unknown quant" 1 "unknown quant type 'Q7'" llama3.1-8b:Q7
err_case "missing file" 1 "no-such.gguf" "$tmp/no-such.gguf"
printf 'not a gguf' >"$tmp/bad.gguf"
err_case "not a gguf" 1 "not a GGUF file" "$tmp/bad.gguf"
err_case "vocab-only file" 1 "no tensors" "$M/vocab/ggml-vocab-gpt-2.gguf"
err_case "no model" 2 "model is required" 
err_case "bad ctx" 2 "--ctx must be a whole number" llama3.1-8b --ctx 12k
err_case "zero ctx" 2 "--ctx must be a whole number" llama3.1-8b --ctx 0
err_case "bad parallel" 2 "--parallel must be" llama3.1-8b --parallel 0
err_case "bad kv type" 2 "--kv-type must be" llama3.1-8b --kv-type q5_1
err_case "unknown machine" 2 "unknown machine 'm9'" llama3.1-8b --machine m9
err_case "bad min-tps" 2 "--min-tps must be" llama3.1-8b --min-tps -3
err_case "bad bench file" 2 "--bench" llama3.1-8b --bench "$tmp/bad.gguf"
err_case "unwritable plot" 1 "--plot: cannot write" llama3.1-8b --machine m1 --plot "$tmp/no/dir/x.svg"

echo "$fails failure(s)"
[ "$fails" -eq 0 ]

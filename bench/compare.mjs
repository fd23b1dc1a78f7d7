// bench/compare: uma bench vs llama.cpp (node-llama-cpp's prebuilt CPU binaries) on the same GGUF
// files, threads, prompt/generation lengths and depths, in one run; prints a side-by-side
// markdown table with ratios. llama.cpp is driven the way uma bench drives uma: pp = one
// evaluation of P random tokens, tg = N single-token decode+sample steps, after an untimed
// prefix of D tokens; median/min/max over repetitions. Run it through bench/compare.sh.
import {execFileSync} from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

function usage(msg) {
  if (msg) console.error(`bench/compare: ${msg}`);
  console.error("usage: bench/compare.sh -m FILE [-m FILE ...] [-p 512] [-n 128] [-d 0] [-r 3] " +
                "[-t THREADS] [--uma PATH] [--only uma|llama.cpp]");
  process.exit(2);
}

const opt = {models: [], p: 512, n: 128, d: 0, r: 3, t: 0, uma: "build/uma", only: ""};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i], v = argv[i + 1];
  const int = () => {
    if (v === undefined || !/^\d+$/.test(v)) usage(`${a} needs a whole number`);
    i++;
    return Number(v);
  };
  if (a === "-m") { if (!v) usage("-m needs a file"); opt.models.push(v); i++; }
  else if (a === "-p") opt.p = int();
  else if (a === "-n") opt.n = int();
  else if (a === "-d") opt.d = int();
  else if (a === "-r") opt.r = int();
  else if (a === "-t") opt.t = int();
  else if (a === "--uma") { if (!v) usage("--uma needs a path"); opt.uma = v; i++; }
  else if (a === "--only") { if (v !== "uma" && v !== "llama.cpp") usage("--only uma|llama.cpp"); opt.only = v; i++; }
  else if (a === "-h" || a === "--help") usage();
  else usage(`unknown argument '${a}'`);
}
if (opt.models.length === 0) usage("no model (-m FILE)");
if (opt.r < 1) usage("-r must be >= 1");
if (opt.p === 0 && opt.n === 0) usage("nothing to run: -p and -n are both 0");
for (const m of opt.models) if (!fs.existsSync(m)) usage(`${m}: no such file`);
if (opt.t === 0) {
  // Physical cores, as uma's default: distinct (physical id, core id) pairs.
  const info = fs.readFileSync("/proc/cpuinfo", "utf8");
  const cores = new Set();
  let phys = "0";
  for (const line of info.split("\n")) {
    const [k, val] = line.split(":").map((s) => (s ?? "").trim());
    if (k === "physical id") phys = val;
    if (k === "core id") cores.add(`${phys}/${val}`);
  }
  opt.t = cores.size || os.cpus().length;
}

function summarize(xs) {
  const s = [...xs].sort((a, b) => a - b), n = s.length;
  return {median: n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2, min: s[0], max: s[n - 1]};
}

function runUma(model) {
  const args = ["bench", "-m", model, "-p", String(opt.p), "-n", String(opt.n), "-d", String(opt.d),
                "-r", String(opt.r), "-t", String(opt.t), "--json"];
  const out = execFileSync(opt.uma, args, {encoding: "utf8", stdio: ["ignore", "pipe", "inherit"]});
  return JSON.parse(out);
}

let llama = null, llamaInfo = "";
const perfLines = [];

// llama.cpp's own decode timings since the last call (llama_perf_context_print):
// "prompt eval time = X ms / N tokens" counts multi-token batches, "eval time = X ms / N runs"
// single-token decodes. They exclude the JS binding's per-call overhead, as uma bench's timer
// around Context::decode excludes nothing but has none.
async function perfSince(ctx) {
  perfLines.length = 0;
  await ctx.printTimings();
  const text = perfLines.join("\n");
  const grab = (re) => {
    const m = text.match(re);
    return m ? {ms: Number(m[1]), n: Number(m[2])} : null;
  };
  return {prompt: grab(/prompt eval time\s*=\s*([\d.]+) ms\s*\/\s*(\d+) tokens/),
          eval: grab(/[^t] eval time\s*=\s*([\d.]+) ms\s*\/\s*(\d+) runs/)};
}
async function runLlamaCpp(model) {
  const {getLlama, LlamaLogLevel} = await import("node-llama-cpp");
  if (!llama) {
    // Info level for llama_perf_context_print's lines (printTimings); everything else dropped.
    llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.info,
                            maxThreads: opt.t, logger: (level, msg) => perfLines.push(msg)});
    const rel = llama.llamaCppRelease;
    const nlcVersion = JSON.parse(fs.readFileSync(
        new URL("./node_modules/node-llama-cpp/package.json", import.meta.url), "utf8")).version;
    llamaInfo = `llama.cpp ${rel.release} (node-llama-cpp ${nlcVersion}, ${llama.buildType} CPU build)`;
  }
  const m = await llama.loadModel({modelPath: model, gpuLayers: 0});
  const ctx = await m.createContext({contextSize: opt.d + Math.max(opt.p, opt.n) + 8,
                                     batchSize: 512, threads: {ideal: opt.t, min: opt.t},
                                     sequences: 1, performanceTracking: true});
  const seq = ctx.getSequence();
  const md = m.fileInfo.metadata;
  const nVocab = md[md.general?.architecture]?.vocab_size ?? md.tokenizer?.ggml?.tokens?.length;
  if (!nVocab) throw new Error(`${model}: no vocabulary size in the metadata`);
  let state = 1234;  // a fixed LCG: the cost of a step does not depend on the token ids
  const rand = (k) => Array.from({length: k}, () => (state = (state * 1103515245 + 12345) % 2147483648) % nVocab);
  const now = () => Number(process.hrtime.bigint()) / 1e9;
  const resetToDepth = async () => {
    if (seq.nextTokenIndex > opt.d) await seq.eraseContextTokenRanges([{start: opt.d, end: seq.nextTokenIndex}]);
  };

  // Warm-up (pages the weights in), then the untimed depth prefix.
  await seq.evaluateWithoutGeneratingNewTokens(rand(Math.min(Math.max(opt.p, 1), 32)));
  await seq.clearHistory();
  if (opt.d > 0) await seq.evaluateWithoutGeneratingNewTokens(rand(opt.d));
  await perfSince(ctx);

  const results = [];
  if (opt.p > 0) {
    const tps = [], sec = [], wall = [];
    for (let r = 0; r < opt.r; r++) {
      await resetToDepth();
      const toks = rand(opt.p), t0 = now();
      await seq.evaluateWithoutGeneratingNewTokens(toks);
      sec.push(now() - t0);
      const perf = await perfSince(ctx);
      tps.push(perf.prompt?.n === opt.p ? opt.p / (perf.prompt.ms / 1e3) : NaN);
      wall.push(opt.p / sec[sec.length - 1]);
    }
    results.push({test: `pp${opt.p}`, depth: opt.d, tokens_per_s: summarize(tps),
                  wall_tokens_per_s: summarize(wall)});
  }
  if (opt.n > 0) {
    const tps = [], wall = [];
    for (let r = 0; r < opt.r; r++) {
      await resetToDepth();
      await perfSince(ctx);
      // Each step decodes one token and samples the next (greedy), as a generation loop does;
      // the logits of every step are computed, so the output matrix is read every time.
      let got = 0;
      const t0 = now();
      for await (const _ of seq.evaluate(rand(1), {temperature: 0})) if (++got >= opt.n) break;
      wall.push(opt.n / (now() - t0));
      const perf = await perfSince(ctx);
      tps.push(perf.eval ? perf.eval.n / (perf.eval.ms / 1e3) : NaN);
    }
    results.push({test: `tg${opt.n}`, depth: opt.d, tokens_per_s: summarize(tps),
                  wall_tokens_per_s: summarize(wall)});
  }
  await ctx.dispose();
  await m.dispose();
  return results;
}

const fmt = (x, d = 2) => (x === undefined || x === null || Number.isNaN(x) ? "—" : x.toFixed(d));
const rows = [];
const probes = [];  // each model's uma bench run measures the bandwidth its rooflines use
for (const model of opt.models) {
  const name = path.basename(model);
  console.error(`bench/compare: ${name}: uma bench ...`);
  const u = opt.only === "llama.cpp" ? null : runUma(model);
  console.error(`bench/compare: ${name}: llama.cpp ...`);
  const l = opt.only === "uma" ? null : await runLlamaCpp(model);
  if (u) probes.push(u.bandwidth_bytes_per_s / 1e9);
  const tests = (u ? u.results : l).map((r) => r.test);
  for (const test of tests) {
    const ur = u?.results.find((r) => r.test === test), lr = l?.find((r) => r.test === test);
    const us = ur?.tokens_per_s, ls = lr?.tokens_per_s;
    const roof = (s) => (test.startsWith("tg") && u && s ? s.median * u.bytes_per_token / u.bandwidth_bytes_per_s : undefined);
    // uma's own fraction: the median of its repetitions', each against the bandwidth around it
    // (uma bench's roofline_fraction, for its one tg test here); llama.cpp's runs at another time,
    // so its fraction is against the median of those bandwidths.
    const umaRoof = test.startsWith("tg") && u ? u.roofline_fraction : undefined;
    rows.push(`| ${name} | ${u?.type ?? "?"} | ${test}${opt.d ? ` @ d${opt.d}` : ""} | ` +
              `${fmt(us?.median)} (${fmt(us?.min)}–${fmt(us?.max)}) | ` +
              `${fmt(ls?.median)} (${fmt(ls?.min)}–${fmt(ls?.max)}) | ` +
              `${us && ls ? fmt(us.median / ls.median) + "×" : "—"} | ${fmt(umaRoof)} | ${fmt(roof(ls))} | ` +
              `${fmt(lr?.wall_tokens_per_s?.median)} | ${u ? fmt(u.bandwidth_bytes_per_s / 1e9, 1) : "—"} |`);
  }
}

const load = os.loadavg().map((x) => x.toFixed(2)).join(", ");
console.log(`uma bench vs ${llamaInfo || "llama.cpp (not run)"}; ${os.cpus()[0]?.model ?? "cpu"}, ` +
            `${opt.t} threads, -r ${opt.r}; load average ${load}` +
            (probes.length ? `; read bandwidth ${Math.min(...probes).toFixed(1)}–${Math.max(...probes).toFixed(1)} GB/s ` +
                             "(uma's probes around its tg repetitions, median per model; uma's roofline is the median of its " +
                             "repetitions' own fractions, llama.cpp's is against that median bandwidth)" : ""));
console.log("llama.cpp t/s come from its own decode timers (llama_perf_context); \"wall\" is the same " +
            "run timed through the JS binding, which adds a per-call overhead.");
console.log("");
console.log("| model | type | test | uma t/s (min–max) | llama.cpp t/s (min–max) | uma / llama.cpp | uma roofline | llama.cpp roofline | llama.cpp wall t/s | probe GB/s |");
console.log("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) console.log(r);

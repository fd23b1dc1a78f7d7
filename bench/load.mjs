// bench/load: load test of `uma serve` on 127.0.0.1, bounded in time and request count.
//   1. one streaming client for --single-seconds: the single-client generation rate;
//   2. --clients streaming clients for --seconds at --parallel slots: aggregate tok/s, errors,
//      client-side TTFT and inter-token latency (p50/p99);
//   3. --burst clients at once against a server with --max-queue: every answer must be 200 or a
//      clean 503 with Retry-After, /health stays 200, and the server's RSS stays flat.
// Plain fetch + SSE parsing (no npm packages). Prints a summary and a JSON line; exits 1 when a
// criterion fails (errors, speedup < --min-speedup, unclean rejections, RSS growth).
// Example:
//   uma synth --shape llama3-1b --type Q4_0 -o /tmp/llama3-1b.Q4_0.gguf
//   node bench/load.mjs -m /tmp/llama3-1b.Q4_0.gguf --parallel 8 --clients 16 --seconds 120
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const opt = {
  uma: path.join(here, '../build/uma'),
  model: '',
  parallel: 8,
  clients: 16,
  seconds: 120,
  singleSeconds: 30,
  maxTokens: 64,
  threads: 0,
  ctx: 1024,
  burst: 64,
  burstQueue: 16,
  burstRounds: 5,
  minSpeedup: 2,
};
const flags = {
  '--uma': 'uma', '-m': 'model', '--model': 'model', '--parallel': 'parallel', '--clients': 'clients',
  '--seconds': 'seconds', '--single-seconds': 'singleSeconds', '--max-tokens': 'maxTokens',
  '-t': 'threads', '--threads': 'threads', '-c': 'ctx', '--burst': 'burst', '--burst-queue': 'burstQueue',
  '--burst-rounds': 'burstRounds', '--min-speedup': 'minSpeedup',
};
for (let i = 2; i < process.argv.length; i += 2) {
  const key = flags[process.argv[i]];
  if (!key || i + 1 >= process.argv.length) {
    console.error(`bench/load: unknown or incomplete flag '${process.argv[i]}'`);
    process.exit(2);
  }
  opt[key] = typeof opt[key] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}
if (!opt.model || !fs.existsSync(opt.model)) {
  console.error('bench/load: -m MODEL.gguf is required (e.g. uma synth --shape llama3-1b --type Q4_0 -o /tmp/m.gguf)');
  process.exit(2);
}
// Hard bounds: never run away in time or requests.
opt.seconds = Math.min(Math.max(opt.seconds, 1), 600);
opt.singleSeconds = Math.min(Math.max(opt.singleSeconds, 1), 300);
opt.clients = Math.min(Math.max(opt.clients, 1), 256);
opt.burst = Math.min(Math.max(opt.burst, 1), 512);
opt.burstRounds = Math.min(Math.max(opt.burstRounds, 1), 50);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startServer(extra) {
  const args = ['serve', '-m', opt.model, '--host', '127.0.0.1', '--port', '0', '-c', String(opt.ctx), ...extra];
  if (opt.threads > 0) args.push('-t', String(opt.threads));
  const proc = spawn(opt.uma, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('server did not start:\n' + log)), 120000);
    proc.stderr.on('data', (d) => {
      log += d;
      const m = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    });
    proc.on('exit', (c) => reject(new Error(`server exited (${c}):\n${log}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  for (const t0 = Date.now(); ; await sleep(100)) {
    try {
      if ((await fetch(url + '/health', { signal: AbortSignal.timeout(2000) })).status === 200) break;
    } catch {}
    if (Date.now() - t0 > 300000) throw new Error('server never became healthy:\n' + log);
  }
  return {
    url,
    proc,
    rssKiB() {
      const s = fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8');
      return Number(s.match(/VmRSS:\s+(\d+)/)[1]);
    },
    async stop() {
      const done = new Promise((r) => proc.on('exit', r));
      proc.kill('SIGTERM');
      const k = setTimeout(() => proc.kill('SIGKILL'), 10000);
      await done;
      clearTimeout(k);
    },
  };
}

const PROMPTS = [
  'Once upon a time there was a little robot who',
  'The history of the city begins in the year',
  'Write a short poem about the sea and the wind:',
  'In a small village at the edge of the forest,',
  'The recipe calls for three eggs, flour and',
  'Explain how a bicycle works to a child:',
];

// One streamed completion; returns {tokens, ttft_ms, gaps_ms[], status, error}.
async function streamOnce(url, i, deadline) {
  const t0 = performance.now();
  const out = { tokens: 0, ttft_ms: null, gaps_ms: [], status: 0, error: null };
  try {
    const r = await fetch(url + '/v1/completions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        prompt: PROMPTS[i % PROMPTS.length],
        max_tokens: opt.maxTokens,
        temperature: 0.8,
        seed: i,
        ignore_eos: true,
        stream: true,
        stream_options: { include_usage: true },
      }),
      signal: AbortSignal.timeout(Math.max(1000, deadline - Date.now() + 120000)),
    });
    out.status = r.status;
    if (r.status !== 200) {
      out.retryAfter = r.headers.get('retry-after');
      out.body = await r.text();
      return out;
    }
    const dec = new TextDecoder();
    let buf = '';
    let last = null;
    for await (const chunk of r.body) {
      buf += dec.decode(chunk, { stream: true });
      let k;
      while ((k = buf.indexOf('\n\n')) >= 0) {
        const ev = buf.slice(0, k);
        buf = buf.slice(k + 2);
        if (!ev.startsWith('data: ')) continue;  // keep-alive comments
        const data = ev.slice(6);
        if (data === '[DONE]') continue;
        const j = JSON.parse(data);
        if (j.error) throw new Error(j.error.message);
        if (j.usage) out.tokens = j.usage.completion_tokens;
        if (j.choices?.[0]?.text) {
          const now = performance.now();
          if (out.ttft_ms === null) out.ttft_ms = now - t0;
          else out.gaps_ms.push(now - last);
          last = now;
        }
      }
    }
  } catch (e) {
    out.error = String(e.message || e);
  }
  return out;
}

// `clients` loops of back-to-back requests until `seconds` pass (requests in flight finish).
async function runPhase(url, clients, seconds) {
  const deadline = Date.now() + seconds * 1000;
  const results = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let n = 0; Date.now() < deadline && n < 100000; n++) results.push(await streamOnce(url, c * 1000 + n, deadline));
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const ok = results.filter((r) => r.status === 200 && !r.error);
  const tokens = ok.reduce((a, r) => a + r.tokens, 0);
  const q = (arr, p) => {
    if (!arr.length) return NaN;
    const s = [...arr].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(p * s.length))];
  };
  const gaps = ok.flatMap((r) => r.gaps_ms);
  const ttfts = ok.map((r) => r.ttft_ms).filter((x) => x !== null);
  return {
    clients,
    seconds: wall,
    requests: results.length,
    errors: results.length - ok.length,
    error_samples: results.filter((r) => r.error || r.status !== 200).slice(0, 3).map((r) => r.error || `${r.status} ${r.body}`),
    tokens,
    tok_s: tokens / wall,
    ttft_p50_ms: q(ttfts, 0.5),
    ttft_p99_ms: q(ttfts, 0.99),
    itl_p50_ms: q(gaps, 0.5),
    itl_p99_ms: q(gaps, 0.99),
  };
}

async function burstPhase() {
  const srv = await startServer(['--parallel', String(opt.parallel), '--max-queue', String(opt.burstQueue)]);
  const out = { ok: 0, rejected: 0, unclean: 0, samples: [], health_failures: 0, rss_kib: [] };
  try {
    // Warm up once so the first-touch of weights and buffers is not counted as growth.
    await streamOnce(srv.url, 0, Date.now() + 60000);
    out.rss_kib.push(srv.rssKiB());
    for (let round = 0; round < opt.burstRounds; round++) {
      let healthDone = false;
      const health = (async () => {
        while (!healthDone) {
          try {
            const h = await fetch(srv.url + '/health', { signal: AbortSignal.timeout(5000) });
            if (h.status !== 200) out.health_failures++;
          } catch {
            out.health_failures++;
          }
          await sleep(100);
        }
      })();
      const rs = await Promise.all(Array.from({ length: opt.burst }, (_, i) => streamOnce(srv.url, round * 1000 + i, Date.now() + 60000)));
      healthDone = true;
      await health;
      for (const r of rs) {
        if (r.status === 200 && !r.error) out.ok++;
        else if (r.status === 503 && r.retryAfter === '1' && /queue_full/.test(r.body)) out.rejected++;
        else {
          out.unclean++;
          if (out.samples.length < 3) out.samples.push(r.error || `${r.status} ${r.body}`);
        }
      }
      out.rss_kib.push(srv.rssKiB());
    }
  } finally {
    await srv.stop();
  }
  return out;
}

const srv = await startServer(['--parallel', String(opt.parallel), '--max-queue', String(Math.max(64, opt.clients))]);
let single, multi;
try {
  await streamOnce(srv.url, 0, Date.now() + 60000);  // warm-up
  single = await runPhase(srv.url, 1, opt.singleSeconds);
  multi = await runPhase(srv.url, opt.clients, opt.seconds);
} finally {
  await srv.stop();
}
const burst = await burstPhase();

const speedup = multi.tok_s / single.tok_s;
const rssGrowthKiB = burst.rss_kib[burst.rss_kib.length - 1] - burst.rss_kib[1 < burst.rss_kib.length ? 1 : 0];
const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
console.log(`model ${path.basename(opt.model)}, --parallel ${opt.parallel}, ${opt.maxTokens} tokens per request`);
console.log(`single client: ${f(single.tok_s)} tok/s over ${f(single.seconds)} s (${single.requests} requests), ITL p50 ${f(single.itl_p50_ms)} ms`);
console.log(
  `${multi.clients} clients: ${f(multi.tok_s)} tok/s aggregate = ${speedup.toFixed(2)}x single, ${multi.requests} requests, ${multi.errors} errors, ` +
    `TTFT p50/p99 ${f(multi.ttft_p50_ms)}/${f(multi.ttft_p99_ms)} ms, ITL p50/p99 ${f(multi.itl_p50_ms)}/${f(multi.itl_p99_ms)} ms`,
);
console.log(
  `burst: ${opt.burstRounds} x ${opt.burst} clients vs --max-queue ${opt.burstQueue}: ${burst.ok} served, ${burst.rejected} clean 503s, ` +
    `${burst.unclean} other, /health failures ${burst.health_failures}, RSS ${burst.rss_kib.map((k) => (k / 1024).toFixed(0)).join(' -> ')} MiB`,
);
const checks = {
  zero_errors: multi.errors === 0 && single.errors === 0,
  speedup: speedup >= opt.minSpeedup,
  clean_rejections: burst.unclean === 0 && burst.rejected > 0,
  healthy: burst.health_failures === 0,
  memory_flat: rssGrowthKiB < 64 * 1024,
};
console.log('checks: ' + Object.entries(checks).map(([k, v]) => `${k} ${v ? 'PASS' : 'FAIL'}`).join(', '));
if (multi.error_samples.length) console.log('error samples:', multi.error_samples);
if (burst.samples.length) console.log('burst samples:', burst.samples);
console.log(JSON.stringify({ opt, single, multi, burst, speedup, rss_growth_kib: rssGrowthKiB, checks }));
process.exit(Object.values(checks).every(Boolean) ? 0 : 1);

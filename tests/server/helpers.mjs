// Shared test plumbing: start `uma serve` on a free 127.0.0.1 port (--port 0, the port is read
// from its log), wait for /health, stop it; run `uma run` for reference outputs. Everything has a
// timeout so a broken server fails the test instead of hanging it.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const UMA = process.env.UMA_BIN || path.join(here, '../../build/uma');
export const MODEL = process.env.UMA_MODEL || path.join(here, '../../../shared/models/stories260K.gguf');
export const MODEL_NAME = 'stories260K';

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Resolves with {url, port, proc, log(), stop()} once /health says 200.
export async function startServer(extraArgs = [], env = {}) {
  const ctx = extraArgs.includes('-c') ? [] : ['-c', '512'];
  const args = ['serve', '-m', MODEL, '--port', '0', '-t', '1', ...ctx, ...extraArgs];
  const proc = spawn(UMA, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('uma serve did not start in 20 s:\n' + log)), 20000);
    proc.stderr.on('data', (d) => {
      log += d.toString();
      const m = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`uma serve exited with ${code}:\n${log}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    try {
      const r = await fetch(url + '/health', { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) break;
    } catch {}
    if (Date.now() - t0 > 20000) throw new Error('uma serve never became healthy:\n' + log);
    await sleep(50);
  }
  return {
    url,
    port,
    proc,
    log: () => log,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      const done = new Promise((r) => proc.on('exit', (code, sig) => r(code ?? sig)));
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 10000);
      const code = await done;
      clearTimeout(killer);
      return code;
    },
  };
}

// stdout of `uma run` (greedy): the reference text for a prompt.
export function umaRun(prompt, n) {
  const r = spawnSync(UMA, ['run', '-m', MODEL, '-p', prompt, '-n', String(n), '--temp', '0', '-t', '1', '-c', '512'], {
    encoding: 'utf8',
    timeout: 30000,
  });
  if (r.status !== 0) throw new Error(`uma run failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

// fetch with a timeout; returns {status, headers, text, json}.
export async function http(url, init = {}, timeoutMs = 20000) {
  const r = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const text = await r.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: r.status, headers: r.headers, text, json };
}

export function postJson(url, body, headers = {}) {
  return http(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

// Raw HTTP against `uma serve`: malformed JSON, wrong types, oversized bodies, API keys, unknown
// routes, a garbage request line, clients disconnecting mid-stream (their sequences are freed),
// SSE keep-alives while queued, /health while loading, /metrics and /apply-template.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { startServer, MODEL, MODEL_NAME, UMA, http, postJson, sleep } from './helpers.mjs';

let srv;

before(async () => {
  srv = await startServer(['--parallel', '2', '--max-body', '65536', '--keep-alive-ms', '200', '-c', '2048']);
});
after(async () => {
  await srv.stop();
});

// Sends raw bytes, returns everything the server answers (or what arrived before timeoutMs).
function raw(port, bytes, timeoutMs = 5000) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve(out);
    }, timeoutMs);
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
    s.on('error', () => {});
    s.write(bytes);
  });
}

async function metric(name) {
  const m = await http(srv.url + '/metrics');
  const line = m.text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

async function waitFor(pred, ms = 5000) {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await pred()) return true;
    await sleep(20);
  }
  return false;
}

test('malformed JSON and wrong types name the problem', async () => {
  let r = await postJson(srv.url + '/v1/chat/completions', '{"model": "x", "messages": [');
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /not valid JSON/);
  r = await postJson(srv.url + '/v1/chat/completions', '[1,2,3]');
  assert.equal(r.status, 400);
  r = await postJson(srv.url + '/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }], max_tokens: 'ten' });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.param, 'max_tokens');
  r = await postJson(srv.url + '/v1/completions', { prompt: 'x', stop: { a: 1 } });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.param, 'stop');
  r = await postJson(srv.url + '/api/generate', { model: MODEL_NAME, prompt: 7 });
  assert.equal(r.status, 400);
  assert.match(r.json.error, /'prompt' must be a string/);
  r = await postJson(srv.url + '/v1/completions', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[');
  assert.equal(r.status, 400);
  r = await postJson(srv.url + '/v1/completions', '\u0000\u00ff garbage');
  assert.equal(r.status, 400);
  r = await postJson(srv.url + '/v1/completions', { prompt: [999999, 1] });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /out of range/);
});

test('oversized body is 413, unknown route 404, garbage request line handled', async () => {
  const big = JSON.stringify({ prompt: 'x'.repeat(70000) });
  const r = await postJson(srv.url + '/v1/completions', big);
  assert.equal(r.status, 413);
  assert.equal(r.json.error.code, 'body_too_large');
  const nf = await http(srv.url + '/v2/nothing');
  assert.equal(nf.status, 404);
  assert.ok(nf.json.error.message.includes('/v2/nothing'));
  const g = await raw(srv.port, 'GARBAGE\r\n\r\n', 1000);
  assert.match(g, /^HTTP\/1\.1 400/);
  // Still healthy afterwards.
  assert.equal((await http(srv.url + '/health')).status, 200);
});

test('API key: Bearer required except /health; UMA_API_KEY works too', async () => {
  for (const [args, env] of [[['--api-key', 'sekret'], {}], [[], { UMA_API_KEY: 'sekret' }]]) {
    const s = await startServer(args, env);
    try {
      assert.equal((await http(s.url + '/health')).status, 200);
      let r = await http(s.url + '/v1/models');
      assert.equal(r.status, 401);
      assert.equal(r.json.error.code, 'invalid_api_key');
      r = await http(s.url + '/api/tags', { headers: { Authorization: 'Bearer wrong' } });
      assert.equal(r.status, 401);
      assert.equal(typeof r.json.error, 'string');
      r = await http(s.url + '/metrics', { headers: { Authorization: 'Basic sekret' } });
      assert.equal(r.status, 401);
      r = await http(s.url + '/v1/models', { headers: { Authorization: 'Bearer sekret' } });
      assert.equal(r.status, 200);
    } finally {
      await s.stop();
    }
  }
});

test('a client disconnecting mid-stream frees its sequence', async () => {
  const before = (await metric('uma_requests_finished_total{reason="cancelled"}')) ?? 0;
  const body = JSON.stringify({ model: MODEL_NAME, prompt: 'Once upon a time', max_tokens: 1500, ignore_eos: true, stream: true });
  await new Promise((resolve, reject) => {
    const s = net.connect(srv.port, '127.0.0.1', () => {
      s.write(`POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
      if ((got.match(/data: /g) || []).length >= 3) {
        s.destroy();  // hang up after a few chunks
        resolve();
      }
    });
    s.on('error', reject);
    setTimeout(() => reject(new Error('no stream data')), 10000);
  });
  assert.ok(await waitFor(async () => (await metric('uma_active_sequences')) === 0), 'sequence freed');
  assert.equal(await metric('uma_kv_blocks_used'), 0);
  assert.equal(await metric('uma_requests_finished_total{reason="cancelled"}'), before + 1);
  // Same for a non-streaming request whose client gives up.
  const ctl = new AbortController();
  const p = fetch(srv.url + '/v1/completions', {
    method: 'POST',
    body: JSON.stringify({ prompt: 'One day', max_tokens: 1500, ignore_eos: true }),
    signal: ctl.signal,
  }).catch(() => {});
  assert.ok(await waitFor(async () => (await metric('uma_active_sequences')) === 1));
  ctl.abort();
  await p;
  assert.ok(await waitFor(async () => (await metric('uma_active_sequences')) === 0), 'non-streaming sequence freed');
  assert.equal(await metric('uma_requests_finished_total{reason="cancelled"}'), before + 2);
});

test('SSE keep-alive comments while waiting in the queue', async () => {
  const s = await startServer(['--parallel', '1', '--keep-alive-ms', '100', '-c', '2048']);
  try {
    const hog = new AbortController();
    const first = fetch(s.url + '/v1/completions', {
      method: 'POST',
      body: JSON.stringify({ prompt: 'Once upon a time', max_tokens: 1500, ignore_eos: true, stream: true }),
      signal: hog.signal,
    });
    const resA = await first;
    const second = await fetch(s.url + '/v1/completions', {
      method: 'POST',
      body: JSON.stringify({ prompt: 'One day', max_tokens: 3, stream: true }),
      signal: AbortSignal.timeout(20000),
    });
    const reader = second.body.getReader();
    const { value } = await reader.read();
    const firstBytes = new TextDecoder().decode(value);
    assert.match(firstBytes, /^: keep-alive\n\n/);
    hog.abort();
    resA.body.cancel().catch(() => {});
    let rest = firstBytes;
    for (;;) {
      const { value: v, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(v);
    }
    assert.match(rest, /data: \[DONE\]\n\n$/);
  } finally {
    await s.stop();
  }
});

test('/health is 503 while the model loads', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uma-serve-'));
  const fifo = path.join(dir, 'model.gguf');
  // Synchronously: a FIFO not yet made (a slow machine) would make serve fail instead of block.
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  const proc = spawn(UMA, ['serve', '-m', fifo, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    let log = '';
    const port = await new Promise((resolve, reject) => {
      proc.stderr.on('data', (d) => {
        log += d.toString();
        const m = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
        if (m) resolve(Number(m[1]));
      });
      setTimeout(() => reject(new Error(log)), 10000);
    });
    const h = await http(`http://127.0.0.1:${port}/health`);
    assert.equal(h.status, 503);
    assert.equal(h.headers.get('retry-after'), '1');
    const c = await postJson(`http://127.0.0.1:${port}/v1/completions`, { prompt: 'x' });
    assert.equal(c.status, 503);
  } finally {
    proc.kill('SIGKILL');  // it is blocked opening the FIFO
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('/metrics is Prometheus text; /apply-template renders the chat format', async () => {
  await postJson(srv.url + '/v1/completions', { prompt: 'One day', max_tokens: 4 });
  const m = await http(srv.url + '/metrics');
  assert.equal(m.status, 200);
  assert.match(m.headers.get('content-type'), /^text\/plain/);
  for (const name of [
    'uma_requests_total{endpoint="/v1/completions",status="200"}',
    'uma_prompt_tokens_total',
    'uma_generated_tokens_total',
    'uma_queue_depth',
    'uma_active_sequences',
    'uma_kv_blocks_used',
    'uma_kv_blocks_total',
    'uma_time_to_first_token_seconds_bucket{le="+Inf"}',
    'uma_inter_token_latency_seconds_count',
  ])
    assert.ok(m.text.includes(name), name);
  assert.ok(m.text.includes('# TYPE uma_time_to_first_token_seconds histogram'));
  assert.ok((await metric('uma_generated_tokens_total')) >= 4);
  const t = await postJson(srv.url + '/apply-template', {
    messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'U' }],
  });
  assert.equal(t.status, 200);
  assert.equal(t.json.prompt, '<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n');
  const t2 = await postJson(srv.url + '/apply-template', { messages: [{ role: 'user', content: 'U' }], add_generation_prompt: false });
  assert.equal(t2.json.prompt, '<|im_start|>user\nU<|im_end|>\n');
});

test('--chat-template-file: the Jinja template renders as `uma template` does; template errors are 400s', async () => {
  const tdir = path.join(path.dirname(MODEL), '..', 'templates');
  const s = await startServer(['--chat-template-file', path.join(tdir, 'mistral-7b-instruct-v0.1.jinja')]);
  try {
    const messages = [
      { role: 'user', content: 'Hello' },
      { role: 'assistant', content: 'Hi!' },
      { role: 'user', content: 'Tell me a story' },
    ];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uma-tmpl-'));
    fs.writeFileSync(path.join(dir, 'm.json'), JSON.stringify({ messages }));
    const want = spawnSync(UMA, ['template', '--file', path.join(tdir, 'mistral-7b-instruct-v0.1.jinja'), '--messages', path.join(dir, 'm.json'), '--bos', '<s>', '--eos', '</s>'], {
      encoding: 'utf8',
      timeout: 10000,
    });
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(want.status, 0, want.stderr);
    const t = await postJson(s.url + '/apply-template', { messages });
    assert.equal(t.status, 200);
    assert.equal(t.json.prompt, want.stdout);
    // The template's own raise_exception message comes back as a 400.
    const bad = await postJson(s.url + '/v1/chat/completions', {
      messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'b' }],
      max_tokens: 2,
    });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /Conversation roles must alternate/);
    // A chat request through the template generates.
    const ok = await postJson(s.url + '/v1/chat/completions', { messages, max_tokens: 4, temperature: 0 });
    assert.equal(ok.status, 200);
    assert.equal(ok.json.usage.completion_tokens > 0, true);
  } finally {
    await s.stop();
  }
});

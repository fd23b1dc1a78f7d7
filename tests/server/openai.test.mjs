// `uma serve` driven by the official `openai` npm client: models, chat and completions, streaming
// with include_usage, stop sequences, max_tokens, logprobs, and the error cases (400/404 with
// OpenAI's error object, 503 when the queue is full).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer, MODEL_NAME, postJson } from './helpers.mjs';

let srv, client;

before(async () => {
  srv = await startServer(['--parallel', '4']);
  client = new OpenAI({ baseURL: srv.url + '/v1', apiKey: 'unused', timeout: 20000, maxRetries: 0 });
});
after(async () => {
  assert.equal(await srv.stop(), 0, 'uma serve should exit cleanly on SIGTERM');
});

const chatBody = (extra = {}) => ({
  model: MODEL_NAME,
  messages: [{ role: 'user', content: 'Tell me a story about a cat.' }],
  temperature: 0,
  max_tokens: 24,
  ...extra,
});

test('models list and retrieve', async () => {
  const list = await client.models.list();
  const ids = list.data.map((m) => m.id);
  assert.deepEqual(ids, [MODEL_NAME]);
  const m = await client.models.retrieve(MODEL_NAME);
  assert.equal(m.id, MODEL_NAME);
  assert.equal(m.object, 'model');
  await assert.rejects(client.models.retrieve('no-such-model'), (e) => e instanceof OpenAI.NotFoundError);
});

test('chat completion (non-streaming)', async () => {
  const r = await client.chat.completions.create(chatBody());
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, MODEL_NAME);
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(typeof r.choices[0].message.content, 'string');
  assert.ok(r.choices[0].message.content.length > 0);
  assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
  assert.ok(r.usage.prompt_tokens > 5);
  assert.ok(r.usage.completion_tokens > 0 && r.usage.completion_tokens <= 24);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  // Greedy is deterministic.
  const again = await client.chat.completions.create(chatBody());
  assert.equal(again.choices[0].message.content, r.choices[0].message.content);
});

test('chat streaming with include_usage equals the non-streamed answer', async () => {
  const full = await client.chat.completions.create(chatBody({ max_tokens: 40 }));
  const stream = await client.chat.completions.create(
    chatBody({ max_tokens: 40, stream: true, stream_options: { include_usage: true } }),
  );
  let text = '';
  let chunks = 0;
  let finish = null;
  let usage = null;
  let sawRole = false;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    chunks++;
    if (chunk.choices.length === 0) {
      usage = chunk.usage;
      continue;
    }
    const c = chunk.choices[0];
    if (c.delta.role === 'assistant') sawRole = true;
    text += c.delta.content ?? '';
    if (c.finish_reason) finish = c.finish_reason;
  }
  assert.ok(sawRole, 'the first chunk carries the role');
  assert.ok(chunks > 3, 'text arrives in several chunks');
  assert.equal(text, full.choices[0].message.content);
  assert.equal(finish, full.choices[0].finish_reason);
  assert.ok(usage, 'a usage chunk with empty choices ends the stream');
  assert.deepEqual(usage, full.usage);
});

test('completions: text, stop sequences and max_tokens', async () => {
  const prompt = 'Once upon a time';
  const full = await client.completions.create({ model: MODEL_NAME, prompt, max_tokens: 48, temperature: 0 });
  assert.equal(full.object, 'text_completion');
  const text = full.choices[0].text;
  assert.ok(text.length > 20);
  // A stop string from the middle of the greedy text: the answer ends right before it.
  const at = text.indexOf(' ', Math.floor(text.length / 2));
  const stop = text.slice(at, at + 4);
  const stopped = await client.completions.create({ model: MODEL_NAME, prompt, max_tokens: 48, temperature: 0, stop: ['@@@', stop] });
  assert.equal(stopped.choices[0].text, text.slice(0, text.indexOf(stop)));
  assert.equal(stopped.choices[0].finish_reason, 'stop');
  // Streaming with a stop string gives the same text.
  const stream = await client.completions.create({ model: MODEL_NAME, prompt, max_tokens: 48, temperature: 0, stop, stream: true });
  let streamed = '';
  for await (const c of stream) streamed += c.choices[0]?.text ?? '';
  assert.equal(streamed, stopped.choices[0].text);
  // max_tokens -> finish_reason length with exactly that many tokens.
  const short = await client.completions.create({ model: MODEL_NAME, prompt, max_tokens: 5, temperature: 0 });
  assert.equal(short.choices[0].finish_reason, 'length');
  assert.equal(short.usage.completion_tokens, 5);
  assert.ok(text.startsWith(short.choices[0].text));
});

test('logprobs', async () => {
  const r = await client.chat.completions.create(chatBody({ max_tokens: 6, logprobs: true, top_logprobs: 3 }));
  const lp = r.choices[0].logprobs.content;
  assert.equal(lp.length, r.usage.completion_tokens);
  for (const t of lp) {
    assert.ok(t.logprob <= 0);
    assert.equal(t.top_logprobs.length, 3);
    assert.equal(t.top_logprobs[0].token, t.token, 'greedy picks the most likely token');
    assert.ok(Array.isArray(t.bytes));
  }
  const c = await client.completions.create({ model: MODEL_NAME, prompt: 'One day', max_tokens: 4, temperature: 0, logprobs: 2 });
  assert.equal(c.choices[0].logprobs.tokens.length, 4);
  assert.equal(c.choices[0].logprobs.tokens.join(''), c.choices[0].text);
});

test('error cases are 400s with OpenAI error objects', async () => {
  const cases = [
    [{ temperature: 'hot' }, 'temperature'],
    [{ n: 2 }, 'n'],
    [{ response_format: { type: 'json_object' } }, 'response_format'],
    [{ tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }, 'tools'],
    [{ messages: [] }, 'messages'],
    [{ max_tokens: 100000 }, 'max_tokens'],
  ];
  for (const [extra, param] of cases) {
    await assert.rejects(client.chat.completions.create(chatBody(extra)), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, `${param}: got ${e}`);
      assert.equal(e.status, 400);
      assert.equal(e.param, param);
      assert.equal(e.type, 'invalid_request_error');
      assert.ok(e.message.includes(param), e.message);
      return true;
    });
  }
  // A prompt longer than the context (512): 400 naming both numbers, never silent truncation.
  const long = 'the cat sat on the mat and '.repeat(200);
  await assert.rejects(client.completions.create({ model: MODEL_NAME, prompt: long, max_tokens: 4 }), (e) => {
    assert.equal(e.status, 400);
    assert.match(e.message, /the prompt has \d+ tokens, the context size is 512/);
    assert.equal(e.code, 'context_length_exceeded');
    return true;
  });
  await assert.rejects(client.chat.completions.create(chatBody({ model: 'gpt-4o' })), (e) => e.status === 404 && e.code === 'model_not_found');
});

test('queue full: 503 with Retry-After while others wait', async () => {
  // The slot's request must outlast the checks: 260K parameters write 400 tokens in a fraction of
  // a second, which a loaded machine let run out before the last check (seen). 8000 take seconds.
  const busy = await startServer(['--parallel', '1', '--max-queue', '1', '-c', '8192']);
  try {
    const long = { model: MODEL_NAME, prompt: 'Once upon a time', max_tokens: 8000, ignore_eos: true, temperature: 1, stream: true };
    const c = new OpenAI({ baseURL: busy.url + '/v1', apiKey: 'x', maxRetries: 0, timeout: 20000 });
    const a = await c.completions.create(long);  // occupies the slot
    const b = await c.completions.create(long);  // waits in the queue
    const r = await postJson(busy.url + '/v1/completions', { ...long, stream: false });
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('retry-after'), '1');
    assert.equal(r.json.error.code, 'queue_full');
    await assert.rejects(c.completions.create(long), (e) => e.status === 503);
    a.controller.abort();
    b.controller.abort();
  } finally {
    await busy.stop();
  }
});

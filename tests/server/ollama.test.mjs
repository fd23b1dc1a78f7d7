// `uma serve` driven by the official `ollama` npm client: generate and chat (streamed NDJSON and
// stream:false, nanosecond durations, context), tags, show, ps, version, options and errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Ollama } from 'ollama';
import { startServer, MODEL_NAME, http, postJson } from './helpers.mjs';

let srv, ollama;
const NAME = MODEL_NAME + ':latest';

before(async () => {
  srv = await startServer(['--parallel', '2']);
  ollama = new Ollama({ host: srv.url });
});
after(async () => {
  await srv.stop();
});

test('root, version, tags, ps, show', async () => {
  const root = await http(srv.url + '/');
  assert.equal(root.status, 200);
  assert.equal(root.text, 'uma is running');
  assert.equal((await http(srv.url + '/api/version')).json.version, '0.1.0');
  const tags = await ollama.list();
  assert.equal(tags.models.length, 1);
  assert.equal(tags.models[0].name, NAME);
  assert.equal(tags.models[0].details.format, 'gguf');
  assert.equal(tags.models[0].details.family, 'llama');
  assert.ok(tags.models[0].size > 1000000);
  const ps = await ollama.ps();
  assert.equal(ps.models[0].name, NAME);
  const show = await ollama.show({ model: MODEL_NAME });
  assert.equal(show.model_info['general.architecture'], 'llama');
  assert.equal(show.model_info['llama.context_length'], 2048);
  assert.equal(show.model_info['tokenizer.ggml.tokens'], null, 'big arrays only with verbose');
  assert.ok(show.template.includes('im_start'), 'no GGUF template: the ChatML fallback');
  assert.equal(show.details.quantization_level, 'F32');
  const verbose = await ollama.show({ model: NAME, verbose: true });
  assert.equal(verbose.model_info['tokenizer.ggml.tokens'].length, 512);
  await assert.rejects(ollama.show({ model: 'nope' }), (e) => e.status_code === 404);
});

test('generate: stream:false and streamed NDJSON agree; final object has the durations', async () => {
  const req = { model: NAME, prompt: 'Once upon a time', raw: true, options: { temperature: 0, num_predict: 30 } };
  const full = await ollama.generate({ ...req, stream: false });
  assert.equal(full.done, true);
  assert.ok(['stop', 'length'].includes(full.done_reason));
  assert.ok(full.response.length > 10);
  for (const k of ['total_duration', 'load_duration', 'prompt_eval_count', 'prompt_eval_duration', 'eval_count', 'eval_duration'])
    assert.equal(typeof full[k], 'number', k);
  assert.ok(full.total_duration > 1000, 'durations are nanoseconds');
  assert.ok(full.eval_count > 0 && full.eval_count <= 30);
  assert.ok(Array.isArray(full.context) && full.context.length === full.prompt_eval_count + full.eval_count);
  let text = '';
  let parts = 0;
  let last;
  for await (const part of await ollama.generate({ ...req, stream: true })) {
    parts++;
    text += part.response;
    last = part;
  }
  assert.ok(parts > 3);
  assert.equal(text, full.response);
  assert.equal(last.done, true);
  assert.equal(last.eval_count, full.eval_count);
  // num_predict -> done_reason length.
  const short = await ollama.generate({ ...req, options: { temperature: 0, num_predict: 3 }, stream: false });
  assert.equal(short.done_reason, 'length');
  assert.equal(short.eval_count, 3);
  // A stop option ends before the stop text.
  const at = full.response.indexOf(' ', 10);
  const stop = full.response.slice(at, at + 3);
  const stopped = await ollama.generate({ ...req, options: { temperature: 0, num_predict: 30, stop: [stop] }, stream: false });
  assert.equal(stopped.response, full.response.slice(0, full.response.indexOf(stop)));
  assert.equal(stopped.done_reason, 'stop');
});

test('chat: streamed and not', async () => {
  const req = { model: MODEL_NAME, messages: [{ role: 'user', content: 'Hi there' }], options: { temperature: 0, num_predict: 20, seed: 1 } };
  const full = await ollama.chat({ ...req, stream: false });
  assert.equal(full.message.role, 'assistant');
  assert.ok(full.message.content.length > 0);
  assert.equal(full.done, true);
  let text = '';
  for await (const part of await ollama.chat({ ...req, stream: true })) text += part.message.content;
  assert.equal(text, full.message.content);
  // keep_alive and num_ctx are accepted.
  const ka = await ollama.chat({ ...req, stream: false, keep_alive: '5m', options: { ...req.options, num_ctx: 256 } });
  assert.equal(ka.message.content, full.message.content);
});

test('errors: ollama shape', async () => {
  await assert.rejects(ollama.generate({ model: 'nope', prompt: 'x', stream: false }), (e) => e.status_code === 404);
  await assert.rejects(
    ollama.generate({ model: NAME, prompt: 'x', stream: false, options: { temperature: 'hot' } }),
    (e) => e.status_code === 400 && /options\.temperature/.test(e.message),
  );
  const r = await postJson(srv.url + '/api/chat', { model: NAME, messages: 'hello' });
  assert.equal(r.status, 400);
  assert.equal(typeof r.json.error, 'string');
  assert.match(r.json.error, /messages/);
  // Ollama's "load the model" calls: empty prompt / no messages.
  const load = await postJson(srv.url + '/api/generate', { model: NAME });
  assert.equal(load.json.done, true);
  assert.equal(load.json.done_reason, 'load');
});

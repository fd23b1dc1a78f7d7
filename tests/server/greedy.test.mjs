// Greedy (temperature 0) output over HTTP equals `uma run --temp 0` for the same prompt: alone,
// and while 8 other streams are generating in the same batches.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer, MODEL_NAME, umaRun } from './helpers.mjs';

let srv, client;
const PROMPTS = ['Once upon a time', 'The little girl went to the park and', 'Tom had a big red ball. One day'];
const N = 64;
const OTHER_TOKENS = 4000;

before(async () => {
  // 11 slots: the 8 other streams and the 3 greedy requests all run at once (none queued), and a
  // context long enough for the others to outlast the greedy ones by far.
  srv = await startServer(['--parallel', '11', '--prefill-chunk', '8', '-c', '4096']);
  client = new OpenAI({ baseURL: srv.url + '/v1', apiKey: 'x', maxRetries: 0, timeout: 30000 });
});
after(async () => {
  await srv.stop();
});

const greedy = async (prompt) =>
  (await client.completions.create({ model: MODEL_NAME, prompt, max_tokens: N, temperature: 0 })).choices[0].text;

test('greedy over HTTP equals uma run (alone)', async () => {
  for (const p of PROMPTS) assert.equal(await greedy(p), umaRun(p, N), p);
});

test('greedy over HTTP equals uma run with 8 other streams running', async () => {
  const want = PROMPTS.map((p) => umaRun(p, N));
  // The others ask for far more tokens than the greedy ones need (~50x the steps), so they are
  // still running when the greedy ones end, however the machine schedules this process; then
  // they are cancelled. (Counting their tokens on the client side instead raced with a client
  // that is descheduled and reads the backlog later.)
  const stop = new AbortController();
  let othersActive = 0;
  let othersFinished = 0;
  const others = Array.from({ length: 8 }, async (_, i) => {
    const s = await client.completions.create(
      {
        model: MODEL_NAME,
        prompt: `Story number ${i}: there was a`,
        max_tokens: OTHER_TOKENS,
        ignore_eos: true,
        temperature: 1,
        seed: i,
        stream: true,
      },
      { signal: stop.signal },
    );
    othersActive++;
    try {
      for await (const c of s) if (c.choices[0]?.finish_reason) othersFinished++;
    } catch (e) {
      if (!stop.signal.aborted) throw e;
    }
  });
  // Wait until all 8 are streaming, then run the greedy ones concurrently with them.
  const t0 = Date.now();
  while (othersActive < 8 && Date.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 5));
  assert.equal(othersActive, 8);
  const got = await Promise.all(PROMPTS.map(greedy));
  const finishedMeanwhile = othersFinished;
  stop.abort();
  await Promise.all(others);
  assert.equal(finishedMeanwhile, 0, 'the other streams were still generating');
  assert.deepEqual(got, want);
});

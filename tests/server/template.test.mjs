// POST /apply-template with --chat-template-file renders exactly what `uma template` renders (the
// Jinja2-verified CLI) for real templates over the shared conversation corpus, tools included;
// where the template raises, the server answers 400 with the same message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, MODEL, UMA, postJson } from './helpers.mjs';

const TEMPLATES = path.join(path.dirname(MODEL), '..', 'templates');
// Templates without strftime_now (the server renders with the current date).
const NAMES = ['qwen2.5-instruct', 'llama3.1-instruct', 'mistral-7b-instruct-v0.3', 'gemma2-it', 'deepseek-v3', 'phi-4'];
const CONVERSATIONS = fs
  .readdirSync(path.join(TEMPLATES, 'messages'))
  .filter((f) => f.endsWith('.json'))
  .sort();

for (const name of NAMES) {
  test(`apply-template equals uma template: ${name}`, async () => {
    const file = path.join(TEMPLATES, name + '.jinja');
    const srv = await startServer(['--chat-template-file', file]);
    try {
      for (const conv of CONVERSATIONS) {
        const convPath = path.join(TEMPLATES, 'messages', conv);
        // The server uses the model's BOS/EOS texts (stories260K: <s>, </s>).
        const want = spawnSync(UMA, ['template', '--file', file, '--messages', convPath, '--bos', '<s>', '--eos', '</s>', '--now', '2025-01-15'], {
          encoding: 'utf8',
          timeout: 10000,
        });
        const r = await postJson(srv.url + '/apply-template', fs.readFileSync(convPath, 'utf8'));
        if (want.status === 0) {
          assert.equal(r.status, 200, `${name} ${conv}: ${r.text}`);
          assert.equal(r.json.prompt, want.stdout, `${name} ${conv}`);
        } else {
          assert.equal(r.status, 400, `${name} ${conv}: uma template failed (${want.stderr.trim()}) but the server said ${r.status}`);
          const msg = want.stderr.replace(/^uma template: /, '').trim();
          assert.ok(r.json.error.message.includes(msg), `${name} ${conv}: '${r.json.error.message}' vs '${msg}'`);
        }
      }
    } finally {
      await srv.stop();
    }
  });
}

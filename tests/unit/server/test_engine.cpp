// Engine (scheduler) without HTTP: greedy output of a request equals a solo greedy run on
// stories260K, alone, with 8 concurrent requests and with tiny prefill chunks; cancel frees the
// KV blocks; queue-full, prompt-too-long, max_tokens, stop strings, timeouts and logprobs.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "engine/channel.h"
#include "engine/engine.h"
#include "model/context.h"
#include "model/model.h"
#include "sampling/sampler.h"

namespace {

using namespace uma;
using namespace std::chrono_literals;

const std::string kModel = std::string(UMA_SHARED_DIR) + "/models/stories260K.gguf";

const Model& model() {
  static std::unique_ptr<Model> m = [] {
    auto r = Model::load(kModel);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return std::move(r).value();
  }();
  return *m;
}

struct Output {
  std::string text;
  std::vector<TokenId> tokens;
};

// What `uma run --temp 0 -n n` does: prefill everything, then sample/decode one token at a time.
Output solo_greedy(const std::vector<TokenId>& prompt, int64_t n) {
  const Model& m = model();
  auto ctx = Context::create(m, {.n_ctx = 512, .n_threads = 1});
  EXPECT_TRUE(ctx.ok());
  sampling::Params sp;
  sp.temp = 0;
  auto chain = sampling::Chain::make_default(sp);
  for (TokenId t : prompt) chain->accept(t);
  auto logits = (*ctx)->decode(prompt);
  const Tokenizer& tok = m.tokenizer();
  StreamDecoder dec(tok, prompt.size() == 1 && prompt[0] == tok.bos());
  Output out;
  for (int64_t i = 0; i < n; i++) {
    const TokenId next = chain->sample(*logits);
    chain->accept(next);
    if (tok.is_eog(next)) break;
    out.tokens.push_back(next);
    out.text += dec.push(next);
    if (i + 1 == n) break;
    const TokenId one[1] = {next};
    logits = (*ctx)->decode(one);
  }
  out.text += dec.flush();
  return out;
}

struct Collected {
  std::string text;
  std::vector<engine::TokenLogprob> logprobs;
  engine::Event done;
  bool error = false;
  int n_text_events = 0;
};

// Drain a channel until Done/Error (bounded wait).
Collected collect(engine::EventChannel& ch, std::chrono::seconds limit = 60s) {
  Collected c;
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < limit) {
    auto ev = ch.pop(100ms);
    if (!ev) continue;
    if (ev->kind == engine::EventKind::kText) {
      c.text += ev->text;
      c.n_text_events++;
      for (auto& lp : ev->logprobs) c.logprobs.push_back(lp);
      continue;
    }
    c.error = ev->kind == engine::EventKind::kError;
    c.done = std::move(*ev);
    return c;
  }
  ADD_FAILURE() << "no Done event within the limit";
  return c;
}

engine::Request greedy_request(const std::vector<TokenId>& prompt, int64_t n,
                               engine::EventChannel& ch) {
  engine::Request r;
  r.prompt = prompt;
  r.sampling.temp = 0;
  r.max_tokens = n;
  r.on_event = ch.sink();
  return r;
}

std::vector<TokenId> encode(const std::string& text) {
  return model().tokenizer().encode(text, true, false);
}

std::unique_ptr<engine::Engine> make_engine(engine::EngineParams p) {
  if (p.n_ctx == 0) p.n_ctx = 512;
  if (p.n_threads == 0) p.n_threads = 2;
  auto e = engine::Engine::create(model(), p);
  EXPECT_TRUE(e.ok()) << e.status().message();
  return std::move(e).value();
}

TEST(Engine, SoloRequestMatchesGreedyRun) {
  auto eng = make_engine({.n_parallel = 2});
  const auto prompt = encode("Once upon a time");
  const Output want = solo_greedy(prompt, 64);
  engine::EventChannel ch;
  ASSERT_TRUE(eng->submit(greedy_request(prompt, 64, ch)).ok());
  Collected got = collect(ch);
  ASSERT_FALSE(got.error) << got.done.error;
  EXPECT_EQ(got.text, want.text);
  EXPECT_EQ(got.done.generated, want.tokens);
  EXPECT_EQ(got.done.finish,
            want.tokens.size() == 64 ? engine::FinishReason::kLength : engine::FinishReason::kStop);
  EXPECT_EQ(got.done.timings.n_prompt, (int64_t)prompt.size());
  EXPECT_EQ(got.done.timings.n_gen, (int64_t)want.tokens.size());
  EXPECT_GT(got.n_text_events, 1);  // streamed, not one blob
  EXPECT_EQ(eng->stats().kv_blocks_used, 0);
}

TEST(Engine, EightConcurrentRequestsMatchSoloRuns) {
  // More requests than slots, tiny prefill chunks: prompts are prefilled over several steps
  // while other sequences decode in the same batches.
  auto eng = make_engine({.n_parallel = 4, .prefill_chunk = 5, .max_queue = 16});
  const std::vector<std::string> prompts = {
      "Once upon a time",
      "The little dog",
      "Lily wanted to play with her friend Tom in the park",
      "One day",
      "Tim and Sue went to the beach. The sun",
      "A big red ball",
      "She was sad because",
      "The cat sat on the mat and looked at the bird that was singing in the tree"};
  std::vector<engine::EventChannel> chans(prompts.size());
  std::vector<Output> want;
  for (size_t i = 0; i < prompts.size(); i++) {
    const int64_t n = 40 + 7 * (int64_t)i;
    want.push_back(solo_greedy(encode(prompts[i]), n));
    ASSERT_TRUE(eng->submit(greedy_request(encode(prompts[i]), n, chans[i])).ok());
  }
  for (size_t i = 0; i < prompts.size(); i++) {
    Collected got = collect(chans[i]);
    ASSERT_FALSE(got.error) << got.done.error;
    EXPECT_EQ(got.text, want[i].text) << "prompt " << i;
    EXPECT_EQ(got.done.generated, want[i].tokens) << "prompt " << i;
  }
  const auto st = eng->stats();
  EXPECT_EQ(st.kv_blocks_used, 0);
  EXPECT_EQ(st.active, 0);
  EXPECT_EQ(st.queued, 0);
}

TEST(Engine, CancelFreesKvWithinAStep) {
  auto eng = make_engine({.n_parallel = 2, .n_ctx = 2048});
  engine::EventChannel ch;
  auto req = greedy_request(encode("Once upon a time"), 2000, ch);
  req.ignore_eos = true;
  req.cancel = std::make_shared<std::atomic<bool>>(false);
  auto cancel = req.cancel;
  ASSERT_TRUE(eng->submit(std::move(req)).ok());
  // Wait for the first text, then cancel.
  std::optional<engine::Event> ev;
  for (int i = 0; i < 100 && !ev; i++) ev = ch.pop(100ms);
  ASSERT_TRUE(ev && ev->kind == engine::EventKind::kText);
  EXPECT_GT(eng->stats().kv_blocks_used, 0);
  cancel->store(true);
  Collected got = collect(ch);
  EXPECT_FALSE(got.error);
  EXPECT_EQ(got.done.finish, engine::FinishReason::kCancelled);
  EXPECT_LT(got.done.timings.n_gen, 2000);
  EXPECT_EQ(eng->stats().kv_blocks_used, 0);
  EXPECT_EQ(eng->stats().cancelled, 1);
}

TEST(Engine, QueueFullIsRefused) {
  auto eng = make_engine({.n_parallel = 1, .max_queue = 1});
  engine::EventChannel a, b, c;
  auto ra = greedy_request(encode("Once upon a time"), 300, a);
  ra.ignore_eos = true;
  auto cancel = std::make_shared<std::atomic<bool>>(false);
  ra.cancel = cancel;
  ASSERT_TRUE(eng->submit(std::move(ra)).ok());
  ASSERT_TRUE(eng->submit(greedy_request(encode("One day"), 4, b)).ok());
  auto rc = eng->submit(greedy_request(encode("One day"), 4, c));
  EXPECT_EQ(rc.code, engine::SubmitCode::kQueueFull);
  EXPECT_NE(rc.message.find("max queue 1"), std::string::npos) << rc.message;
  cancel->store(true);
  EXPECT_EQ(collect(a).done.finish, engine::FinishReason::kCancelled);
  Collected gb = collect(b);
  EXPECT_FALSE(gb.error);
  EXPECT_EQ(gb.text, solo_greedy(encode("One day"), 4).text);
}

TEST(Engine, PromptLongerThanContextNamesBothNumbers) {
  auto eng = make_engine({.n_parallel = 1, .n_ctx = 64});
  engine::EventChannel ch;
  std::vector<TokenId> prompt(65, 300);
  auto r = eng->submit(greedy_request(prompt, 4, ch));
  EXPECT_EQ(r.code, engine::SubmitCode::kPromptTooLong);
  EXPECT_NE(r.message.find("65 tokens"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("64"), std::string::npos) << r.message;
  // A per-request context (Ollama's num_ctx) is a smaller limit.
  auto req = greedy_request(std::vector<TokenId>(20, 300), 4, ch);
  req.n_ctx = 16;
  EXPECT_EQ(eng->submit(std::move(req)).code, engine::SubmitCode::kPromptTooLong);
  // Bad input is refused, not crashed on.
  EXPECT_EQ(eng->submit(greedy_request({}, 4, ch)).code, engine::SubmitCode::kInvalid);
  EXPECT_EQ(eng->submit(greedy_request({1, 99999}, 4, ch)).code, engine::SubmitCode::kInvalid);
  auto bad = greedy_request({1}, 4, ch);
  bad.sampling.top_p = 2;
  EXPECT_EQ(eng->submit(std::move(bad)).code, engine::SubmitCode::kInvalid);
}

TEST(Engine, ContextFullEndsWithLength) {
  auto eng = make_engine({.n_parallel = 1, .n_ctx = 32});
  engine::EventChannel ch;
  auto req = greedy_request(encode("Once upon a time"), -1, ch);
  req.ignore_eos = true;
  const int64_t n_prompt = (int64_t)req.prompt.size();
  ASSERT_TRUE(eng->submit(std::move(req)).ok());
  Collected got = collect(ch);
  EXPECT_EQ(got.done.finish, engine::FinishReason::kLength);
  EXPECT_EQ(got.done.timings.n_gen, 32 - n_prompt + 1);  // the last sampled token needs no position
}

TEST(Engine, StopStringEndsBeforeIt) {
  const auto prompt = encode("Once upon a time");
  const Output full = solo_greedy(prompt, 64);
  // Stop at a word from the middle of the greedy text.
  const size_t at = full.text.find(' ', full.text.size() / 2);
  ASSERT_NE(at, std::string::npos);
  const std::string stop = full.text.substr(at, 4);
  auto eng = make_engine({.n_parallel = 1});
  engine::EventChannel ch;
  auto req = greedy_request(prompt, 64, ch);
  req.stop = {"zzzz-never", stop};
  ASSERT_TRUE(eng->submit(std::move(req)).ok());
  Collected got = collect(ch);
  EXPECT_EQ(got.done.finish, engine::FinishReason::kStop);
  EXPECT_EQ(got.text, full.text.substr(0, full.text.find(stop)));
}

TEST(Engine, MaxTokensZeroAndLogprobs) {
  auto eng = make_engine({.n_parallel = 1});
  engine::EventChannel ch;
  ASSERT_TRUE(eng->submit(greedy_request(encode("One day"), 0, ch)).ok());
  Collected got = collect(ch);
  EXPECT_EQ(got.done.finish, engine::FinishReason::kLength);
  EXPECT_EQ(got.text, "");

  engine::EventChannel ch2;
  auto req = greedy_request(encode("One day"), 8, ch2);
  req.n_logprobs = 3;
  ASSERT_TRUE(eng->submit(std::move(req)).ok());
  got = collect(ch2);
  ASSERT_EQ(got.logprobs.size(), got.done.generated.size());
  for (size_t i = 0; i < got.logprobs.size(); i++) {
    const auto& lp = got.logprobs[i];
    EXPECT_EQ(lp.id, got.done.generated[i]);
    ASSERT_EQ(lp.top.size(), 3u);
    EXPECT_EQ(lp.top[0].id, lp.id);  // greedy picks the most likely token
    EXPECT_LE(lp.logprob, 0.f);
    EXPECT_GE(lp.top[0].logprob, lp.top[1].logprob);
  }
}

TEST(Engine, TimeLimitEndsWithLength) {
  auto eng = make_engine({.n_parallel = 1, .n_ctx = 2048});
  engine::EventChannel ch;
  auto req = greedy_request(encode("Once upon a time"), -1, ch);
  req.ignore_eos = true;
  req.timeout = 30ms;
  ASSERT_TRUE(eng->submit(std::move(req)).ok());
  Collected got = collect(ch);
  EXPECT_EQ(got.done.finish, engine::FinishReason::kLength);
  EXPECT_LT(got.done.timings.total_ms, 2000);
}

TEST(Engine, RunningStreamKeepsFlowingDuringChunkedPrefill) {
  // A long prompt prefilled 8 tokens per step must not stall a running stream: every step also
  // decodes one token of the running sequence.
  auto eng = make_engine({.n_parallel = 2, .n_ctx = 2048, .prefill_chunk = 8});
  engine::EventChannel a, b;
  auto ra = greedy_request(encode("Once upon a time"), 1500, a);
  ra.ignore_eos = true;
  ra.n_logprobs = 0;  // one event per token, even for tokens without text
  ra.cancel = std::make_shared<std::atomic<bool>>(false);
  auto cancel_a = ra.cancel;
  ASSERT_TRUE(eng->submit(std::move(ra)).ok());
  ASSERT_TRUE(a.pop(10s).has_value());
  while (a.pop(0ms)) {
  }
  std::vector<TokenId> long_prompt = {1};
  for (int i = 0; i < 480; i++) long_prompt.push_back((TokenId)(300 + i % 200));
  ASSERT_TRUE(eng->submit(greedy_request(long_prompt, 1, b)).ok());
  Collected gb = collect(b);
  ASSERT_FALSE(gb.error);
  int a_events = 0;
  while (a.pop(0ms)) a_events++;
  EXPECT_GE(a_events, 481 / 8 - 1) << "the running stream stalled during the prefill";
  cancel_a->store(true);
  EXPECT_EQ(collect(a).done.finish, engine::FinishReason::kCancelled);
}

TEST(Engine, StopFailsPendingRequests) {
  auto eng = make_engine({.n_parallel = 1, .max_queue = 4});
  engine::EventChannel a, b;
  auto ra = greedy_request(encode("Once upon a time"), 400, a);
  ra.ignore_eos = true;
  ASSERT_TRUE(eng->submit(std::move(ra)).ok());
  ASSERT_TRUE(eng->submit(greedy_request(encode("One day"), 400, b)).ok());
  eng->stop();
  Collected ga = collect(a), gb = collect(b);
  EXPECT_TRUE(ga.error || ga.done.finish != engine::FinishReason::kNone);
  EXPECT_TRUE(gb.error);
  EXPECT_EQ(eng->submit(greedy_request(encode("x"), 1, b)).code, engine::SubmitCode::kShuttingDown);
}

}  // namespace

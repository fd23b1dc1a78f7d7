// Engine: admission from the bounded queue into slots, the batch builder (decode tokens first,
// then prompt chunks in admission order), sampling, streaming detokenization, stop strings,
// logprobs, limits and per-request timing.
#include "engine/engine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

#include "core/log.h"
#include "engine/stop_matcher.h"

namespace uma::engine {

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kCancelled:
      return "cancelled";
    case FinishReason::kNone:
      break;
  }
  return "";
}

namespace {

double ms_between(std::chrono::steady_clock::time_point a,
                  std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// log-softmax of one row for the chosen token and the n_top most likely tokens. NaN logits
// count as -inf, as in the sampler.
TokenLogprob make_logprob(std::span<const float> logits, TokenId chosen, int32_t n_top,
                          const Tokenizer& tok) {
  auto val = [&](size_t i) {
    const float v = logits[i];
    return std::isnan(v) ? -std::numeric_limits<float>::infinity() : v;
  };
  float mx = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < logits.size(); i++) mx = std::max(mx, val(i));
  double sum = 0;
  for (size_t i = 0; i < logits.size(); i++) sum += std::exp((double)val(i) - mx);
  const double lse = mx + std::log(sum);
  TokenLogprob lp;
  lp.id = chosen;
  lp.piece = tok.token_to_piece(chosen, true);
  lp.logprob = (float)(val((size_t)chosen) - lse);
  if (n_top > 0) {
    std::vector<int32_t> idx(logits.size());
    std::iota(idx.begin(), idx.end(), 0);
    const size_t k = std::min<size_t>((size_t)n_top, idx.size());
    std::partial_sort(idx.begin(), idx.begin() + (ptrdiff_t)k, idx.end(),
                      [&](int32_t a, int32_t b) { return val((size_t)a) > val((size_t)b); });
    for (size_t i = 0; i < k; i++)
      lp.top.push_back(
          {idx[i], tok.token_to_piece(idx[i], true), (float)(val((size_t)idx[i]) - lse)});
  }
  return lp;
}

}  // namespace

struct Engine::Slot {
  int32_t seq = 0;
  bool busy = false;
  Request req;
  uint64_t id = 0, order = 0;
  Clock::time_point t_submit, t_admit, t_first, t_last;
  bool has_first = false;
  int64_t ctx_limit = 0;
  int64_t n_prefilled = 0;  // prompt tokens already in the KV cache
  int64_t chunk = 0;        // prompt tokens in the current step's batch
  bool decoding = false;    // prompt done; next_token waits to be decoded
  TokenId next_token = 0;
  int64_t n_gen = 0;
  std::unique_ptr<sampling::Chain> chain;
  std::unique_ptr<StreamDecoder> dec;  // holds a reference, so not assignable in place
  StopMatcher stop;
  size_t decoded_bytes = 0;                                // text produced by the decoder so far
  std::deque<std::pair<size_t, TokenLogprob>> pending_lp;  // (text end offset, entry)
  std::vector<TokenId> generated;

  Timings timings(Clock::time_point now) const {
    Timings t;
    t.n_prompt = n_prefilled;
    t.n_gen = n_gen;
    t.queue_ms = ms_between(t_submit, t_admit);
    t.prompt_ms = ms_between(t_admit, has_first ? t_first : now);
    t.gen_ms = has_first ? ms_between(t_first, now) : 0;
    t.ttft_ms = has_first ? ms_between(t_submit, t_first) : 0;
    t.total_ms = ms_between(t_submit, now);
    return t;
  }
};

Result<std::unique_ptr<Engine>> Engine::create(const Model& model, const EngineParams& params) {
  if (params.n_parallel < 1 || params.n_parallel > 256)
    return error("parallel slots must be between 1 and 256 (got " +
                 std::to_string(params.n_parallel) + ")");
  if (params.max_queue < 0 || params.max_queue > 100000)
    return error("max queue must be between 0 and 100000 (got " + std::to_string(params.max_queue) +
                 ")");
  if (params.prefill_chunk < 1 || params.prefill_chunk > 65536)
    return error("prefill chunk must be between 1 and 65536 (got " +
                 std::to_string(params.prefill_chunk) + ")");
  ContextParams cp{.n_ctx = params.n_ctx,
                   .n_seq = params.n_parallel,
                   .n_threads = params.n_threads,
                   .n_batch = params.prefill_chunk + params.n_parallel,
                   .kv_type = params.kv_type};
  auto ctx = Context::create(model, cp);
  if (!ctx.ok()) return ctx.status();
  std::unique_ptr<Engine> e(new Engine(model, std::move(ctx).value(), params));
  return e;
}

Engine::Engine(const Model& model, std::unique_ptr<Context> ctx, const EngineParams& params)
    : model_(model), ctx_(std::move(ctx)), params_(params) {
  for (int32_t i = 0; i < ctx_->n_seq(); i++) {
    slots_.push_back(std::make_unique<Slot>());
    slots_.back()->seq = i;
  }
  stats_.kv_blocks_total = ctx_->kv().blocks_total();
  thread_ = std::thread([this] { loop(); });
}

Engine::~Engine() { stop(); }

SubmitResult Engine::submit(Request req) {
  auto refuse = [](SubmitCode c, std::string msg) { return SubmitResult{c, std::move(msg), 0}; };
  if (!req.on_event) return refuse(SubmitCode::kInvalid, "request has no event callback");
  if (req.prompt.empty()) return refuse(SubmitCode::kInvalid, "the prompt is empty");
  const int64_t n_vocab = model_.hparams().n_vocab;
  for (TokenId t : req.prompt)
    if (t < 0 || t >= n_vocab)
      return refuse(SubmitCode::kInvalid, "prompt token id " + std::to_string(t) +
                                              " is out of range [0, " + std::to_string(n_vocab) +
                                              ")");
  if (Status st = sampling::validate(req.sampling); !st.is_ok())
    return refuse(SubmitCode::kInvalid, st.message());
  if (req.n_logprobs > 20)
    return refuse(SubmitCode::kInvalid, "at most 20 top logprobs can be returned");
  if (req.n_ctx < 0) return refuse(SubmitCode::kInvalid, "the context size must be positive");
  const int64_t limit = req.n_ctx > 0 ? std::min(req.n_ctx, ctx_->n_ctx()) : ctx_->n_ctx();
  if ((int64_t)req.prompt.size() > limit)
    return refuse(SubmitCode::kPromptTooLong,
                  "the prompt has " + std::to_string(req.prompt.size()) +
                      " tokens, the context size is " + std::to_string(limit));
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) return refuse(SubmitCode::kShuttingDown, "the server is shutting down");
  // Requests beyond the free slots are the ones that wait.
  const int64_t waiting =
      std::max<int64_t>(0, (int64_t)queue_.size() + stats_.active - ctx_->n_seq());
  if (waiting >= params_.max_queue)
    return refuse(SubmitCode::kQueueFull, std::to_string(waiting) +
                                              " requests are already waiting (max queue " +
                                              std::to_string(params_.max_queue) + ")");
  const uint64_t id = next_id_++;
  queue_.push_back({std::move(req), id, Clock::now()});
  stats_.queued = (int64_t)queue_.size();
  lock.unlock();
  cv_.notify_one();
  return {SubmitCode::kOk, "", id};
}

void Engine::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& s : slots_)
    if (s->busy) fail(*s, "the server is shutting down");
  std::deque<Pending> rest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rest.swap(queue_);
    stats_.queued = 0;
  }
  for (Pending& p : rest) {
    Event ev;
    ev.kind = EventKind::kError;
    ev.error = "the server is shutting down";
    p.req.on_event(std::move(ev));
  }
}

EngineStats Engine::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void Engine::loop() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    if (step()) continue;
    std::unique_lock<std::mutex> lock(mu_);
    // The timeout lets queued requests that were cancelled or timed out be swept.
    cv_.wait_for(lock, std::chrono::milliseconds(100),
                 [&] { return stopping_ || !queue_.empty(); });
  }
}

void Engine::admit() {
  const auto now = Clock::now();
  std::vector<Pending> dropped, admitted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = queue_.begin(); it != queue_.end();) {
      const bool cancelled = it->req.cancel && it->req.cancel->load();
      const bool expired = it->req.timeout.count() > 0 && now - it->t_submit > it->req.timeout;
      if (cancelled || expired) {
        dropped.push_back(std::move(*it));
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
    int64_t free_slots = 0;
    for (auto& s : slots_) free_slots += s->busy ? 0 : 1;
    while (free_slots > 0 && !queue_.empty()) {
      admitted.push_back(std::move(queue_.front()));
      queue_.pop_front();
      free_slots--;
      stats_.active++;
    }
    stats_.queued = (int64_t)queue_.size();
  }
  for (Pending& p : dropped) {
    Event ev;
    const bool cancelled = p.req.cancel && p.req.cancel->load();
    ev.kind = cancelled ? EventKind::kDone : EventKind::kError;
    ev.finish = FinishReason::kCancelled;
    ev.timings.queue_ms = ev.timings.total_ms = ms_between(p.t_submit, now);
    if (!cancelled)
      ev.error = "the request waited longer than its time limit (" +
                 std::to_string(p.req.timeout.count()) + " ms) for a free slot";
    {
      std::lock_guard<std::mutex> lock(mu_);
      (cancelled ? stats_.cancelled : stats_.failed)++;
    }
    p.req.on_event(std::move(ev));
  }
  for (Pending& p : admitted) {
    Slot* s = nullptr;
    for (auto& c : slots_)
      if (!c->busy) {
        s = c.get();
        break;
      }
    const int32_t seq = s->seq;
    *s = Slot();
    s->seq = seq;
    s->busy = true;
    s->req = std::move(p.req);
    s->id = p.id;
    s->order = admit_counter_++;
    s->t_submit = p.t_submit;
    s->t_admit = now;
    s->ctx_limit = s->req.n_ctx > 0 ? std::min(s->req.n_ctx, ctx_->n_ctx()) : ctx_->n_ctx();
    s->chain = sampling::Chain::make_default(s->req.sampling);
    for (TokenId t : s->req.prompt) s->chain->accept(t);
    const Tokenizer& tok = model_.tokenizer();
    s->dec = std::make_unique<StreamDecoder>(
        tok, s->req.prompt.size() == 1 && s->req.prompt[0] == tok.bos());
    s->stop = StopMatcher(s->req.stop);
    if (s->req.max_tokens == 0) finish(*s, FinishReason::kLength);
  }
}

bool Engine::step() {
  admit();
  const auto now = Clock::now();
  for (auto& sp : slots_) {
    Slot& s = *sp;
    if (!s.busy) continue;
    if (s.req.cancel && s.req.cancel->load()) {
      finish(s, FinishReason::kCancelled);
    } else if (s.req.timeout.count() > 0 && now - s.t_submit > s.req.timeout) {
      UMA_LOG_WARN(
          "engine: request %llu reached its time limit (%lld ms); ending it with \"length\"",
          (unsigned long long)s.id, (long long)s.req.timeout.count());
      finish(s, FinishReason::kLength);
    }
  }

  batch_.clear();
  batch_rows_.clear();
  for (auto& sp : slots_) {
    Slot& s = *sp;
    s.chunk = 0;
    if (!s.busy || !s.decoding) continue;
    batch_.push_back({s.next_token, s.seq, true});
    batch_rows_.push_back(&s);
  }
  std::vector<Slot*> prefilling;
  for (auto& sp : slots_)
    if (sp->busy && !sp->decoding) prefilling.push_back(sp.get());
  std::sort(prefilling.begin(), prefilling.end(),
            [](Slot* a, Slot* b) { return a->order < b->order; });
  int64_t budget = params_.prefill_chunk;
  for (Slot* s : prefilling) {
    const int64_t left = (int64_t)s->req.prompt.size() - s->n_prefilled;
    const int64_t take = std::min(budget, left);
    if (take <= 0) break;
    for (int64_t i = 0; i < take; i++) {
      const bool last = s->n_prefilled + i + 1 == (int64_t)s->req.prompt.size();
      batch_.push_back({s->req.prompt[(size_t)(s->n_prefilled + i)], s->seq, last});
      if (last) batch_rows_.push_back(s);
    }
    s->chunk = take;
    budget -= take;
  }
  if (batch_.empty()) return false;

  auto logits = ctx_->decode_batch(batch_);
  if (!logits.ok()) {
    // Nothing was appended; every sequence in this batch ends with the error.
    const std::string msg = "decode failed: " + logits.status().message();
    UMA_LOG_ERROR("engine: %s", msg.c_str());
    for (auto& sp : slots_)
      if (sp->busy && (sp->decoding || sp->chunk > 0)) fail(*sp, msg);
    return true;
  }
  for (Slot* s : prefilling) s->n_prefilled += s->chunk;
  const size_t n_vocab = (size_t)model_.hparams().n_vocab;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.steps++;
    for (Slot* s : prefilling) stats_.prompt_tokens += s->chunk;
    stats_.kv_blocks_used = ctx_->kv().blocks_used();
  }
  for (size_t r = 0; r < batch_rows_.size(); r++) {
    Slot& s = *batch_rows_[r];
    s.decoding = true;
    handle_token(s, logits->subspan(r * n_vocab, n_vocab));
  }
  return true;
}

void Engine::handle_token(Slot& s, std::span<const float> logits) {
  const auto now = Clock::now();
  if (!s.has_first) {
    s.has_first = true;
    s.t_first = now;
    ttft_.observe(std::chrono::duration<double>(now - s.t_submit).count());
  } else {
    itl_.observe(std::chrono::duration<double>(now - s.t_last).count());
  }
  s.t_last = now;
  const TokenId tok = s.chain->sample(logits);
  if (tok < 0) {
    fail(s, "the sampler found no token to choose");
    return;
  }
  s.chain->accept(tok);
  const Tokenizer& vocab = model_.tokenizer();
  if (!s.req.ignore_eos && vocab.is_eog(tok)) {
    finish(s, FinishReason::kStop);
    return;
  }
  s.n_gen++;
  s.generated.push_back(tok);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.generated_tokens++;
  }
  const std::string text = s.dec->push(tok);
  s.decoded_bytes += text.size();
  if (s.req.n_logprobs >= 0)
    s.pending_lp.emplace_back(s.decoded_bytes, make_logprob(logits, tok, s.req.n_logprobs, vocab));
  emit_text(s, s.stop.push(text), false);
  if (s.stop.stopped()) {
    finish(s, FinishReason::kStop);
  } else if (s.req.max_tokens >= 0 && s.n_gen >= s.req.max_tokens) {
    finish(s, FinishReason::kLength);
  } else if (ctx_->n_past(s.seq) >= s.ctx_limit) {
    finish(s, FinishReason::kLength);  // no position left for the token just sampled
  } else {
    s.next_token = tok;
  }
}

void Engine::emit_text(Slot& s, std::string text, bool final) {
  Event ev;
  ev.kind = EventKind::kText;
  ev.text = std::move(text);
  // Logprob entries go out with the text that completes their token; after a stop string the
  // tokens that only contributed to it are dropped.
  const size_t released = s.stop.released();
  while (!s.pending_lp.empty() &&
         (s.pending_lp.front().first <= released || (final && !s.stop.stopped()))) {
    ev.logprobs.push_back(std::move(s.pending_lp.front().second));
    s.pending_lp.pop_front();
  }
  if (ev.text.empty() && ev.logprobs.empty()) return;
  s.req.on_event(std::move(ev));
}

void Engine::finish(Slot& s, FinishReason reason) {
  if (reason != FinishReason::kCancelled) {
    const std::string tail = s.dec->flush();
    s.decoded_bytes += tail.size();
    std::string out = s.stop.push(tail);
    if (s.stop.stopped()) reason = FinishReason::kStop;
    out += s.stop.flush();
    emit_text(s, std::move(out), true);
  }
  Event ev;
  ev.kind = EventKind::kDone;
  ev.finish = reason;
  ev.timings = s.timings(Clock::now());
  ev.generated = std::move(s.generated);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (reason == FinishReason::kStop) stats_.finished_stop++;
    if (reason == FinishReason::kLength) stats_.finished_length++;
    if (reason == FinishReason::kCancelled) stats_.cancelled++;
  }
  auto cb = std::move(s.req.on_event);
  release(s);
  cb(std::move(ev));
}

void Engine::fail(Slot& s, const std::string& msg) {
  Event ev;
  ev.kind = EventKind::kError;
  ev.error = msg;
  ev.timings = s.timings(Clock::now());
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.failed++;
  }
  auto cb = std::move(s.req.on_event);
  release(s);
  cb(std::move(ev));
}

void Engine::release(Slot& s) {
  ctx_->truncate(0, s.seq);
  const int32_t seq = s.seq;
  s = Slot();
  s.seq = seq;
  std::lock_guard<std::mutex> lock(mu_);
  stats_.active--;
  stats_.kv_blocks_used = ctx_->kv().blocks_used();
}

}  // namespace uma::engine

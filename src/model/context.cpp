// Context: creation (paged KV pool + activation buffers sized from the model, n_ctx, n_seq and
// n_batch) and decode_batch(), which validates the batch, reserves KV blocks and runs the forward
// pass chunk by chunk.
#include "model/context.h"

#include <algorithm>
#include <string>

namespace uma {

Context::Context(const Model& model, int32_t n_threads) : model_(model), pool_(n_threads) {}

Result<std::unique_ptr<Context>> Context::create(const Model& model, const ContextParams& params) {
  const HParams& hp = model.hparams();
  if (params.n_ctx < 0) return error("context size must be positive (got " + std::to_string(params.n_ctx) + ")");
  const int64_t n_ctx = params.n_ctx > 0 ? params.n_ctx : hp.n_ctx_train;
  if (n_ctx > (int64_t)1 << 24) return error("context size " + std::to_string(n_ctx) + " is too large");
  if (params.n_seq < 1 || params.n_seq > 4096)
    return error("sequence count must be between 1 and 4096 (got " + std::to_string(params.n_seq) + ")");
  if (params.n_threads < 0 || params.n_threads > 1024)
    return error("thread count must be between 1 and 1024 (got " + std::to_string(params.n_threads) + ")");
  if (params.n_batch <= 0) return error("batch size must be positive");
  if (params.kv_tokens < 0) return error("KV pool size must be positive");
  const int32_t threads = params.n_threads > 0 ? params.n_threads : ThreadPool::physical_cores();
  std::unique_ptr<Context> c(new Context(model, threads));
  c->n_ctx_ = n_ctx;
  c->n_batch_ = std::min(params.n_batch, n_ctx * params.n_seq);
  c->seq_len_.assign((size_t)params.n_seq, 0);
  const int64_t bs = KvCache::kDefaultBlockSize;
  const int64_t kv_tokens = params.kv_tokens > 0 ? params.kv_tokens : n_ctx * params.n_seq;
  if (kv_tokens > (int64_t)1 << 26) return error("KV pool of " + std::to_string(kv_tokens) + " positions is too large");
  auto kv = KvCache::create(hp.n_layer, hp.n_head_kv, hp.head_dim_k, (kv_tokens + bs - 1) / bs, params.n_seq,
                            params.kv_type, bs);
  if (!kv.ok()) return kv.status();
  c->kv_ = std::move(kv).value();
  UMA_TRY(c->alloc_buffers());
  return c;
}

Status Context::alloc_buffers() {
  const HParams& hp = model_.hparams();
  const size_t nb = (size_t)n_batch_;
  const size_t q_dim = (size_t)(hp.n_head * hp.head_dim_k), kv_dim = (size_t)hp.n_embd_k_gqa();
  const size_t per_thread = attn_scratch_per_thread(hp, n_ctx_);
  bool ok = x_.resize(nb * hp.n_embd) && xb_.resize(nb * std::max<size_t>(hp.n_embd, q_dim)) &&
            q_.resize(nb * q_dim) && k_.resize(nb * kv_dim) && v_.resize(nb * kv_dim) &&
            att_.resize(nb * q_dim) && hg_.resize(nb * hp.n_ff) && hu_.resize(nb * hp.n_ff) &&
            scores_.resize(per_thread * pool_.n_threads());
  if (!ok) return error("cannot allocate activation buffers for batch size " + std::to_string(n_batch_));
  return Status::ok();
}

void Context::truncate(int64_t n, int32_t seq) {
  if (seq < 0 || seq >= n_seq()) return;
  auto& len = seq_len_[(size_t)seq];
  len = std::clamp<int64_t>(n, 0, len);
  kv_.truncate(seq, len);
}

Result<std::span<const float>> Context::decode_batch(std::span<const BatchToken> batch) {
  const int64_t n = (int64_t)batch.size(), n_vocab = model_.hparams().n_vocab;
  if (n == 0) return error("decode: empty batch");
  // Validate everything and assign positions before touching any state.
  std::vector<int64_t> len = seq_len_;
  pos_.resize((size_t)n);
  int64_t n_out = 0;
  for (int64_t i = 0; i < n; i++) {
    const BatchToken& b = batch[(size_t)i];
    if (b.token < 0 || b.token >= n_vocab)
      return error("decode: token id " + std::to_string(b.token) + " out of range [0, " + std::to_string(n_vocab) + ")");
    if (b.seq < 0 || b.seq >= n_seq())
      return error("decode: sequence " + std::to_string(b.seq) + " out of range [0, " + std::to_string(n_seq()) + ")");
    pos_[(size_t)i] = len[(size_t)b.seq]++;
    if (len[(size_t)b.seq] > n_ctx_)
      return error("context full: sequence " + std::to_string(b.seq) + " would reach " +
                   std::to_string(len[(size_t)b.seq]) + " tokens, the context size is " + std::to_string(n_ctx_));
    n_out += b.logits ? 1 : 0;
  }
  for (int32_t s = 0; s < n_seq(); s++) {
    if (len[(size_t)s] == seq_len_[(size_t)s]) continue;
    if (Status st = kv_.reserve(s, len[(size_t)s]); !st.is_ok()) {
      for (int32_t r = 0; r < s; r++) kv_.truncate(r, seq_len_[(size_t)r]);  // undo
      return st;
    }
  }
  logits_.resize((size_t)n_out * (size_t)n_vocab);
  float* out = logits_.data();
  for (int64_t i = 0; i < n; i += n_batch_) {
    const int64_t m = std::min(n_batch_, n - i);
    forward(batch.data() + i, pos_.data() + i, m, out);
    for (int64_t t = i; t < i + m; t++) out += batch[(size_t)t].logits ? n_vocab : 0;
  }
  seq_len_ = std::move(len);
  return std::span<const float>(logits_);
}

Result<std::span<const float>> Context::decode(std::span<const TokenId> tokens, bool all_logits) {
  tmp_batch_.resize(tokens.size());
  for (size_t i = 0; i < tokens.size(); i++)
    tmp_batch_[i] = {.token = tokens[i], .seq = 0, .logits = all_logits || i + 1 == tokens.size()};
  return decode_batch(tmp_batch_);
}

}  // namespace uma

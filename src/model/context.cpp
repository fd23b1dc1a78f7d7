// Context: creation (KV cache + activation buffers sized from the model and n_ctx / n_batch) and
// decode(), which validates the batch and runs the forward pass chunk by chunk.
#include "model/context.h"

#include <algorithm>
#include <string>

namespace uma {

Context::Context(const Model& model, int32_t n_threads) : model_(model), pool_(n_threads) {}

Result<std::unique_ptr<Context>> Context::create(const Model& model, const ContextParams& params) {
  const HParams& hp = model.hparams();
  const int64_t n_ctx = params.n_ctx > 0 ? params.n_ctx : hp.n_ctx_train;
  if (params.n_ctx < 0) return error("context size must be positive (got " + std::to_string(params.n_ctx) + ")");
  if (n_ctx > (int64_t)1 << 24) return error("context size " + std::to_string(n_ctx) + " is too large");
  if (params.n_threads < 0 || params.n_threads > 1024)
    return error("thread count must be between 1 and 1024 (got " + std::to_string(params.n_threads) + ")");
  if (params.n_batch <= 0) return error("batch size must be positive");
  const int32_t threads = params.n_threads > 0 ? params.n_threads : ThreadPool::physical_cores();
  std::unique_ptr<Context> c(new Context(model, threads));
  c->n_batch_ = std::min(params.n_batch, n_ctx);
  auto kv = KvCache::create(hp.n_layer, n_ctx, hp.n_embd_k_gqa(), params.kv_type);
  if (!kv.ok()) return kv.status();
  c->kv_ = std::move(kv).value();
  UMA_TRY(c->alloc_buffers());
  return c;
}

Status Context::alloc_buffers() {
  const HParams& hp = model_.hparams();
  const size_t nb = (size_t)n_batch_;
  const size_t q_dim = (size_t)(hp.n_head * hp.head_dim_k), kv_dim = (size_t)hp.n_embd_k_gqa();
  const size_t per_thread = (size_t)(kv_.n_ctx() + 2 * hp.head_dim_k);
  bool ok = x_.resize(nb * hp.n_embd) && xb_.resize(nb * std::max<size_t>(hp.n_embd, q_dim)) &&
            q_.resize(nb * q_dim) && k_.resize(nb * kv_dim) && v_.resize(nb * kv_dim) &&
            att_.resize(nb * q_dim) && hg_.resize(nb * hp.n_ff) && hu_.resize(nb * hp.n_ff) &&
            scores_.resize(per_thread * pool_.n_threads());
  if (!ok) return error("cannot allocate activation buffers for batch size " + std::to_string(n_batch_));
  return Status::ok();
}

Result<std::span<const float>> Context::decode(std::span<const TokenId> tokens, bool all_logits) {
  const int64_t n = (int64_t)tokens.size(), n_vocab = model_.hparams().n_vocab;
  if (n == 0) return error("decode: empty batch");
  for (TokenId t : tokens)
    if (t < 0 || t >= n_vocab)
      return error("decode: token id " + std::to_string(t) + " out of range [0, " + std::to_string(n_vocab) + ")");
  if (n_past_ + n > kv_.n_ctx())
    return error("context full: " + std::to_string(n_past_) + " + " + std::to_string(n) +
                 " tokens exceed the context size " + std::to_string(kv_.n_ctx()));
  logits_.resize((size_t)(all_logits ? n : 1) * (size_t)n_vocab);
  for (int64_t i = 0; i < n; i += n_batch_) {
    const int64_t m = std::min(n_batch_, n - i);
    // Without all_logits only the final chunk's last row is needed; earlier chunks still write
    // their last row into logits_ (overwritten later), which is cheaper than a special case.
    float* out = logits_.data() + (all_logits ? (size_t)i * (size_t)n_vocab : 0);
    forward(tokens.data() + i, m, n_past_ + i, all_logits, out);
  }
  n_past_ += n;
  return std::span<const float>(logits_);
}

}  // namespace uma

// Inference state for one sequence over a loaded Model: KV cache, thread pool, activation
// buffers. decode() runs the forward pass over a batch of new tokens (prefill a whole prompt in
// one call, then one token per call) and returns logits.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/aligned_buffer.h"
#include "core/status.h"
#include "core/thread_pool.h"
#include "kernels/cpu/matmul.h"
#include "kv/kv_cache.h"
#include "model/model.h"

namespace uma {

struct ContextParams {
  int64_t n_ctx = 0;           // 0: the model's training context
  int32_t n_threads = 0;       // 0: physical cores
  int64_t n_batch = 512;       // tokens per forward chunk during prefill
  DType kv_type = DType::F16;  // F16 or F32
};

class Context {
 public:
  static Result<std::unique_ptr<Context>> create(const Model& model, const ContextParams& params);

  // Append `tokens` at positions n_past() .. n_past()+n-1. Returns the logits of the last token
  // ([n_vocab]) or, with all_logits, of every token ([n, n_vocab], row-major).
  // Errors: empty batch, token id out of range, context full.
  Result<std::span<const float>> decode(std::span<const TokenId> tokens, bool all_logits = false);

  int64_t n_past() const { return n_past_; }
  int64_t n_ctx() const { return kv_.n_ctx(); }
  int32_t n_threads() const { return pool_.n_threads(); }
  const Model& model() const { return model_; }
  uint64_t kv_bytes() const { return kv_.bytes(); }
  // Forget positions >= n (n <= n_past()): rewinds the sequence, e.g. to reuse a prompt prefix.
  void truncate(int64_t n) { n_past_ = n < n_past_ ? (n < 0 ? 0 : n) : n_past_; }

 private:
  Context(const Model& model, int32_t n_threads);
  Status alloc_buffers();
  // One chunk of at most n_batch tokens; writes the logits of the last row (or of all rows) to out.
  void forward(const TokenId* tokens, int64_t n, int64_t pos0, bool all_logits, float* out);
  void attention(int64_t il, int64_t n, int64_t pos0);

  const Model& model_;
  ThreadPool pool_;
  KvCache kv_;
  int64_t n_batch_ = 512;
  int64_t n_past_ = 0;
  kernels::MatmulScratch mm_;
  // Activations for one chunk: x (residual), xb (normed / attention out), q, k, v, ffn hidden.
  AlignedBuffer<float> x_, xb_, q_, k_, v_, att_, hg_, hu_, scores_;
  std::vector<float> logits_;
};

}  // namespace uma

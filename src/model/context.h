// Inference state over a loaded Model: a paged KV cache shared by up to n_seq sequences, the
// thread pool and activation buffers. decode_batch() runs one forward pass over tokens from any
// mix of sequences (continuous batching: prefill chunks and decode steps together); decode() is
// the single-sequence convenience (sequence 0: prefill a prompt in one call, then one token).
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
  int64_t n_ctx = 0;           // max positions per sequence; 0: the model's training context
  int32_t n_seq = 1;           // sequences (slots) sharing the KV pool
  int64_t kv_tokens = 0;       // KV pool size in positions; 0: n_ctx × n_seq
  int32_t n_threads = 0;       // 0: physical cores
  int64_t n_batch = 512;       // tokens per forward chunk
  DType kv_type = DType::F16;  // F16 or F32
};

// One token of a batch: it is appended to sequence `seq` at that sequence's next position.
struct BatchToken {
  TokenId token;
  int32_t seq;
  bool logits;  // return this token's logits
};

// Attention scratch floats per thread: for the `group` query heads sharing a KV head, a score
// row of n_ctx, q and an accumulator of head_dim each, and one key's scores (src/plan mirrors it).
inline size_t attn_scratch_per_thread(const HParams& hp, int64_t n_ctx) {
  const int64_t group = hp.n_head / hp.n_head_kv;
  return (size_t)(group * (n_ctx + 2 * hp.head_dim_k) + group);
}

class Context {
 public:
  static Result<std::unique_ptr<Context>> create(const Model& model, const ContextParams& params);

  // Append the tokens (in order) to their sequences and run the forward pass. Returns the logits
  // of the tokens marked `logits`, in batch order ([n_marked, n_vocab], row-major).
  // Errors (nothing changed): empty batch, bad token id or sequence, context or KV pool full.
  Result<std::span<const float>> decode_batch(std::span<const BatchToken> batch);

  // Sequence 0: append `tokens`; logits of the last token ([n_vocab]) or of all ([n, n_vocab]).
  Result<std::span<const float>> decode(std::span<const TokenId> tokens, bool all_logits = false);

  int64_t n_past(int32_t seq = 0) const { return seq_len_[(size_t)seq]; }
  int64_t n_ctx() const { return n_ctx_; }
  int32_t n_seq() const { return kv_.n_seq(); }
  int32_t n_threads() const { return pool_.n_threads(); }
  const Model& model() const { return model_; }
  const KvCache& kv() const { return kv_; }
  uint64_t kv_bytes() const { return kv_.bytes(); }
  // Forget positions >= n of a sequence (0 frees it); its KV blocks return to the pool.
  void truncate(int64_t n, int32_t seq = 0);

 private:
  Context(const Model& model, int32_t n_threads);
  Status alloc_buffers();
  // One chunk of at most n_batch tokens (positions already assigned in pos_); writes the logits
  // of the marked rows to out.
  void forward(const BatchToken* batch, const int64_t* pos, int64_t n, float* out);
  void attention(int64_t il, const BatchToken* batch, const int64_t* pos, int64_t n);

  const Model& model_;
  ThreadPool pool_;
  KvCache kv_;
  int64_t n_ctx_ = 0;
  int64_t n_batch_ = 512;
  std::vector<int64_t> seq_len_;
  kernels::MatmulScratch mm_;
  // Activations for one chunk: x (residual), xb (normed / attention out), q, k, v, ffn hidden.
  AlignedBuffer<float> x_, xb_, q_, k_, v_, att_, hg_, hu_, scores_;
  std::vector<float> logits_;
  // Attention's work units (llama.cpp, Context::attention): a (token, KV head) item, or a
  // block-aligned part of one when a long context is split; split parts' outputs and lse.
  struct Unit {
    size_t item;
    int64_t b0, nblk;
    bool whole;
  };
  std::vector<Unit> units_;
  std::vector<float> part_out_, part_lse_;
  std::vector<float> rope_cs_;  // [n, n_rot]: each token's RoPE cos/sin, shared by all layers
  std::vector<BatchToken> tmp_batch_;
  std::vector<int64_t> pos_;
};

}  // namespace uma

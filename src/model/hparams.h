// Hyperparameters of a Llama-family model, read from the GGUF `{arch}.*` keys with clear errors
// for missing or inconsistent values.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "gguf/gguf.h"

namespace uma {

struct HParams {
  std::string arch;          // general.architecture: llama | qwen2 | qwen3
  std::string name;          // general.name (may be empty)
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;   // {arch}.context_length
  int64_t n_embd = 0;        // {arch}.embedding_length
  int64_t n_layer = 0;       // {arch}.block_count
  int64_t n_head = 0;        // {arch}.attention.head_count
  int64_t n_head_kv = 0;     // {arch}.attention.head_count_kv (GQA), default n_head
  int64_t head_dim_k = 0;    // {arch}.attention.key_length, default n_embd / n_head
  int64_t head_dim_v = 0;    // {arch}.attention.value_length, default head_dim_k
  int64_t n_ff = 0;          // {arch}.feed_forward_length
  int64_t n_rot = 0;         // {arch}.rope.dimension_count, default head_dim_k
  float rms_eps = 1e-5f;     // {arch}.attention.layer_norm_rms_epsilon
  float rope_base = 10000.f; // {arch}.rope.freq_base
  float rope_freq_scale = 1.f;  // 1 / {arch}.rope.scaling.factor for linear scaling

  int64_t n_embd_k_gqa() const { return n_head_kv * head_dim_k; }
  int64_t n_embd_v_gqa() const { return n_head_kv * head_dim_v; }

  // n_vocab comes from the tokenizer or output tensor when {arch}.vocab_size is absent.
  static Result<HParams> from_gguf(const gguf::GgufFile& f);
};

}  // namespace uma

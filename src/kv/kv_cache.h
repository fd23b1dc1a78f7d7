// KV cache for one sequence: per layer, keys and values for every position up to n_ctx, stored as
// f32 or f16 (f16 halves the memory, as llama.cpp's default). Layout per layer: [n_ctx, n_embd_kv].
// Paged blocks and prefix sharing come with the server's continuous batching.
#pragma once

#include <cstdint>

#include "core/aligned_buffer.h"
#include "core/dtype.h"
#include "core/status.h"

namespace uma {

class KvCache {
 public:
  // Allocates 2 × n_layer × n_ctx × n_embd_kv elements of `type` (F32 or F16); errors name the
  // size that could not be allocated.
  static Result<KvCache> create(int64_t n_layer, int64_t n_ctx, int64_t n_embd_kv, DType type);
  // Bytes a cache with these dimensions needs (for planning and `uma info`).
  static uint64_t bytes_needed(int64_t n_layer, int64_t n_ctx, int64_t n_embd_kv, DType type);

  DType type() const { return type_; }
  int64_t n_ctx() const { return n_ctx_; }
  int64_t n_embd_kv() const { return n_embd_kv_; }
  uint64_t bytes() const { return k_.size() * 2; }

  // Write row `pos` of layer il from f32 (converted to the cache type).
  void store(int64_t il, int64_t pos, const float* k, const float* v);
  // Raw row pointers (type()-typed elements).
  const uint8_t* k_row(int64_t il, int64_t pos) const { return k_.data() + offset(il, pos); }
  const uint8_t* v_row(int64_t il, int64_t pos) const { return v_.data() + offset(il, pos); }

 private:
  size_t offset(int64_t il, int64_t pos) const {
    return ((size_t)il * n_ctx_ + (size_t)pos) * (size_t)n_embd_kv_ * elem_;
  }
  DType type_ = DType::F16;
  int64_t n_layer_ = 0, n_ctx_ = 0, n_embd_kv_ = 0;
  size_t elem_ = 2;
  AlignedBuffer<uint8_t> k_, v_;
};

}  // namespace uma

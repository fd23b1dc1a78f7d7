// Paged KV cache shared by all sequences: a pool of fixed-size blocks (block_size positions each,
// every layer), and per sequence a block table mapping position -> block. Keys and values are
// stored as f32 or f16 (f16 halves the memory, as llama.cpp's default).
// Storage per layer: V as [n_head_kv, n_blocks, block_size, head_dim], K transposed inside each
// block as [n_head_kv, n_blocks, head_dim, block_size]: each KV head's part of a block is
// contiguous, so attention (one KV head at a time) reads whole cache lines and pages in order,
// and K's positions side by side make 8 scores one vector without reductions (decision 8). The
// head is outermost, so a sequence whose blocks were taken in order (the pool hands out 0, 1, …)
// has each head's whole history in one run of memory that the hardware prefetcher follows.
// The pool lives in huge pages (core/huge_buffer.h) and is touched at creation, so its memory is
// committed up front (a pool that does not fit fails at load, not mid-generation).
#pragma once

#include <cstdint>
#include <vector>

#include "core/dtype.h"
#include "core/huge_buffer.h"
#include "core/status.h"

namespace uma {

class KvCache {
 public:
  static constexpr int64_t kDefaultBlockSize = 32;

  // Allocates the whole pool up front; errors name the size that could not be allocated.
  static Result<KvCache> create(int64_t n_layer, int64_t n_head_kv, int64_t head_dim, int64_t n_blocks,
                                int32_t n_seq, DType type, int64_t block_size = kDefaultBlockSize);
  // Bytes a pool of n_tokens positions needs (for planning and `uma info`).
  static uint64_t bytes_needed(int64_t n_layer, int64_t n_tokens, int64_t n_embd_kv, DType type);

  DType type() const { return type_; }
  int64_t n_embd_kv() const { return n_head_kv_ * head_dim_; }
  int64_t block_size() const { return block_size_; }
  int64_t blocks_total() const { return n_blocks_; }
  int64_t blocks_used() const { return n_blocks_ - (int64_t)free_.size(); }
  int32_t n_seq() const { return (int32_t)tables_.size(); }
  uint64_t bytes() const { return k_.size() * 2; }

  // Make positions [0, n_tokens) of `seq` addressable, taking blocks from the pool.
  // Error (nothing changed) when the pool has too few free blocks.
  Status reserve(int32_t seq, int64_t n_tokens);
  // Give back the blocks holding positions >= n_tokens (n_tokens = 0 frees the sequence).
  void truncate(int32_t seq, int64_t n_tokens);
  int64_t capacity(int32_t seq) const { return (int64_t)tables_[seq].size() * block_size_; }

  // Write position `pos` of `seq` in layer il from f32 [n_embd_kv] (converted to the cache type).
  void store(int64_t il, int32_t seq, int64_t pos, const float* k, const float* v);
  // Block-level access for kernels that walk a sequence a block at a time: positions
  // [b·block_size, (b+1)·block_size) of `seq` are in pool block table(seq)[b]. KV head h of that
  // block starts at k_head(il, h) + table(seq)[b]·block_bytes (and v_head(il, h) + …); inside
  // it K element (i, c) is at i·k_pos_stride() + c·k_dim_stride(), V's at i·v_pos_stride() + c.
  const uint8_t* k_head(int64_t il, int64_t h) const { return k_.data() + head_offset(il, h); }
  const uint8_t* v_head(int64_t il, int64_t h) const { return v_.data() + head_offset(il, h); }
  const int32_t* table(int32_t seq) const { return tables_[seq].data(); }
  size_t k_pos_stride() const { return elem_; }
  size_t k_dim_stride() const { return (size_t)block_size_ * elem_; }
  size_t v_pos_stride() const { return (size_t)head_dim_ * elem_; }
  // Bytes between consecutive pool blocks of one layer and KV head (one head's part of a block).
  size_t block_bytes() const { return (size_t)(block_size_ * head_dim_) * elem_; }

 private:
  size_t head_offset(int64_t il, int64_t h) const {
    return (size_t)(il * n_head_kv_ + h) * (size_t)n_blocks_ * block_bytes();
  }
  DType type_ = DType::F16;
  int64_t n_layer_ = 0, n_head_kv_ = 0, head_dim_ = 0, n_blocks_ = 0, block_size_ = kDefaultBlockSize;
  size_t elem_ = 2;
  HugeBuffer k_, v_;
  std::vector<std::vector<int32_t>> tables_;  // per sequence: block ids in position order
  std::vector<int32_t> free_;                 // free block ids (a stack)
  std::vector<uint16_t> k16_;                 // store(): one K head converted, before its strided writes
};

}  // namespace uma

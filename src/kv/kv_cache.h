// Paged KV cache shared by all sequences: a pool of fixed-size blocks (block_size positions each,
// every layer), and per sequence a block table mapping position -> block. Keys and values are
// stored as f32 or f16 (f16 halves the memory, as llama.cpp's default).
// Storage per layer: [n_blocks, block_size, n_embd_kv] for K and for V.
#pragma once

#include <cstdint>
#include <vector>

#include "core/aligned_buffer.h"
#include "core/dtype.h"
#include "core/status.h"

namespace uma {

class KvCache {
 public:
  static constexpr int64_t kDefaultBlockSize = 32;

  // Allocates the whole pool up front; errors name the size that could not be allocated.
  static Result<KvCache> create(int64_t n_layer, int64_t n_embd_kv, int64_t n_blocks,
                                int32_t n_seq, DType type, int64_t block_size = kDefaultBlockSize);
  // Bytes a pool of n_tokens positions needs (for planning and `uma info`).
  static uint64_t bytes_needed(int64_t n_layer, int64_t n_tokens, int64_t n_embd_kv, DType type);

  DType type() const { return type_; }
  int64_t n_embd_kv() const { return n_embd_kv_; }
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

  // Write position `pos` of `seq` in layer il from f32 (converted to the cache type).
  void store(int64_t il, int32_t seq, int64_t pos, const float* k, const float* v);
  // Bytes from one position's row to the next inside a block (positions p .. p + block_size - 1
  // with p a multiple of block_size are contiguous), for loops that walk a block at a time.
  size_t row_stride() const { return (size_t)n_embd_kv_ * elem_; }
  // Raw row pointers (type()-typed elements, n_embd_kv of them).
  const uint8_t* k_row(int64_t il, int32_t seq, int64_t pos) const { return k_.data() + offset(il, seq, pos); }
  const uint8_t* v_row(int64_t il, int32_t seq, int64_t pos) const { return v_.data() + offset(il, seq, pos); }

 private:
  size_t offset(int64_t il, int32_t seq, int64_t pos) const {
    const int64_t block = tables_[seq][(size_t)(pos / block_size_)];
    return (((size_t)il * n_blocks_ + (size_t)block) * block_size_ + (size_t)(pos % block_size_)) *
           (size_t)n_embd_kv_ * elem_;
  }
  DType type_ = DType::F16;
  int64_t n_layer_ = 0, n_embd_kv_ = 0, n_blocks_ = 0, block_size_ = kDefaultBlockSize;
  size_t elem_ = 2;
  AlignedBuffer<uint8_t> k_, v_;
  std::vector<std::vector<int32_t>> tables_;  // per sequence: block ids in position order
  std::vector<int32_t> free_;                 // free block ids (a stack)
};

}  // namespace uma

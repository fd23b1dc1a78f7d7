// KvCache: pool allocation with a clear error, block reservation per sequence, f32 -> cache-type
// conversion on store.
#include "kv/kv_cache.h"

#include <cstring>
#include <string>

#include "core/check.h"
#include "core/f16.h"

namespace uma {

uint64_t KvCache::bytes_needed(int64_t n_layer, int64_t n_tokens, int64_t n_embd_kv, DType type) {
  const uint64_t elem = type == DType::F32 ? 4 : 2;
  return 2ull * (uint64_t)n_layer * (uint64_t)n_tokens * (uint64_t)n_embd_kv * elem;
}

Result<KvCache> KvCache::create(int64_t n_layer, int64_t n_head_kv, int64_t head_dim, int64_t n_blocks,
                                int32_t n_seq, DType type, int64_t block_size) {
  if (type != DType::F32 && type != DType::F16)
    return error("KV cache type " + std::string(dtype_name(type)) + " is not supported (use f16 or f32)");
  if (n_blocks <= 0 || block_size <= 0 || n_seq <= 0 || n_blocks > INT32_MAX || n_head_kv <= 0 || head_dim <= 0)
    return error("KV cache: invalid geometry (" + std::to_string(n_blocks) + " blocks of " +
                 std::to_string(block_size) + ", " + std::to_string(n_seq) + " sequences)");
  KvCache c;
  c.type_ = type;
  c.n_layer_ = n_layer;
  c.n_head_kv_ = n_head_kv;
  c.head_dim_ = head_dim;
  c.n_blocks_ = n_blocks;
  c.block_size_ = block_size;
  c.elem_ = type == DType::F32 ? 4 : 2;
  const uint64_t half = bytes_needed(n_layer, n_blocks * block_size, n_head_kv * head_dim, type) / 2;
  if (!c.k_.allocate(half) || !c.v_.allocate(half))
    return error("cannot allocate the KV cache: " + std::to_string(2 * half / (1024 * 1024)) +
                 " MiB needed for " + std::to_string(n_blocks * block_size) + " positions");
  std::memset(c.k_.data(), 0, half);  // commit the pool now (see kv_cache.h)
  std::memset(c.v_.data(), 0, half);
  c.tables_.resize((size_t)n_seq);
  c.k16_.resize((size_t)head_dim);
  c.free_.reserve((size_t)n_blocks);
  for (int64_t b = n_blocks - 1; b >= 0; b--) c.free_.push_back((int32_t)b);  // pop gives 0, 1, ...
  return c;
}

Status KvCache::reserve(int32_t seq, int64_t n_tokens) {
  UMA_CHECK(seq >= 0 && seq < n_seq());
  auto& table = tables_[(size_t)seq];
  const int64_t need = (n_tokens + block_size_ - 1) / block_size_ - (int64_t)table.size();
  if (need <= 0) return Status::ok();
  if (need > (int64_t)free_.size())
    return error("KV cache full: sequence " + std::to_string(seq) + " needs " + std::to_string(need) +
                 " more blocks, " + std::to_string(free_.size()) + " of " + std::to_string(n_blocks_) +
                 " free");
  for (int64_t i = 0; i < need; i++) {
    table.push_back(free_.back());
    free_.pop_back();
  }
  return Status::ok();
}

void KvCache::truncate(int32_t seq, int64_t n_tokens) {
  UMA_CHECK(seq >= 0 && seq < n_seq());
  auto& table = tables_[(size_t)seq];
  const size_t keep = (size_t)((n_tokens + block_size_ - 1) / block_size_);
  while (table.size() > keep) {
    free_.push_back(table.back());
    table.pop_back();
  }
}

void KvCache::store(int64_t il, int32_t seq, int64_t pos, const float* k, const float* v) {
  const int64_t block = tables_[(size_t)seq][(size_t)(pos / block_size_)];
  const int64_t i = pos % block_size_;
  const size_t at = (size_t)block * block_bytes();
  uint16_t* k16 = k16_.data();
  for (int64_t h = 0; h < n_head_kv_; h++) {
    uint8_t* kd = k_.data() + head_offset(il, h) + at + (size_t)i * k_pos_stride();  // dim c at c * k_dim_stride()
    uint8_t* vd = v_.data() + head_offset(il, h) + at + (size_t)i * v_pos_stride();
    const float* kh = k + h * head_dim_;
    const float* vh = v + h * head_dim_;
    if (type_ == DType::F32) {
      for (int64_t c = 0; c < head_dim_; c++) std::memcpy(kd + (size_t)c * k_dim_stride(), kh + c, 4);
      std::memcpy(vd, vh, (size_t)head_dim_ * 4);
      continue;
    }
    f32_to_f16_rows(vh, reinterpret_cast<uint16_t*>(vd), head_dim_);  // V rows are contiguous
    f32_to_f16_rows(kh, k16, head_dim_);                         // K goes out a dim at a time
    for (int64_t c = 0; c < head_dim_; c++) std::memcpy(kd + (size_t)c * k_dim_stride(), k16 + c, 2);
  }
}

}  // namespace uma

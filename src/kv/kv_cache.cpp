// KvCache: allocation with a clear error, f32 -> cache-type conversion on store.
#include "kv/kv_cache.h"

#include <cstring>
#include <string>

#include "core/f16.h"

namespace uma {

uint64_t KvCache::bytes_needed(int64_t n_layer, int64_t n_ctx, int64_t n_embd_kv, DType type) {
  const uint64_t elem = type == DType::F32 ? 4 : 2;
  return 2ull * (uint64_t)n_layer * (uint64_t)n_ctx * (uint64_t)n_embd_kv * elem;
}

Result<KvCache> KvCache::create(int64_t n_layer, int64_t n_ctx, int64_t n_embd_kv, DType type) {
  if (type != DType::F32 && type != DType::F16)
    return error("KV cache type " + std::string(dtype_name(type)) + " is not supported (use f16 or f32)");
  if (n_ctx <= 0) return error("context size must be positive (got " + std::to_string(n_ctx) + ")");
  KvCache c;
  c.type_ = type;
  c.n_layer_ = n_layer;
  c.n_ctx_ = n_ctx;
  c.n_embd_kv_ = n_embd_kv;
  c.elem_ = type == DType::F32 ? 4 : 2;
  const uint64_t half = bytes_needed(n_layer, n_ctx, n_embd_kv, type) / 2;
  if (!c.k_.resize(half) || !c.v_.resize(half))
    return error("cannot allocate the KV cache for context " + std::to_string(n_ctx) + ": " +
                 std::to_string(2 * half / (1024 * 1024)) + " MiB needed");
  return c;
}

void KvCache::store(int64_t il, int64_t pos, const float* k, const float* v) {
  uint8_t* kd = k_.data() + offset(il, pos);
  uint8_t* vd = v_.data() + offset(il, pos);
  if (type_ == DType::F32) {
    std::memcpy(kd, k, (size_t)n_embd_kv_ * 4);
    std::memcpy(vd, v, (size_t)n_embd_kv_ * 4);
    return;
  }
  auto* k16 = reinterpret_cast<uint16_t*>(kd);
  auto* v16 = reinterpret_cast<uint16_t*>(vd);
  for (int64_t i = 0; i < n_embd_kv_; i++) {
    k16[i] = f32_to_f16(k[i]);
    v16[i] = f32_to_f16(v[i]);
  }
}

}  // namespace uma

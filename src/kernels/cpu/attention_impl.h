// Internal to kernels/cpu: what the AVX2 (attention.cpp) and AVX-512 (attention_avx512.cpp)
// attention kernels share: the block table walk, the ahead-prefetch distance and the per-block
// softmax scaling with f16 rounding.
#pragma once

#include <cstdint>

#include "core/f16.h"
#include "core/prefetch.h"
#include "kernels/cpu/attention.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace uma::kernels::impl {

inline const uint8_t* block_k(const KvView& kv, int64_t b) { return kv.k + (size_t)kv.table[b] * kv.block_bytes; }
inline const uint8_t* block_v(const KvView& kv, int64_t b) { return kv.v + (size_t)kv.table[b] * kv.block_bytes; }

// Heads per slice: larger groups are done in slices, each reading the cache again.
constexpr int kMaxHeads = 16;

// Pool blocks fetched ahead of the one being computed. A 32-position block of a 64-dim head is
// ~0.4 µs of work per pass on one core, several memory round trips.
constexpr int64_t kAheadBlocks = 1;

#if defined(__x86_64__) || defined(__i386__)
#define UMA_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))

UMA_TARGET_AVX2 inline void prefetch_line(const uint8_t* p) {
  _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0);
}

// The order both passes read one head's pieces in (piece: a block's K or V of this head, bs·hd
// f16): K of blocks 0..nblk-1, then their V. at(i, self) is piece i, or past the end `self` (a
// piece already in L1, so the prefetches ahead cost an instruction and no branch).
struct ReadOrder {
  const KvView& kv;
  int64_t nblk;
  const uint8_t* at(int64_t i, const uint8_t* self) const {
    return i < nblk ? block_k(kv, i) : i < 2 * nblk ? block_v(kv, i - nblk) : self;
  }
  // At piece i's start: the first two lines of the piece after the one being prefetched line by
  // line, as the decode matmuls hint each page 8 KiB ahead (a piece of 32 positions x 64 dims is
  // one 4 KiB page). bench_attention, depth 4096, 16 layers, two threads, three alternating rounds:
  // BM_attend_units 38.5 / 41.4 / 40.2 -> 43.2 / 45.0 / 43.4 GB/s, attend_f16 33.9 / 33.7 / 35.8 ->
  // 35.8 / 37.2 / 37.3. The AVX2 kernel (compute-bound at ~26-34 GB/s there) does not take them:
  // with `UMA_ISA=avx2` BM_attend_units read 29.8 GB/s without and 28.0 with, over five pairs.
  UMA_TARGET_AVX2 void page_hint(int64_t i, const uint8_t* self) const {
    if (!kPrefetchPageHints) return;
    const uint8_t* p = at(i + kAheadBlocks + 1, self);
    prefetch_line(p);
    prefetch_line(p + 64);
  }
  // The first kAheadBlocks pieces, whole, before the scores pass starts; the passes then fetch
  // each piece kAheadBlocks ahead from inside their loops.
  UMA_TARGET_AVX2 void prefetch_first(size_t piece_bytes) const {
    for (int64_t i = 0; i < kAheadBlocks && i < 2 * nblk; i++)
      for (size_t l = 0; l < piece_bytes; l += 64) prefetch_line(at(i, nullptr) + l);
  }
};

// p[i] = f16(p[i] · inv) for i < n: softmax's last step and the rounding before V, done on one
// block's probabilities right before that block's V pass (they are in L1 then).
UMA_TARGET_AVX2 inline void scale_round(float* p, int64_t n, float inv) {
  const __m256 v = _mm256_set1_ps(inv);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(p + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_mul_ps(_mm256_loadu_ps(p + i), v),
                                                           _MM_FROUND_TO_NEAREST_INT)));
  for (; i < n; i++) p[i] = f16_to_f32(f32_to_f16(p[i] * inv));
}
#endif

// The AVX-512 kernel (attention_avx512.cpp): hd % 16 == 0 and block_size % 16 == 0 with
// kv_cache.h's strides; call only where avx512_supported().
bool avx512_supported();
void attend_f16_avx512(const float* q, int64_t q_stride, int group, int64_t hd, float scale, const KvView& kv,
                       int64_t n_kv, float* sc, int64_t ss, float* out, int64_t os, float* lse);

}  // namespace uma::kernels::impl

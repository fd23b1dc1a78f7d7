// attention.h: two passes over a head group's KV blocks (scores, then the weighted sum of V),
// with an exact softmax in between. Decode at long contexts streams the cache, but block by block
// through the table: the hardware prefetcher cannot guess the next block, so the AVX2 path
// prefetches row i of the next block while it works on row i of this one.
#include "kernels/cpu/attention.h"

#include <algorithm>
#include <cstring>

#include "core/f16.h"
#include "kernels/cpu/ops.h"
#include "quant/quant_avx2.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace uma::kernels {

namespace {

inline const uint8_t* block_k(const KvView& kv, int64_t b) { return kv.k + (size_t)kv.table[b] * kv.block_bytes; }
inline const uint8_t* block_v(const KvView& kv, int64_t b) { return kv.v + (size_t)kv.table[b] * kv.block_bytes; }

// The reference: one key at a time, float sums in index order. Elem is float or uint16_t (f16).
template <class Elem>
void attend_scalar(const float* q, int64_t q_stride, int group, int64_t hd, float scale, const KvView& kv,
                   int64_t n_kv, float* sc, int64_t ss, float* out, int64_t os) {
  auto load = [](const uint8_t* row, int64_t c) {
    if constexpr (sizeof(Elem) == 2) {
      uint16_t h;
      std::memcpy(&h, row + 2 * c, 2);
      return f16_to_f32(h);
    } else {
      float f;
      std::memcpy(&f, row + 4 * c, 4);
      return f;
    }
  };
  const size_t ke = kv.k_dim_stride / sizeof(Elem);  // K dims apart, in elements
  for (int64_t j = 0; j < n_kv; j++) {
    const uint8_t* row = block_k(kv, j / kv.block_size) + (size_t)(j % kv.block_size) * kv.k_pos_stride;
    for (int h = 0; h < group; h++) {
      float s = 0.f;
      for (int64_t c = 0; c < hd; c++) s += q[h * q_stride + c] * load(row, c * (int64_t)ke);
      sc[h * ss + j] = s * scale;
    }
  }
  for (int h = 0; h < group; h++) {
    softmax(sc + h * ss, n_kv);
    if constexpr (sizeof(Elem) == 2) round_f16(sc + h * ss, n_kv);
    std::memset(out + h * os, 0, sizeof(float) * (size_t)hd);
  }
  for (int64_t j = 0; j < n_kv; j++) {
    const uint8_t* row = block_v(kv, j / kv.block_size) + (size_t)(j % kv.block_size) * kv.v_pos_stride;
    for (int h = 0; h < group; h++)
      for (int64_t c = 0; c < hd; c++) out[h * os + c] += sc[h * ss + j] * load(row, c);
  }
}

#if defined(__x86_64__) || defined(__i386__)
#define UMA_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))

const bool kAvx2 = quant::avx2::cpu_supported();  // AVX2 + FMA + F16C

UMA_TARGET_AVX2 inline __m256 load_f16x8(const uint8_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// Blocks fetched ahead (4 KiB each for a 64-dim f16 head); 1-4 measured alike in bench_attention.
constexpr int64_t kPrefetchBlocks = 2;

UMA_TARGET_AVX2 inline void prefetch_row(const uint8_t* p, size_t bytes) {
  for (size_t l = 0; l < bytes; l += 64) _mm_prefetch(reinterpret_cast<const char*>(p + l), _MM_HINT_T0);
}

UMA_TARGET_AVX2 inline float hsum8(__m256 a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Scores of M heads (M <= 4) for 8·KC consecutive positions of one block, K transposed (kb:
// dim 0 of the first position, dims ds bytes apart): per dim one broadcast of each head's q and
// one widened K vector per 8 positions, M·KC accumulators, no horizontal sums. Positions past
// `valid` are computed from whatever the block holds there but never stored.
template <int M, int KC>
UMA_TARGET_AVX2 inline void scores_tile(const float* q, int64_t q_stride, const uint8_t* kb, size_t ds, int64_t hd,
                                        float scale, float* sc, int64_t ss, int64_t valid) {
  __m256 acc[M][KC];
  for (int m = 0; m < M; m++)
    for (int k = 0; k < KC; k++) acc[m][k] = _mm256_setzero_ps();
  for (int64_t c = 0; c < hd; c++) {
    __m256 kx[KC];
#pragma GCC unroll 4
    for (int k = 0; k < KC; k++) kx[k] = load_f16x8(kb + (size_t)c * ds + 16 * k);
#pragma GCC unroll 8
    for (int m = 0; m < M; m++) {
      const __m256 qm = _mm256_broadcast_ss(q + m * q_stride + c);
#pragma GCC unroll 4
      for (int k = 0; k < KC; k++) acc[m][k] = _mm256_fmadd_ps(qm, kx[k], acc[m][k]);
    }
  }
  // Results through a buffer: indexing acc with a run-time bound in the partial case made the
  // compiler keep acc in memory, with a store per FMA pair in the loop above.
  const __m256 s = _mm256_set1_ps(scale);
  alignas(32) float res[M][KC][8];
#pragma GCC unroll 8
  for (int m = 0; m < M; m++)
#pragma GCC unroll 4
    for (int k = 0; k < KC; k++) _mm256_store_ps(res[m][k], _mm256_mul_ps(acc[m][k], s));
  const int64_t n = std::min<int64_t>(valid, 8 * KC);
  for (int m = 0; m < M; m++) std::memcpy(sc + m * ss, &res[m][0][0], sizeof(float) * (size_t)n);
}

template <int KC>
UMA_TARGET_AVX2 inline void scores_heads(const float* q, int64_t q_stride, int group, const uint8_t* kb, size_t ds,
                                         int64_t hd, float scale, float* sc, int64_t ss, int64_t valid) {
  int h = 0;
  for (; h + 4 <= group; h += 4) scores_tile<4, KC>(q + h * q_stride, q_stride, kb, ds, hd, scale, sc + h * ss, ss, valid);
  for (; h + 2 <= group; h += 2) scores_tile<2, KC>(q + h * q_stride, q_stride, kb, ds, hd, scale, sc + h * ss, ss, valid);
  for (; h < group; h++) scores_tile<1, KC>(q + h * q_stride, q_stride, kb, ds, hd, scale, sc + h * ss, ss, valid);
}

// out[m][c .. c+8·C) += Σ_i p[m][j0 + i] v[i][c ..] for the n rows of one block, C chunks of 8 at once
// (M·C accumulators in registers for the whole block, V rows stay in L1 across chunks).
template <int M, int C>
UMA_TARGET_AVX2 inline void weighted_block(const float* p, int64_t ss, int64_t j0, const uint8_t* vb, size_t rs,
                                           int64_t n, int64_t c, float* out, int64_t os) {
  __m256 acc[M][C];
  for (int m = 0; m < M; m++)
    for (int k = 0; k < C; k++) acc[m][k] = _mm256_loadu_ps(out + m * os + c + 8 * k);
  for (int64_t i = 0; i < n; i++) {
    __m256 x[C];
    for (int k = 0; k < C; k++) x[k] = load_f16x8(vb + (size_t)i * rs + 2 * (c + 8 * k));
    for (int m = 0; m < M; m++) {
      const __m256 pm = _mm256_broadcast_ss(p + m * ss + j0 + i);
      for (int k = 0; k < C; k++) acc[m][k] = _mm256_fmadd_ps(pm, x[k], acc[m][k]);
    }
  }
  for (int m = 0; m < M; m++)
    for (int k = 0; k < C; k++) _mm256_storeu_ps(out + m * os + c + 8 * k, acc[m][k]);
}

template <int M>
UMA_TARGET_AVX2 void weighted_heads(const float* p, int64_t ss, int64_t j0, const uint8_t* vb, size_t rs, int64_t n,
                                    int64_t hd, float* out, int64_t os) {
  int64_t c = 0;
  for (; c + 16 <= hd; c += 16) weighted_block<M, 2>(p, ss, j0, vb, rs, n, c, out, os);
  for (; c < hd; c += 8) weighted_block<M, 1>(p, ss, j0, vb, rs, n, c, out, os);
}

UMA_TARGET_AVX2 void attend_f16_avx2(const float* q, int64_t q_stride, int group, int64_t hd, float scale,
                                     const KvView& kv, int64_t n_kv, float* sc, int64_t ss, float* out, int64_t os) {
  const int64_t bs = kv.block_size, nblk = (n_kv + bs - 1) / bs;
  const size_t rs = kv.v_pos_stride, head_bytes = (size_t)(bs * hd) * 2;
  // Each head's part of a block (K: head_dim x block_size, V: block_size x head_dim) is one
  // contiguous piece; pieces are prefetched kPrefetchBlocks ahead in the order the two passes
  // read them (all K, then all V).
  auto ahead = [&](int64_t b) -> const uint8_t* {
    b += kPrefetchBlocks;
    return b < nblk ? block_k(kv, b) : b < 2 * nblk ? block_v(kv, b - nblk) : nullptr;
  };
  for (int64_t b = 0; b < std::min<int64_t>(kPrefetchBlocks, nblk); b++) prefetch_row(block_k(kv, b), head_bytes);
  // Pass 1: scores, block by block, 16 positions at a time (the piece ahead in halves).
  for (int64_t b = 0; b < nblk; b++) {
    const uint8_t* kb = block_k(kv, b);
    const uint8_t* next = ahead(b);
    const int64_t j0 = b * bs, n = std::min(bs, n_kv - j0);
    for (int64_t i = 0; i < n; i += 16) {
      if (next) prefetch_row(next + head_bytes * (size_t)i / (size_t)bs, head_bytes * 16 / (size_t)bs);
      if (i + 8 < n)
        scores_heads<2>(q, q_stride, group, kb + 2 * i, kv.k_dim_stride, hd, scale, sc + j0 + i, ss, n - i);
      else
        scores_heads<1>(q, q_stride, group, kb + 2 * i, kv.k_dim_stride, hd, scale, sc + j0 + i, ss, n - i);
    }
  }
  for (int h = 0; h < group; h++) {
    softmax(sc + h * ss, n_kv);
    round_f16(sc + h * ss, n_kv);
    std::memset(out + h * os, 0, sizeof(float) * (size_t)hd);
  }
  // Pass 2: out += p · V, block by block.
  for (int64_t b = 0; b < nblk; b++) {
    const uint8_t* vb = block_v(kv, b);
    const int64_t j0 = b * bs, n = std::min(bs, n_kv - j0);
    if (const uint8_t* next = ahead(nblk + b)) prefetch_row(next, head_bytes);
    int h = 0;
    for (; h + 4 <= group; h += 4) weighted_heads<4>(sc + h * ss, ss, j0, vb, rs, n, hd, out + h * os, os);
    for (; h + 2 <= group; h += 2) weighted_heads<2>(sc + h * ss, ss, j0, vb, rs, n, hd, out + h * os, os);
    for (; h < group; h++) weighted_heads<1>(sc + h * ss, ss, j0, vb, rs, n, hd, out + h * os, os);
  }
}

UMA_TARGET_AVX2 void round_avx2(float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(x + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT)));
  for (; i < n; i++) x[i] = f16_to_f32(f32_to_f16(x[i]));
}
#else
constexpr bool kAvx2 = false;
void attend_f16_avx2(const float*, int64_t, int, int64_t, float, const KvView&, int64_t, float*, int64_t, float*,
                     int64_t) {}
void round_avx2(float*, int64_t) {}
#endif

}  // namespace

void attend_f16_ref(const float* q, int64_t q_stride, int group, int64_t hd, float scale, const KvView& kv,
                    int64_t n_kv, float* scores, int64_t score_stride, float* out, int64_t out_stride) {
  attend_scalar<uint16_t>(q, q_stride, group, hd, scale, kv, n_kv, scores, score_stride, out, out_stride);
}

bool attend_f16_simd(const KvView& kv, int64_t hd) {
  return kAvx2 && hd % 8 == 0 && kv.block_size % 16 == 0 && kv.k_pos_stride == 2 &&
         kv.k_dim_stride == (size_t)kv.block_size * 2;
}

void attend_f16(const float* q, int64_t q_stride, int group, int64_t hd, float scale, const KvView& kv,
                int64_t n_kv, float* scores, int64_t score_stride, float* out, int64_t out_stride) {
  if (attend_f16_simd(kv, hd))
    attend_f16_avx2(q, q_stride, group, hd, scale, kv, n_kv, scores, score_stride, out, out_stride);
  else
    attend_scalar<uint16_t>(q, q_stride, group, hd, scale, kv, n_kv, scores, score_stride, out, out_stride);
}

void attend_f32(const float* q, int64_t q_stride, int group, int64_t hd, float scale, const KvView& kv,
                int64_t n_kv, float* scores, int64_t score_stride, float* out, int64_t out_stride) {
  attend_scalar<float>(q, q_stride, group, hd, scale, kv, n_kv, scores, score_stride, out, out_stride);
}

void round_f16(float* x, int64_t n) {
  if (kAvx2) {
    round_avx2(x, n);
  } else {
    for (int64_t i = 0; i < n; i++) x[i] = f16_to_f32(f32_to_f16(x[i]));
  }
}

}  // namespace uma::kernels

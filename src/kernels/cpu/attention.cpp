// attention.h: two passes over a head group's KV blocks (scores, then the weighted sum of V),
// with an exact softmax in between. Decode at long contexts streams the cache, but block by block
// through the table: the hardware prefetcher cannot guess the next block, so the AVX2 path
// prefetches the next block's piece a line at a time from inside its compute loops.
#include "kernels/cpu/attention.h"
#include "kernels/cpu/attention_impl.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/f16.h"
#include "kernels/cpu/ops.h"
#include "quant/quant_avx2.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace uma::kernels {

namespace {

using impl::block_k;
using impl::block_v;

// The reference: one key at a time, float sums in index order. Elem is float or uint16_t (f16).
template <class Elem>
void attend_scalar(const float* q, int64_t q_stride, int group, int64_t hd, float scale, const KvView& kv,
                   int64_t n_kv, float* sc, int64_t ss, float* out, int64_t os, float* lse) {
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
    const double l = softmax(sc + h * ss, n_kv);
    if (lse) lse[h] = (float)l;
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
const bool kAvx2 = quant::avx2::cpu_supported();  // AVX2 + FMA + F16C

using impl::kAheadBlocks;
using impl::kMaxHeads;
using impl::ReadOrder;
using impl::prefetch_line;
using impl::scale_round;

UMA_TARGET_AVX2 inline __m256 load_f16x8(const uint8_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// Scores of M heads (M <= 4) for 16 positions, K transposed (kb: dim 0 of the first position,
// dims ds bytes apart): per dim one broadcast of each head's q and one widened K vector per 8
// positions, 2·M accumulators, no horizontal sums; the first `valid` (<= 16) are stored. One
// cache line of `pf` for each of the first hd/2 dims: hd/2 lines, the same share of the piece ahead as these 16
// positions are of this block.
template <int M>
UMA_TARGET_AVX2 inline __attribute__((always_inline)) void scores_dim(__m256 (&acc)[M][2], const float* q,
                                                                      int64_t q_stride, const uint8_t* kb, size_t ds,
                                                                      int64_t c) {
  const __m256 k0 = load_f16x8(kb + (size_t)c * ds), k1 = load_f16x8(kb + (size_t)c * ds + 16);
#pragma GCC unroll 4
  for (int m = 0; m < M; m++) {
    const __m256 qm = _mm256_broadcast_ss(q + m * q_stride + c);
    acc[m][0] = _mm256_fmadd_ps(qm, k0, acc[m][0]);
    acc[m][1] = _mm256_fmadd_ps(qm, k1, acc[m][1]);
  }
}

template <int M>
UMA_TARGET_AVX2 inline void scores16(const float* q, int64_t q_stride, const uint8_t* kb, size_t ds, int64_t hd,
                                     float scale, const uint8_t* pf, float* sc, int64_t ss, int64_t valid,
                                     __m256* mx) {
  __m256 acc[M][2];
  for (int m = 0; m < M; m++) acc[m][0] = acc[m][1] = _mm256_setzero_ps();
  // One dim per iteration (two per iteration ran out of registers and spilled an accumulator);
  // the first half of the dims prefetch a line each.
  int64_t c = 0;
  for (; c < hd / 2; c++) {
    prefetch_line(pf + 64 * c);
    scores_dim<M>(acc, q, q_stride, kb, ds, c);
  }
  for (; c < hd; c++) scores_dim<M>(acc, q, q_stride, kb, ds, c);
  const __m256 s = _mm256_set1_ps(scale);
  if (valid >= 16) {
#pragma GCC unroll 4
    for (int m = 0; m < M; m++) {
      const __m256 s0 = _mm256_mul_ps(acc[m][0], s), s1 = _mm256_mul_ps(acc[m][1], s);
      _mm256_storeu_ps(sc + m * ss, s0);
      _mm256_storeu_ps(sc + m * ss + 8, s1);
      mx[m] = _mm256_max_ps(mx[m], _mm256_max_ps(s0, s1));
    }
  } else {  // the sequence ends inside these 16: masked stores, nothing written past it
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)valid), lane);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)valid - 8), lane);
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    for (int m = 0; m < M; m++) {
      const __m256 s0 = _mm256_mul_ps(acc[m][0], s), s1 = _mm256_mul_ps(acc[m][1], s);
      _mm256_maskstore_ps(sc + m * ss, m0, s0);
      _mm256_maskstore_ps(sc + m * ss + 8, m1, s1);
      mx[m] = _mm256_max_ps(mx[m], _mm256_max_ps(_mm256_blendv_ps(ninf, s0, _mm256_castsi256_ps(m0)),
                                                 _mm256_blendv_ps(ninf, s1, _mm256_castsi256_ps(m1))));
    }
  }
}

UMA_TARGET_AVX2 inline void scores16_heads(const float* q, int64_t q_stride, int group, const uint8_t* kb, size_t ds,
                                           int64_t hd, float scale, const uint8_t* pf, float* sc, int64_t ss,
                                           int64_t valid, __m256* mx) {
  int h = 0;
  for (; h + 4 <= group; h += 4) scores16<4>(q + h * q_stride, q_stride, kb, ds, hd, scale, pf, sc + h * ss, ss, valid, mx + h);
  for (; h + 2 <= group; h += 2) scores16<2>(q + h * q_stride, q_stride, kb, ds, hd, scale, pf, sc + h * ss, ss, valid, mx + h);
  for (; h < group; h++) scores16<1>(q + h * q_stride, q_stride, kb, ds, hd, scale, pf, sc + h * ss, ss, valid, mx + h);
}

// out[m][c .. c+8·C) += Σ_{i<n} p[m][i] v[i][c ..]: M·C accumulators in registers over the n
// rows of one block (V rows, rs bytes apart, stay in L1 across the chunks of c). One line of
// `pf` for each of the first half of the rows.
template <int M, int C>
UMA_TARGET_AVX2 inline __attribute__((always_inline)) void weighted_row(__m256 (&acc)[M][C], const float* p,
                                                                        int64_t ss, const uint8_t* v, int64_t r) {
  __m256 x[C];
  for (int k = 0; k < C; k++) x[k] = load_f16x8(v + 16 * k);
  for (int m = 0; m < M; m++) {
    const __m256 pm = _mm256_broadcast_ss(p + m * ss + r);
    for (int k = 0; k < C; k++) acc[m][k] = _mm256_fmadd_ps(pm, x[k], acc[m][k]);
  }
}

template <int M, int C>
UMA_TARGET_AVX2 inline void weighted_rows(const float* p, int64_t ss, const uint8_t* vb, size_t rs, int64_t n,
                                          int64_t c, const uint8_t* pf, float* out, int64_t os) {
  __m256 acc[M][C];
  for (int m = 0; m < M; m++)
    for (int k = 0; k < C; k++) acc[m][k] = _mm256_loadu_ps(out + m * os + c + 8 * k);
  // The first half of the rows prefetch a line each.
  int64_t i = 0;
  for (; i < (n + 1) / 2; i++) {
    prefetch_line(pf + 64 * i);
    weighted_row<M, C>(acc, p, ss, vb + (size_t)i * rs + 2 * c, i);
  }
  for (; i < n; i++) weighted_row<M, C>(acc, p, ss, vb + (size_t)i * rs + 2 * c, i);
  for (int m = 0; m < M; m++)
    for (int k = 0; k < C; k++) _mm256_storeu_ps(out + m * os + c + 8 * k, acc[m][k]);
}

template <int M>
UMA_TARGET_AVX2 void weighted_heads(const float* p, int64_t ss, const uint8_t* vb, size_t rs, int64_t n, int64_t hd,
                                    int64_t bs, const uint8_t* pf, float* out, int64_t os) {
  int64_t c = 0;
  for (; c + 16 <= hd; c += 16)  // each chunk of 16 dims prefetches bs/2 lines: its share of the piece ahead
    weighted_rows<M, 2>(p, ss, vb, rs, n, c, pf + (size_t)(c / 16) * (size_t)bs * 32, out, os);
  for (; c < hd; c += 8)  // hd = 8 mod 16: the last 8 dims (their prefetches land on rows in L1)
    weighted_rows<M, 1>(p, ss, vb, rs, n, c, vb, out, os);
}

UMA_TARGET_AVX2 inline float hmax8(__m256 a) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

// Two passes over the head group's blocks: scores of all positions (keeping each head's
// maximum), the exponentials and their sum, then Σ p·V with p = f16(e / Σe) formed block by block
// (the same operations, in the same order, as softmax() then round_f16(), so results equal the
// plain sequence). Each block's piece of the head (4 KiB for 32 positions of 64 f16) is reached
// through the table; the pieces are usually one run (kv_cache.h), but nothing promises it, so
// the loops prefetch the piece kAheadBlocks ahead in the order the passes read them (all K, then all V), one line in each
// of the first half of the inner iterations, so that misses stay spread out instead of arriving as a burst per block.
UMA_TARGET_AVX2 void attend_slice(const float* q, int64_t q_stride, int group, int64_t hd, float scale,
                                  const KvView& kv, int64_t n_kv, float* sc, int64_t ss, float* out, int64_t os,
                                  float* lse) {
  const int64_t bs = kv.block_size, nblk = (n_kv + bs - 1) / bs;
  const ReadOrder order{kv, nblk};
  order.prefetch_first((size_t)(bs * hd) * 2);
  __m256 mx[kMaxHeads];
  for (int h = 0; h < group; h++) mx[h] = _mm256_set1_ps(-INFINITY);
  for (int64_t b = 0; b < nblk; b++) {
    const uint8_t* kb = block_k(kv, b);
    const uint8_t* pf = order.at(b + kAheadBlocks, kb);
    const int64_t j0 = b * bs, n = std::min(bs, n_kv - j0);
    for (int64_t i = 0; i < n; i += 16)
      scores16_heads(q, q_stride, group, kb + 2 * i, kv.k_dim_stride, hd, scale, pf + (size_t)(i * hd) * 2,
                     sc + j0 + i, ss, n - i, mx);
  }
  float inv[kMaxHeads];
  for (int h = 0; h < group; h++) {
    const float m = hmax8(mx[h]);
    const double sum = exp_sub_sum(sc + h * ss, n_kv, m);
    inv[h] = (float)(1.0 / sum);
    if (lse) lse[h] = (float)(m + std::log(sum));
    std::memset(out + h * os, 0, sizeof(float) * (size_t)hd);
  }
  for (int64_t b = 0; b < nblk; b++) {
    const uint8_t* vb = block_v(kv, b);
    const uint8_t* pf = order.at(nblk + b + kAheadBlocks, vb);
    const int64_t j0 = b * bs, n = std::min(bs, n_kv - j0);
    const size_t rs = kv.v_pos_stride;
    for (int h = 0; h < group; h++) scale_round(sc + h * ss + j0, n, inv[h]);
    int h = 0;
    for (; h + 4 <= group; h += 4) weighted_heads<4>(sc + h * ss + j0, ss, vb, rs, n, hd, bs, pf, out + h * os, os);
    for (; h + 2 <= group; h += 2) weighted_heads<2>(sc + h * ss + j0, ss, vb, rs, n, hd, bs, pf, out + h * os, os);
    for (; h < group; h++) weighted_heads<1>(sc + h * ss + j0, ss, vb, rs, n, hd, bs, pf, out + h * os, os);
  }
}

UMA_TARGET_AVX2 void attend_f16_avx2(const float* q, int64_t q_stride, int group, int64_t hd, float scale,
                                     const KvView& kv, int64_t n_kv, float* sc, int64_t ss, float* out, int64_t os,
                                     float* lse) {
  for (int h = 0; h < group; h += kMaxHeads)
    attend_slice(q + h * q_stride, q_stride, std::min(kMaxHeads, group - h), hd, scale, kv, n_kv, sc + h * ss, ss,
                 out + h * os, os, lse ? lse + h : nullptr);
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
                     int64_t, float*) {}
void round_avx2(float*, int64_t) {}
#endif

}  // namespace

void attend_f16_ref(const float* q, int64_t q_stride, int group, int64_t hd, float scale, const KvView& kv,
                    int64_t n_kv, float* scores, int64_t score_stride, float* out, int64_t out_stride, float* lse) {
  attend_scalar<uint16_t>(q, q_stride, group, hd, scale, kv, n_kv, scores, score_stride, out, out_stride, lse);
}

namespace {
bool layout_simd(const KvView& kv, int64_t hd) {
  return hd % 8 == 0 && kv.block_size % 16 == 0 && kv.k_pos_stride == 2 && kv.k_dim_stride == (size_t)kv.block_size * 2;
}
bool layout_avx512(const KvView& kv, int64_t hd) { return layout_simd(kv, hd) && hd % 16 == 0; }
// UMA_ISA=avx2 in the environment keeps attention on the AVX2 kernel (A/B runs on one binary).
const bool kAvx512 = impl::avx512_supported() && [] {
  const char* env = std::getenv("UMA_ISA");
  return !(env && std::strcmp(env, "avx2") == 0);
}();
}  // namespace

std::vector<std::pair<const char*, AttendFn>> attend_f16_kernels(const KvView& kv, int64_t hd) {
  std::vector<std::pair<const char*, AttendFn>> fns;
  if (impl::avx512_supported() && layout_avx512(kv, hd)) fns.push_back({"avx512", impl::attend_f16_avx512});
  if (kAvx2 && layout_simd(kv, hd)) fns.push_back({"avx2", attend_f16_avx2});
  return fns;
}

bool attend_f16_simd(const KvView& kv, int64_t hd) { return kAvx2 && layout_simd(kv, hd); }

void attend_f16(const float* q, int64_t q_stride, int group, int64_t hd, float scale, const KvView& kv,
                int64_t n_kv, float* scores, int64_t score_stride, float* out, int64_t out_stride, float* lse) {
  if (kAvx512 && layout_avx512(kv, hd))
    impl::attend_f16_avx512(q, q_stride, group, hd, scale, kv, n_kv, scores, score_stride, out, out_stride, lse);
  else if (attend_f16_simd(kv, hd))
    attend_f16_avx2(q, q_stride, group, hd, scale, kv, n_kv, scores, score_stride, out, out_stride, lse);
  else
    attend_scalar<uint16_t>(q, q_stride, group, hd, scale, kv, n_kv, scores, score_stride, out, out_stride, lse);
}

void attend_f32(const float* q, int64_t q_stride, int group, int64_t hd, float scale, const KvView& kv,
                int64_t n_kv, float* scores, int64_t score_stride, float* out, int64_t out_stride, float* lse) {
  attend_scalar<float>(q, q_stride, group, hd, scale, kv, n_kv, scores, score_stride, out, out_stride, lse);
}

void merge_attention(int parts, int group, int64_t hd, const float* part_out, const float* lse, float* out,
                     int64_t out_stride) {
  for (int h = 0; h < group; h++) {
    float m = -INFINITY;
    for (int i = 0; i < parts; i++) m = std::max(m, lse[i * group + h]);
    double wsum = 0;
    float* o = out + h * out_stride;
    std::fill(o, o + hd, 0.f);
    for (int i = 0; i < parts; i++) {
      const double w = std::exp((double)lse[i * group + h] - m);
      wsum += w;
      const float* po = part_out + ((size_t)i * group + h) * (size_t)hd;
      for (int64_t c = 0; c < hd; c++) o[c] += (float)w * po[c];
    }
    const float inv = (float)(1.0 / wsum);
    for (int64_t c = 0; c < hd; c++) o[c] *= inv;
  }
}

void round_f16(float* x, int64_t n) {
  if (kAvx2) {
    round_avx2(x, n);
  } else {
    for (int64_t i = 0; i < n; i++) x[i] = f16_to_f32(f32_to_f16(x[i]));
  }
}

}  // namespace uma::kernels

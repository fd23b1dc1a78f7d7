// AVX-512 attention (attention.h): the AVX2 kernel's two passes and prefetch pattern on 16-lane
// vectors. Decode attention at depth is bound by its multiply-adds (2 per cached f16 element and
// query head: bench_attention read 11 GB/s on one core at depth 4096, under half of what one core
// streams), so the wider FMA matters: the scores pass holds one block's 32 positions x 4 heads in
// 8 accumulators (per dim: 2 conversions, 4 broadcasts, 8 FMAs for 32 positions, where AVX2
// needs 4, 8, 16), and the V pass 4 heads x 64 dims in 16.
#include "kernels/cpu/attention_impl.h"
#include "kernels/cpu/exp_poly.h"

#if defined(__x86_64__) || defined(__i386__)

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/cpu/ops.h"
#include "quant/quant_avx2.h"

// GCC 12's AVX-512 headers seed results with _mm*_undefined_*(), which -Wmaybe-uninitialized
// reports falsely once inlined here.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define UMA_TARGET_AVX512 __attribute__((target("avx2,fma,f16c,avx512f")))

namespace uma::kernels::impl {

namespace {

// (The zero-masking form: GCC 12's plain _mm512_cvtph_ps draws a false -Wmaybe-uninitialized.)
UMA_TARGET_AVX512 inline __m512 load_f16x16(const uint8_t* p) {
  return _mm512_maskz_cvtph_ps((__mmask16)0xFFFF, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

UMA_TARGET_AVX512 inline float hmax16(__m512 v) {
  const __m256 hi = _mm512_castps512_ps256(_mm512_shuffle_f32x4(v, v, 0xEE));  // lanes 8-15
  const __m256 a = _mm256_max_ps(_mm512_castps512_ps256(v), hi);
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

// One dim of a scores tile: P widened K vectors, one broadcast of each head's q element.
template <int M, int P>
UMA_TARGET_AVX512 inline __attribute__((always_inline)) void scores_dim(__m512 (&acc)[M][P], const float* q,
                                                                        int64_t q_stride, const uint8_t* kb, size_t ds,
                                                                        int64_t c) {
  __m512 k[P];
  for (int p = 0; p < P; p++) k[p] = load_f16x16(kb + (size_t)c * ds + 32 * p);
  for (int m = 0; m < M; m++) {
    const __m512 qm = _mm512_set1_ps(q[m * q_stride + c]);
    for (int p = 0; p < P; p++) acc[m][p] = _mm512_fmadd_ps(qm, k[p], acc[m][p]);
  }
}

// Scores of M heads (M <= 4) for 16·P positions (K transposed: kb is dim 0 of the first
// position, dims ds bytes apart); the first `valid` are stored and enter each head's maximum.
// One line of `pf` per dim for the first P·hd/2 dims: these positions' share of the piece ahead.
template <int M, int P>
UMA_TARGET_AVX512 inline void scores_tile(const float* q, int64_t q_stride, const uint8_t* kb, size_t ds, int64_t hd,
                                          float scale, const uint8_t* pf, float* sc, int64_t ss, int64_t valid,
                                          __m512* mx) {
  __m512 acc[M][P];
  for (int m = 0; m < M; m++)
    for (int p = 0; p < P; p++) acc[m][p] = _mm512_setzero_ps();
  const int64_t npf = std::min<int64_t>(hd, P * hd / 2);
  int64_t c = 0;
  for (; c < npf; c++) {
    prefetch_line(pf + 64 * c);
    scores_dim<M, P>(acc, q, q_stride, kb, ds, c);
  }
  for (; c < hd; c++) scores_dim<M, P>(acc, q, q_stride, kb, ds, c);
  const __m512 s = _mm512_set1_ps(scale);
  for (int p = 0; p < P; p++) {
    const int64_t left = valid - 16 * p;
    const __mmask16 mask = left >= 16 ? (__mmask16)0xFFFF : left <= 0 ? (__mmask16)0 : (__mmask16)((1u << left) - 1);
    for (int m = 0; m < M; m++) {
      const __m512 v = _mm512_mul_ps(acc[m][p], s);
      _mm512_mask_storeu_ps(sc + m * ss + 16 * p, mask, v);
      mx[m] = _mm512_mask_max_ps(mx[m], mask, mx[m], v);
    }
  }
}

// exp of 16 floats as ops.cpp's exp8 (the constants of exp_poly.h), with the 2^k applied by
// vscalefps. Here rather than behind ops.h's exp_sub_sum so that each attention kernel
// carries its own softmax step: the tests run both kernels on an AVX-512 CPU, which would
// otherwise never reach the AVX2 exp. Below exp_poly::kMin the result is ~1e-38 where exp8 gives
// 0, which vanishes in the f16 rounding of the probabilities.
UMA_TARGET_AVX512 inline __m512 exp16(__m512 x) {
  namespace ep = exp_poly;
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(ep::kMin)), _mm512_set1_ps(ep::kMax));
  const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(ep::kLog2e)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(ep::kLn2Hi), x);
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(ep::kLn2Lo), r);
  __m512 p = _mm512_set1_ps(ep::kTaylorTop);
#pragma GCC unroll 8
  for (const float c : ep::kTaylor) p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
  return _mm512_scalef_ps(p, k);
}

// x[i] = exp(x[i] - mx) for i < n; returns their sum. The softmax between the passes: with
// 8-lane exps and a double accumulator per vector (ops.h's exp_sub_sum) it was a fifth of the
// kernel's time at depth 4096 (perf, bench_attention). Sums run in float over 1024 values at a
// time (two vectors of 16 lanes, 32 terms <= 1 a lane: relative error at most ~2e-6), then in double.
UMA_TARGET_AVX512 double exp_sub_sum16(float* x, int64_t n, float mx) {
  const __m512 m = _mm512_set1_ps(mx);
  double sum = 0.0;
  for (int64_t c = 0; c < n; c += 1024) {
    const int64_t ce = std::min(n, c + 1024);
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    int64_t i = c;
    for (; i + 32 <= ce; i += 32) {
      const __m512 e0 = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), m));
      const __m512 e1 = exp16(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16), m));
      _mm512_storeu_ps(x + i, e0);
      _mm512_storeu_ps(x + i + 16, e1);
      s0 = _mm512_add_ps(s0, e0);
      s1 = _mm512_add_ps(s1, e1);
    }
    for (; i < ce; i += 16) {
      const __mmask16 k = ce - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (ce - i)) - 1);
      const __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), m));
      _mm512_mask_storeu_ps(x + i, k, e);
      s0 = _mm512_mask_add_ps(s0, k, s0, e);
    }
    sum += (double)_mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
  }
  return sum;
}

// attention_impl.h's scale_round on 16 lanes: p[i] = f16(p[i] · inv).
UMA_TARGET_AVX512 inline void scale_round16(float* p, int64_t n, float inv) {
  const __m512 v = _mm512_set1_ps(inv);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
    const __m256i h = _mm512_cvtps_ph(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, p + i), v), _MM_FROUND_TO_NEAREST_INT);
    _mm512_mask_storeu_ps(p + i, k, _mm512_maskz_cvtph_ps((__mmask16)0xFFFF, h));
  }
}

template <int P>
UMA_TARGET_AVX512 inline void scores_heads(const float* q, int64_t q_stride, int group, const uint8_t* kb, size_t ds,
                                           int64_t hd, float scale, const uint8_t* pf, float* sc, int64_t ss,
                                           int64_t valid, __m512* mx) {
  int h = 0;
  for (; h + 4 <= group; h += 4) scores_tile<4, P>(q + h * q_stride, q_stride, kb, ds, hd, scale, pf, sc + h * ss, ss, valid, mx + h);
  for (; h + 2 <= group; h += 2) scores_tile<2, P>(q + h * q_stride, q_stride, kb, ds, hd, scale, pf, sc + h * ss, ss, valid, mx + h);
  for (; h < group; h++) scores_tile<1, P>(q + h * q_stride, q_stride, kb, ds, hd, scale, pf, sc + h * ss, ss, valid, mx + h);
}

// out[m][c .. c+16·C) += Σ_{i<n} p[m][i] v[i][c ..] over one block's n rows (rs bytes apart),
// M·C accumulators; row i prefetches two lines of `pf` (this chunk's share of the piece ahead).
template <int M, int C>
UMA_TARGET_AVX512 inline void weighted_chunk(const float* p, int64_t ss, const uint8_t* vb, size_t rs, int64_t n,
                                             int64_t c, const uint8_t* pf, float* out, int64_t os) {
  __m512 acc[M][C];
  for (int m = 0; m < M; m++)
    for (int k = 0; k < C; k++) acc[m][k] = _mm512_loadu_ps(out + m * os + c + 16 * k);
  for (int64_t i = 0; i < n; i++) {
    prefetch_line(pf + 128 * i);
    prefetch_line(pf + 128 * i + 64);
    const uint8_t* v = vb + (size_t)i * rs + 2 * c;
    __m512 x[C];
    for (int k = 0; k < C; k++) x[k] = load_f16x16(v + 32 * k);
    for (int m = 0; m < M; m++) {
      const __m512 pm = _mm512_set1_ps(p[m * ss + i]);
      for (int k = 0; k < C; k++) acc[m][k] = _mm512_fmadd_ps(pm, x[k], acc[m][k]);
    }
  }
  for (int m = 0; m < M; m++)
    for (int k = 0; k < C; k++) _mm512_storeu_ps(out + m * os + c + 16 * k, acc[m][k]);
}

template <int M>
UMA_TARGET_AVX512 void weighted_heads(const float* p, int64_t ss, const uint8_t* vb, size_t rs, int64_t n, int64_t hd,
                                      int64_t bs, const uint8_t* pf, float* out, int64_t os) {
  int64_t c = 0;
  for (; c + 64 <= hd; c += 64)  // chunks of 64 dims: 2·bs lines of the piece ahead each
    weighted_chunk<M, 4>(p, ss, vb, rs, n, c, pf + (size_t)(c / 64) * (size_t)bs * 128, out, os);
  for (; c < hd; c += 16)  // hd = 16, 32 or 48 mod 64 (their prefetches land on rows in L1)
    weighted_chunk<M, 1>(p, ss, vb, rs, n, c, vb, out, os);
}

// attend_slice of attention.cpp on 16 lanes (see there for the passes and the prefetch order).
template <int P>
UMA_TARGET_AVX512 void attend_slice(const float* q, int64_t q_stride, int group, int64_t hd, float scale,
                                    const KvView& kv, int64_t n_kv, float* sc, int64_t ss, float* out, int64_t os,
                                    float* lse) {
  const int64_t bs = kv.block_size, nblk = (n_kv + bs - 1) / bs;
  const ReadOrder order{kv, nblk};
  order.prefetch_first((size_t)(bs * hd) * 2);
  __m512 mx[kMaxHeads];
  for (int h = 0; h < group; h++) mx[h] = _mm512_set1_ps(-INFINITY);
  for (int64_t b = 0; b < nblk; b++) {
    const uint8_t* kb = block_k(kv, b);
    const uint8_t* pf = order.at(b + kAheadBlocks, kb);
    order.page_hint(b, kb);
    const int64_t j0 = b * bs, n = std::min(bs, n_kv - j0);
    for (int64_t i = 0; i < n; i += 16 * P)
      scores_heads<P>(q, q_stride, group, kb + 2 * i, kv.k_dim_stride, hd, scale, pf + (size_t)(i * hd) * 2,
                      sc + j0 + i, ss, n - i, mx);
  }
  float inv[kMaxHeads];
  for (int h = 0; h < group; h++) {
    const float m = hmax16(mx[h]);
    const double sum = exp_sub_sum16(sc + h * ss, n_kv, m);
    inv[h] = (float)(1.0 / sum);
    if (lse) lse[h] = (float)(m + std::log(sum));
    std::memset(out + h * os, 0, sizeof(float) * (size_t)hd);
  }
  for (int64_t b = 0; b < nblk; b++) {
    const uint8_t* vb = block_v(kv, b);
    const uint8_t* pf = order.at(nblk + b + kAheadBlocks, vb);
    order.page_hint(nblk + b, vb);
    const int64_t j0 = b * bs, n = std::min(bs, n_kv - j0);
    const size_t rs = kv.v_pos_stride;
    for (int h = 0; h < group; h++) scale_round16(sc + h * ss + j0, n, inv[h]);
    int h = 0;
    for (; h + 4 <= group; h += 4) weighted_heads<4>(sc + h * ss + j0, ss, vb, rs, n, hd, bs, pf, out + h * os, os);
    for (; h + 2 <= group; h += 2) weighted_heads<2>(sc + h * ss + j0, ss, vb, rs, n, hd, bs, pf, out + h * os, os);
    for (; h < group; h++) weighted_heads<1>(sc + h * ss + j0, ss, vb, rs, n, hd, bs, pf, out + h * os, os);
  }
}

}  // namespace

bool avx512_supported() {
  static const bool ok = quant::avx2::cpu_supported() && __builtin_cpu_supports("avx512f");
  return ok;
}

UMA_TARGET_AVX512 void attend_f16_avx512(const float* q, int64_t q_stride, int group, int64_t hd, float scale,
                                         const KvView& kv, int64_t n_kv, float* sc, int64_t ss, float* out, int64_t os,
                                         float* lse) {
  // Tiles of a whole 32-position block when blocks allow (8 accumulators), else of 16.
  for (int h = 0; h < group; h += kMaxHeads) {
    const int gs = std::min(kMaxHeads, group - h);
    if (kv.block_size % 32 == 0)
      attend_slice<2>(q + h * q_stride, q_stride, gs, hd, scale, kv, n_kv, sc + h * ss, ss, out + h * os, os,
                      lse ? lse + h : nullptr);
    else
      attend_slice<1>(q + h * q_stride, q_stride, gs, hd, scale, kv, n_kv, sc + h * ss, ss, out + h * os, os,
                      lse ? lse + h : nullptr);
  }
}

}  // namespace uma::kernels::impl

#else

namespace uma::kernels::impl {
bool avx512_supported() { return false; }
void attend_f16_avx512(const float*, int64_t, int, int64_t, float, const KvView&, int64_t, float*, int64_t, float*,
                       int64_t, float*) {}
}  // namespace uma::kernels::impl

#endif

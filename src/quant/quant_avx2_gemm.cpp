// AVX2/FMA/F16C tile kernels (quant_gemm.h): R weight rows x T activation rows per inner loop,
// with R*T float accumulators in registers. Integer block sums are the scalar reference's; the
// per-block scales are converted ahead of the dot loop (8 f16 at a time with F16C) and each
// accumulator is reduced once at the end, which is what made the one-row kernels compute-bound.
#include "quant/quant_avx2_gemm.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "quant/blocks.h"
#include "quant/quant_x8_common.h"
#include "quant/repack.h"

namespace uma::quant::avx2 {


namespace {

constexpr int kRows = 4;        // weight rows per tile (matches kGemmRowTile)
constexpr int kTokTile = 2;     // activation rows per tile in prefill (R*T accumulators <= 8)
constexpr int kChunk = 32;      // legacy blocks whose scales are converted ahead of the dot loop

UMA_TARGET_AVX2 inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

using x8::bcast4;
using x8::bcast_pair;
using x8::drive_x8;
using x8::kCtlS16Pair;
using x8::kCtlS16Pairs;
using x8::kCtlU16Pair;
using x8::kTokBlock;
using x8::load128;
using x8::load256;
using x8::load256_reg;
using x8::prefetch_ahead_part;
using x8::row_bytes;

// Loops a type's tile kernel K::tile<R, T>(g, r, t) over the whole [nr, nt] output: tokens in
// blocks of kTokBlock (their activations stay cached), rows in tiles of kRows within each block,
// then leftovers with narrower tiles.
template <class K, int TT>
UMA_TARGET_AVX2 void drive(const GemmArgs& g) {
  for (int64_t tb = 0; tb < g.nt; tb += kTokBlock) {
    const int64_t te = std::min(g.nt, tb + kTokBlock);
    int64_t r = 0;
    for (; r + kRows <= g.nr; r += kRows) {
      int64_t t = tb;
      for (; t + TT <= te; t += TT) K::template tile<kRows, TT>(g, r, t);
      for (; t < te; ++t) K::template tile<kRows, 1>(g, r, t);
    }
    for (; r < g.nr; ++r)
      for (int64_t t = tb; t < te; ++t) K::template tile<1, 1>(g, r, t);
  }
}

template <int R, int T>
UMA_TARGET_AVX2 inline void store_tile(const GemmArgs& g, int64_t r, int64_t t,
                                       __m256 (&acc)[R][T], const float (&tail)[R][T]) {
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < T; ++j) g.out[(size_t)(t + j) * g.ldo + (size_t)(r + i)] = hsum(acc[i][j]) + tail[i][j];
}

// ---- F32 / F16: plain FMA over 8 lanes; an f16 operand is widened with F16C. ----

template <class E>
struct FloatLoad;
template <>
struct FloatLoad<float> {
  UMA_TARGET_AVX2 static __m256 load8(const float* p) { return _mm256_loadu_ps(p); }
  static float one(const float* p) { return *p; }
};
template <>
struct FloatLoad<uint16_t> {
  UMA_TARGET_AVX2 static __m256 load8(const uint16_t* p) { return _mm256_cvtph_ps(load128(p)); }
  UMA_TARGET_AVX2 static float one(const uint16_t* p) { return _cvtsh_ss(*p); }
};

template <class E>
struct FloatKernel {
  template <int R, int T>
  UMA_TARGET_AVX2 static void tile(const GemmArgs& g, int64_t r0, int64_t t0) {
    const E* w[R];
    const E* a[T];
    for (int i = 0; i < R; ++i) w[i] = reinterpret_cast<const E*>(g.w + (size_t)(r0 + i) * g.w_stride);
    for (int j = 0; j < T; ++j) a[j] = reinterpret_cast<const E*>(g.a + (size_t)(t0 + j) * g.a_stride);
    __m256 acc[R][T];
    for (int i = 0; i < R; ++i)
      for (int j = 0; j < T; ++j) acc[i][j] = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + 8 <= g.n; k += 8) {
      __m256 y[T];
      for (int j = 0; j < T; ++j) y[j] = FloatLoad<E>::load8(a[j] + k);
      for (int i = 0; i < R; ++i) {
        const __m256 x = FloatLoad<E>::load8(w[i] + k);
        for (int j = 0; j < T; ++j) acc[i][j] = _mm256_fmadd_ps(x, y[j], acc[i][j]);
      }
    }
    float tail[R][T] = {};
    for (; k < g.n; ++k)
      for (int i = 0; i < R; ++i)
        for (int j = 0; j < T; ++j) tail[i][j] += FloatLoad<E>::one(w[i] + k) * FloatLoad<E>::one(a[j] + k);
    store_tile<R, T>(g, r0, t0, acc, tail);
  }
};

// ---- Q4_0 / Q8_0 against Q8_0 activations (32-element blocks with one f16 scale each). ----

// The f16 scales of blocks p[0..cnt) (cnt <= 8) as 8 floats, lanes past cnt zero.
template <class B>
UMA_TARGET_AVX2 inline __m256 scales8(const B* p, int cnt) {
  if (cnt == 8) {
    return _mm256_cvtph_ps(_mm_setr_epi16((short)p[0].d, (short)p[1].d, (short)p[2].d,
                                          (short)p[3].d, (short)p[4].d, (short)p[5].d,
                                          (short)p[6].d, (short)p[7].d));
  }
  alignas(16) uint16_t h[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int k = 0; k < cnt; ++k) h[k] = p[k].d;
  return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(h)));
}

// s[i * T + j][b] = d(W_i block b0+b) * d(A_j block b0+b) for b < nb, as f32: 8 f16 scales at a
// time through F16C, stored so the dot loop broadcasts them straight from L1.
template <class WB, int R, int T>
UMA_TARGET_AVX2 inline void legacy_scales(const WB* const (&w)[R], const BlockQ8_0* const (&a)[T],
                                          int64_t b0, int nb, float (&s)[R * T][kChunk]) {
  for (int v = 0; v * 8 < nb; ++v) {
    const int cnt = std::min(8, nb - 8 * v);
    __m256 dy[T];
    for (int j = 0; j < T; ++j) dy[j] = scales8(a[j] + b0 + 8 * v, cnt);
    for (int i = 0; i < R; ++i) {
      const __m256 dx = scales8(w[i] + b0 + 8 * v, cnt);
      for (int j = 0; j < T; ++j) _mm256_store_ps(s[i * T + j] + 8 * v, _mm256_mul_ps(dx, dy[j]));
    }
  }
}

// Q4_0: nibbles stay unsigned (0..15) for maddubs; the -8 offset is taken out in the int16 pair
// sums as maddubs(8, y), computed once per activation block and shared by all R rows.
struct Q4_0Kernel {
  template <int R, int T>
  UMA_TARGET_AVX2 static void tile(const GemmArgs& g, int64_t r0, int64_t t0) {
    const BlockQ4_0* w[R];
    const BlockQ8_0* a[T];
    for (int i = 0; i < R; ++i) w[i] = reinterpret_cast<const BlockQ4_0*>(g.w + (size_t)(r0 + i) * g.w_stride);
    for (int j = 0; j < T; ++j) a[j] = reinterpret_cast<const BlockQ8_0*>(g.a + (size_t)(t0 + j) * g.a_stride);
    // Lane half 0 keeps the low nibbles (elements 0..15), half 1 shifts in the high (16..31).
    const __m256i shift = _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4);
    const __m256i m4 = _mm256_set1_epi8(0x0F), eight = _mm256_set1_epi8(8);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[R][T];
    for (int i = 0; i < R; ++i)
      for (int j = 0; j < T; ++j) acc[i][j] = _mm256_setzero_ps();
    alignas(32) float s[R * T][kChunk];
    const int64_t nb = g.n / kQK4_0;
    for (int64_t b0 = 0; b0 < nb; b0 += kChunk) {
      const int nc = (int)std::min<int64_t>(kChunk, nb - b0);
      legacy_scales<BlockQ4_0, R, T>(w, a, b0, nc, s);
      for (int b = 0; b < nc; ++b) {
        __m256i y[T], yo[T];
        for (int j = 0; j < T; ++j) {
          y[j] = load256(a[j][b0 + b].qs);
          yo[j] = _mm256_maddubs_epi16(eight, y[j]);
        }
        for (int i = 0; i < R; ++i) {
          const __m256i raw = _mm256_broadcastsi128_si256(load128(w[i][b0 + b].qs));
          const __m256i q = _mm256_and_si256(_mm256_srlv_epi32(raw, shift), m4);
          for (int j = 0; j < T; ++j) {
            const __m256i p16 = _mm256_sub_epi16(_mm256_maddubs_epi16(q, y[j]), yo[j]);
            const __m256 p = _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, ones));
            acc[i][j] = _mm256_fmadd_ps(p, _mm256_broadcast_ss(&s[i * T + j][b]), acc[i][j]);
          }
        }
      }
    }
    const float tail[R][T] = {};
    store_tile<R, T>(g, r0, t0, acc, tail);
  }
};

// Q8_0: signed x signed; maddubs takes |x| and moves x's sign onto y (|x| <= 127 after
// llama.cpp's quantizer, and 128 * 127 * 2 still fits the int16 pair sums).
struct Q8_0Kernel {
  template <int R, int T>
  UMA_TARGET_AVX2 static void tile(const GemmArgs& g, int64_t r0, int64_t t0) {
    const BlockQ8_0* w[R];
    const BlockQ8_0* a[T];
    for (int i = 0; i < R; ++i) w[i] = reinterpret_cast<const BlockQ8_0*>(g.w + (size_t)(r0 + i) * g.w_stride);
    for (int j = 0; j < T; ++j) a[j] = reinterpret_cast<const BlockQ8_0*>(g.a + (size_t)(t0 + j) * g.a_stride);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[R][T];
    for (int i = 0; i < R; ++i)
      for (int j = 0; j < T; ++j) acc[i][j] = _mm256_setzero_ps();
    alignas(32) float s[R * T][kChunk];
    const int64_t nb = g.n / kQK8_0;
    for (int64_t b0 = 0; b0 < nb; b0 += kChunk) {
      const int nc = (int)std::min<int64_t>(kChunk, nb - b0);
      legacy_scales<BlockQ8_0, R, T>(w, a, b0, nc, s);
      for (int b = 0; b < nc; ++b) {
        __m256i y[T];
        for (int j = 0; j < T; ++j) y[j] = load256(a[j][b0 + b].qs);
        for (int i = 0; i < R; ++i) {
          const __m256i x = load256(w[i][b0 + b].qs);
          const __m256i ax = _mm256_sign_epi8(x, x);
          for (int j = 0; j < T; ++j) {
            const __m256i p16 = _mm256_maddubs_epi16(ax, _mm256_sign_epi8(y[j], x));
            const __m256 p = _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, ones));
            acc[i][j] = _mm256_fmadd_ps(p, _mm256_broadcast_ss(&s[i * T + j][b]), acc[i][j]);
          }
        }
      }
    }
    const float tail[R][T] = {};
    store_tile<R, T>(g, r0, t0, acc, tail);
  }
};

// ---- K-quants against Q8_K activations (256-element super-blocks). ----

// int16 element e of a 128-bit lane broadcast over that lane: pshufb control bytes (2e, 2e+1).
UMA_TARGET_AVX2 inline __m256i bcast16_ctl(int lo, int hi) {
  const __m128i l = _mm_set1_epi16((int16_t)((2 * lo) | ((2 * lo + 1) << 8)));
  const __m128i h = _mm_set1_epi16((int16_t)((2 * hi) | ((2 * hi + 1) << 8)));
  return _mm256_set_m128i(h, l);
}

// Q4_K: the 12 packed scale bytes unpack into 8 six-bit scales and 8 mins with four 32-bit
// mask/shift expressions (no per-sub-block loop); mins meet Q8_K's bsums, summed in pairs, in
// one madd, and enter the accumulator as -dmin * dy * sum(m * bsum).
struct Q4_KKernel {
  template <int R, int T>
  UMA_TARGET_AVX2 static void tile(const GemmArgs& g, int64_t r0, int64_t t0) {
    const BlockQ4_K* w[R];
    const BlockQ8_K* a[T];
    for (int i = 0; i < R; ++i) w[i] = reinterpret_cast<const BlockQ4_K*>(g.w + (size_t)(r0 + i) * g.w_stride);
    for (int j = 0; j < T; ++j) a[j] = reinterpret_cast<const BlockQ8_K*>(g.a + (size_t)(t0 + j) * g.a_stride);
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    __m256 acc[R][T];
    for (int i = 0; i < R; ++i)
      for (int j = 0; j < T; ++j) acc[i][j] = _mm256_setzero_ps();
    const int64_t nb = g.n / kQK_K;
    for (int64_t b = 0; b < nb; ++b) {
      __m128i bs[T];  // bsums of each 32-element sub-block: 8 x int16
      for (int j = 0; j < T; ++j)
        bs[j] = _mm_hadd_epi16(load128(a[j][b].bsums), load128(a[j][b].bsums + 8));
      for (int i = 0; i < R; ++i) {
        const BlockQ4_K& x = w[i][b];
        uint32_t u[3];
        std::memcpy(u, x.scales, 12);
        const uint32_t sc_lo = u[0] & 0x3f3f3f3f, m_lo = u[1] & 0x3f3f3f3f;
        const uint32_t sc_hi = (u[2] & 0x0f0f0f0f) | ((u[0] >> 2) & 0x30303030);
        const uint32_t m_hi = ((u[2] >> 4) & 0x0f0f0f0f) | ((u[1] >> 2) & 0x30303030);
        const __m256i sm = _mm256_cvtepu8_epi16(_mm_setr_epi32((int)sc_lo, (int)sc_hi, (int)m_lo, (int)m_hi));
        const __m128i mins = _mm256_extracti128_si256(sm, 1);
        const __m256i sc = _mm256_permute2x128_si256(sm, sm, 0x00);
        __m256i isum[T];
        for (int j = 0; j < T; ++j) isum[j] = _mm256_setzero_si256();
        for (int c = 0; c < 4; ++c) {
          const __m256i q4 = load256(x.qs + 32 * c);
          const __m256i lo = _mm256_and_si256(q4, m4);
          const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q4, 4), m4);
          const __m256i s_lo = _mm256_shuffle_epi8(sc, bcast16_ctl(2 * c, 2 * c));
          const __m256i s_hi = _mm256_shuffle_epi8(sc, bcast16_ctl(2 * c + 1, 2 * c + 1));
          for (int j = 0; j < T; ++j) {
            const __m256i p_lo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, load256(a[j][b].qs + 64 * c)), s_lo);
            const __m256i p_hi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, load256(a[j][b].qs + 64 * c + 32)), s_hi);
            isum[j] = _mm256_add_epi32(isum[j], _mm256_add_epi32(p_lo, p_hi));
          }
        }
        const float d = _cvtsh_ss(x.d), dmin = _cvtsh_ss(x.dmin);
        for (int j = 0; j < T; ++j) {
          const __m256i msum = _mm256_zextsi128_si256(_mm_madd_epi16(mins, bs[j]));
          acc[i][j] = _mm256_fmadd_ps(_mm256_set1_ps(d * a[j][b].d), _mm256_cvtepi32_ps(isum[j]), acc[i][j]);
          acc[i][j] = _mm256_fnmadd_ps(_mm256_set1_ps(dmin * a[j][b].d), _mm256_cvtepi32_ps(msum), acc[i][j]);
        }
      }
    }
    const float tail[R][T] = {};
    store_tile<R, T>(g, r0, t0, acc, tail);
  }
};

// Q6_K: quants rebuilt unsigned (0..63); the -32 offset leaves as 32 * sum_g scale_g * bsum_g,
// one 16-lane madd per super-block. The 16 int8 scales widen once to int16 and reach each
// 32-element group by one pshufb (low lane scale g, high lane g + 1).
struct Q6_KKernel {
  template <int R, int T>
  UMA_TARGET_AVX2 static void tile(const GemmArgs& g, int64_t r0, int64_t t0) {
    const BlockQ6_K* w[R];
    const BlockQ8_K* a[T];
    for (int i = 0; i < R; ++i) w[i] = reinterpret_cast<const BlockQ6_K*>(g.w + (size_t)(r0 + i) * g.w_stride);
    for (int j = 0; j < T; ++j) a[j] = reinterpret_cast<const BlockQ8_K*>(g.a + (size_t)(t0 + j) * g.a_stride);
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x03);
    __m256 acc[R][T];
    for (int i = 0; i < R; ++i)
      for (int j = 0; j < T; ++j) acc[i][j] = _mm256_setzero_ps();
    const int64_t nb = g.n / kQK_K;
    for (int64_t b = 0; b < nb; ++b) {
      for (int i = 0; i < R; ++i) {
        const BlockQ6_K& x = w[i][b];
        const __m256i sc16 = _mm256_cvtepi8_epi16(load128(x.scales));
        __m256i isum[T];
        for (int j = 0; j < T; ++j)
          isum[j] = _mm256_sub_epi32(_mm256_setzero_si256(),
                                     _mm256_slli_epi32(_mm256_madd_epi16(sc16, load256(a[j][b].bsums)), 5));
        for (int half = 0; half < 2; ++half) {
          // The immediate must be a compile-time constant at -O0/-O1 (sanitizer builds): pick, don't compute.
          const __m256i sc = half ? _mm256_permute2x128_si256(sc16, sc16, 0x11)
                                  : _mm256_permute2x128_si256(sc16, sc16, 0x00);
          const uint8_t* ql = x.ql + 64 * half;
          const __m256i l0 = load256(ql), l1 = load256(ql + 32), h = load256(x.qh + 32 * half);
          __m256i q[4];
          q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(h, m2), 4));
          q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4),
                                 _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), m2), 4));
          q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                                 _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), m2), 4));
          q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                 _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), m2), 4));
          for (int k = 0; k < 4; ++k) {
            const __m256i s = _mm256_shuffle_epi8(sc, bcast16_ctl(2 * k, 2 * k + 1));
            for (int j = 0; j < T; ++j) {
              const __m256i yv = load256(a[j][b].qs + 128 * half + 32 * k);
              isum[j] = _mm256_add_epi32(isum[j], _mm256_madd_epi16(_mm256_maddubs_epi16(q[k], yv), s));
            }
          }
        }
        const float d = _cvtsh_ss(x.d);
        for (int j = 0; j < T; ++j)
          acc[i][j] = _mm256_fmadd_ps(_mm256_set1_ps(d * a[j][b].d), _mm256_cvtepi32_ps(isum[j]), acc[i][j]);
      }
    }
    const float tail[R][T] = {};
    store_tile<R, T>(g, r0, t0, acc, tail);
  }
};


// ---- Q4_0x8 (repack.h): 8 rows interleaved by 4 packed bytes. One maddubs multiplies 8 rows x
// 4 elements by a broadcast 4-byte activation group, so a block of 8 rows costs 8 maddubs, 7
// int16 adds (|sum| <= 8 * 2 * 15 * 128 fits) and one madd/convert/FMA, with the rows landing in
// the 8 lanes: no per-row horizontal sum. The -8 offset leaves as 8 * sum(y) per activation
// block, computed once per call and shared by all row groups. ----

template <int T, int G>
UMA_TARGET_AVX2 inline void q4_0_x8_tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb,
                                         const int32_t* ysum8) {
  const BlockQ4_0x8* w[G];
  x8::group_ptrs(g, grp, w);
  const BlockQ8_0* a[T];
  x8::act_ptrs(g, t0, a);
  const __m256i m4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
  __m256 acc[G][T];
  x8::zero_acc(acc);
  for (int64_t b = 0; b < nb; ++b) {
    for (int r = 0; r < G; ++r) {
      const BlockQ4_0x8& x = w[r][b];
      if constexpr (T == 1) prefetch_ahead_part<1>(&x, 0);
      const __m256 dw = _mm256_cvtph_ps(load128(x.d));
      __m256i q[8];
      for (int k = 0; k < 4; ++k) {
        const __m256i raw = load256_reg(x.qs + 32 * k);
        q[k] = _mm256_and_si256(raw, m4);
        q[4 + k] = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
      }
      for (int j = 0; j < T; ++j) {
        const int8_t* y = a[j][b].qs;
        __m256i s = _mm256_maddubs_epi16(q[0], bcast4(y));
        for (int k = 1; k < 8; ++k)
          s = _mm256_add_epi16(s, _mm256_maddubs_epi16(q[k], bcast4(y + 4 * k)));
        const __m256i isum = _mm256_sub_epi32(_mm256_madd_epi16(s, ones),
                                              _mm256_set1_epi32(ysum8[(t0 + j) * nb + b]));
        acc[r][j] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(_cvtsh_ss(a[j][b].d))),
                                    _mm256_cvtepi32_ps(isum), acc[r][j]);
      }
    }
  }
  x8::store_groups(g, grp, t0, acc);
}


// Q4_Kx8 (repack.h): per sub-block, 8 maddubs of 8 rows x 4 nibbles by broadcast activation
// groups summed in int16 (<= 8 * 2 * 15 * 128), one madd by the rows' scales (int16 pairs
// (s, s) per row); mins meet the activation's 32-element sums in 4 madds of (m, m') pairs.
// Sub-block sb's 8 row scales as int16 pairs (s, s) per 32-bit lane, for madd against int16 sums:
// one shuffle of the broadcast pair of sub-blocks (was widen + shift + or).
UMA_TARGET_AVX2 inline __m256i q4k_scales(const BlockQ4_Kx8& x, int sb) {
  const __m256i two = bcast_pair(x.scales[sb & ~1]);
  return (sb & 1) ? row_bytes(two, kCtlU16Pair<8>) : row_bytes(two, kCtlU16Pair<0>);
}

template <int T, int G>
UMA_TARGET_AVX2 inline void q4_k_x8_tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t* pairs) {
  const BlockQ4_Kx8* w[G];
  x8::group_ptrs(g, grp, w);
  const BlockQ8_K* a[T];
  x8::act_ptrs(g, t0, a);
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  __m256 acc[G][T];
  x8::zero_acc(acc);
  for (int64_t b = 0; b < nb; ++b) {
    for (int r = 0; r < G; ++r) {
      const BlockQ4_Kx8& x = w[r][b];
      __m256i isum[T];
      for (int j = 0; j < T; ++j) isum[j] = _mm256_setzero_si256();
      // One token: sub-blocks in pairs (2c: low nibbles, 2c + 1: high nibbles of the same bytes),
      // each 32-byte load feeding both (bench_matmul decode +18%). Token tiles: one sub-block at a
      // time, T accumulators live instead of 2T (pairs there looked ~5% slower for prefill in a
      // noisy A/B; not settled).
      for (int c = 0; c < 4; ++c) {
        if constexpr (T == 1) {
          prefetch_ahead_part<4>(&x, c);
          __m256i lo16 = _mm256_setzero_si256(), hi16 = _mm256_setzero_si256();
          for (int gg = 0; gg < 8; ++gg) {
            const __m256i raw = load256_reg(x.qs + 32 * (8 * c + gg));
            const int8_t* y = a[0][b].qs + 64 * c + 4 * gg;
            lo16 = _mm256_add_epi16(lo16, _mm256_maddubs_epi16(_mm256_and_si256(raw, m4), bcast4(y)));
            hi16 = _mm256_add_epi16(hi16, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(raw, 4), m4), bcast4(y + 32)));
          }
          isum[0] = _mm256_add_epi32(isum[0], _mm256_add_epi32(_mm256_madd_epi16(lo16, q4k_scales(x, 2 * c)),
                                                               _mm256_madd_epi16(hi16, q4k_scales(x, 2 * c + 1))));
        } else {
          for (int hi = 0; hi < 2; ++hi) {
            __m256i s16[T];
            for (int j = 0; j < T; ++j) s16[j] = _mm256_setzero_si256();
            for (int gg = 0; gg < 8; ++gg) {
              const __m256i raw = load256(x.qs + 32 * (8 * c + gg));
              const __m256i q = hi ? _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4) : _mm256_and_si256(raw, m4);
              for (int j = 0; j < T; ++j)
                s16[j] = _mm256_add_epi16(s16[j], _mm256_maddubs_epi16(q, bcast4(a[j][b].qs + 64 * c + 32 * hi + 4 * gg)));
            }
            const __m256i sc = q4k_scales(x, 2 * c + hi);
            for (int j = 0; j < T; ++j) isum[j] = _mm256_add_epi32(isum[j], _mm256_madd_epi16(s16[j], sc));
          }
        }
      }
      x8::q4k_x8_finish<T>(x, a, b, nb, t0, pairs, isum, acc[r]);
    }
  }
  x8::store_groups(g, grp, t0, acc);
}


// Q8_0x8 (repack.h): signed x signed, so maddubs takes |w| and moves w's sign onto the broadcast
// activation group; each product pair (<= 2 * 127 * 128) goes straight to int32 with madd.
template <int T, int G>
UMA_TARGET_AVX2 inline void q8_0_x8_tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb) {
  const BlockQ8_0x8* w[G];
  x8::group_ptrs(g, grp, w);
  const BlockQ8_0* a[T];
  x8::act_ptrs(g, t0, a);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[G][T];
  x8::zero_acc(acc);
  for (int64_t b = 0; b < nb; ++b) {
    for (int r = 0; r < G; ++r) {
      const BlockQ8_0x8& x = w[r][b];
      if constexpr (T == 1) prefetch_ahead_part<1>(&x, 0);
      __m256i isum[T];
      for (int j = 0; j < T; ++j) isum[j] = _mm256_setzero_si256();
      for (int k = 0; k < 8; ++k) {
        const __m256i wv = load256(x.qs + 32 * k);
        const __m256i aw = _mm256_sign_epi8(wv, wv);
        for (int j = 0; j < T; ++j) {
          const __m256i p = _mm256_maddubs_epi16(aw, _mm256_sign_epi8(bcast4(a[j][b].qs + 4 * k), wv));
          isum[j] = _mm256_add_epi32(isum[j], _mm256_madd_epi16(p, ones));
        }
      }
      const __m256 dw = _mm256_cvtph_ps(load128(x.d));
      for (int j = 0; j < T; ++j)
        acc[r][j] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(_cvtsh_ss(a[j][b].d))),
                                    _mm256_cvtepi32_ps(isum[j]), acc[r][j]);
    }
  }
  x8::store_groups(g, grp, t0, acc);
}


// Q6_Kx8 (repack.h). Prefill unpacks each 8-row group once per token block into bytes (q + 32,
// Q6Bytes: q[32 g + 4 r + j] = row r's element 4 g + j) and runs token tiles on those, so the
// bit work is shared by up to kTokBlock tokens; decode (one token) rebuilds the bytes in registers.
// Per 16-element sub-block, two pairs of maddubs (<= 2 * 2 * 63 * 128 in int16) meet the rows'
// scales in two madds; the +32 leaves as 32 * sum_sb scale * bsum, 8 madds of (s, s') pairs
// against the activation's 16-element sums.

struct Q6Bytes {
  f16_bits d[8];
  int8_t scales[16][8];
  uint8_t q[2048];
};

// Sub-block sb's 8 row scales (signed) as int16 pairs (s, s) per 32-bit lane, for madd against
// int16 sums: shuffled into the high bytes and shifted down arithmetically (sign-extends).
UMA_TARGET_AVX2 inline __m256i q6k_scales(const int8_t (&scales)[16][8], int sb) {
  const __m256i two = bcast_pair(scales[sb & ~1]);
  return _mm256_srai_epi16((sb & 1) ? row_bytes(two, kCtlS16Pair<8>) : row_bytes(two, kCtlS16Pair<0>), 8);
}

// -32 * sum_sb scale * bsum for the 8 rows (the offset of the unsigned quants).
UMA_TARGET_AVX2 inline __m256i q6k_offset(const int8_t (&scales)[16][8], const BlockQ8_K& a) {
  __m256i s = _mm256_setzero_si256();
  for (int p = 0; p < 8; ++p) {
    const __m256i ss = _mm256_srai_epi16(row_bytes(bcast_pair(scales[2 * p]), kCtlS16Pairs), 8);
    int32_t pair;  // (bsum 2p, bsum 2p + 1) as the int16 pair of one 32-bit lane
    std::memcpy(&pair, a.bsums + 2 * p, 4);
    s = _mm256_add_epi32(s, _mm256_madd_epi16(ss, _mm256_set1_epi32(pair)));
  }
  return _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(s, 5));
}

// The four byte vectors of nibble chunks 8p + 2u and 8p + 2u + 1 (repack.h): elements
// 64p + 8u + j, 64p + 32 + 8u + j, 64p + 8u + 4 + j, 64p + 36 + 8u + j of each row (lane r).
// 16-bit shifts spill bits into the neighbouring byte only outside the masks.
UMA_TARGET_AVX2 inline void q6k_unpack4(const BlockQ6_Kx8& x, int p, int u, __m256i (&v)[4]) {
  const __m256i m4 = _mm256_set1_epi8(0x0F), m30 = _mm256_set1_epi8(0x30);
  const __m256i h = load256(x.qh + 32 * (4 * p + u));
  const __m256i l0 = load256(x.ql + 32 * (8 * p + 2 * u)), l1 = load256(x.ql + 32 * (8 * p + 2 * u + 1));
  v[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(h, 4), m30));
  v[1] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(_mm256_slli_epi16(h, 2), m30));
  v[2] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(h, m30));
  v[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), _mm256_and_si256(_mm256_srli_epi16(h, 2), m30));
}

// nb blocks of one group into bytes (for the prefill tiles).
UMA_TARGET_AVX2 inline void q6k_unpack_group(const BlockQ6_Kx8* x, int64_t nb, Q6Bytes* out) {
  for (int64_t b = 0; b < nb; ++b) {
    std::memcpy(out[b].d, x[b].d, sizeof out[b].d);
    std::memcpy(out[b].scales, x[b].scales, sizeof out[b].scales);
    for (int p = 0; p < 4; ++p)
      for (int u = 0; u < 4; ++u) {
        __m256i v[4];
        q6k_unpack4(x[b], p, u, v);
        uint8_t* q = out[b].q + 32 * (16 * p + 2 * u);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), v[0]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + 32), v[2]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + 32 * 8), v[1]);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + 32 * 9), v[3]);
      }
  }
}

// T tokens against one unpacked group.
template <int T>
UMA_TARGET_AVX2 inline void q6_k_bytes_tile(const GemmArgs& g, const Q6Bytes* w, int64_t grp, int64_t t0, int64_t nb) {
  const BlockQ8_K* a[T];
  x8::act_ptrs(g, t0, a);
  __m256 acc[T];
  for (int j = 0; j < T; ++j) acc[j] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const Q6Bytes& x = w[b];
    __m256i isum[T];
    for (int j = 0; j < T; ++j) isum[j] = q6k_offset(x.scales, a[j][b]);
    for (int sb = 0; sb < 16; ++sb) {
      const __m256i sc = q6k_scales(x.scales, sb);
      const __m256i q0 = load256(x.q + 32 * (4 * sb)), q1 = load256(x.q + 32 * (4 * sb + 1));
      const __m256i q2 = load256(x.q + 32 * (4 * sb + 2)), q3 = load256(x.q + 32 * (4 * sb + 3));
      for (int j = 0; j < T; ++j) {
        const int8_t* y = a[j][b].qs + 16 * sb;
        const __m256i s01 = _mm256_add_epi16(_mm256_maddubs_epi16(q0, bcast4(y)), _mm256_maddubs_epi16(q1, bcast4(y + 4)));
        const __m256i s23 = _mm256_add_epi16(_mm256_maddubs_epi16(q2, bcast4(y + 8)), _mm256_maddubs_epi16(q3, bcast4(y + 12)));
        isum[j] = _mm256_add_epi32(isum[j], _mm256_add_epi32(_mm256_madd_epi16(s01, sc), _mm256_madd_epi16(s23, sc)));
      }
    }
    const __m256 d = _mm256_cvtph_ps(load128(x.d));
    for (int j = 0; j < T; ++j)
      acc[j] = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(a[j][b].d)), _mm256_cvtepi32_ps(isum[j]), acc[j]);
  }
  for (int j = 0; j < T; ++j) _mm256_storeu_ps(g.out + (size_t)(t0 + j) * g.ldo + (size_t)grp * 8, acc[j]);
}

// One token against G groups, unpacking in registers: per quarter p and half w of it, sub-block
// 4p + w takes the low-nibble vectors of chunks u = 2w, 2w + 1, sub-block 4p + 2 + w the high ones.
template <int G>
UMA_TARGET_AVX2 inline void q6_k_x8_decode(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb) {
  const BlockQ6_Kx8* w[G];
  x8::group_ptrs(g, grp, w);
  const BlockQ8_K* a = reinterpret_cast<const BlockQ8_K*>(g.a + (size_t)t0 * g.a_stride);
  __m256 acc[G];
  for (int r = 0; r < G; ++r) acc[r] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    for (int r = 0; r < G; ++r) {
      const BlockQ6_Kx8& x = w[r][b];
      __m256i isum = q6k_offset(x.scales, a[b]);
      for (int p = 0; p < 4; ++p)
        for (int hw = 0; hw < 2; ++hw) {
          // Spread over the 8 steps (4 lines each), not the block's 27 lines at once: bench_matmul
          // 2 threads 40-43 GMAC/s spread vs 30-34 as one burst.
          prefetch_ahead_part<8>(&x, 2 * p + hw);
          __m256i v0[4], v1[4];
          q6k_unpack4(x, p, 2 * hw, v0);
          q6k_unpack4(x, p, 2 * hw + 1, v1);
          const int8_t* y = a[b].qs + 64 * p + 16 * hw;
          const __m256i lo01 = _mm256_add_epi16(_mm256_maddubs_epi16(v0[0], bcast4(y)), _mm256_maddubs_epi16(v0[2], bcast4(y + 4)));
          const __m256i lo23 = _mm256_add_epi16(_mm256_maddubs_epi16(v1[0], bcast4(y + 8)), _mm256_maddubs_epi16(v1[2], bcast4(y + 12)));
          const __m256i hi01 = _mm256_add_epi16(_mm256_maddubs_epi16(v0[1], bcast4(y + 32)), _mm256_maddubs_epi16(v0[3], bcast4(y + 36)));
          const __m256i hi23 = _mm256_add_epi16(_mm256_maddubs_epi16(v1[1], bcast4(y + 40)), _mm256_maddubs_epi16(v1[3], bcast4(y + 44)));
          const __m256i slo = q6k_scales(x.scales, 4 * p + hw), shi = q6k_scales(x.scales, 4 * p + 2 + hw);
          isum = _mm256_add_epi32(isum, _mm256_add_epi32(_mm256_madd_epi16(lo01, slo), _mm256_madd_epi16(lo23, slo)));
          isum = _mm256_add_epi32(isum, _mm256_add_epi32(_mm256_madd_epi16(hi01, shi), _mm256_madd_epi16(hi23, shi)));
        }
      acc[r] = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_cvtph_ps(load128(x.d)), _mm256_set1_ps(a[b].d)),
                               _mm256_cvtepi32_ps(isum), acc[r]);
    }
  }
  for (int r = 0; r < G; ++r) _mm256_storeu_ps(g.out + (size_t)t0 * g.ldo + (size_t)(grp + r) * 8, acc[r]);
}


// The interleaved kernels behind one signature (ysum8: Q4_0's activation block sums, else null):
// T tokens against G groups of 8 rows.
struct Q4_0x8Tiles {
  template <int T, int G>
  UMA_TARGET_AVX2 static void tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t* ys) {
    q4_0_x8_tile<T, G>(g, grp, t0, nb, ys);
  }
};
struct Q4_Kx8Tiles {
  template <int T, int G>
  UMA_TARGET_AVX2 static void tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t* ys) {
    q4_k_x8_tile<T, G>(g, grp, t0, nb, ys);
  }
};
struct Q6_Kx8Tiles {
  // The group the token tiles work on, unpacked by begin_group (one buffer per thread).
  static inline thread_local std::vector<Q6Bytes> unpacked;
  UMA_TARGET_AVX2 static void begin_group(const GemmArgs& g, int64_t grp, int64_t nb) {
    if ((int64_t)unpacked.size() < nb) unpacked.resize((size_t)nb);
    q6k_unpack_group(reinterpret_cast<const BlockQ6_Kx8*>(g.w + (size_t)grp * g.w_stride), nb, unpacked.data());
  }
  template <int T, int G>
  UMA_TARGET_AVX2 static void tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t*) {
    if constexpr (T == 1) {
      q6_k_x8_decode<G>(g, grp, t0, nb);
    } else {
      static_assert(G == 1);
      q6_k_bytes_tile<T>(g, unpacked.data(), grp, t0, nb);
    }
  }
};
struct Q8_0x8Tiles {
  template <int T, int G>
  UMA_TARGET_AVX2 static void tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t*) {
    q8_0_x8_tile<T, G>(g, grp, t0, nb);
  }
};

}  // namespace

UMA_TARGET_AVX2 void gemm_f32(const GemmArgs& g) { drive<FloatKernel<float>, kTokTile>(g); }
UMA_TARGET_AVX2 void gemm_f16(const GemmArgs& g) { drive<FloatKernel<uint16_t>, kTokTile>(g); }
UMA_TARGET_AVX2 void gemm_q4_0(const GemmArgs& g) { drive<Q4_0Kernel, kTokTile>(g); }
UMA_TARGET_AVX2 void gemm_q8_0(const GemmArgs& g) { drive<Q8_0Kernel, kTokTile>(g); }
UMA_TARGET_AVX2 void gemm_q4_k(const GemmArgs& g) { drive<Q4_KKernel, kTokTile>(g); }
UMA_TARGET_AVX2 void gemm_q6_k(const GemmArgs& g) { drive<Q6_KKernel, kTokTile>(g); }

UMA_TARGET_AVX2 void gemm_q4_k_x8(const GemmArgs& g) {
  const int64_t nb = g.n / kQK_K;
  thread_local x8::ActSums<int32_t> pairs;
  const int32_t* pairs_p = pairs.get(g, nb, [&](std::vector<int32_t>& v) { x8::q8_k_min_pairs(g, nb, v); });
  drive_x8<Q4_Kx8Tiles>(g, nb, pairs_p);
}

UMA_TARGET_AVX2 void gemm_q6_k_x8(const GemmArgs& g) { drive_x8<Q6_Kx8Tiles>(g, g.n / kQK_K, nullptr); }

UMA_TARGET_AVX2 void gemm_q8_0_x8(const GemmArgs& g) { drive_x8<Q8_0x8Tiles>(g, g.n / kQK8_0, nullptr); }

UMA_TARGET_AVX2 void gemm_q4_0_x8(const GemmArgs& g) {
  const int64_t nb = g.n / kQK4_0;
  thread_local x8::ActSums<int32_t> ysum8;
  const int32_t* ysum8_p = ysum8.get(g, nb, [&](std::vector<int32_t>& v) { x8::q8_0_block_sums(g, nb, 8, v); });
  drive_x8<Q4_0x8Tiles>(g, nb, ysum8_p);
}

}  // namespace uma::quant::avx2

#else  // not x86: never called (quant_gemm.cpp hands these out only on AVX2 CPUs)

namespace uma::quant::avx2 {
void gemm_f32(const GemmArgs&) {}
void gemm_f16(const GemmArgs&) {}
void gemm_q4_0(const GemmArgs&) {}
void gemm_q8_0(const GemmArgs&) {}
void gemm_q4_k(const GemmArgs&) {}
void gemm_q6_k(const GemmArgs&) {}
void gemm_q4_0_x8(const GemmArgs&) {}
void gemm_q4_k_x8(const GemmArgs&) {}
void gemm_q8_0_x8(const GemmArgs&) {}
void gemm_q6_k_x8(const GemmArgs&) {}
}  // namespace uma::quant::avx2

#endif

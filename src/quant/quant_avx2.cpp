// AVX2/FMA/F16C dot products for every weight type with a scalar reference, compiled per function with target attributes so the portable build still runs everywhere;
// quant_simd.cpp only hands them out when the CPU reports AVX2+FMA+F16C. Each computes the same
// per-block integer sums as the scalar reference in quant_legacy.cpp / quant_k_dot.cpp and then
// accumulates the scaled block sums in 8 float lanes, so results differ only in float rounding.
#include "quant/quant_avx2.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#include <cstring>

#include "core/f16.h"
#include "quant/quant_impl.h"

#define UMA_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace uma::quant::avx2 {

namespace {

UMA_TARGET_AVX2 inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

UMA_TARGET_AVX2 inline float f16(uint16_t h) { return _cvtsh_ss(h); }

// 32 signed bytes x 32 signed bytes -> 8 int32 lanes of 4-product sums. maddubs needs an unsigned
// left operand, so move x's sign onto y; |x| <= 127 keeps the int16 pair sums from saturating.
UMA_TARGET_AVX2 inline __m256i dot_i8(__m256i x, __m256i y) {
  const __m256i ax = _mm256_sign_epi8(x, x);
  const __m256i sy = _mm256_sign_epi8(y, x);
  return _mm256_madd_epi16(_mm256_maddubs_epi16(ax, sy), _mm256_set1_epi16(1));
}

// 16 bytes of packed nibbles -> 32 bytes: low nibbles first (elements 0..15), then high (16..31).
UMA_TARGET_AVX2 inline __m256i unpack_nibbles(const uint8_t* p) {
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m256i both = _mm256_set_m128i(_mm_srli_epi16(b, 4), b);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

// 32 bits -> 32 bytes, byte j = 0x10 if bit j is set else 0 (the 5th bit of Q5_0/Q5_1 quants).
UMA_TARGET_AVX2 inline __m256i bits_to_0x10(const uint8_t* p) {
  uint32_t bits;
  std::memcpy(&bits, p, 4);
  // Byte j takes byte j/8 of `bits`, then tests bit j%8 of it.
  const __m256i shuf = _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101,
                                          0x0202020202020202, 0x0303030303030303);
  const __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), shuf);
  const __m256i bit = _mm256_set1_epi64x((int64_t)0x8040201008040201);
  const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit);
  return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

// Unsigned bytes u (0..255, here <= 63) times signed bytes y, summed over each 16-element half
// and weighted by scale_lo / scale_hi: lanes of int32 partial sums (exact).
UMA_TARGET_AVX2 inline __m256i dot_u8_scaled2(__m256i u, __m256i y, int scale_lo, int scale_hi) {
  const __m256i scales =
      _mm256_set_m128i(_mm_set1_epi16((int16_t)scale_hi), _mm_set1_epi16((int16_t)scale_lo));
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, y), scales);
}

// 8 bf16 -> 8 floats: bf16 is the top half of an f32.
UMA_TARGET_AVX2 inline __m256 bf16x8(const uint16_t* p) {
  const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

UMA_TARGET_AVX2 inline __m256i load256(const void* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

}  // namespace

UMA_TARGET_AVX2 float vec_dot_f32(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const float*>(w);
  const auto* y = static_cast<const float*>(a);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int k = 0; k < 4; ++k) {
      acc[k] = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8 * k), _mm256_loadu_ps(y + i + 8 * k),
                               acc[k]);
    }
  }
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; i < n; ++i) sum += x[i] * y[i];
  return sum;
}

UMA_TARGET_AVX2 float vec_dot_f16(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int k = 0; k < 4; ++k) {
      const __m256 xv = _mm256_cvtph_ps(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i + 8 * k)));
      const __m256 yv = _mm256_cvtph_ps(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(y + i + 8 * k)));
      acc[k] = _mm256_fmadd_ps(xv, yv, acc[k]);
    }
  }
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; i < n; ++i) sum += f16(x[i]) * f16(y[i]);
  return sum;
}

UMA_TARGET_AVX2 float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ8_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    const __m256i qx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs));
    const __m256i qy = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[i].qs));
    const __m256 d = _mm256_set1_ps(f16(x[i].d) * f16(y[i].d));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot_i8(qx, qy)), acc);
  }
  return hsum(acc);
}

UMA_TARGET_AVX2 float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  __m256 acc = _mm256_setzero_ps();
  const __m256i off = _mm256_set1_epi8(8);
  for (int64_t i = 0; i < n / kQK4_0; ++i) {
    const __m256i qx = _mm256_sub_epi8(unpack_nibbles(x[i].qs), off);  // -8 .. 7
    const __m256i qy = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[i].qs));
    const __m256 d = _mm256_set1_ps(f16(x[i].d) * f16(y[i].d));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot_i8(qx, qy)), acc);
  }
  return hsum(acc);
}

// Q4_K: per 64-element chunk c, the low nibbles (sub-block 2c) and high nibbles (2c+1) are dotted
// with Q8_K's bytes by maddubs (unsigned 4-bit x signed 8-bit), weighted by their 6-bit scales in
// madd; the mins fold in through bsums in scalar code (8 products per super-block).
UMA_TARGET_AVX2 float vec_dot_q4_k_q8_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m256i mask = _mm256_set1_epi8(0x0F);
  __m256 acc = _mm256_setzero_ps();
  float acc_min = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; ++j) impl::k4_scale_min(j, x[i].scales, &sc[j], &m[j]);
    int msum = 0;
    for (int j = 0; j < 8; ++j) msum += m[j] * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
    __m256i isum = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      const __m256i q4 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs + 32 * c));
      const __m256i lo = _mm256_and_si256(q4, mask);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q4, 4), mask);
      const __m256i y_lo =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[i].qs + 64 * c));
      const __m256i y_hi =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[i].qs + 64 * c + 32));
      const __m256i p_lo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, y_lo),
                                             _mm256_set1_epi16(sc[2 * c]));
      const __m256i p_hi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, y_hi),
                                             _mm256_set1_epi16(sc[2 * c + 1]));
      isum = _mm256_add_epi32(isum, _mm256_add_epi32(p_lo, p_hi));
    }
    const float d = f16(x[i].d) * y[i].d;
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum), acc);
    acc_min += (f16(x[i].dmin) * y[i].d) * msum;
  }
  return hsum(acc) - acc_min;
}

// Q6_K: quants are rebuilt unsigned (0..63) from ql/qh and dotted by maddubs; the -32 offset is
// taken out afterwards as 32 * sum_g scale_g * bsum_g, which Q8_K's bsums give for free.
UMA_TARGET_AVX2 float vec_dot_q6_k_q8_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ6_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i m2 = _mm256_set1_epi8(0x03);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int offset_sum = 0;
    for (int g = 0; g < 16; ++g) offset_sum += x[i].scales[g] * y[i].bsums[g];
    __m256i isum = _mm256_setzero_si256();
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = x[i].ql + 64 * half;
      const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
      const __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 32));
      const __m256i h =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qh + 32 * half));
      // Elements 0..31, 32..63, 64..95, 96..127 of this half.
      __m256i q[4];
      q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4),
                             _mm256_slli_epi16(_mm256_and_si256(h, m2), 4));
      q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4),
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), m2), 4));
      q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), m2), 4));
      q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                             _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), m2), 4));
      for (int k = 0; k < 4; ++k) {
        const int g = 8 * half + 2 * k;  // scale of the first 16 of these 32 elements
        const __m256i yv = _mm256_loadu_si256(
            reinterpret_cast<const __m256i*>(y[i].qs + 128 * half + 32 * k));
        // int16 lanes 0..7 cover elements 0..15 (scale g), lanes 8..15 elements 16..31 (g + 1).
        const __m256i scales = _mm256_set_m128i(_mm_set1_epi16(x[i].scales[g + 1]),
                                                _mm_set1_epi16(x[i].scales[g]));
        isum = _mm256_add_epi32(isum,
                                _mm256_madd_epi16(_mm256_maddubs_epi16(q[k], yv), scales));
      }
    }
    isum = _mm256_sub_epi32(isum, _mm256_setr_epi32(32 * offset_sum, 0, 0, 0, 0, 0, 0, 0));
    const float d = f16(x[i].d) * y[i].d;
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(isum), acc);
  }
  return hsum(acc);
}

UMA_TARGET_AVX2 float vec_dot_bf16(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc[0] = _mm256_fmadd_ps(bf16x8(x + i), bf16x8(y + i), acc[0]);
    acc[1] = _mm256_fmadd_ps(bf16x8(x + i + 8), bf16x8(y + i + 8), acc[1]);
  }
  float sum = hsum(_mm256_add_ps(acc[0], acc[1]));
  for (; i < n; ++i) sum += bf16_to_f32(x[i]) * bf16_to_f32(y[i]);
  return sum;
}

// Q4_1 / Q5_1 quants are unsigned, so maddubs takes them directly; the min enters as m * s.
UMA_TARGET_AVX2 float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_1*>(w);
  const auto* y = static_cast<const BlockQ8_1*>(a);
  __m256 acc = _mm256_setzero_ps();
  float acc_m = 0;
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t i = 0; i < n / kQK4_1; ++i) {
    const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(unpack_nibbles(x[i].qs),
                                                             load256(y[i].qs)), ones);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(f16(x[i].d) * f16(y[i].d)), _mm256_cvtepi32_ps(p), acc);
    acc_m += f16(x[i].m) * f16(y[i].s);
  }
  return hsum(acc) + acc_m;
}

UMA_TARGET_AVX2 float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  __m256 acc = _mm256_setzero_ps();
  const __m256i off = _mm256_set1_epi8(16);
  for (int64_t i = 0; i < n / kQK5_0; ++i) {
    const __m256i q = _mm256_or_si256(unpack_nibbles(x[i].qs), bits_to_0x10(x[i].qh));
    const __m256i qx = _mm256_sub_epi8(q, off);  // -16 .. 15
    const __m256 d = _mm256_set1_ps(f16(x[i].d) * f16(y[i].d));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot_i8(qx, load256(y[i].qs))), acc);
  }
  return hsum(acc);
}

UMA_TARGET_AVX2 float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_1*>(w);
  const auto* y = static_cast<const BlockQ8_1*>(a);
  __m256 acc = _mm256_setzero_ps();
  float acc_m = 0;
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t i = 0; i < n / kQK5_1; ++i) {
    const __m256i q = _mm256_or_si256(unpack_nibbles(x[i].qs), bits_to_0x10(x[i].qh));
    const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(q, load256(y[i].qs)), ones);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(f16(x[i].d) * f16(y[i].d)), _mm256_cvtepi32_ps(p), acc);
    acc_m += f16(x[i].m) * f16(y[i].s);
  }
  return hsum(acc) + acc_m;
}

// IQ4_NL: the 16-entry grid is a byte shuffle table; values are within +-127 so dot_i8 applies.
UMA_TARGET_AVX2 float vec_dot_iq4_nl_q8_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockIQ4_NL*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  const __m128i table = _mm_loadu_si128(reinterpret_cast<const __m128i*>(kIQ4NLValues));
  const __m256i table2 = _mm256_set_m128i(table, table);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK4_NL; ++i) {
    const __m256i qx = _mm256_shuffle_epi8(table2, unpack_nibbles(x[i].qs));
    const __m256 d = _mm256_set1_ps(f16(x[i].d) * f16(y[i].d));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(dot_i8(qx, load256(y[i].qs))), acc);
  }
  return hsum(acc);
}

// Q2_K: per 128-half, shift k of the 32 packed bytes gives elements 32k..32k+31 (two 16-groups);
// mins fold in through bsums.
UMA_TARGET_AVX2 float vec_dot_q2_k_q8_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ2_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m256i m3 = _mm256_set1_epi8(3);
  __m256 acc = _mm256_setzero_ps();
  float acc_min = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const uint8_t* sc = x[i].scales;
    int msum = 0;
    for (int g = 0; g < 16; ++g) msum += (sc[g] >> 4) * y[i].bsums[g];
    __m256i isum = _mm256_setzero_si256();
    for (int half = 0; half < 2; ++half) {
      const __m256i bits = load256(x[i].qs + 32 * half);
      for (int k = 0; k < 4; ++k) {
        const __m256i q = _mm256_and_si256(_mm256_srli_epi16(bits, 2 * k), m3);
        const int g = 8 * half + 2 * k;
        const __m256i yv = load256(y[i].qs + 128 * half + 32 * k);
        isum = _mm256_add_epi32(isum, dot_u8_scaled2(q, yv, sc[g] & 0xF, sc[g + 1] & 0xF));
      }
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * f16(x[i].d)), _mm256_cvtepi32_ps(isum), acc);
    acc_min += (y[i].d * f16(x[i].dmin)) * msum;
  }
  return hsum(acc) - acc_min;
}

// Q3_K: quants rebuilt unsigned as lo2 + 4*hbit (0..7); the -4 offset comes out as
// 4 * sum_g scale_g * bsum_g.
UMA_TARGET_AVX2 float vec_dot_q3_k_q8_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ3_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m256i m3 = _mm256_set1_epi8(3);
  const __m256i m1 = _mm256_set1_epi8(1);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int8_t sc[16];
    impl::q3_k_scales(x[i].scales, sc);
    int offset_sum = 0;
    for (int g = 0; g < 16; ++g) offset_sum += sc[g] * y[i].bsums[g];
    const __m256i hmask = load256(x[i].hmask);
    __m256i isum = _mm256_setzero_si256();
    for (int half = 0; half < 2; ++half) {
      const __m256i bits = load256(x[i].qs + 32 * half);
      for (int k = 0; k < 4; ++k) {
        const __m256i lo = _mm256_and_si256(_mm256_srli_epi16(bits, 2 * k), m3);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(hmask, 4 * half + k), m1);
        const __m256i q = _mm256_or_si256(lo, _mm256_slli_epi16(hi, 2));
        const int g = 8 * half + 2 * k;
        const __m256i yv = load256(y[i].qs + 128 * half + 32 * k);
        isum = _mm256_add_epi32(isum, dot_u8_scaled2(q, yv, sc[g], sc[g + 1]));
      }
    }
    isum = _mm256_sub_epi32(isum, _mm256_setr_epi32(4 * offset_sum, 0, 0, 0, 0, 0, 0, 0));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(f16(x[i].d) * y[i].d), _mm256_cvtepi32_ps(isum), acc);
  }
  return hsum(acc);
}

// Q5_K: Q4_K plus the 5th bit from qh (bit 2c for the low nibbles of chunk c, 2c+1 for high).
UMA_TARGET_AVX2 float vec_dot_q5_k_q8_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ5_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i m1 = _mm256_set1_epi8(1);
  __m256 acc = _mm256_setzero_ps();
  float acc_min = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; ++j) impl::k4_scale_min(j, x[i].scales, &sc[j], &m[j]);
    int msum = 0;
    for (int j = 0; j < 8; ++j) msum += m[j] * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
    const __m256i qh = load256(x[i].qh);
    __m256i isum = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      const __m256i q4 = load256(x[i].qs + 32 * c);
      const __m256i h_lo = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), m1);
      const __m256i h_hi = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), m1);
      const __m256i lo = _mm256_or_si256(_mm256_and_si256(q4, m4), _mm256_slli_epi16(h_lo, 4));
      const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q4, 4), m4),
                                         _mm256_slli_epi16(h_hi, 4));
      const __m256i p_lo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, load256(y[i].qs + 64 * c)),
                                             _mm256_set1_epi16(sc[2 * c]));
      const __m256i p_hi = _mm256_madd_epi16(
          _mm256_maddubs_epi16(hi, load256(y[i].qs + 64 * c + 32)), _mm256_set1_epi16(sc[2 * c + 1]));
      isum = _mm256_add_epi32(isum, _mm256_add_epi32(p_lo, p_hi));
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(f16(x[i].d) * y[i].d), _mm256_cvtepi32_ps(isum), acc);
    acc_min += (f16(x[i].dmin) * y[i].d) * msum;
  }
  return hsum(acc) - acc_min;
}

bool cpu_supported() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
}

}  // namespace uma::quant::avx2

#else  // not x86: stubs, never called (cpu_supported() is false)

namespace uma::quant::avx2 {
bool cpu_supported() { return false; }
float vec_dot_f32(int64_t, const void*, const void*) { return 0; }
float vec_dot_f16(int64_t, const void*, const void*) { return 0; }
float vec_dot_q8_0_q8_0(int64_t, const void*, const void*) { return 0; }
float vec_dot_q4_0_q8_0(int64_t, const void*, const void*) { return 0; }
float vec_dot_q4_k_q8_k(int64_t, const void*, const void*) { return 0; }
float vec_dot_q6_k_q8_k(int64_t, const void*, const void*) { return 0; }
float vec_dot_bf16(int64_t, const void*, const void*) { return 0; }
float vec_dot_q4_1_q8_1(int64_t, const void*, const void*) { return 0; }
float vec_dot_q5_0_q8_0(int64_t, const void*, const void*) { return 0; }
float vec_dot_q5_1_q8_1(int64_t, const void*, const void*) { return 0; }
float vec_dot_iq4_nl_q8_0(int64_t, const void*, const void*) { return 0; }
float vec_dot_q2_k_q8_k(int64_t, const void*, const void*) { return 0; }
float vec_dot_q3_k_q8_k(int64_t, const void*, const void*) { return 0; }
float vec_dot_q5_k_q8_k(int64_t, const void*, const void*) { return 0; }
}  // namespace uma::quant::avx2

#endif

// AVX2 activation quantizers (Q8_0 for the legacy types, Q8_K for the K-quants), called once per
// matmul on the calling thread before the others are woken, so they sit on every decode step's
// critical path. Each reproduces its scalar reference byte for byte: the same float products
// (no FMA), round-to-nearest-even conversions (cvtps_epi32 under the default MXCSR, like
// nearbyint and nearest_int), and the scalar code's scale arithmetic.
#include "quant/quant_avx2.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#include <cstring>

#include "quant/blocks.h"
#include "quant/quant_impl.h"

#define UMA_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace uma::quant::avx2 {

namespace {

UMA_TARGET_AVX2 inline float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

// 32 int32 (four vectors, elements in order) -> 32 int8 in order, saturating like the clamps.
UMA_TARGET_AVX2 inline __m256i pack32(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
  return _mm256_permutevar8x32_epi32(_mm256_packs_epi16(ab, cd), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

}  // namespace

UMA_TARGET_AVX2 void quantize_act_q8_0(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ8_0*>(dst);
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  for (int64_t i = 0; i < n / kQK8_0; ++i, x += kQK8_0) {
    __m256 v[4];
    for (int k = 0; k < 4; ++k) v[k] = _mm256_loadu_ps(x + 8 * k);
    const __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_and_ps(v[0], abs_mask), _mm256_and_ps(v[1], abs_mask)),
                                   _mm256_max_ps(_mm256_and_ps(v[2], abs_mask), _mm256_and_ps(v[3], abs_mask)));
    const float amax = hmax(m);
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    y[i].d = impl::to_fp16(amax / 127.0f);
    const __m256 s = _mm256_set1_ps(id);
    __m256i q[4];
    for (int k = 0; k < 4; ++k) q[k] = _mm256_cvtps_epi32(_mm256_mul_ps(v[k], s));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[i].qs), pack32(q[0], q[1], q[2], q[3]));
  }
}

UMA_TARGET_AVX2 void quantize_q8_k(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockQ8_K*>(dst);
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    __m256 m = _mm256_setzero_ps();
    for (int k = 0; k < kQK_K; k += 8) m = _mm256_max_ps(m, _mm256_and_ps(_mm256_loadu_ps(x + k), abs_mask));
    const float amax = hmax(m);
    if (amax == 0) {
      std::memset(&y[i], 0, sizeof(BlockQ8_K));
      continue;
    }
    // The reference keeps the sign of the first element reaching amax.
    float max = 0;
    const __m256 am = _mm256_set1_ps(amax);
    for (int k = 0; k < kQK_K; k += 8) {
      const int hit = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_and_ps(_mm256_loadu_ps(x + k), abs_mask), am, _CMP_EQ_OQ));
      if (hit) {
        max = x[k + __builtin_ctz((unsigned)hit)];
        break;
      }
    }
    const float iscale = -127.f / max;
    const __m256 s = _mm256_set1_ps(iscale);
    for (int g = 0; g < kQK_K; g += 64) {
      __m256i q[8];
      for (int k = 0; k < 8; ++k) q[k] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + g + 8 * k), s));
      // min(127, .) as in the reference (the low end cannot pass -128: |iscale * x| <= 127 + ulps).
      for (int k = 0; k < 8; ++k) q[k] = _mm256_min_epi32(q[k], _mm256_set1_epi32(127));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[i].qs + g), pack32(q[0], q[1], q[2], q[3]));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[i].qs + g + 32), pack32(q[4], q[5], q[6], q[7]));
      // bsums of the four 16-element groups: pairwise sums, then three hadds leave
      // [g0 g1 g2 g3] half-sums in each 128-bit lane.
      const __m256i s0 = _mm256_add_epi32(q[0], q[1]), s1 = _mm256_add_epi32(q[2], q[3]);
      const __m256i s2 = _mm256_add_epi32(q[4], q[5]), s3 = _mm256_add_epi32(q[6], q[7]);
      const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(s0, s1), _mm256_hadd_epi32(s2, s3));
      const __m128i sums = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
      alignas(16) int32_t out[4];
      _mm_store_si128(reinterpret_cast<__m128i*>(out), sums);
      for (int k = 0; k < 4; ++k) y[i].bsums[g / 16 + k] = (int16_t)out[k];
    }
    y[i].d = 1 / iscale;
  }
}

}  // namespace uma::quant::avx2

#else

namespace uma::quant::avx2 {
void quantize_act_q8_0(const float*, void*, int64_t) {}
void quantize_q8_k(const float*, void*, int64_t) {}
}  // namespace uma::quant::avx2

#endif

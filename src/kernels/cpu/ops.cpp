// The row ops in ops.h: scalar f32 math with double accumulation where it is cheap and keeps
// results close to the float64 references; softmax and SwiGLU take an AVX2 exp when the CPU has it.
#include "kernels/cpu/ops.h"

#include <cmath>

#include "kernels/cpu/exp_poly.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define UMA_OPS_X86 1
#endif

namespace uma::kernels {

namespace {
#if UMA_OPS_X86
#define UMA_TARGET_AVX2 __attribute__((target("avx2,fma")))
const bool kAvx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");

// exp of 8 floats (exp_poly.h: 2^k · e^r, Taylor to r^7, within a few float ulps of std::exp).
// Below exp_poly::kMin (where e^x is under FLT_MIN) the result is 0.
UMA_TARGET_AVX2 inline __m256 exp8(__m256 x) {
  namespace ep = exp_poly;
  const __m256 lo = _mm256_set1_ps(ep::kMin);
  const __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  x = _mm256_min_ps(_mm256_max_ps(x, lo), _mm256_set1_ps(ep::kMax));
  const __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(ep::kLog2e)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(ep::kLn2Hi), x);
  r = _mm256_fnmadd_ps(k, _mm256_set1_ps(ep::kLn2Lo), r);
  __m256 p = _mm256_set1_ps(ep::kTaylorTop);
#pragma GCC unroll 8
  for (const float c : ep::kTaylor) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(under, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
}

// x[i] = exp(x[i] - mx) for i < n rounded down to 8; returns their sum: in float over 1024
// values at a time (8 lanes of 128 terms <= 1 each: relative error at most ~1e-5, far below the
// f16 rounding attention applies next), then in double. A double add per vector cost 4 more
// operations per ~20 of the exp itself, in a loop that attention at depth spends a fifth of its
// time in. The caller does the tail.
UMA_TARGET_AVX2 double exp_sub_sum_avx2(float* x, int64_t n8, float mx) {
  const __m256 m = _mm256_set1_ps(mx);
  double sum = 0.0;
  for (int64_t c = 0; c < n8; c += 1024) {
    const int64_t ce = c + 1024 < n8 ? c + 1024 : n8;
    __m256 s = _mm256_setzero_ps();
    for (int64_t i = c; i < ce; i += 8) {
      const __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), m));
      _mm256_storeu_ps(x + i, e);
      s = _mm256_add_ps(s, e);
    }
    const __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    alignas(16) float f[4];
    _mm_store_ps(f, h);
    sum += ((double)f[0] + f[1]) + ((double)f[2] + f[3]);
  }
  return sum;
}

// max(x[0..n8)) ignoring NaN like the scalar loop (max_ps returns its second operand on NaN).
UMA_TARGET_AVX2 float max_avx2(const float* x, int64_t n8, float mx) {
  __m256 m = _mm256_set1_ps(mx);
  for (int64_t i = 0; i < n8; i += 8) m = _mm256_max_ps(_mm256_loadu_ps(x + i), m);
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  h = _mm_max_ss(h, _mm_movehdup_ps(h));
  return _mm_cvtss_f32(h);
}

UMA_TARGET_AVX2 void scale_avx2(float* x, int64_t n8, float s) {
  const __m256 v = _mm256_set1_ps(s);
  for (int64_t i = 0; i < n8; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), v));
}

UMA_TARGET_AVX2 void swiglu_avx2(const float* gate, const float* up, float* out, int64_t n8) {
  const __m256 one = _mm256_set1_ps(1.0f);
  for (int64_t i = 0; i < n8; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_loadu_ps(up + i)));
  }
}
#else
const bool kAvx2 = false;
double exp_sub_sum_avx2(float*, int64_t, float) { return 0.0; }
float max_avx2(const float*, int64_t, float mx) { return mx; }
void scale_avx2(float*, int64_t, float) {}
void swiglu_avx2(const float*, const float*, float*, int64_t) {}
#endif
}  // namespace

void rms_norm(const float* x, const float* w, float* out, int64_t n, float eps) {
  double ss = 0.0;
  for (int64_t i = 0; i < n; i++) ss += (double)x[i] * x[i];
  const float scale = (float)(1.0 / std::sqrt(ss / (double)n + (double)eps));
  for (int64_t i = 0; i < n; i++) out[i] = x[i] * scale * w[i];
}

void rope_angles(int32_t pos, const RopeParams& p, float* cs) {
  const int32_t half = p.n_rot / 2;
  for (int32_t i = 0; i < half; i++) {
    double theta = (double)pos * std::pow((double)p.base, -2.0 * i / p.n_rot) * p.freq_scale;
    if (p.freq_factors) theta /= p.freq_factors[i];
    cs[i] = (float)std::cos(theta);
    cs[half + i] = (float)std::sin(theta);
  }
}

void rope_apply(float* x, const float* cs, const RopeParams& p) {
  const int32_t half = p.n_rot / 2;
  for (int32_t i = 0; i < half; i++) {
    const float c = cs[i], s = cs[half + i];
    float* a = p.neox ? &x[i] : &x[2 * i];
    float* b = p.neox ? &x[i + half] : &x[2 * i + 1];
    const float x0 = *a, x1 = *b;
    *a = x0 * c - x1 * s;
    *b = x0 * s + x1 * c;
  }
}

double softmax(float* x, int64_t n) {
  const int64_t n8 = kAvx2 ? n / 8 * 8 : 0;
  float mx = n8 ? max_avx2(x, n8, -INFINITY) : -INFINITY;
  for (int64_t i = n8; i < n; i++) mx = x[i] > mx ? x[i] : mx;
  const double sum = exp_sub_sum(x, n, mx);
  const float inv = (float)(1.0 / sum);
  if (n8) scale_avx2(x, n8, inv);
  for (int64_t i = n8; i < n; i++) x[i] *= inv;
  return mx + std::log(sum);
}

double exp_sub_sum(float* x, int64_t n, float mx) {
  const int64_t n8 = kAvx2 ? n / 8 * 8 : 0;
  double sum = n8 ? exp_sub_sum_avx2(x, n8, mx) : 0.0;
  for (int64_t i = n8; i < n; i++) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  return sum;
}

void swiglu(const float* gate, const float* up, float* out, int64_t n) {
  const int64_t n8 = kAvx2 ? n / 8 * 8 : 0;
  if (n8) swiglu_avx2(gate, up, out, n8);
  for (int64_t i = n8; i < n; i++) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void add_inplace(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] += x[i];
}

}  // namespace uma::kernels

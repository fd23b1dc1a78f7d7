// vec_f16.h: AVX2/F16C versions chosen once from CPUID, with the scalar loops as reference and
// fallback (non-x86 CPUs, or x86 without AVX2/FMA/F16C).
#include "kernels/cpu/vec_f16.h"

#include "core/f16.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace uma::kernels {

namespace {

float dot_scalar(const float* q, const uint16_t* k, int64_t n) {
  float s = 0.f;
  for (int64_t c = 0; c < n; c++) s += q[c] * f16_to_f32(k[c]);
  return s;
}

void axpy_scalar(float p, const uint16_t* v, float* acc, int64_t n) {
  for (int64_t c = 0; c < n; c++) acc[c] += p * f16_to_f32(v[c]);
}

#if defined(__x86_64__) || defined(__i386__)
#define UMA_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))

bool has_avx2_f16c() {
  __builtin_cpu_init();
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 29)) != 0;
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c;
}

UMA_TARGET_AVX2 float dot_avx2(const float* q, const uint16_t* k, int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  int64_t c = 0;
  for (; c + 16 <= n; c += 16) {
    const __m256 k0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(k + c)));
    const __m256 k1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(k + c + 8)));
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + c), k0, a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + c + 8), k1, a1);
  }
  const __m256 a = _mm256_add_ps(a0, a1);
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  float sum = _mm_cvtss_f32(s);
  for (; c < n; c++) sum += q[c] * _cvtsh_ss(k[c]);
  return sum;
}

UMA_TARGET_AVX2 void axpy_avx2(float p, const uint16_t* v, float* acc, int64_t n) {
  const __m256 pv = _mm256_set1_ps(p);
  int64_t c = 0;
  for (; c + 8 <= n; c += 8) {
    const __m256 x = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + c)));
    // mul then add (no FMA): the scalar loop rounds the product first.
    _mm256_storeu_ps(acc + c, _mm256_add_ps(_mm256_loadu_ps(acc + c), _mm256_mul_ps(pv, x)));
  }
  for (; c < n; c++) acc[c] += p * _cvtsh_ss(v[c]);
}

// M heads at a time with dot_avx2's exact lane structure (two 8-lane accumulators per head,
// summed in the same order), so each result equals dot_avx2's bit for bit.
template <int M>
UMA_TARGET_AVX2 void dot_heads_avx2(const float* q, int64_t qs, const uint16_t* k, int64_t n, float* out) {
  __m256 a0[M], a1[M];
  for (int h = 0; h < M; h++) a0[h] = a1[h] = _mm256_setzero_ps();
  int64_t c = 0;
  for (; c + 16 <= n; c += 16) {
    const __m256 k0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(k + c)));
    const __m256 k1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(k + c + 8)));
    for (int h = 0; h < M; h++) {
      a0[h] = _mm256_fmadd_ps(_mm256_loadu_ps(q + h * qs + c), k0, a0[h]);
      a1[h] = _mm256_fmadd_ps(_mm256_loadu_ps(q + h * qs + c + 8), k1, a1[h]);
    }
  }
  for (int h = 0; h < M; h++) {
    const __m256 a = _mm256_add_ps(a0[h], a1[h]);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    float sum = _mm_cvtss_f32(s);
    for (int64_t r = c; r < n; r++) sum += q[h * qs + r] * _cvtsh_ss(k[r]);
    out[h] = sum;
  }
}

UMA_TARGET_AVX2 void axpy_heads_avx2(const float* p, const uint16_t* v, float* acc, int64_t as, int m,
                                     int64_t n) {
  int64_t c = 0;
  for (; c + 8 <= n; c += 8) {
    const __m256 x = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + c)));
    for (int h = 0; h < m; h++) {
      float* a = acc + h * as + c;
      _mm256_storeu_ps(a, _mm256_add_ps(_mm256_loadu_ps(a), _mm256_mul_ps(_mm256_set1_ps(p[h]), x)));
    }
  }
  for (; c < n; c++)
    for (int h = 0; h < m; h++) acc[h * as + c] += p[h] * _cvtsh_ss(v[c]);
}

UMA_TARGET_AVX2 void round_avx2(float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(x + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT)));
  for (; i < n; i++) x[i] = f16_to_f32(f32_to_f16(x[i]));
}

const bool kAvx2 = has_avx2_f16c();
#else
void round_avx2(float* x, int64_t n) {
  for (int64_t i = 0; i < n; i++) x[i] = f16_to_f32(f32_to_f16(x[i]));
}
constexpr bool kAvx2 = false;
float dot_avx2(const float* q, const uint16_t* k, int64_t n) { return dot_scalar(q, k, n); }
void axpy_avx2(float p, const uint16_t* v, float* acc, int64_t n) { axpy_scalar(p, v, acc, n); }
template <int M>
void dot_heads_avx2(const float* q, int64_t qs, const uint16_t* k, int64_t n, float* out) {
  for (int h = 0; h < M; h++) out[h] = dot_scalar(q + h * qs, k, n);
}
void axpy_heads_avx2(const float* p, const uint16_t* v, float* acc, int64_t as, int m, int64_t n) {
  for (int h = 0; h < m; h++) axpy_scalar(p[h], v, acc + h * as, n);
}
#endif

}  // namespace

float dot_f32_f16(const float* q, const uint16_t* k, int64_t n) {
  return kAvx2 ? dot_avx2(q, k, n) : dot_scalar(q, k, n);
}

void axpy_f16(float p, const uint16_t* v, float* acc, int64_t n) {
  if (kAvx2) {
    axpy_avx2(p, v, acc, n);
  } else {
    axpy_scalar(p, v, acc, n);
  }
}

void round_f16(float* x, int64_t n) {
  if (kAvx2) {
    round_avx2(x, n);
  } else {
    for (int64_t i = 0; i < n; i++) x[i] = f16_to_f32(f32_to_f16(x[i]));
  }
}

void dot_f32_f16_heads(const float* q, int64_t q_stride, int m, const uint16_t* k, int64_t n,
                       float* out) {
  if (!kAvx2) {
    for (int h = 0; h < m; h++) out[h] = dot_scalar(q + h * q_stride, k, n);
    return;
  }
  int h = 0;
  for (; h + 4 <= m; h += 4) dot_heads_avx2<4>(q + h * q_stride, q_stride, k, n, out + h);
  for (; h + 2 <= m; h += 2) dot_heads_avx2<2>(q + h * q_stride, q_stride, k, n, out + h);
  for (; h < m; h++) out[h] = dot_avx2(q + h * q_stride, k, n);
}

void axpy_f16_heads(const float* p, const uint16_t* v, float* acc, int64_t acc_stride, int m,
                    int64_t n) {
  if (!kAvx2) {
    for (int h = 0; h < m; h++) axpy_scalar(p[h], v, acc + h * acc_stride, n);
    return;
  }
  axpy_heads_avx2(p, v, acc, acc_stride, m, n);
}

}  // namespace uma::kernels

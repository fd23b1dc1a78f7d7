// f32_to_f16_rows (core/f16.h): F16C eight at a time where the CPU has it, the scalar conversion
// elsewhere and for the tail. Both round to nearest even, so the results are the same bits.
#include "core/f16.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace uma {

#if defined(__x86_64__) || defined(__i386__)
namespace {
__attribute__((target("avx,f16c"))) int64_t f32_to_f16_f16c(const float* x, uint16_t* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  return i;
}
const bool kF16c = cpu_has_f16c();
}  // namespace
#endif

bool cpu_has_f16c() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  // clang's __builtin_cpu_supports has no "f16c": CPUID leaf 1, ECX bit 29.
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 29)) != 0 && __builtin_cpu_supports("avx");
#else
  return false;
#endif
}

void f32_to_f16_rows(const float* x, uint16_t* y, int64_t n) {
  int64_t i = 0;
#if defined(__x86_64__) || defined(__i386__)
  if (kF16c) i = f32_to_f16_f16c(x, y, n);
#endif
  for (; i < n; i++) y[i] = f32_to_f16(x[i]);
}

}  // namespace uma

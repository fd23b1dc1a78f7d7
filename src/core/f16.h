// IEEE-754 half (f16) and bfloat16 (bf16) conversions, scalar and exact
// (round-to-nearest-even on the way down, as F16C's _cvtss_sh with mode 0 and ggml do).
#pragma once

#include <cstdint>
#include <cstring>

namespace uma {

inline uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float f32_from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  if (exp == 0) {
    if (mant == 0) return f32_from_bits(sign);
    // Subnormal half: normalise.
    int e = -1;
    do {
      e++;
      mant <<= 1;
    } while ((mant & 0x400) == 0);
    mant &= 0x3ff;
    return f32_from_bits(sign | (uint32_t)(127 - 15 - e) << 23 | mant << 13);
  }
  if (exp == 31) return f32_from_bits(sign | 0x7f800000u | mant << 13);
  return f32_from_bits(sign | (exp + 127 - 15) << 23 | mant << 13);
}

inline uint16_t f32_to_f16(float f) {
  const uint32_t x = f32_bits(f);
  const uint32_t sign = (x >> 16) & 0x8000;
  const uint32_t absx = x & 0x7fffffff;
  if (absx >= 0x7f800000u) {  // Inf or NaN
    return (uint16_t)(sign | 0x7c00 | (absx > 0x7f800000u ? 0x200 | ((absx >> 13) & 0x3ff) : 0));
  }
  if (absx >= 0x477ff000u) return (uint16_t)(sign | 0x7c00);  // rounds to >= 65520 -> Inf
  const int32_t exp = (int32_t)(absx >> 23) - 127;
  if (exp < -14) {
    // Result is subnormal (or zero) in half precision.
    if (exp < -25) return (uint16_t)sign;
    const uint32_t mant = (absx & 0x7fffff) | 0x800000;
    const int shift = -exp - 14 + 13;  // bits to drop
    uint32_t r = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1))) r++;
    return (uint16_t)(sign | r);
  }
  uint32_t r = ((uint32_t)(exp + 15) << 10) | ((absx >> 13) & 0x3ff);
  const uint32_t rem = absx & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) r++;  // may carry into exponent: correct
  return (uint16_t)(sign | r);
}

inline float bf16_to_f32(uint16_t h) { return f32_from_bits((uint32_t)h << 16); }

inline uint16_t f32_to_bf16(float f) {
  uint32_t u = f32_bits(f);
  if ((u & 0x7fffffff) > 0x7f800000u) return (uint16_t)((u >> 16) | 64);  // quiet NaN
  return (uint16_t)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
}

// y[i] = f32_to_f16(x[i]) for i < n, with F16C on x86 CPUs that have it (the same bits, faster:
// the KV cache converts every stored K and V row, quantize to F16 every row). In f16_rows.cpp.
void f32_to_f16_rows(const float* x, uint16_t* y, int64_t n);

// Whether this CPU (x86) has F16C and AVX, read from CPUID (clang's __builtin_cpu_supports
// knows no "f16c"); false elsewhere.
bool cpu_has_f16c();

}  // namespace uma

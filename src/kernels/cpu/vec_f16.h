// f16 row helpers for attention over an f16 KV cache: q·k and acc += p·v with the cache row
// widened 8 lanes at a time (F16C on AVX2 CPUs, scalar elsewhere). Shapes: [n] rows.
#pragma once

#include <cstdint>

namespace uma::kernels {

// sum_c q[c] * k[c]; q: [n] f32 (already rounded to f16 by the caller), k: [n] f16 bits.
// The SIMD version sums in 8 lanes, so rounding differs from a serial loop in the last bits.
float dot_f32_f16(const float* q, const uint16_t* k, int64_t n);

// acc[c] += p * v[c]; v: [n] f16 bits. Each lane does the scalar loop's multiply then add, so
// results are bit-identical to it.
void axpy_f16(float p, const uint16_t* v, float* acc, int64_t n);

// x[i] = f16_to_f32(f32_to_f16(x[i])): rounds to f16 and back (F16C 8 at a time on AVX2).
void round_f16(float* x, int64_t n);

// The same for m query heads that share one K/V row (grouped-query attention): each K/V row is
// widened once for all m. out[h] = dot_f32_f16(q + h * q_stride, k, n), acc + h * acc_stride
// += p[h] * v, with results bit-identical to the one-head calls.
void dot_f32_f16_heads(const float* q, int64_t q_stride, int m, const uint16_t* k, int64_t n,
                       float* out);
void axpy_f16_heads(const float* p, const uint16_t* v, float* acc, int64_t acc_stride, int m,
                    int64_t n);

}  // namespace uma::kernels

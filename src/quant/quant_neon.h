// Internal to src/quant: the ARM NEON dot products (quant_neon.cpp), each in two builds — plain
// Armv8 NEON and Armv8.2 dotprod (sdot) — with the same integer block sums as the scalar
// reference. Only compiled on aarch64; quant_simd.cpp picks the dotprod set when HWCAP has it.
#pragma once

#include <cstdint>

namespace uma::quant::neon {

bool cpu_has_dotprod();

// Plain NEON (every aarch64 CPU).
float vec_dot_f32(int64_t n, const void* w, const void* a);
float vec_dot_f16(int64_t n, const void* w, const void* a);
float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a);
float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a);
float vec_dot_q4_k_q8_k(int64_t n, const void* w, const void* a);
float vec_dot_q6_k_q8_k(int64_t n, const void* w, const void* a);

// Armv8.2 dotprod versions of the integer kernels (call only when cpu_has_dotprod()).
float vec_dot_q4_0_q8_0_dot(int64_t n, const void* w, const void* a);
float vec_dot_q8_0_q8_0_dot(int64_t n, const void* w, const void* a);
float vec_dot_q4_k_q8_k_dot(int64_t n, const void* w, const void* a);
float vec_dot_q6_k_q8_k_dot(int64_t n, const void* w, const void* a);

}  // namespace uma::quant::neon

// Runtime choice of SIMD dot products (see quant_simd.h): the CPU is probed once, and types
// without a SIMD version fall back to the scalar reference in quant.cpp.
#include "quant/quant_simd.h"

#include "quant/quant_avx2.h"
#if defined(__aarch64__)
#include "quant/quant_neon.h"
#endif

namespace uma::quant {

#if defined(__aarch64__)
// NEON is part of every aarch64 CPU; sdot (Armv8.2 dotprod) is probed from HWCAP once.
VecDotFn simd_vec_dot(DType t) {
  static const bool dot = neon::cpu_has_dotprod();
  switch (t) {
    case DType::F32: return neon::vec_dot_f32;
    case DType::F16: return neon::vec_dot_f16;
    case DType::Q4_0: return dot ? neon::vec_dot_q4_0_q8_0_dot : neon::vec_dot_q4_0_q8_0;
    case DType::Q8_0: return dot ? neon::vec_dot_q8_0_q8_0_dot : neon::vec_dot_q8_0_q8_0;
    case DType::Q4_K: return dot ? neon::vec_dot_q4_k_q8_k_dot : neon::vec_dot_q4_k_q8_k;
    case DType::Q6_K: return dot ? neon::vec_dot_q6_k_q8_k_dot : neon::vec_dot_q6_k_q8_k;
    default: return nullptr;
  }
}
#else
VecDotFn simd_vec_dot(DType t) {
  static const bool has_avx2 = avx2::cpu_supported();
  if (!has_avx2) return nullptr;
  switch (t) {
    case DType::F32: return avx2::vec_dot_f32;
    case DType::F16: return avx2::vec_dot_f16;
    case DType::Q8_0: return avx2::vec_dot_q8_0_q8_0;
    case DType::Q4_0: return avx2::vec_dot_q4_0_q8_0;
    case DType::Q4_K: return avx2::vec_dot_q4_k_q8_k;
    case DType::Q6_K: return avx2::vec_dot_q6_k_q8_k;
    case DType::BF16: return avx2::vec_dot_bf16;
    case DType::Q4_1: return avx2::vec_dot_q4_1_q8_1;
    case DType::Q5_0: return avx2::vec_dot_q5_0_q8_0;
    case DType::Q5_1: return avx2::vec_dot_q5_1_q8_1;
    case DType::IQ4_NL: return avx2::vec_dot_iq4_nl_q8_0;
    case DType::Q2_K: return avx2::vec_dot_q2_k_q8_k;
    case DType::Q3_K: return avx2::vec_dot_q3_k_q8_k;
    case DType::Q5_K: return avx2::vec_dot_q5_k_q8_k;
    default: return nullptr;
  }
}
#endif

}  // namespace uma::quant

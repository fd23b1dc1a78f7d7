// Internal to src/quant: AVX2/FMA/F16C tile kernels behind quant_gemm.h (quant_avx2_gemm.cpp).
// Call only when avx2::cpu_supported() is true.
#pragma once

#include "quant/quant_gemm.h"

namespace uma::quant::avx2 {

void gemm_f32(const GemmArgs& g);
void gemm_f16(const GemmArgs& g);
void gemm_q4_0(const GemmArgs& g);
void gemm_q8_0(const GemmArgs& g);
void gemm_q4_k(const GemmArgs& g);
void gemm_q6_k(const GemmArgs& g);
void gemm_q4_0_x8(const GemmArgs& g);  // repack.h layouts
void gemm_q4_k_x8(const GemmArgs& g);
void gemm_q8_0_x8(const GemmArgs& g);
void gemm_q6_k_x8(const GemmArgs& g);

}  // namespace uma::quant::avx2

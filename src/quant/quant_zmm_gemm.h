// Internal to src/quant: prefill tiles for the x8 layouts on 512-bit vectors
// (quant_zmm_gemm.cpp); fewer than 4 tokens go to the VNNI kernels. Call only when
// zmm::cpu_supported() is true.
#pragma once

#include "quant/quant_gemm.h"

namespace uma::quant::zmm {

// vnni::cpu_supported() (AVX-512 F/VL/BW/VNNI).
bool cpu_supported();
// Supported and measured faster than the 256-bit kernels on this kind of CPU: repack.cpp lists
// these first then, otherwise after the VNNI ones (still run by the tests).
bool cpu_prefers();

void gemm_q4_0_x8(const GemmArgs& g);  // repack.h layouts, as the vnni:: ones
void gemm_q4_k_x8(const GemmArgs& g);
void gemm_q8_0_x8(const GemmArgs& g);
void gemm_q6_k_x8(const GemmArgs& g);

}  // namespace uma::quant::zmm

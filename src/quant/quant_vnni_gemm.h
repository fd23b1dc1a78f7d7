// Internal to src/quant: AVX-512 VNNI (256-bit, AVX-512VL) kernels for the x8 layouts
// (quant_vnni_gemm.cpp). Call only when vnni::cpu_supported() is true.
#pragma once

#include "quant/quant_gemm.h"

namespace uma::quant::vnni {

// AVX2 + FMA + F16C and AVX-512 F/VL/BW/VNNI (with the OS saving the state).
bool cpu_supported();

void gemm_q4_0_x8(const GemmArgs& g);  // repack.h layouts, as the avx2:: ones
void gemm_q4_k_x8(const GemmArgs& g);
void gemm_q8_0_x8(const GemmArgs& g);
void gemm_q6_k_x8(const GemmArgs& g);

}  // namespace uma::quant::vnni

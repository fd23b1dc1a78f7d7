// Runtime choice of tile kernels (quant_gemm.h): the CPU is probed once; types or CPUs without
// a tile kernel get null and the matmul falls back to one vec_dot per row and token.
#include "quant/quant_gemm.h"

#include <atomic>

#include "quant/quant_avx2.h"
#include "quant/quant_avx2_gemm.h"

namespace uma::quant {

uint64_t next_act_id() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

GemmFn gemm_fn(DType t) {
  static const bool has_avx2 = avx2::cpu_supported();
  if (!has_avx2) return nullptr;
  switch (t) {
    case DType::F32: return avx2::gemm_f32;
    case DType::F16: return avx2::gemm_f16;
    case DType::Q4_0: return avx2::gemm_q4_0;
    case DType::Q8_0: return avx2::gemm_q8_0;
    case DType::Q4_K: return avx2::gemm_q4_k;
    case DType::Q6_K: return avx2::gemm_q6_k;
    default: return nullptr;
  }
}

}  // namespace uma::quant

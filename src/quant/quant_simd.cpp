// Runtime choice of SIMD dot products (see quant_simd.h).
#include "quant/quant_simd.h"

namespace uma::quant {

VecDotFn simd_vec_dot(DType) { return nullptr; }

}  // namespace uma::quant

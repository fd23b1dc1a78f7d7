// Internal to src/quant: SIMD dot products chosen at run time. simd_vec_dot returns the fastest
// version this CPU supports for weight type t, or null when only the scalar reference exists.
#pragma once

#include "core/dtype.h"
#include "quant/quant.h"

namespace uma::quant {

VecDotFn simd_vec_dot(DType t);

}  // namespace uma::quant

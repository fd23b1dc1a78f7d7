// Tile dot products: several weight rows against several activation rows per call, so activation
// loads, scale conversions and horizontal sums are shared (decode: 4 rows x 1 token; prefill:
// 4 rows x 2 tokens over a row tile that stays in L1 while every token streams past it).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"

namespace uma::quant {

// out[t * ldo + r] = sum_i W[r, i] * A[t, i] for r < nr, t < nt. W has the weight type, rows
// w_stride bytes apart; A has vec_dot_type(weight type) (from quantize_row_act), rows a_stride
// bytes apart. Same integer block sums as vec_dot_ref; only float rounding differs.
struct GemmArgs {
  int64_t n = 0;  // row length in elements (a multiple of the block size)
  const uint8_t* w = nullptr;
  size_t w_stride = 0;
  int64_t nr = 0;
  const uint8_t* a = nullptr;
  size_t a_stride = 0;
  int64_t nt = 0;
  float* out = nullptr;
  size_t ldo = 0;
  // Nonzero: names the contents of A (one quantization of activations, unique in the process),
  // so a kernel called again on the same A, as matmul does once per chunk of a call, may keep the
  // per-activation sums it computed the first time (quant_x8_common.h, ActSums). 0: unknown.
  uint64_t act_id = 0;
};

// A fresh nonzero act_id for activations just quantized.
uint64_t next_act_id();

using GemmFn = void (*)(const GemmArgs& g);

// The fastest tile kernel this CPU has for weight type t, or null (callers then loop over
// vec_dot_fn). Rows are tiled in multiples of kGemmRowTile; callers split work on that grain.
GemmFn gemm_fn(DType t);
inline constexpr int64_t kGemmRowTile = 4;

}  // namespace uma::quant

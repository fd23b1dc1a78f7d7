// Scalar reference for every supported tensor type: dequantize, quantize, and the dot product of
// a weight row with an activation row quantized to the matching "vec-dot" type — the same pairing
// llama.cpp uses (Q8_0 activations for Q4_0/Q5_0/Q8_0/IQ4_NL, Q8_1 for Q4_1/Q5_1, Q8_K for the
// K-quants, f16 for F16, bf16 for BF16, f32 for F32). SIMD kernels are checked against these.
#pragma once

#include <cstdint>

#include "core/dtype.h"

namespace uma::quant {

// Types whose rows can be turned into floats: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
// Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K, IQ4_NL.
bool can_dequantize(DType t);
// Types with a reference quantizer: the same list. Output is byte-identical to llama.cpp's
// llama-quantize without an importance matrix (checked against files it made).
bool can_quantize(DType t);

// n must be a multiple of the block size (callers validate shapes at load time). Blocks are
// independent, so a whole tensor of contiguous rows can be passed as one "row".
void dequantize_row(DType t, const void* src, float* dst, int64_t n);
void quantize_row(DType t, const float* src, void* dst, int64_t n);

// Quantize an activation row for vec_dot: as quantize_row, except Q8_0/Q8_1 round the way
// llama.cpp's x86 SIMD path does (scale 127/amax, round half to even), so our dot products see
// the same integers as llama.cpp's and greedy outputs track its recorded ones.
void quantize_row_act(DType t, const float* src, void* dst, int64_t n);

// Types usable as the weight operand of vec_dot (every dequantizable type except Q8_1).
bool can_vec_dot(DType t);
// The activation type paired with weight type t for dot products.
DType vec_dot_type(DType t);
// sum_i w[i] * a[i] over n elements; w has type t, a has type vec_dot_type(t). Uses the AVX2
// version where this CPU has one (same integer sums, float rounding may differ in the last bits).
float vec_dot(DType t, int64_t n, const void* w, const void* a);
// Always the scalar reference (ggml's scalar path: integer dot per block, then scale).
float vec_dot_ref(DType t, int64_t n, const void* w, const void* a);

// The function vec_dot would call for t, to fetch once per matmul rather than per row.
using VecDotFn = float (*)(int64_t n, const void* w, const void* a);
VecDotFn vec_dot_fn(DType t);

}  // namespace uma::quant

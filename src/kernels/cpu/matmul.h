// Matrix × activations for weights kept in their stored (quantized) type.
// y[t, r] = sum_i W[r, i] * x[t, i]  with W: [n_out rows, n_in] (GGUF ne = [n_in, n_out]),
// x: [n_tok, n_in] f32, y: [n_tok, n_out] f32. Activations are first converted to the weight
// type's vec-dot type (Q8_0 / Q8_1 / Q8_K / f16 / bf16 / f32), as llama.cpp does, so integer dot
// products can be used and results track llama.cpp's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/dtype.h"
#include "core/thread_pool.h"

namespace uma::kernels {

struct MatView {
  DType type = DType::F32;
  const uint8_t* data = nullptr;
  int64_t n_in = 0;      // row length (elements)
  int64_t n_out = 0;     // rows
  size_t row_bytes = 0;  // bytes per row (of the stored type, also when interleaved)
  // Rows per interleaved group (quant/repack.h; 8 for Q4_0x8), 0 for plain rows. Interleaved
  // data is only for matmul: row() and get_row() need plain rows.
  int32_t interleave = 0;
  const uint8_t* row(int64_t r) const { return data + (size_t)r * row_bytes; }
};

// Reusable buffer for quantized activations (grows as needed; owned by the caller's context).
struct MatmulScratch {
  std::vector<uint8_t> act;
};

void matmul(ThreadPool& pool, const MatView& w, const float* x, int64_t n_tok, float* y,
            MatmulScratch& scratch);

// Several matrices over the same activations (Q/K/V, gate/up): y_i = W_i x. Where they share
// n_in and activation type, x is quantized once and all rows go to the threads as one pool of
// chunks, so the group costs one wake-up and one barrier instead of one per matrix.
struct MatmulJob {
  const MatView* w;
  float* y;  // [n_tok, w->n_out]
};
void matmul_multi(ThreadPool& pool, std::span<const MatmulJob> jobs, const float* x, int64_t n_tok,
                  MatmulScratch& scratch);

// out[i] = W[row, i] as float (embedding lookup, any type): out: [n_in]
void get_row(const MatView& w, int64_t row, float* out);

// Guided scheduling of a call's rows (or any units) over the threads: the next chunk takes
// 1/(2 x n_threads) of the `left` units not yet handed out, but never fewer than
// 1/(16 x n_threads) of the call's `total` (and at least one), so the first chunks are long
// streams and a thread that finishes early waits at most for a short one.
size_t guided_chunk(size_t left, size_t total, size_t n_threads);

}  // namespace uma::kernels

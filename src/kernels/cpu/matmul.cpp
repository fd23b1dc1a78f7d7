// matmul: quantize activations once per token, then split output rows across threads in
// contiguous chunks (each thread streams its own slice of the weights); within a chunk the tile
// kernels of quant_gemm.h cover rows x tokens, so a weight row is read from memory once per call.
#include "kernels/cpu/matmul.h"

#include "core/check.h"
#include "quant/quant.h"
#include "quant/quant_gemm.h"
#include "quant/repack.h"

namespace uma::kernels {

void matmul(ThreadPool& pool, const MatView& w, const float* x, int64_t n_tok, float* y,
            MatmulScratch& scratch) {
  const DType vt = quant::vec_dot_type(w.type);
  const auto act_row = dtype_row_bytes(vt, (uint64_t)w.n_in);
  UMA_CHECK(act_row.has_value());
  const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
  if (vt != DType::F32) {
    scratch.act.resize((size_t)*act_row * n_tok);
    pool.parallel_for((size_t)n_tok, 1, [&](int, size_t b, size_t e) {
      for (size_t t = b; t < e; t++)
        quant::quantize_row_act(vt, x + t * w.n_in, scratch.act.data() + t * *act_row, w.n_in);
    });
    act = scratch.act.data();
  }
  // Small products are not worth waking the other threads (a wake-up costs microseconds).
  constexpr int64_t kMinParallelMacs = 1 << 16;
  const bool small = w.n_in * w.n_out * n_tok < kMinParallelMacs;
  // Tile kernels: plain rows (grain: one row tile) or weights repacked at load into groups of
  // w.interleave rows (quant/repack.h; grain: one group). Chunks are whole tiles/groups, so only
  // the last rows of a plain matrix take the narrow path.
  const quant::GemmFn gemm = w.interleave > 0 ? quant::gemm_x8_fn(w.type) : quant::gemm_fn(w.type);
  UMA_CHECK(w.interleave == 0 || (gemm != nullptr && w.interleave == 8 && w.n_out % 8 == 0));
  if (gemm) {
    const size_t unit_rows = w.interleave > 0 ? (size_t)w.interleave : 1;
    const size_t unit_bytes =
        w.interleave > 0 ? quant::interleaved_group_bytes(w.type, w.n_in) : w.row_bytes;
    const size_t grain = small ? (size_t)w.n_out
                               : (w.interleave > 0 ? unit_rows : (size_t)quant::kGemmRowTile);
    pool.parallel_for((size_t)w.n_out, grain, [&](int, size_t r0, size_t r1) {
      gemm({.n = w.n_in,
            .w = w.data + r0 / unit_rows * unit_bytes,
            .w_stride = unit_bytes,
            .nr = (int64_t)(r1 - r0),
            .a = act,
            .a_stride = *act_row,
            .nt = n_tok,
            .out = y + r0,
            .ldo = (size_t)w.n_out});
    });
    return;
  }
  const quant::VecDotFn dot = quant::vec_dot_fn(w.type);
  pool.parallel_for((size_t)w.n_out, small ? (size_t)w.n_out : 8, [&](int, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
      const uint8_t* wr = w.row((int64_t)r);
      for (int64_t t = 0; t < n_tok; t++)
        y[t * w.n_out + (int64_t)r] = dot(w.n_in, wr, act + t * *act_row);
    }
  });
}

void get_row(const MatView& w, int64_t row, float* out) {
  UMA_CHECK(w.interleave == 0);
  quant::dequantize_row(w.type, w.row(row), out, w.n_in);
}

}  // namespace uma::kernels

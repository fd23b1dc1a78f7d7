// matmul: quantize activations once per token, then split output rows across threads; each thread
// runs all tokens over its rows so a weight row is read from memory once per call.
#include "kernels/cpu/matmul.h"

#include "core/check.h"
#include "quant/quant.h"

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
  const quant::VecDotFn dot = quant::vec_dot_fn(w.type);
  // Small products are not worth waking the other threads (a wake-up costs microseconds).
  constexpr int64_t kMinParallelMacs = 1 << 16;
  const size_t grain = w.n_in * w.n_out * n_tok < kMinParallelMacs ? (size_t)w.n_out : 8;
  pool.parallel_for((size_t)w.n_out, grain, [&](int, size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
      const uint8_t* wr = w.row((int64_t)r);
      for (int64_t t = 0; t < n_tok; t++)
        y[t * w.n_out + (int64_t)r] = dot(w.n_in, wr, act + t * *act_row);
    }
  });
}

void get_row(const MatView& w, int64_t row, float* out) {
  quant::dequantize_row(w.type, w.row(row), out, w.n_in);
}

}  // namespace uma::kernels

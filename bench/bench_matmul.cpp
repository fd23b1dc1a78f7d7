// Kernel micro-benchmark: matmul of a quantized weight matrix with f32 activations, for decode
// (1 token: memory-bound, reports weight GB/s) and prefill (many tokens: compute-bound, reports
// GMAC/s). Usage: bench_matmul [--benchmark_filter=...]; sizes are Llama-3-8B-like FFN rows.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "core/huge_buffer.h"
#include "core/thread_pool.h"
#include "kernels/cpu/matmul.h"
#include "quant/quant.h"
#include "quant/repack.h"

namespace {

constexpr int64_t kDistinctRows = 14336;

struct Fixture {
  std::vector<uint8_t> w;
  uma::HugeBuffer packed;  // the 8-row interleaved copy, as the engine makes at load (repack.h)
  uma::kernels::MatView view;
  std::vector<float> x, y;
};

Fixture make(uma::DType t, int64_t n_in, int64_t n_out, int64_t n_tok, bool x8) {
  Fixture f;
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.f, 0.02f);
  std::vector<float> row((size_t)n_in);
  const size_t rb = *uma::dtype_row_bytes(t, (uint64_t)n_in);
  f.w.resize(rb * (size_t)n_out);
  // Decode matrices are 4 copies of kDistinctRows random rows: big enough to stream from DRAM,
  // without quantizing 57k rows at every start.
  const int64_t distinct = std::min<int64_t>(n_out, kDistinctRows);
  for (int64_t r = 0; r < distinct; r++) {
    for (auto& v : row) v = nd(rng);
    uma::quant::quantize_row(t, row.data(), f.w.data() + rb * r, n_in);
  }
  for (int64_t r = distinct; r < n_out; r++) std::memcpy(f.w.data() + rb * r, f.w.data() + rb * (r % distinct), rb);
  f.view = {.type = t, .data = f.w.data(), .n_in = n_in, .n_out = n_out, .row_bytes = rb};
  if (x8) {
    const size_t group = uma::quant::interleaved_group_bytes(t, n_in);
    f.packed.allocate(group * (size_t)(n_out / 8));
    for (int64_t r = 0; r < n_out; r += 8)
      uma::quant::repack_rows_x8(t, f.w.data() + rb * (size_t)r, rb, n_in, f.packed.data() + group * (size_t)(r / 8));
    f.view.data = f.packed.data();
    f.view.interleave = 8;
  }
  f.x.resize((size_t)(n_in * n_tok));
  for (auto& v : f.x) v = nd(rng);
  f.y.resize((size_t)(n_out * n_tok));
  return f;
}

// n_out 0: decode 4 x 14336 rows of 4096 (Q4_0 132 MB, four times the 32 MiB L3 of the machine
// this was tuned on, so every pass streams from DRAM; one Llama-3-8B FFN matrix, 33 MB, still
// partly hit the L3); prefill 2048 rows. The _l2 variants use 64 rows, which stay in each core's L2 (Q4_0: 144 KiB, F16: 512 KiB): the
// kernel's arithmetic speed without memory in the way.
// x8_tg_l2big (256 rows, still in L2) and x8_tg_l1 (16 rows) split a call's time into the fixed
// part (quantizing the activation, the per-call sums, dispatch: ~1 µs on the Zen 5 VM) and the
// kernel's per-byte speed: (t_l2big - t_l2) / 192 rows.
void BM_matmul(benchmark::State& state, uma::DType t, int64_t n_tok, int64_t rows, bool x8 = false) {
  const int threads = (int)state.range(0);
  const int64_t n_in = 4096, n_out = rows ? rows : n_tok == 1 ? 4 * kDistinctRows : 2048;
  Fixture f = make(t, n_in, n_out, n_tok, x8);
  uma::ThreadPool pool(threads);
  uma::kernels::MatmulScratch scratch;
  for (auto _ : state) {
    uma::kernels::matmul(pool, f.view, f.x.data(), n_tok, f.y.data(), scratch);
    benchmark::DoNotOptimize(f.y.data());
  }
  state.SetBytesProcessed((int64_t)state.iterations() * (int64_t)f.w.size());
  state.counters["GMAC/s"] = benchmark::Counter((double)n_in * n_out * n_tok * state.iterations(),
                                                benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

}  // namespace

#define UMA_BENCH_TYPE(T)                                                              \
  BENCHMARK_CAPTURE(BM_matmul, T##_tg, uma::DType::T, 1, 0)->Arg(1)->Arg(2)->UseRealTime();   \
  BENCHMARK_CAPTURE(BM_matmul, T##_tg_l2, uma::DType::T, 1, 64)->Arg(1)->UseRealTime();    \
  BENCHMARK_CAPTURE(BM_matmul, T##_pp64, uma::DType::T, 64, 0)->Arg(2)->UseRealTime();

// The interleaved layouts the engine repacks these types into (repack.h; what decode runs).
#define UMA_BENCH_X8(T)                                                                         \
  BENCHMARK_CAPTURE(BM_matmul, T##_x8_tg, uma::DType::T, 1, 0, true)->Arg(1)->Arg(2)->UseRealTime(); \
  BENCHMARK_CAPTURE(BM_matmul, T##_x8_tg_l2, uma::DType::T, 1, 64, true)->Arg(1)->UseRealTime();  \
  BENCHMARK_CAPTURE(BM_matmul, T##_x8_tg_l2big, uma::DType::T, 1, 256, true)->Arg(1)->UseRealTime(); \
  BENCHMARK_CAPTURE(BM_matmul, T##_x8_tg_l1, uma::DType::T, 1, 16, true)->Arg(1)->UseRealTime(); \
  BENCHMARK_CAPTURE(BM_matmul, T##_x8_pp64, uma::DType::T, 64, 0, true)->Arg(2)->UseRealTime();

UMA_BENCH_TYPE(Q4_0)
UMA_BENCH_TYPE(Q8_0)
UMA_BENCH_TYPE(Q4_K)
UMA_BENCH_TYPE(Q6_K)
UMA_BENCH_TYPE(F16)
UMA_BENCH_X8(Q4_0)
UMA_BENCH_X8(Q8_0)
UMA_BENCH_X8(Q4_K)
UMA_BENCH_X8(Q6_K)

BENCHMARK_MAIN();

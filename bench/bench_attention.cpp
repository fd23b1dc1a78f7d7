// Attention micro-benchmark: one decode token's attention over an f16 paged KV cache, Llama-3.2-1B
// shape (8 KV heads of 64, groups of 4 query heads), at several depths. Each iteration is one
// layer, its KV heads split over `threads` threads as in the engine (core/thread_pool.h);
// iterations cycle over `layers` layers' caches (layers x 2 x depth KiB), so at long depths the
// rows come from memory as in a real decode. Reports KV GB/s.
// Usage: bench_attention [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/f16.h"
#include "core/thread_pool.h"
#include "kernels/cpu/attention.h"

namespace {

void BM_attend_f16(benchmark::State& state, bool ref) {
  const int64_t depth = state.range(0), layers = state.range(1), threads = state.range(2), hd = 64, n_kv_heads = 8, group = 4, bs = 32;
  const int64_t row = n_kv_heads * hd, nblk = (depth + bs - 1) / bs;
  const size_t layer_elems = (size_t)(nblk * bs * row);
  std::vector<uint16_t> k(layer_elems * layers), v(layer_elems * layers);
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.f, 1.f);
  for (size_t i = 0; i < k.size(); i++) k[i] = uma::f32_to_f16(nd(rng)), v[i] = uma::f32_to_f16(nd(rng));
  std::vector<int32_t> table((size_t)nblk);
  for (int64_t b = 0; b < nblk; b++) table[(size_t)b] = (int32_t)b;
  std::vector<float> q((size_t)(group * hd)), sc((size_t)(threads * group * depth)), out((size_t)(threads * group * hd));
  uma::ThreadPool pool((int)threads);
  for (float& x : q) x = uma::f16_to_f32(uma::f32_to_f16(nd(rng)));
  const float scale = 1.0f / std::sqrt((float)hd);
  int64_t il = 0;
  for (auto _ : state) {
    const uint8_t* kb = reinterpret_cast<const uint8_t*>(k.data() + layer_elems * (size_t)il);
    const uint8_t* vb = reinterpret_cast<const uint8_t*>(v.data() + layer_elems * (size_t)il);
    pool.parallel_for((size_t)n_kv_heads, 1, [&](int ith, size_t b, size_t e) {
      float* scr = sc.data() + (size_t)(ith * group * depth);
      float* o = out.data() + (size_t)(ith * group * hd);
      for (size_t g = b; g < e; g++) {
        // kv_cache.h's layout: per KV head its blocks one after another, in each K as
        // [head_dim][position] and V as [position][head_dim].
        const size_t piece = (size_t)(bs * hd) * 2;
        const uma::kernels::KvView kv{kb + g * (size_t)nblk * piece, vb + g * (size_t)nblk * piece, table.data(), bs,
                                      piece, 2, (size_t)bs * 2, (size_t)hd * 2};
        (ref ? uma::kernels::attend_f16_ref : uma::kernels::attend_f16)(q.data(), hd, (int)group, hd, scale, kv, depth,
                                                                        scr, depth, o, hd, nullptr);
      }
    });
    benchmark::DoNotOptimize(out.data());
    il = (il + 1) % layers;
  }
  state.SetBytesProcessed(state.iterations() * depth * row * 2 * 2);
}

}  // namespace

// Args: depth, layers, threads. {128, 1, 1} stays in L2 (the kernel's arithmetic speed); the
// others stream; {4096, 16, 2} is llama3-1b's decode at depth 4096 on this 2-core machine.
BENCHMARK_CAPTURE(BM_attend_f16, simd, false)  // attend_f16 as dispatched (UMA_ISA=avx2: the AVX2 kernel)
    ->Args({128, 1, 1})
    ->Args({512, 16, 1})
    ->Args({4096, 16, 1})
    ->Args({16384, 16, 1})
    ->Args({4096, 16, 2})
    ->Args({4096, 1, 1})
    ->Args({4096, 1, 2})
    ->Args({128, 1, 2})
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_attend_f16, scalar_ref, true)->Args({4096, 16, 1});
BENCHMARK_MAIN();

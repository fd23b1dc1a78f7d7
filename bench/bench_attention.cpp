// Attention micro-benchmark: one decode token's attention over an f16 paged KV cache, Llama-3.2-1B
// shape (8 KV heads of 64, groups of 4 query heads), at several depths. Each iteration is one
// layer, its KV heads split over `threads` threads as in the engine (core/thread_pool.h);
// iterations cycle over `layers` layers' caches (layers x 2 x depth KiB), so at long depths the
// rows come from memory as in a real decode. Reports KV GB/s.
// Usage: bench_attention [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
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

// As the engine schedules one decode token (Context::attention): units taken from a shared
// counter, each KV head cut into `parts` block-aligned position ranges (1: whole heads), the
// parts merged by their log normalizers afterwards. Args: depth, layers, threads, parts.
void BM_attend_units(benchmark::State& state) {
  const int64_t depth = state.range(0), layers = state.range(1), threads = state.range(2), parts = state.range(3);
  const int64_t hd = 64, n_kv_heads = 8, group = 4, bs = 32;
  const int64_t row = n_kv_heads * hd, nblk = (depth + bs - 1) / bs, per = (nblk + parts - 1) / parts;
  const size_t layer_elems = (size_t)(nblk * bs * row);
  std::vector<uint16_t> k(layer_elems * layers), v(layer_elems * layers);
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.f, 1.f);
  for (size_t i = 0; i < k.size(); i++) k[i] = uma::f32_to_f16(nd(rng)), v[i] = uma::f32_to_f16(nd(rng));
  std::vector<int32_t> table((size_t)nblk);
  for (int64_t b = 0; b < nblk; b++) table[(size_t)b] = (int32_t)b;
  std::vector<float> q((size_t)(group * hd)), sc((size_t)(threads * group * depth));
  std::vector<float> part_out((size_t)(n_kv_heads * parts * group * hd)), lse((size_t)(n_kv_heads * parts * group));
  std::vector<float> out((size_t)(n_kv_heads * group * hd));
  uma::ThreadPool pool((int)threads);
  for (float& x : q) x = uma::f16_to_f32(uma::f32_to_f16(nd(rng)));
  const float scale = 1.0f / std::sqrt((float)hd);
  const size_t piece = (size_t)(bs * hd) * 2;
  int64_t il = 0;
  for (auto _ : state) {
    const uint8_t* kb = reinterpret_cast<const uint8_t*>(k.data() + layer_elems * (size_t)il);
    const uint8_t* vb = reinterpret_cast<const uint8_t*>(v.data() + layer_elems * (size_t)il);
    std::atomic<int64_t> next{0};
    pool.parallel_for((size_t)threads, 1, [&](int ith, size_t, size_t) {
      float* scr = sc.data() + (size_t)(ith * group * depth);
      for (int64_t u; (u = next.fetch_add(1, std::memory_order_relaxed)) < n_kv_heads * parts;) {
        const int64_t g = u / parts, b0 = u % parts * per;
        if (b0 >= nblk) continue;
        const int64_t n = std::min(depth - b0 * bs, per * bs);
        const uma::kernels::KvView kv{kb + g * (size_t)nblk * piece, vb + g * (size_t)nblk * piece, table.data() + b0,
                                      bs, piece, 2, (size_t)bs * 2, (size_t)hd * 2};
        uma::kernels::attend_f16(q.data(), hd, (int)group, hd, scale, kv, n, scr, depth,
                                 part_out.data() + (size_t)(u * group * hd), hd, lse.data() + (size_t)(u * group));
      }
    });
    for (int64_t g = 0; g < n_kv_heads; g++)
      uma::kernels::merge_attention((int)parts, (int)group, hd, part_out.data() + (size_t)(g * parts * group * hd),
                                    lse.data() + (size_t)(g * parts * group), out.data() + (size_t)(g * group * hd), hd);
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
BENCHMARK(BM_attend_units)
    ->Args({4096, 16, 2, 1})
    ->Args({4096, 16, 2, 4})
    ->Args({4096, 1, 2, 1})
    ->Args({4096, 1, 2, 4})
    ->UseRealTime();
BENCHMARK_MAIN();

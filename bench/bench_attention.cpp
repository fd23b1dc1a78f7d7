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

// Llama-3.2-1B's attention shape, and `layers` layers' f16 caches of `depth` positions in
// kv_cache.h's layout (per KV head its blocks one after another), random values, identity table.
constexpr int64_t kHd = 64, kKvHeads = 8, kGroup = 4, kBs = 32;
struct Caches {
  int64_t nblk;
  size_t layer_elems;
  std::vector<uint16_t> k, v;
  std::vector<int32_t> table;
  std::vector<float> q;  // one token's group of query heads, rounded to f16 values
  Caches(int64_t depth, int64_t layers) : nblk((depth + kBs - 1) / kBs), layer_elems((size_t)(nblk * kBs * kKvHeads * kHd)) {
    k.resize(layer_elems * layers), v.resize(layer_elems * layers);
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.f, 1.f);
    for (size_t i = 0; i < k.size(); i++) k[i] = uma::f32_to_f16(nd(rng)), v[i] = uma::f32_to_f16(nd(rng));
    table.resize((size_t)nblk);
    for (int64_t b = 0; b < nblk; b++) table[(size_t)b] = (int32_t)b;
    q.resize((size_t)(kGroup * kHd));
    for (float& x : q) x = uma::f16_to_f32(uma::f32_to_f16(nd(rng)));
  }
  // KV head g of layer il, blocks from b0 on.
  uma::kernels::KvView view(int64_t il, int64_t g, int64_t b0 = 0) const {
    const size_t piece = (size_t)(kBs * kHd) * 2, head = (size_t)nblk * piece;
    const auto* kb = reinterpret_cast<const uint8_t*>(k.data() + layer_elems * (size_t)il);
    const auto* vb = reinterpret_cast<const uint8_t*>(v.data() + layer_elems * (size_t)il);
    return {kb + g * head, vb + g * head, table.data() + b0, kBs, piece, 2, (size_t)kBs * 2, (size_t)kHd * 2};
  }
};

void BM_attend_f16(benchmark::State& state, bool ref) {
  const int64_t depth = state.range(0), layers = state.range(1), threads = state.range(2);
  const Caches c(depth, layers);
  std::vector<float> sc((size_t)(threads * kGroup * depth)), out((size_t)(threads * kGroup * kHd));
  uma::ThreadPool pool((int)threads);
  const float scale = 1.0f / std::sqrt((float)kHd);
  int64_t il = 0;
  for (auto _ : state) {
    pool.parallel_for((size_t)kKvHeads, 1, [&](int ith, size_t b, size_t e) {
      float* scr = sc.data() + (size_t)(ith * kGroup * depth);
      float* o = out.data() + (size_t)(ith * kGroup * kHd);
      for (size_t g = b; g < e; g++)
        (ref ? uma::kernels::attend_f16_ref : uma::kernels::attend_f16)(c.q.data(), kHd, (int)kGroup, kHd, scale,
                                                                        c.view(il, (int64_t)g), depth, scr, depth, o,
                                                                        kHd, nullptr);
    });
    benchmark::DoNotOptimize(out.data());
    il = (il + 1) % layers;
  }
  state.SetBytesProcessed(state.iterations() * depth * kKvHeads * kHd * 2 * 2);
}

// As the engine schedules one decode token (Context::attention): units taken from a shared
// counter, each KV head cut into `parts` block-aligned position ranges (1: whole heads), the
// parts merged by their log normalizers afterwards. Args: depth, layers, threads, parts.
void BM_attend_units(benchmark::State& state) {
  const int64_t depth = state.range(0), layers = state.range(1), threads = state.range(2), parts = state.range(3);
  const Caches c(depth, layers);
  const int64_t per = (c.nblk + parts - 1) / parts;
  std::vector<float> sc((size_t)(threads * kGroup * depth));
  std::vector<float> part_out((size_t)(kKvHeads * parts * kGroup * kHd)), lse((size_t)(kKvHeads * parts * kGroup));
  std::vector<float> out((size_t)(kKvHeads * kGroup * kHd));
  uma::ThreadPool pool((int)threads);
  const float scale = 1.0f / std::sqrt((float)kHd);
  int64_t il = 0;
  for (auto _ : state) {
    std::atomic<int64_t> next{0};
    pool.parallel_for((size_t)threads, 1, [&](int ith, size_t, size_t) {
      float* scr = sc.data() + (size_t)(ith * kGroup * depth);
      for (int64_t u; (u = next.fetch_add(1, std::memory_order_relaxed)) < kKvHeads * parts;) {
        const int64_t g = u / parts, b0 = u % parts * per;
        if (b0 >= c.nblk) continue;
        const int64_t n = std::min(depth - b0 * kBs, per * kBs);
        uma::kernels::attend_f16(c.q.data(), kHd, (int)kGroup, kHd, scale, c.view(il, g, b0), n, scr, depth,
                                 part_out.data() + (size_t)(u * kGroup * kHd), kHd, lse.data() + (size_t)(u * kGroup));
      }
    });
    for (int64_t g = 0; g < kKvHeads; g++)
      uma::kernels::merge_attention((int)parts, (int)kGroup, kHd, part_out.data() + (size_t)(g * parts * kGroup * kHd),
                                    lse.data() + (size_t)(g * parts * kGroup), out.data() + (size_t)(g * kGroup * kHd),
                                    kHd);
    benchmark::DoNotOptimize(out.data());
    il = (il + 1) % layers;
  }
  state.SetBytesProcessed(state.iterations() * depth * kKvHeads * kHd * 2 * 2);
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

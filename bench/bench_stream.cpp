// Decode matmul against a plain read of the same bytes, alternating in one process: how much of
// the bandwidth a pure streaming read reaches does the kernel reach? If the read itself stays
// well below the probe, the access pattern (chunks, barriers) is the limit; if the read is near
// the probe and the kernel is not, the kernel's work between loads is. The matrix (~0.5 GB) is
// far larger than the last-level cache: at 136 MB, arms that followed one another over the
// same bytes found part of them still cached (two identical arms differed by 10%). Also the
// same bytes as the llama3-1b shape's per-layer calls (`calls`), those calls with a fixed share
// per thread and no barriers (`calls_nosync`) or a barrier per call (`calls_static`), and what a
// call costs besides its weights. For Q4_0 on AVX-512 VNNI CPUs, `like_q4_0`: the kernel's
// per-block work over the same bytes as one flat run (what groups and calls cost).
// Usage: bench_stream [TYPE=Q4_K] [THREADS=2] [ROUNDS=8]
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/huge_buffer.h"
#include "core/membw.h"
#include "core/prefetch.h"
#include "core/thread_pool.h"
#include "kernels/cpu/matmul.h"
#include "quant/quant.h"
#include "quant/quant_x8_common.h"
#include "quant/repack.h"

namespace {

// A plain AVX2 read (Pf = 0, Work = 0), and the same with what the decode kernels add around
// their loads, to tell which of them costs stream speed: Pf = 1, one T1 prefetch per line 8 KiB
// ahead (x8::prefetch_ahead_part without its page hints); Pf = 2, the page hints alone
// (core/prefetch.h, as the bandwidth probe); Work = multiply-adds on registers per 128 bytes (16
// vpmaddwd, 8 independent chains: about the Q4_K kernel's compute time per byte in L2).
template <int Pf, int Work>
__attribute__((target("avx2"))) uint64_t read_like_kernel(const uint8_t* p, size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  __m256i w[8];
  for (auto& v : w) v = _mm256_set1_epi32(1);
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    const auto* v = reinterpret_cast<const __m256i*>(p + i);
    if constexpr (Pf == 1) {
      _mm_prefetch(reinterpret_cast<const char*>(p + i + 8192), _MM_HINT_T1);
      _mm_prefetch(reinterpret_cast<const char*>(p + i + 8192 + 64), _MM_HINT_T1);
    } else if constexpr (Pf == 2) {
      if ((reinterpret_cast<uintptr_t>(p + i) & 4095) == 0) uma::prefetch_page_head(p + i);
    }
    const __m256i l0 = _mm256_loadu_si256(v + 0), l1 = _mm256_loadu_si256(v + 1);
    const __m256i l2 = _mm256_loadu_si256(v + 2), l3 = _mm256_loadu_si256(v + 3);
    a0 = _mm256_add_epi64(a0, l0);
    a1 = _mm256_add_epi64(a1, l1);
    a2 = _mm256_add_epi64(a2, l2);
    a3 = _mm256_add_epi64(a3, l3);
    for (int k = 0; k < Work; k++) w[k % 8] = _mm256_add_epi32(w[k % 8], _mm256_madd_epi16(l0, l1));
  }
  for (int k = 0; k < 8; k++) a0 = _mm256_xor_si256(a0, w[k]);
  const __m256i s = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
  return (uint64_t)_mm256_extract_epi64(s, 0) ^ (uint64_t)_mm256_extract_epi64(s, 3);
}
constexpr auto read_avx2 = read_like_kernel<0, 0>;

// The VNNI Q4_0 one-token kernel's step (quant_vnni_gemm.cpp, with its prefetch and loads from
// quant_x8_common.h) over the same bytes taken as one flat run of 144-byte blocks: no groups, no
// stores, activations a fixed 64-block row in L1.
// Against `kernel`, what matmul's group structure and call path cost apart from the block's work.
alignas(64) int8_t g_like_act[64 * 34];
__attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512vnni"))) uint64_t like_q4_0(const uint8_t* p, size_t n) {
  const __m256i m4 = _mm256_set1_epi8(0x0F), m4hi = _mm256_set1_epi8((char)0xF0);
  __m256 acc = _mm256_setzero_ps();
  for (size_t i = 0, b = 0; i + 144 <= n; i += 144, b = (b + 1) & 63) {
    const uint8_t* x = p + i;
    uma::quant::x8::prefetch_ahead_part<1>(reinterpret_cast<const uma::quant::BlockQ4_0x8*>(x), 0);
    const int8_t* y = g_like_act + 34 * b + 2;
    __m256i sl = _mm256_setzero_si256(), sh = sl;
    for (int k = 0; k < 4; k++) {
      const __m256i raw = uma::quant::x8::load256_reg(x + 16 + 32 * k);
      int32_t yl, yh;
      std::memcpy(&yl, y + 4 * k, 4);
      std::memcpy(&yh, y + 16 + 4 * k, 4);
      sl = _mm256_dpbusd_epi32(sl, _mm256_and_si256(raw, m4), _mm256_set1_epi32(yl));
      sh = _mm256_dpbusd_epi32(sh, _mm256_and_si256(raw, m4hi), _mm256_set1_epi32(yh));
    }
    int32_t ys;
    std::memcpy(&ys, g_like_act + 4 * b, 4);
    const __m256i isum = _mm256_sub_epi32(_mm256_add_epi32(sl, _mm256_srai_epi32(sh, 4)), _mm256_set1_epi32(ys));
    const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x)));
    acc = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(0.5f + (float)(b & 1))), _mm256_cvtepi32_ps(isum), acc);
  }
  float o[8];
  _mm256_storeu_ps(o, acc);
  uint64_t r;
  std::memcpy(&r, o, 8);
  return r;
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

}  // namespace

int main(int argc, char** argv) {
  const std::string tname = argc > 1 ? argv[1] : "Q4_K";
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 8;
  const uma::DType t = tname == "Q4_0" ? uma::DType::Q4_0 : tname == "Q8_0" ? uma::DType::Q8_0
                       : tname == "Q6_K" ? uma::DType::Q6_K : uma::DType::Q4_K;
  const int64_t n_in = 4096, n_out = 16 * 14336, distinct = 512;  // ~0.5 GB: far past any cache
  const size_t rb = *uma::dtype_row_bytes(t, (uint64_t)n_in);
  std::vector<uint8_t> rows(rb * distinct);
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.f, 0.02f);
  std::vector<float> row((size_t)n_in);
  for (int64_t r = 0; r < distinct; r++) {
    for (auto& v : row) v = nd(rng);
    uma::quant::quantize_row(t, row.data(), rows.data() + rb * r, n_in);
  }
  const size_t group = uma::quant::interleaved_group_bytes(t, n_in);
  uma::HugeBuffer packed;
  packed.allocate(group * (size_t)(n_out / 8));
  for (int64_t r = 0; r < n_out; r += 8)
    uma::quant::repack_rows_x8(t, rows.data() + rb * (size_t)(r % distinct), rb, n_in,
                               packed.data() + group * (size_t)(r / 8));
  const size_t bytes = group * (size_t)(n_out / 8);
  if (FILE* f = std::fopen("/proc/self/smaps_rollup", "r")) {  // are the weights on huge pages?
    char line[256];
    while (std::fgets(line, sizeof line, f))
      if (std::strncmp(line, "AnonHugePages", 13) == 0) std::printf("%s", line);
    std::fclose(f);
  }
  uma::kernels::MatView view{.type = t, .data = packed.data(), .n_in = n_in, .n_out = n_out, .row_bytes = rb};
  view.interleave = 8;
  std::vector<float> x((size_t)n_in), y((size_t)n_out);
  for (auto& v : x) v = nd(rng);
  uma::ThreadPool pool(threads);
  uma::kernels::MatmulScratch scratch;
  std::vector<uint64_t> sink(64 * threads);

  auto kernel = [&] { uma::kernels::matmul(pool, view, x.data(), 1, y.data(), scratch); };
  // The same kernel over the same bytes cut into decode-sized calls: per layer of the llama3-1b
  // shape, calls with the weights of Q/K/V, O, gate/up and down (1536, 1024, 8192 and 4096 rows
  // of 4096), so what each call's start and barrier cost shows against one long call.
  const int64_t call_rows[] = {1536, 1024, 8192, 4096};
  std::vector<uma::kernels::MatView> calls;
  size_t calls_bytes = 0;
  for (int64_t k = 0, r0 = 0, n = call_rows[0]; r0 + n <= n_out; r0 += n, n = call_rows[++k % 4]) {
    uma::kernels::MatView v = view;
    v.data = packed.data() + group * (size_t)(r0 / 8);
    v.n_out = n;
    calls.push_back(v);
    calls_bytes += group * (size_t)(n / 8);
  }
  auto layered = [&] {
    for (const auto& v : calls) uma::kernels::matmul(pool, v, x.data(), 1, y.data(), scratch);
  };

  // The chunks matmul would hand out (kernels::guided_chunk), in 8-row groups, read by `rd`.
  auto guided_with = [&](uint64_t (*rd)(const uint8_t*, size_t)) {
    std::vector<std::pair<size_t, size_t>> ch;
    const size_t ng = (size_t)n_out / 8, nt = (size_t)threads;
    for (size_t g = 0, left = ng; g < ng;) {
      const size_t e = std::min(ng, g + uma::kernels::guided_chunk(left, ng, nt));
      ch.push_back({g, e});
      left -= e - g;
      g = e;
    }
    std::atomic<size_t> next{0};
    pool.parallel_for(nt, 1, [&](int tid, size_t, size_t) {
      for (size_t c; (c = next.fetch_add(1)) < ch.size();)
        sink[64 * tid] += rd(packed.data() + ch[c].first * group, (ch[c].second - ch[c].first) * group);
    });
  };
  auto guided_read = [&] { guided_with(read_avx2); };
  // One contiguous half per thread, as the probe reads.
  auto halves_read = [&] {
    pool.parallel_for((size_t)threads, 1, [&](int tid, size_t, size_t) {
      const size_t per = bytes / threads / 128 * 128;
      sink[64 * tid] += read_avx2(packed.data() + per * tid, per);
    });
  };
  // The same calls with each thread taking a fixed 1/THREADS of every call and no barrier
  // between calls: what the calls would cost if the threads never waited for each other.
  const uma::DType vt = uma::quant::vec_dot_type(t);
  const size_t act_row = *uma::dtype_row_bytes(vt, (uint64_t)n_in);
  std::vector<uint8_t> act(act_row);
  uma::quant::quantize_row_act(vt, x.data(), act.data(), n_in);
  const uma::quant::GemmFn gx8 = uma::quant::gemm_x8_fn(t);
  auto share = [&](const uma::kernels::MatView& v, int tid) {  // thread tid's fixed share of call v
    const int64_t ng = v.n_out / 8, g0 = ng * tid / threads, g1 = ng * (tid + 1) / threads;
    gx8({.n = n_in, .w = v.data + (size_t)g0 * group, .w_stride = group, .nr = (g1 - g0) * 8, .a = act.data(),
         .a_stride = act_row, .nt = 1, .out = y.data() + g0 * 8, .ldo = (size_t)n_out});
  };
  auto nosync = [&] {
    pool.parallel_for((size_t)threads, 1, [&](int tid, size_t, size_t) {
      for (const auto& v : calls) share(v, tid);
    });
  };
  // The same fixed shares, with a parallel_for (wake-up and barrier) per call: against nosync the
  // barrier's cost, against calls what matmul adds (quantizing, chunking, dynamic hand-out).
  auto static_calls = [&] {
    for (const auto& v : calls) pool.parallel_for((size_t)threads, 1, [&](int tid, size_t, size_t) { share(v, tid); });
  };
  struct Arm {
    const char* name;
    std::function<void()> fn;
    std::vector<double> gbs;
    size_t bytes;
  };
  std::vector<Arm> arms = {{"kernel", kernel, {}, bytes},
                           {"guided_read", guided_read, {}, bytes},
                           {"halves_read", halves_read, {}, bytes},
                           {"calls", layered, {}, calls_bytes},
                           {"calls_nosync", nosync, {}, calls_bytes},
                           {"calls_static", static_calls, {}, calls_bytes},
                           {"read_pg", [&] { guided_with(read_like_kernel<2, 0>); }, {}, bytes},
                           {"read_pf", [&] { guided_with(read_like_kernel<1, 0>); }, {}, bytes},
                           {"read_pg_work", [&] { guided_with(read_like_kernel<2, 16>); }, {}, bytes}};
  if (t == uma::DType::Q4_0 && __builtin_cpu_supports("avx512vnni"))
    arms.push_back({"like_q4_0", [&] { guided_with(like_q4_0); }, {}, bytes});
  // What a call costs besides its weight stream: a wake-up and barrier, and a whole matmul of 64
  // rows whose weights stay in cache (quantizing the activations, chunking, the kernels' set-up).
  {
    const int iters = 20000;
    uma::kernels::MatView tiny = view;
    tiny.n_out = 64;
    double t0 = now();
    for (int i = 0; i < iters; i++) pool.parallel_for((size_t)threads, 1, [&](int tid, size_t, size_t) { sink[64 * tid]++; });
    const double empty_us = (now() - t0) / iters * 1e6;
    t0 = now();
    for (int i = 0; i < iters; i++) uma::kernels::matmul(pool, tiny, x.data(), 1, y.data(), scratch);
    std::printf("per call: empty parallel_for %.2f us, 64-row matmul (in cache) %.2f us\n", empty_us,
                (now() - t0) / iters * 1e6);
  }
  for (auto& a : arms) a.fn();  // warm-up
  // Each round: five calls of every arm, taken in turn (not five of one, then five of the next),
  // so all arms see the same moments of a bandwidth that swings within seconds; best per arm.
  for (int r = 0; r < rounds; r++) {
    std::vector<double> best(arms.size(), 1e9);
    for (int i = 0; i < 5; i++)
      for (size_t k = 0; k < arms.size(); k++) {
        const double t0 = now();
        arms[k].fn();
        best[k] = std::min(best[k], now() - t0);
      }
    for (size_t k = 0; k < arms.size(); k++) arms[k].gbs.push_back((double)arms[k].bytes / best[k] / 1e9);
  }
  auto probe = uma::measure_read_bandwidth({.n_threads = threads});
  std::printf("%s x8, %d threads, %.0f MB matrix, best of 5 calls per round, GB/s per round\n", tname.c_str(), threads,
              bytes / 1e6);
  for (auto& a : arms) {
    std::printf("%-12s", a.name);
    for (double g : a.gbs) std::printf(" %6.1f", g);
    std::vector<double> s = a.gbs;
    std::sort(s.begin(), s.end());
    std::printf("   median %.1f\n", s[s.size() / 2]);
  }
  if (probe) std::printf("probe        %.1f\n", probe->bytes_per_s / 1e9);
  // Per round, one arm / another (they ran seconds apart, so they saw the same machine).
  auto print_ratio = [&](const char* name, size_t num, size_t den, const char* extra) {
    std::vector<double> ratio;
    for (size_t r = 0; r < arms[num].gbs.size(); r++) ratio.push_back(arms[num].gbs[r] / arms[den].gbs[r]);
    std::sort(ratio.begin(), ratio.end());
    std::printf("%-12s median %.3f (min %.3f, max %.3f%s)\n", name, ratio[ratio.size() / 2], ratio.front(), ratio.back(),
                extra);
  };
  char calls_info[64];
  std::snprintf(calls_info, sizeof calls_info, "; %zu calls, %.0f MB", calls.size(), calls_bytes / 1e6);
  print_ratio("kernel/read", 0, 1, "");
  print_ratio("calls/kernel", 3, 0, calls_info);
  print_ratio("nosync/calls", 4, 3, "");
  print_ratio("kernel/read_pg", 0, 6, "");
  if (arms.size() > 9) print_ratio("kernel/like", 0, 9, "");
  volatile uint64_t keep = 0;
  for (auto v : sink) keep = keep ^ v;
  return 0;
}

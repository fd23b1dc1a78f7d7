// Kernels vs the scalar reference: each ISA's vec_dot functions (quant_simd.h's table, AVX2 and
// NEON as compiled in), the tile kernels (quant_gemm.h) and kernels::matmul against a per-row
// vec_dot_ref loop, for n_tok in {1, 3, 17, 64} and row counts that are not multiples of a tile.
// Also builds for aarch64 with the cross toolchain (scripts/test_neon.sh) and runs under qemu.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/cpu/matmul.h"
#include "quant/quant.h"
#include "quant/quant_gemm.h"
#include "quant/quant_avx2.h"
#include "quant/quant_impl.h"
#include "quant/quant_simd.h"
#include "quant/repack.h"
#include "kernels/cpu/attention.h"
#include "kv/kv_cache.h"
#include "kernels/cpu/ops.h"
#include "core/f16.h"
#if defined(__aarch64__)
#include "quant/quant_neon.h"
#endif

namespace uma {
namespace {

const std::vector<DType> kWeightTypes = {
    DType::F32,  DType::F16,  DType::BF16, DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1,
    DType::Q8_0, DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::IQ4_NL};

std::vector<float> random_normal(int64_t n, uint32_t seed, float stddev) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> v((size_t)n);
  for (auto& x : v) x = dist(rng);
  return v;
}

size_t row_bytes(DType t, int64_t n) { return (size_t)*dtype_row_bytes(t, (uint64_t)n); }

// rows x n weights of type t and n_tok activation rows quantized as the matmul does.
struct Problem {
  int64_t n, rows, n_tok;
  std::vector<float> wf, xf;
  std::vector<uint8_t> w, act;
  size_t w_row, a_row;
};

Problem make_problem(DType t, int64_t n, int64_t rows, int64_t n_tok, float scale, uint32_t seed) {
  Problem p{n, rows, n_tok, {}, {}, {}, {}, row_bytes(t, n), row_bytes(quant::vec_dot_type(t), n)};
  p.wf = random_normal(n * rows, seed, scale);
  p.xf = random_normal(n * n_tok, seed + 1, scale);
  p.w.resize(p.w_row * (size_t)rows);
  for (int64_t r = 0; r < rows; ++r)
    quant::quantize_row(t, p.wf.data() + r * n, p.w.data() + p.w_row * (size_t)r, n);
  p.act.resize(p.a_row * (size_t)n_tok);
  for (int64_t k = 0; k < n_tok; ++k)
    quant::quantize_row_act(quant::vec_dot_type(t), p.xf.data() + k * n,
                            p.act.data() + p.a_row * (size_t)k, n);
  return p;
}

// Reference y[t, r] with the scalar vec_dot and the magnitude sum |w|·|a| bounding its rounding.
void reference(DType t, const Problem& p, std::vector<double>& ref, std::vector<double>& mag) {
  ref.assign((size_t)(p.rows * p.n_tok), 0);
  mag.assign(ref.size(), 0);
  std::vector<float> wd((size_t)p.n), ad((size_t)(p.n * p.n_tok));
  for (int64_t k = 0; k < p.n_tok; ++k)
    quant::dequantize_row(quant::vec_dot_type(t), p.act.data() + p.a_row * (size_t)k,
                          ad.data() + k * p.n, p.n);
  for (int64_t r = 0; r < p.rows; ++r) {
    const uint8_t* wr = p.w.data() + p.w_row * (size_t)r;
    quant::dequantize_row(t, wr, wd.data(), p.n);
    for (int64_t k = 0; k < p.n_tok; ++k) {
      double m = 0;
      for (int64_t i = 0; i < p.n; ++i) m += std::fabs((double)wd[i] * ad[(size_t)(k * p.n + i)]);
      ref[(size_t)(k * p.rows + r)] = quant::vec_dot_ref(t, p.n, wr, p.act.data() + p.a_row * (size_t)k);
      mag[(size_t)(k * p.rows + r)] = m;
    }
  }
}

int64_t block_of(DType t) { return std::max<int64_t>(dtype_info(t).block_elems, 1); }

// Every SIMD vec_dot compiled in for this CPU (AVX2 on x86, NEON on aarch64) vs the reference.
TEST(Kernels, SimdVecDotMatchesReference) {
  int checked = 0;
  for (DType t : kWeightTypes) {
    const quant::VecDotFn fn = quant::simd_vec_dot(t);
    if (fn == nullptr) continue;
    const int64_t blk = block_of(t);
    for (int64_t n : {blk * 3, blk * 37, blk == 1 ? (int64_t)1001 : blk * 64}) {
      for (float scale : {0.02f, 3.0f}) {
        const Problem p = make_problem(t, n, 1, 1, scale, (uint32_t)n);
        std::vector<double> ref, mag;
        reference(t, p, ref, mag);
        const double got = fn(n, p.w.data(), p.act.data());
        EXPECT_NEAR(got, ref[0], 2e-6 * mag[0] + 1e-30)
            << dtype_name(t) << " n=" << n << " scale=" << scale;
        checked++;
      }
    }
  }
  std::printf("checked %d SIMD vec_dot cases\n", checked);
}

#if defined(__aarch64__)
// Both NEON builds called directly: the plain-Armv8 ones always, the dotprod ones where the CPU
// (or qemu's "max" model) has sdot.
TEST(Kernels, NeonBothBuildsMatchReference) {
  struct Case {
    DType t;
    quant::VecDotFn plain, dot;
  };
  const Case cases[] = {
      {DType::F32, quant::neon::vec_dot_f32, nullptr},
      {DType::F16, quant::neon::vec_dot_f16, nullptr},
      {DType::Q4_0, quant::neon::vec_dot_q4_0_q8_0, quant::neon::vec_dot_q4_0_q8_0_dot},
      {DType::Q8_0, quant::neon::vec_dot_q8_0_q8_0, quant::neon::vec_dot_q8_0_q8_0_dot},
      {DType::Q4_K, quant::neon::vec_dot_q4_k_q8_k, quant::neon::vec_dot_q4_k_q8_k_dot},
      {DType::Q6_K, quant::neon::vec_dot_q6_k_q8_k, quant::neon::vec_dot_q6_k_q8_k_dot}};
  const bool has_dot = quant::neon::cpu_has_dotprod();
  std::printf("NEON dotprod: %s\n", has_dot ? "yes" : "no");
  for (const Case& c : cases) {
    const int64_t blk = block_of(c.t);
    for (int64_t n : {blk * 5, blk == 1 ? (int64_t)999 : blk * 40}) {
      for (float scale : {0.02f, 3.0f}) {
        const Problem p = make_problem(c.t, n, 1, 1, scale, (uint32_t)n + 7);
        std::vector<double> ref, mag;
        reference(c.t, p, ref, mag);
        EXPECT_NEAR(c.plain(n, p.w.data(), p.act.data()), ref[0], 2e-6 * mag[0] + 1e-30)
            << dtype_name(c.t) << " plain n=" << n;
        if (has_dot && c.dot != nullptr) {
          EXPECT_NEAR(c.dot(n, p.w.data(), p.act.data()), ref[0], 2e-6 * mag[0] + 1e-30)
              << dtype_name(c.t) << " dotprod n=" << n;
        }
      }
    }
  }
}
#endif

// The tile kernels directly, on shapes that exercise every tile edge (rows % 4, tokens % 2).
TEST(Kernels, GemmTilesMatchReference) {
  for (DType t : kWeightTypes) {
    const quant::GemmFn gemm = quant::gemm_fn(t);
    if (gemm == nullptr) continue;
    const int64_t blk = block_of(t);
    for (int64_t rows : {1, 4, 7, 9}) {
      for (int64_t n_tok : {1, 2, 3, 5}) {
        const int64_t n = blk == 1 ? 8 * 37 + 5 : blk * (blk == 256 ? 3 : 37);
        const Problem p = make_problem(t, n, rows, n_tok, 1.0f, (uint32_t)(rows * 100 + n_tok));
        std::vector<double> ref, mag;
        reference(t, p, ref, mag);
        std::vector<float> out((size_t)(rows * n_tok), NAN);
        gemm({.n = n, .w = p.w.data(), .w_stride = p.w_row, .nr = rows, .a = p.act.data(),
              .a_stride = p.a_row, .nt = n_tok, .out = out.data(), .ldo = (size_t)rows});
        for (size_t i = 0; i < out.size(); ++i)
          ASSERT_NEAR(out[i], ref[i], 2e-6 * mag[i] + 1e-30)
              << dtype_name(t) << " rows=" << rows << " n_tok=" << n_tok << " at " << i;
      }
    }
  }
}

// kernels::matmul (threads, tiles, fallbacks) against a per-row vec_dot_ref loop.
TEST(Kernels, MatmulMatchesPerRowReference) {
  ThreadPool pool(2);
  kernels::MatmulScratch scratch;
  for (DType t : kWeightTypes) {
    const int64_t blk = block_of(t);
    const int64_t n = blk == 256 ? 512 : 256;
    for (int64_t n_tok : {1, 3, 17, 64}) {
      for (int64_t rows : {37, 130}) {
        Problem p = make_problem(t, n, rows, n_tok, 1.0f, (uint32_t)(n_tok * 1000 + rows));
        std::vector<double> ref, mag;
        reference(t, p, ref, mag);
        const kernels::MatView view{.type = t, .data = p.w.data(), .n_in = n, .n_out = rows,
                                    .row_bytes = p.w_row};
        std::vector<float> y((size_t)(rows * n_tok), NAN);
        kernels::matmul(pool, view, p.xf.data(), n_tok, y.data(), scratch);
        double se = 0, sx = 0;
        for (size_t i = 0; i < y.size(); ++i) {
          ASSERT_NEAR(y[i], ref[i], 2e-6 * mag[i] + 1e-30)
              << dtype_name(t) << " rows=" << rows << " n_tok=" << n_tok << " at " << i;
          se += (y[i] - ref[i]) * (y[i] - ref[i]);
          sx += ref[i] * ref[i];
        }
        EXPECT_LT(se / sx, 1e-10) << dtype_name(t) << " NMSE";
      }
    }
  }
}

// matmul_multi hands the rows of several matrices out in chunks that shrink across the job list
// (guided sizes): on two threads and above the parallel threshold, every output of every job must
// be bit-identical to a separate matmul of that matrix (the rows' arithmetic does not depend on
// the chunking), with no row skipped (outputs start as NaN).
TEST(Kernels, MatmulMultiMatchesSeparateCalls) {
  ThreadPool pool(2);
  kernels::MatmulScratch scratch;
  for (DType t : {DType::F16, DType::Q4_0, DType::Q8_0, DType::Q4_K, DType::Q6_K}) {
    const int64_t n = 512;
    for (int64_t n_tok : {1, 5}) {
      const int64_t rows[] = {300, 77, 64};
      std::vector<Problem> p;
      std::vector<kernels::MatView> views;
      for (int i = 0; i < 3; ++i) p.push_back(make_problem(t, n, rows[i], n_tok, 1.0f, (uint32_t)(77 * i + n_tok)));
      for (int i = 0; i < 3; ++i)
        views.push_back({.type = t, .data = p[i].w.data(), .n_in = n, .n_out = rows[i], .row_bytes = p[i].w_row});
      std::vector<std::vector<float>> multi(3), single(3);
      std::vector<kernels::MatmulJob> jobs;
      for (int i = 0; i < 3; ++i) {
        multi[i].assign((size_t)(rows[i] * n_tok), NAN);
        single[i].assign((size_t)(rows[i] * n_tok), NAN);
        jobs.push_back({&views[i], multi[i].data()});
      }
      const std::vector<float>& x = p[0].xf;  // one activation for all jobs, as QKV and gate/up
      kernels::matmul_multi(pool, jobs, x.data(), n_tok, scratch);
      for (int i = 0; i < 3; ++i) {
        kernels::matmul(pool, views[i], x.data(), n_tok, single[i].data(), scratch);
        for (size_t k = 0; k < multi[i].size(); ++k) {
          ASSERT_FALSE(std::isnan(multi[i][k])) << dtype_name(t) << " job " << i << " output " << k << " not written";
          ASSERT_EQ(std::memcmp(&multi[i][k], &single[i][k], sizeof(float)), 0)
              << dtype_name(t) << " job " << i << " n_tok=" << n_tok << " at " << k;
        }
      }
    }
  }
}

// Activation quantization as matmul runs it (quant::quantize_row_act: AVX2 where the CPU has it)
// must give exactly the scalar reference's bytes: scales, quants and Q8_K's block sums. Inputs
// include an all-zero block, equal magnitudes of both signs (the first one sets Q8_K's sign),
// exact halves after scaling (round-to-even) and a few large values.
TEST(Kernels, ActivationQuantizersMatchScalarBytes) {
  const int64_t n = 256 * 6;
  std::vector<std::vector<float>> inputs = {random_normal(n, 11, 1.0f), random_normal(n, 12, 0.003f)};
  std::vector<float> special((size_t)n, 0.0f);  // block 0 stays zero
  for (int64_t i = 256; i < 512; ++i) special[(size_t)i] = (float)((i % 9) - 4);   // ties +-4, -4 first
  for (int64_t i = 512; i < 768; ++i) special[(size_t)i] = (float)(i % 255) * 0.5f - 63.5f;
  for (int64_t i = 768; i < n; ++i) special[(size_t)i] = (i % 37 == 0) ? 1e6f * (i % 2 ? 1 : -1) : 0.25f * (float)(i % 7);
  inputs.push_back(special);
  for (DType t : {DType::Q8_0, DType::Q8_K}) {
    const size_t bytes = row_bytes(t, n);
    for (size_t k = 0; k < inputs.size(); ++k) {
      std::vector<uint8_t> got(bytes, 0xAA), want(bytes, 0x55);
      quant::quantize_row_act(t, inputs[k].data(), got.data(), n);
      if (t == DType::Q8_0)
        quant::impl::quantize_act_q8_0(inputs[k].data(), want.data(), n);
      else
        quant::impl::quantize_q8_k(inputs[k].data(), want.data(), n);
      EXPECT_EQ(got, want) << dtype_name(t) << " input " << k;
    }
  }
}

// The x8 layouts (repack.h): the scalar reference and each of this CPU's kernels (AVX-512 VNNI, AVX2) on repacked rows equal
// the plain per-row reference for every token-tile edge (1..5, 9, and past the 64-token block),
// then kernels::matmul over a repacked view with two threads.
class X8Kernels : public ::testing::TestWithParam<std::pair<DType, quant::GemmFn>> {};

TEST_P(X8Kernels, MatchReference) {
  const DType t = GetParam().first;
  std::vector<std::pair<const char*, quant::GemmFn>> fns = {{"ref", GetParam().second}};
  for (const auto& f : quant::gemm_x8_fns(t)) fns.push_back(f);  // every ISA this CPU runs
  // matmul takes the fastest of them (the first), unless UMA_ISA=avx2 asks for AVX2.
  if (fns.size() > 1 && std::getenv("UMA_ISA") == nullptr) {
    EXPECT_EQ(quant::gemm_x8_fn(t), fns[1].second) << fns[1].first;
  }
  const size_t n = 256 * 3;
  const size_t group = quant::interleaved_group_bytes(t, (int64_t)n);
  for (int64_t rows : {8, 24}) {
    for (int64_t n_tok : {1, 2, 3, 4, 5, 9, 70}) {
      for (float scale : {0.02f, 3.0f}) {
        const Problem p = make_problem(t, (int64_t)n, rows, n_tok, scale, (uint32_t)(rows * 7 + n_tok));
        std::vector<uint8_t> packed(group * (size_t)(rows / 8));
        for (int64_t r = 0; r < rows; r += 8)
          quant::repack_rows_x8(t, p.w.data() + p.w_row * (size_t)r, p.w_row, (int64_t)n,
                                packed.data() + group * (size_t)(r / 8));
        std::vector<double> ref, mag;
        reference(t, p, ref, mag);
        for (const auto& [name, fn] : fns) {
          std::vector<float> out((size_t)(rows * n_tok), NAN);
          fn({.n = (int64_t)n, .w = packed.data(), .w_stride = group, .nr = rows, .a = p.act.data(),
              .a_stride = p.a_row, .nt = n_tok, .out = out.data(), .ldo = (size_t)rows});
          for (size_t i = 0; i < out.size(); ++i)
            ASSERT_NEAR(out[i], ref[i], 2e-6 * mag[i] + 1e-30)
                << name << " rows=" << rows << " n_tok=" << n_tok << " at " << i;
        }
        if (fns.size() < 2) continue;
        ThreadPool pool(2);
        kernels::MatmulScratch scratch;
        const kernels::MatView view{.type = t, .data = packed.data(), .n_in = (int64_t)n,
                                    .n_out = rows, .row_bytes = p.w_row, .interleave = 8};
        std::vector<float> y((size_t)(rows * n_tok), NAN);
        kernels::matmul(pool, view, p.xf.data(), n_tok, y.data(), scratch);
        for (size_t i = 0; i < y.size(); ++i)
          ASSERT_NEAR(y[i], ref[i], 2e-6 * mag[i] + 1e-30) << "matmul n_tok=" << n_tok << " at " << i;
      }
    }
  }
}

// A decode-sized matmul runs a kernel once per chunk, and the kernels keep the per-activation
// sums of their last chunk while GemmArgs::act_id is unchanged (quant_x8_common.h, ActSums).
// Consecutive calls through one scratch buffer put new activations at the same address: each
// call's result must still be its own, on every x8 type, over many chunks on two threads, for
// one token and for five (the prefill tiles and their leftover token).
TEST_P(X8Kernels, RepeatedMatmulsKeepNoStaleSums) {
  const DType t = GetParam().first;
  if (quant::gemm_x8_fns(t).empty()) GTEST_SKIP() << "no x8 kernel on this CPU";
  const int64_t n = 256 * 2, rows = 512;
  const size_t group = quant::interleaved_group_bytes(t, n);
  ThreadPool pool(2);
  kernels::MatmulScratch scratch;
  for (uint32_t call = 0; call < 6; ++call) {
    const int64_t n_tok = call % 2 ? 5 : 1;  // decode, and a prefill tile with a leftover token
    const Problem p = make_problem(t, n, rows, n_tok, 0.5f, 100 + call);  // new weights and activations
    std::vector<uint8_t> packed(group * (size_t)(rows / 8));
    for (int64_t r = 0; r < rows; r += 8)
      quant::repack_rows_x8(t, p.w.data() + p.w_row * (size_t)r, p.w_row, n, packed.data() + group * (size_t)(r / 8));
    std::vector<double> ref, mag;
    reference(t, p, ref, mag);
    const kernels::MatView view{.type = t, .data = packed.data(), .n_in = n, .n_out = rows, .row_bytes = p.w_row,
                                .interleave = 8};
    std::vector<float> y((size_t)(rows * n_tok), NAN);
    kernels::matmul(pool, view, p.xf.data(), n_tok, y.data(), scratch);
    for (size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], ref[i], 2e-6 * mag[i] + 1e-30) << "call " << call << " at " << i;
  }
}

// Attention of a head group over a paged KV cache (attention.h, in kv_cache.h's layout with two
// KV heads per block, the second one used): every SIMD kernel this CPU runs and the scalar
// reference against float64 math on a shuffled block table, with odd lengths (partial blocks),
// group sizes 1-8 and head dims on and off the 8-lane path. Probabilities are rounded to f16
// before they meet V (as in llama.cpp), so a score that differs in its last bit can move one p by
// 2^-11 relative: the bound is 2^-10 * sum_j p_j |v_j| per element, plus float noise.
TEST(Kernels, AttentionMatchesFloat64) {
  for (int64_t bs : {32, 16}) {
    for (int64_t hd : {64, 128, 72, 20}) {
      for (int group : {1, 2, 3, 4, 5, 8}) {
        for (int64_t n_kv : {1, 31, 32, 33, 100, 301, 1100}) {
          const int64_t n_kv_heads = 2, head = 1;  // rows hold 2 KV heads; attend to the second
          const int64_t nblk = (n_kv + bs - 1) / bs + 3, row = n_kv_heads * hd;
          const uint32_t seed = (uint32_t)(bs * 7919 + hd * 131 + group * 17 + n_kv);
          std::vector<int32_t> table((size_t)nblk);
          // A permutation: reverse order, so consecutive positions' blocks are far apart.
          for (int64_t b = 0; b < nblk; b++) table[(size_t)b] = (int32_t)(nblk - 1 - b);
          const std::vector<float> kf = random_normal(nblk * bs * row, seed, 1.0f);
          const std::vector<float> vf = random_normal(nblk * bs * row, seed + 1, 1.0f);
          std::vector<uint16_t> k16(kf.size()), v16(vf.size());
          for (size_t i = 0; i < kf.size(); i++) k16[i] = f32_to_f16(kf[i]), v16[i] = f32_to_f16(vf[i]);
          std::vector<float> q = random_normal(group * hd, seed + 2, 1.0f);
          for (float& x : q) x = f16_to_f32(f32_to_f16(x));
          const float scale = 1.0f / std::sqrt((float)hd);
          // float64 truth: K/V at their stored values, p unrounded.
          // kv_cache.h's layout: per block and KV head, K as [hd][bs] and V as [bs][hd].
          auto kv_at = [&](const std::vector<float>& src, const std::vector<uint16_t>& s16, bool f16, bool is_k,
                           int64_t j, int64_t c) {
            const int64_t in_head = is_k ? c * bs + j % bs : (j % bs) * hd + c;
            const size_t i = (size_t)(table[(size_t)(j / bs)] * bs * row + head * bs * hd + in_head);
            return f16 ? (double)f16_to_f32(s16[i]) : (double)src[i];
          };
          for (bool f16 : {true, false}) {
            std::vector<double> exact((size_t)(group * hd), 0.0), bound((size_t)(group * hd), 0.0);
            std::vector<double> exact_lse((size_t)group);
            for (int h = 0; h < group; h++) {
              std::vector<double> s((size_t)n_kv);
              double mx = -1e300, sum = 0;
              for (int64_t j = 0; j < n_kv; j++) {
                double d = 0;
                for (int64_t c = 0; c < hd; c++) d += (double)q[(size_t)(h * hd + c)] * kv_at(kf, k16, f16, true, j, c);
                s[(size_t)j] = d * scale;
                mx = std::max(mx, s[(size_t)j]);
              }
              for (double& x : s) sum += x = std::exp(x - mx);
              exact_lse[(size_t)h] = mx + std::log(sum);
              for (int64_t j = 0; j < n_kv; j++)
                for (int64_t c = 0; c < hd; c++) {
                  const double p = s[(size_t)j] / sum, v = kv_at(vf, v16, f16, false, j, c);
                  exact[(size_t)(h * hd + c)] += p * v;
                  bound[(size_t)(h * hd + c)] += p * std::fabs(v);
                }
            }
            const size_t es = f16 ? 2 : 4;
            const uint8_t* kb = f16 ? reinterpret_cast<const uint8_t*>(k16.data()) : reinterpret_cast<const uint8_t*>(kf.data());
            const uint8_t* vb = f16 ? reinterpret_cast<const uint8_t*>(v16.data()) : reinterpret_cast<const uint8_t*>(vf.data());
            const kernels::KvView kv{kb + head * bs * hd * es, vb + head * bs * hd * es, table.data(), bs,
                                     (size_t)(bs * row) * es, es, (size_t)bs * es, (size_t)hd * es};
            using Fn = kernels::AttendFn;
            std::vector<std::pair<const char*, Fn>> fns =
                f16 ? std::vector<std::pair<const char*, Fn>>{{"f16", kernels::attend_f16}, {"f16_ref", kernels::attend_f16_ref}}
                    : std::vector<std::pair<const char*, Fn>>{{"f32", kernels::attend_f32}};
            if (f16)
              for (const auto& f : kernels::attend_f16_kernels(kv, hd)) fns.push_back(f);  // every ISA this CPU runs
            for (const auto& [name, fn] : fns) {
              const int64_t ss = n_kv + 5, os = hd + 3;
              std::vector<float> sc((size_t)(group * ss), NAN), out((size_t)(group * os), NAN);
              std::vector<float> lse((size_t)group, NAN);
              fn(q.data(), hd, group, hd, scale, kv, n_kv, sc.data(), ss, out.data(), os, lse.data());
              const double rel = f16 ? 1.0 / 1024 : 1e-5;
              for (int h = 0; h < group; h++) {
                ASSERT_NEAR(lse[(size_t)h], exact_lse[(size_t)h], 1e-5 * (1 + std::fabs(exact_lse[(size_t)h])))
                    << name << " lse, n_kv=" << n_kv << " h=" << h;
                for (int64_t c = 0; c < hd; c++) {
                  const size_t i = (size_t)(h * hd + c);
                  ASSERT_NEAR(out[(size_t)(h * os + c)], exact[i], rel * bound[i] + 1e-5)
                      << name << " bs=" << bs << " hd=" << hd << " group=" << group << " n_kv=" << n_kv << " h=" << h << " c=" << c;
                }
              }
              // The same positions in block-aligned parts (as Context::attention splits long
              // contexts), each with its lse, merged: the whole range's result within the same bound.
              const int64_t nblk_used = (n_kv + bs - 1) / bs;
              for (int64_t per : {int64_t{1}, int64_t{2}}) {
                if (per >= nblk_used) continue;
                const int parts = (int)((nblk_used + per - 1) / per);
                std::vector<float> po((size_t)(parts * group * hd)), pl((size_t)(parts * group));
                for (int i = 0; i < parts; i++) {
                  kernels::KvView kp = kv;
                  kp.table = table.data() + i * per;
                  const int64_t len = std::min(n_kv - i * per * bs, per * bs);
                  fn(q.data(), hd, group, hd, scale, kp, len, sc.data(), ss, po.data() + (size_t)(i * group * hd), hd,
                     pl.data() + (size_t)(i * group));
                }
                std::vector<float> merged((size_t)(group * os), NAN);
                kernels::merge_attention(parts, group, hd, po.data(), pl.data(), merged.data(), os);
                for (int h = 0; h < group; h++)
                  for (int64_t c = 0; c < hd; c++) {
                    const size_t i = (size_t)(h * hd + c);
                    ASSERT_NEAR(merged[(size_t)(h * os + c)], exact[i], rel * bound[i] + 1e-5)
                        << name << " split in " << parts << " bs=" << bs << " hd=" << hd << " group=" << group
                        << " n_kv=" << n_kv << " h=" << h << " c=" << c;
                  }
              }
            }
          }
        }
      }
    }
  }
}

// The KV cache's own layout end to end: rows written with KvCache::store (K transposed per
// block) and read back by attend_f16 through the cache's strides must give the attention of the
// rows that were stored (float64 from the f16-rounded inputs), and that layout must be the one
// the SIMD kernel takes on a CPU that has it — a layout change that silently sent decode to the
// scalar path fails here.
TEST(Kernels, AttentionOverKvCacheStore) {
  const int64_t n_head_kv = 2, hd = 64, n_kv = 45, group = 4;
  auto made = KvCache::create(/*n_layer=*/2, n_head_kv, hd, /*n_blocks=*/4, /*n_seq=*/1, DType::F16);
  ASSERT_TRUE(made.ok());
  KvCache kv = std::move(made).value();
  ASSERT_TRUE(kv.reserve(0, n_kv).is_ok());
  const std::vector<float> kf = random_normal(n_kv * n_head_kv * hd, 5, 1.0f), vf = random_normal(n_kv * n_head_kv * hd, 6, 1.0f);
  for (int64_t j = 0; j < n_kv; j++) kv.store(1, 0, j, kf.data() + j * n_head_kv * hd, vf.data() + j * n_head_kv * hd);
  std::vector<float> q = random_normal(group * hd, 7, 1.0f);
  for (float& x : q) x = f16_to_f32(f32_to_f16(x));
  const float scale = 1.0f / std::sqrt((float)hd);
  auto r16 = [](float x) { return (double)f16_to_f32(f32_to_f16(x)); };
  for (int64_t g = 0; g < n_head_kv; g++) {
    const kernels::KvView view{kv.k_head(1, g), kv.v_head(1, g), kv.table(0),       kv.block_size(),
                               kv.block_bytes(), kv.k_pos_stride(), kv.k_dim_stride(), kv.v_pos_stride()};
    EXPECT_EQ(kernels::attend_f16_simd(view, hd), quant::avx2::cpu_supported());
#if defined(__x86_64__)
    // ... and the AVX-512 kernel too where the CPU has it (hd 64 is a multiple of 16).
    const bool avx512 = quant::avx2::cpu_supported() && __builtin_cpu_supports("avx512f");
    EXPECT_EQ(kernels::attend_f16_kernels(view, hd).size(), (size_t)quant::avx2::cpu_supported() + avx512);
#endif
    std::vector<float> sc((size_t)(group * n_kv)), out((size_t)(group * hd));
    kernels::attend_f16(q.data(), hd, group, hd, scale, view, n_kv, sc.data(), n_kv, out.data(), hd);
    for (int64_t h = 0; h < group; h++) {
      std::vector<double> s((size_t)n_kv);
      double mx = -1e300, sum = 0;
      for (int64_t j = 0; j < n_kv; j++) {
        double d = 0;
        for (int64_t c = 0; c < hd; c++) d += (double)q[(size_t)(h * hd + c)] * r16(kf[(size_t)((j * n_head_kv + g) * hd + c)]);
        mx = std::max(mx, s[(size_t)j] = d * scale);
      }
      for (double& x : s) sum += x = std::exp(x - mx);
      for (int64_t c = 0; c < hd; c++) {
        double want = 0, bound = 0;
        for (int64_t j = 0; j < n_kv; j++) {
          const double v = r16(vf[(size_t)((j * n_head_kv + g) * hd + c)]);
          want += s[(size_t)j] / sum * v;
          bound += s[(size_t)j] / sum * std::fabs(v);
        }
        ASSERT_NEAR(out[(size_t)(h * hd + c)], want, bound / 1024 + 1e-5) << "kv head " << g << " h=" << h << " c=" << c;
      }
    }
  }
}

// Every (layer, KV head, sequence, position) of the pool has its own place: all of them are
// stored first (two sequences taking blocks in turn, so their tables interleave; a head size of
// 12 for the F16C tail), then each element is read back through the accessors the kernels use.
// A layout whose regions overlapped would return the value stored last there instead.
TEST(Kernels, KvCacheKeepsEveryLayerHeadAndSequenceApart) {
  for (DType type : {DType::F16, DType::F32}) {
    const int64_t n_layer = 3, n_head_kv = 2, hd = 12, bs = 4, n_blocks = 6;
    auto made = KvCache::create(n_layer, n_head_kv, hd, n_blocks, /*n_seq=*/2, type, bs);
    ASSERT_TRUE(made.ok());
    KvCache kv = std::move(made).value();
    EXPECT_EQ(kv.bytes(), KvCache::bytes_needed(n_layer, n_blocks * bs, n_head_kv * hd, type));
    const int64_t len[2] = {10, 11};  // 3 blocks each: the pool's 6
    for (int64_t n = 1; n <= 11; n++)
      for (int32_t s = 0; s < 2; s++) ASSERT_TRUE(kv.reserve(s, std::min(n, len[s])).is_ok());
    EXPECT_EQ(kv.table(0)[1], 2);  // taken in turn: seq 0 has blocks 0, 2, 4
    const int64_t row = n_head_kv * hd;
    auto value = [&](int64_t il, int32_t s, int64_t j, int64_t e, bool is_v) {  // exact in f16
      return (float)((((il * 2 + s) * 16 + j) * row + e) % 1999) * (is_v ? -0.5f : 0.25f);
    };
    std::vector<float> k((size_t)row), v((size_t)row);
    for (int64_t il = 0; il < n_layer; il++)
      for (int32_t s = 0; s < 2; s++)
        for (int64_t j = 0; j < len[s]; j++) {
          for (int64_t e = 0; e < row; e++) k[(size_t)e] = value(il, s, j, e, false), v[(size_t)e] = value(il, s, j, e, true);
          kv.store(il, s, j, k.data(), v.data());
        }
    auto read = [&](const uint8_t* p) {
      if (type == DType::F32) {
        float f;
        std::memcpy(&f, p, 4);
        return f;
      }
      uint16_t h;
      std::memcpy(&h, p, 2);
      return f16_to_f32(h);
    };
    for (int64_t il = 0; il < n_layer; il++)
      for (int32_t s = 0; s < 2; s++)
        for (int64_t j = 0; j < len[s]; j++)
          for (int64_t h = 0; h < n_head_kv; h++)
            for (int64_t c = 0; c < hd; c++) {
              const size_t blk = (size_t)kv.table(s)[j / bs] * kv.block_bytes(), i = (size_t)(j % bs);
              const uint8_t* kp = kv.k_head(il, h) + blk + i * kv.k_pos_stride() + (size_t)c * kv.k_dim_stride();
              const uint8_t* vp = kv.v_head(il, h) + blk + i * kv.v_pos_stride() + (size_t)c * (type == DType::F32 ? 4 : 2);
              ASSERT_EQ(read(kp), value(il, s, j, h * hd + c, false)) << "K layer " << il << " seq " << s << " pos " << j;
              ASSERT_EQ(read(vp), value(il, s, j, h * hd + c, true)) << "V layer " << il << " seq " << s << " pos " << j;
            }
  }
}

// softmax and SwiGLU (AVX2 exp where present) against float64 math: within 1e-6 relative, exact
// zeros far below the maximum, odd lengths for the scalar tail.
TEST(Kernels, SoftmaxAndSwigluMatchDouble) {
  for (int64_t n : {1, 7, 8, 33, 4099}) {
    std::vector<float> x = random_normal(n, (uint32_t)n, 6.0f);
    if (n > 8) x[3] = -200.0f;  // e^(x - max) underflows: probability 0
    std::vector<double> ref((size_t)n);
    double mx = -1e300, sum = 0;
    for (float v : x) mx = std::max(mx, (double)v);
    for (int64_t i = 0; i < n; i++) sum += ref[(size_t)i] = std::exp((double)x[(size_t)i] - mx);
    const std::vector<float> x0 = x;
    kernels::softmax(x.data(), n);
    // x - max is a float subtraction (as in the scalar loop): its rounding, |x - max| * 2^-24,
    // carries into e^(x - max) as relative error.
    for (int64_t i = 0; i < n; i++) {
      const double p = ref[(size_t)i] / sum, tol = 1e-6 + std::fabs(x0[(size_t)i] - mx) * 6e-8;
      ASSERT_NEAR(x[(size_t)i], p, tol * p + 1e-30) << "n=" << n << " i=" << i;
    }
    const std::vector<float> g = random_normal(n, (uint32_t)n + 1, 4.0f), u = random_normal(n, 5, 1.0f);
    std::vector<float> out((size_t)n);
    kernels::swiglu(g.data(), u.data(), out.data(), n);
    for (int64_t i = 0; i < n; i++) {
      const double gd = g[(size_t)i], want = gd / (1.0 + std::exp(-gd)) * u[(size_t)i];
      ASSERT_NEAR(out[(size_t)i], want, 1e-6 * std::fabs(want) + 1e-30) << "n=" << n << " i=" << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, X8Kernels,
                         ::testing::Values(std::make_pair(DType::Q4_0, quant::gemm_q4_0_x8_ref),
                                           std::make_pair(DType::Q4_K, quant::gemm_q4_k_x8_ref),
                                           std::make_pair(DType::Q8_0, quant::gemm_q8_0_x8_ref),
                                           std::make_pair(DType::Q6_K, quant::gemm_q6_k_x8_ref)),
                         [](const auto& info) { return std::string(dtype_name(info.param.first)); });

}  // namespace
}  // namespace uma

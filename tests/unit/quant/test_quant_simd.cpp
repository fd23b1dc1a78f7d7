// The AVX2 dot products called directly (skipped on CPUs without AVX2/FMA/F16C) against the
// scalar reference, over odd lengths and extreme quants; plus a short throughput print of
// scalar vs dispatched vec_dot per type (informational, no timing assertions).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "quant/quant_avx2.h"
#include "quant_test_util.h"

namespace uma::quant {
namespace {

struct SimdCase {
  DType type;
  VecDotFn fn;
};

std::vector<SimdCase> simd_cases() {
  return {{DType::F32, avx2::vec_dot_f32},       {DType::F16, avx2::vec_dot_f16},
          {DType::Q8_0, avx2::vec_dot_q8_0_q8_0}, {DType::Q4_0, avx2::vec_dot_q4_0_q8_0},
          {DType::Q4_K, avx2::vec_dot_q4_k_q8_k}, {DType::Q6_K, avx2::vec_dot_q6_k_q8_k},
          {DType::BF16, avx2::vec_dot_bf16},      {DType::Q4_1, avx2::vec_dot_q4_1_q8_1},
          {DType::Q5_0, avx2::vec_dot_q5_0_q8_0}, {DType::Q5_1, avx2::vec_dot_q5_1_q8_1},
          {DType::IQ4_NL, avx2::vec_dot_iq4_nl_q8_0}, {DType::Q2_K, avx2::vec_dot_q2_k_q8_k},
          {DType::Q3_K, avx2::vec_dot_q3_k_q8_k}, {DType::Q5_K, avx2::vec_dot_q5_k_q8_k}};
}

TEST(QuantAvx2, MatchesScalarReference) {
  if (!avx2::cpu_supported()) GTEST_SKIP() << "no AVX2/FMA/F16C on this CPU";
  for (const auto& c : simd_cases()) {
    const int64_t blk = std::max<int64_t>(dtype_info(c.type).block_elems, 1);
    // Odd lengths (F32/F16 tails) and several blocks; scale 3 pushes quants to their extremes.
    for (int64_t n : {blk * 8, blk * 37, (int64_t)(blk == 1 ? 1007 : blk * 64)}) {
      for (float scale : {0.02f, 3.0f}) {
        const auto w = test::random_normal(n, (uint32_t)n, scale);
        const auto a = test::random_normal(n, (uint32_t)n + 1, scale);
        const auto wq = test::quantize(c.type, w);
        const auto aq = test::quantize(vec_dot_type(c.type), a);
        const auto wd = test::dequantize(c.type, wq.data(), n);
        const auto ad = test::dequantize(vec_dot_type(c.type), aq.data(), n);
        double mag = 0;
        for (int64_t i = 0; i < n; ++i) mag += std::fabs((double)wd[i] * ad[i]);
        const double ref = vec_dot_ref(c.type, n, wq.data(), aq.data());
        const double got = c.fn(n, wq.data(), aq.data());
        EXPECT_NEAR(got, ref, 2e-6 * mag) << dtype_name(c.type) << " n=" << n << " s=" << scale;
      }
    }
  }
}

// Weight rows whose quants sit at the ends of their ranges (all-max blocks) must not saturate
// the int16 pair sums of maddubs.
TEST(QuantAvx2, ExtremeQuantsDoNotSaturate) {
  if (!avx2::cpu_supported()) GTEST_SKIP() << "no AVX2/FMA/F16C on this CPU";
  for (const auto& c : simd_cases()) {
    const int64_t n = 2048;
    for (float sign : {1.0f, -1.0f}) {
      std::vector<float> w((size_t)n), a((size_t)n);
      for (int64_t i = 0; i < n; ++i) {
        w[(size_t)i] = (i % 2 ? 1.0f : -1.0f) * sign;  // alternating extremes
        a[(size_t)i] = (i % 2 ? 1.0f : -1.0f);
      }
      const auto wq = test::quantize(c.type, w);
      const auto aq = test::quantize(vec_dot_type(c.type), a);
      const auto wd = test::dequantize(c.type, wq.data(), n);
      const auto ad = test::dequantize(vec_dot_type(c.type), aq.data(), n);
      double exact = 0;
      for (int64_t i = 0; i < n; ++i) exact += (double)wd[(size_t)i] * ad[(size_t)i];
      const double ref = vec_dot_ref(c.type, n, wq.data(), aq.data());
      const double got = c.fn(n, wq.data(), aq.data());
      EXPECT_NEAR(got, ref, 1e-5 * std::fabs(ref) + 1e-6) << dtype_name(c.type);
      EXPECT_NEAR(got, exact, 1e-5 * std::fabs(exact) + 1e-6) << dtype_name(c.type);
    }
  }
}

TEST(QuantSpeed, PrintThroughput) {
  const int64_t n = 4096, rows = 64;
  std::printf("  type    scalar GB/s  dispatched GB/s  (weight bytes, %lld x %lld, in cache)\n",
              (long long)rows, (long long)n);
  for (DType t : test::weight_types()) {
    if (t == DType::Q8_K) continue;  // activation type, not a weight type in practice
    const auto w = test::quantize(t, test::random_normal(n * rows, 1, 0.02f));
    const auto a = test::quantize(vec_dot_type(t), test::random_normal(n, 2));
    const size_t rb = test::row_bytes(t, n);
    auto time_gbs = [&](auto&& fn) {
      volatile float sink = 0;
      int reps = 0;
      const auto t0 = std::chrono::steady_clock::now();
      double sec = 0;
      do {
        for (int64_t r = 0; r < rows; ++r) sink = sink + fn(n, w.data() + r * rb, a.data());
        ++reps;
        sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      } while (sec < 0.02);
      return (double)reps * rows * rb / sec / 1e9;
    };
    const double scalar = time_gbs([t](int64_t k, const void* x, const void* y) {
      return vec_dot_ref(t, k, x, y);
    });
    const double fast = time_gbs(vec_dot_fn(t));
    std::printf("  %-7s %8.2f     %8.2f\n", std::string(dtype_name(t)).c_str(), scalar, fast);
  }
}

}  // namespace
}  // namespace uma::quant

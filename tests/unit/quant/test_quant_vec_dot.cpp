// vec_dot for every weight type with its activation type: against a float64 dot of the
// dequantized operands (tight: only float rounding may differ), against f32 activations (looser:
// includes the activation quantization error), and the dispatched SIMD version vs the reference.
#include <gtest/gtest.h>

#include <cstdio>

#include "quant_test_util.h"

namespace uma::quant {
namespace {

using test::random_normal;

struct DotCase {
  std::vector<float> w, a;          // f32 inputs
  std::vector<uint8_t> wq, aq;      // quantized
  std::vector<float> wd, ad;        // dequantized
};

DotCase make_case(DType t, int64_t n, uint32_t seed) {
  DotCase c;
  c.w = random_normal(n, seed, 0.02f);
  c.a = random_normal(n, seed + 1000, 1.0f);
  c.wq = test::quantize(t, c.w);
  c.aq = test::quantize(vec_dot_type(t), c.a);
  c.wd = test::dequantize(t, c.wq.data(), n);
  c.ad = test::dequantize(vec_dot_type(t), c.aq.data(), n);
  return c;
}

double dot64(const std::vector<float>& x, const std::vector<float>& y) {
  double s = 0;
  for (size_t i = 0; i < x.size(); ++i) s += (double)x[i] * y[i];
  return s;
}

double abs_dot64(const std::vector<float>& x, const std::vector<float>& y) {
  double s = 0;
  for (size_t i = 0; i < x.size(); ++i) s += std::fabs((double)x[i] * y[i]);
  return s;
}

// Q8_1 stores s = d * sum(q) rounded to f16, so the Q4_1/Q5_1 dots carry m * s with s off by up
// to half an f16 ulp: bound that term per block.
double q8_1_s_slack(DType t, const DotCase& c) {
  if (vec_dot_type(t) != DType::Q8_1) return 0;
  double slack = 0;
  for (size_t b = 0; b < c.a.size() / 32; ++b) {
    double m = 1e30, s = 0;
    for (size_t i = 0; i < 32; ++i) {
      m = std::min(m, (double)c.wd[32 * b + i]);
      s += c.ad[32 * b + i];
    }
    slack += std::fabs(m) * std::fabs(s) * std::ldexp(1.0, -11);
  }
  return slack;
}

TEST(QuantVecDot, MatchesFloat64DotOfDequantized) {
  for (DType t : test::weight_types()) {
    for (int64_t n : {256, 256 * 7}) {
      const DotCase c = make_case(t, n, (uint32_t)n + (uint32_t)t);
      const double ref = dot64(c.wd, c.ad);
      const double mag = abs_dot64(c.wd, c.ad);
      const double got = vec_dot_ref(t, n, c.wq.data(), c.aq.data());
      // float accumulation over n/block partial sums: a few ulps of the magnitude.
      const double tol = 2e-6 * mag + q8_1_s_slack(t, c);
      EXPECT_NEAR(got, ref, tol) << dtype_name(t) << " n=" << n;
    }
  }
}

// Upper bounds of |dot(quantized w, quantized a) - dot(quantized w, f32 a)| / sum |w a|: the
// effect of quantizing the activations alone. The error is a random-sign sum, expected about
// sqrt(activation nmse / n) * pi/2; bounds are ~4 sigma of that for n = 4096 (F32 is exact).
struct ActBound {
  DType act;
  double rel;
};
constexpr ActBound kActBounds[] = {
    {DType::F32, 1e-6},  {DType::F16, 2e-5},  {DType::BF16, 1.6e-4},
    {DType::Q8_0, 5e-4}, {DType::Q8_1, 5e-4}, {DType::Q8_K, 7e-4},
};

TEST(QuantVecDot, CloseToF32Activations) {
  for (DType t : test::weight_types()) {
    const int64_t n = 4096;
    const DotCase c = make_case(t, n, 42);
    const double ref = dot64(c.wd, c.a);
    const double mag = abs_dot64(c.wd, c.a);
    const double got = vec_dot(t, n, c.wq.data(), c.aq.data());
    double bound = 0;
    for (const ActBound& b : kActBounds)
      if (b.act == vec_dot_type(t)) bound = b.rel;
    std::printf("  %-7s x %-5s rel err %.2e\n", std::string(dtype_name(t)).c_str(),
                std::string(dtype_name(vec_dot_type(t))).c_str(), std::fabs(got - ref) / mag);
    EXPECT_NEAR(got, ref, bound * mag) << dtype_name(t);
  }
}

// The dispatched version (AVX2 where available) computes the same integer sums; only the order of
// float additions may differ.
TEST(QuantVecDot, DispatchedMatchesReference) {
  for (DType t : test::weight_types()) {
    for (int64_t n : {256, 256 * 3, 256 * 16}) {
      const DotCase c = make_case(t, n, 7 + (uint32_t)n);
      const double mag = abs_dot64(c.wd, c.ad);
      const double ref = vec_dot_ref(t, n, c.wq.data(), c.aq.data());
      const double got = vec_dot(t, n, c.wq.data(), c.aq.data());
      const double got_fn = vec_dot_fn(t)(n, c.wq.data(), c.aq.data());
      EXPECT_NEAR(got, ref, 2e-6 * mag) << dtype_name(t) << " n=" << n;
      EXPECT_EQ(got, got_fn) << dtype_name(t);
    }
  }
}

// All-zero activations or weights give exactly zero.
TEST(QuantVecDot, ZerosGiveZero) {
  for (DType t : test::weight_types()) {
    const int64_t n = 512;
    const std::vector<float> zero((size_t)n, 0.0f);
    const auto w = test::quantize(t, random_normal(n, 1));
    const auto wz = test::quantize(t, zero);
    const auto a = test::quantize(vec_dot_type(t), random_normal(n, 2));
    const auto az = test::quantize(vec_dot_type(t), zero);
    EXPECT_EQ(vec_dot(t, n, w.data(), az.data()), 0.0f) << dtype_name(t);
    EXPECT_EQ(vec_dot(t, n, wz.data(), a.data()), 0.0f) << dtype_name(t);
  }
}

}  // namespace
}  // namespace uma::quant

// Quantize -> dequantize on synthetic data for every type: per-type error bounds (measured values
// with margin), shapes of several blocks, all-zero and constant blocks, extreme magnitudes, and
// agreement of block layouts with the core dtype table.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

#include "quant/blocks.h"
#include "quant_test_util.h"

namespace uma::quant {
namespace {

using test::error_stats;
using test::random_normal;

TEST(QuantBlocks, SizesMatchDtypeTable) {
  EXPECT_EQ(sizeof(BlockQ4_0), dtype_info(DType::Q4_0).block_bytes);
  EXPECT_EQ(sizeof(BlockQ4_1), dtype_info(DType::Q4_1).block_bytes);
  EXPECT_EQ(sizeof(BlockQ5_0), dtype_info(DType::Q5_0).block_bytes);
  EXPECT_EQ(sizeof(BlockQ5_1), dtype_info(DType::Q5_1).block_bytes);
  EXPECT_EQ(sizeof(BlockQ8_0), dtype_info(DType::Q8_0).block_bytes);
  EXPECT_EQ(sizeof(BlockQ8_1), dtype_info(DType::Q8_1).block_bytes);
  EXPECT_EQ(sizeof(BlockQ2_K), dtype_info(DType::Q2_K).block_bytes);
  EXPECT_EQ(sizeof(BlockQ3_K), dtype_info(DType::Q3_K).block_bytes);
  EXPECT_EQ(sizeof(BlockQ4_K), dtype_info(DType::Q4_K).block_bytes);
  EXPECT_EQ(sizeof(BlockQ5_K), dtype_info(DType::Q5_K).block_bytes);
  EXPECT_EQ(sizeof(BlockQ6_K), dtype_info(DType::Q6_K).block_bytes);
  EXPECT_EQ(sizeof(BlockQ8_K), dtype_info(DType::Q8_K).block_bytes);
  EXPECT_EQ(sizeof(BlockIQ4_NL), dtype_info(DType::IQ4_NL).block_bytes);
  EXPECT_EQ(dtype_info(DType::Q4_K).block_elems, (uint32_t)kQK_K);
  EXPECT_EQ(dtype_info(DType::IQ4_NL).block_elems, (uint32_t)kQK4_NL);
}

TEST(QuantBlocks, Capabilities) {
  for (DType t : test::weight_types()) {
    EXPECT_TRUE(can_dequantize(t)) << dtype_name(t);
    EXPECT_TRUE(can_quantize(t)) << dtype_name(t);
    EXPECT_TRUE(can_vec_dot(t)) << dtype_name(t);
    EXPECT_TRUE(can_quantize(vec_dot_type(t))) << dtype_name(t);
  }
  EXPECT_TRUE(can_quantize(DType::Q8_1));
  for (DType t : {DType::IQ2_XXS, DType::IQ4_XS, DType::I32, DType::TQ1_0}) {
    EXPECT_FALSE(can_dequantize(t)) << dtype_name(t);
    EXPECT_FALSE(can_quantize(t)) << dtype_name(t);
  }
}

TEST(QuantBlocks, VecDotTypesAsLlamaCpp) {
  EXPECT_EQ(vec_dot_type(DType::F32), DType::F32);
  EXPECT_EQ(vec_dot_type(DType::F16), DType::F16);
  EXPECT_EQ(vec_dot_type(DType::BF16), DType::BF16);
  for (DType t : {DType::Q4_0, DType::Q5_0, DType::Q8_0, DType::IQ4_NL})
    EXPECT_EQ(vec_dot_type(t), DType::Q8_0) << dtype_name(t);
  for (DType t : {DType::Q4_1, DType::Q5_1}) EXPECT_EQ(vec_dot_type(t), DType::Q8_1);
  for (DType t : {DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K, DType::Q6_K})
    EXPECT_EQ(vec_dot_type(t), DType::Q8_K) << dtype_name(t);
}

// Upper bounds on the normalised MSE of N(0,1) data, about 1.5x the measured value (printed by
// the test) so that a real regression fails while libm/compiler noise does not.
struct Bound {
  DType type;
  double nmse;
};
constexpr Bound kNormalBounds[] = {
    {DType::F32, 0.0},       {DType::F16, 7e-8},      {DType::BF16, 4.5e-6},
    {DType::Q4_0, 1.1e-2},   {DType::Q4_1, 9e-3},     {DType::Q5_0, 2.7e-3},
    {DType::Q5_1, 2.1e-3},   {DType::Q8_0, 4.5e-5},   {DType::Q8_1, 4.5e-5},
    {DType::Q2_K, 1.3e-1},   {DType::Q3_K, 3.5e-2},   {DType::Q4_K, 7.7e-3},
    {DType::Q5_K, 2e-3},     {DType::Q6_K, 4.7e-4},   {DType::Q8_K, 7.5e-5},
    {DType::IQ4_NL, 8.8e-3},
};

TEST(QuantRoundTrip, NormalDataWithinBound) {
  const int64_t n = 256 * 64;
  const auto x = random_normal(n, 1234);
  for (const Bound& b : kNormalBounds) {
    const auto q = test::quantize(b.type, x);
    const auto y = test::dequantize(b.type, q.data(), n);
    const auto s = error_stats(x.data(), y.data(), n);
    std::printf("  %-7s nmse %.3e  rmse %.3e  max %.3e\n", std::string(dtype_name(b.type)).c_str(),
                s.nmse, s.rmse, s.max_abs);
    EXPECT_TRUE(s.finite) << dtype_name(b.type);
    EXPECT_LE(s.nmse, b.nmse) << dtype_name(b.type);
  }
}

// Quantizing is block-local: a row of k blocks equals its blocks quantized one by one, for odd
// block counts too; and the scale of the data does not change the relative error much.
TEST(QuantRoundTrip, OddShapesAreBlockLocal) {
  for (const Bound& b : kNormalBounds) {
    const int64_t blk = dtype_info(b.type).block_elems;
    const size_t bb = dtype_info(b.type).block_bytes;
    for (int64_t nblocks : {1, 3, 7}) {
      const int64_t n = blk * nblocks;
      const auto x = random_normal(n, 77 + (uint32_t)nblocks, 0.05f);
      const auto whole = test::quantize(b.type, x);
      for (int64_t i = 0; i < nblocks; ++i) {
        std::vector<uint8_t> one(bb);
        quantize_row(b.type, x.data() + i * blk, one.data(), blk);
        EXPECT_EQ(0, std::memcmp(one.data(), whole.data() + i * bb, bb))
            << dtype_name(b.type) << " block " << i << " of " << nblocks;
      }
      const auto y = test::dequantize(b.type, whole.data(), n);
      const auto s = error_stats(x.data(), y.data(), n);
      // Few samples: allow 3x the bound measured on 16k values.
      EXPECT_LE(s.nmse, 3 * b.nmse + 1e-12) << dtype_name(b.type) << " n=" << n;
    }
  }
}

TEST(QuantRoundTrip, AllZeroBlocksStayZero) {
  for (const Bound& b : kNormalBounds) {
    const int64_t blk = dtype_info(b.type).block_elems;
    // zero block, random block, zero block
    std::vector<float> x((size_t)(3 * blk), 0.0f);
    const auto mid = random_normal(blk, 5);
    std::copy(mid.begin(), mid.end(), x.begin() + blk);
    const auto q = test::quantize(b.type, x);
    const auto y = test::dequantize(b.type, q.data(), 3 * blk);
    for (int64_t i = 0; i < blk; ++i) {
      ASSERT_EQ(y[(size_t)i], 0.0f) << dtype_name(b.type) << " i=" << i;
      ASSERT_EQ(y[(size_t)(2 * blk + i)], 0.0f) << dtype_name(b.type) << " i=" << i;
    }
    const auto s = error_stats(x.data() + blk, y.data() + blk, blk);
    EXPECT_TRUE(s.finite);
    EXPECT_LE(s.nmse, 3 * b.nmse + 1e-12) << dtype_name(b.type);
  }
}

// Constant blocks, one-sided blocks, a lone outlier, large and tiny magnitudes: output stays
// finite and the error stays within a fraction of the block's largest magnitude.
TEST(QuantRoundTrip, ExtremeValues) {
  struct Case {
    const char* name;
    float scale;
    int kind;  // 0 constant, 1 all positive, 2 all negative, 3 outlier, 4 normal
  };
  const Case cases[] = {{"const", 1.0f, 0},    {"positive", 1.0f, 1}, {"negative", 1.0f, 2},
                        {"outlier", 1.0f, 3},  {"large", 1e4f, 4},    {"tiny", 1e-3f, 4},
                        {"const-neg", -3.0f, 0}};
  for (const Bound& b : kNormalBounds) {
    const int64_t n = 512;
    for (const Case& c : cases) {
      auto x = random_normal(n, 99);
      for (auto& v : x) {
        if (c.kind == 0) v = 1.0f;
        if (c.kind == 1) v = std::fabs(v) + 0.1f;
        if (c.kind == 2) v = -std::fabs(v) - 0.1f;
        if (c.kind == 3) v *= 0.01f;
        v *= c.scale;
      }
      if (c.kind == 3) x[37] = 10.0f;
      const auto q = test::quantize(b.type, x);
      const auto y = test::dequantize(b.type, q.data(), n);
      const auto s = error_stats(x.data(), y.data(), n);
      float amax = 0;
      for (float v : x) amax = std::max(amax, std::fabs(v));
      EXPECT_TRUE(s.finite) << dtype_name(b.type) << " " << c.name;
      // The coarsest grid (Q2_K, 3 levels + min) can miss by about half a step of the range.
      EXPECT_LE(s.max_abs, 0.5 * amax) << dtype_name(b.type) << " " << c.name;
      if (c.kind != 3) {
        EXPECT_LE(s.nmse, 4 * b.nmse + 1e-6) << dtype_name(b.type) << " " << c.name;
      }
    }
  }
}

// Values whose scale underflows f16 must give zeros (or tiny values), never NaN or Inf.
TEST(QuantRoundTrip, TinyValuesUnderflowCleanly) {
  for (const Bound& b : kNormalBounds) {
    auto x = random_normal(512, 3, 1e-12f);
    const auto q = test::quantize(b.type, x);
    const auto y = test::dequantize(b.type, q.data(), 512);
    const auto s = error_stats(x.data(), y.data(), 512);
    EXPECT_TRUE(s.finite) << dtype_name(b.type);
    EXPECT_LE(s.max_abs, 1e-10) << dtype_name(b.type);
  }
}

}  // namespace
}  // namespace uma::quant

// f16/bf16 conversions: exhaustive round trip over all halves and rounding of floats in between.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/f16.h"

using namespace uma;

TEST(F16, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 0x10000; h++) {
    const float f = f16_to_f32((uint16_t)h);
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(f)))) << h;
      continue;
    }
    EXPECT_EQ(f32_to_f16(f), h) << "half 0x" << std::hex << h;
  }
}

TEST(F16, RoundsToNearestEven) {
  // 1 + 2^-11 lies exactly between 1 and the next half (1 + 2^-10): ties go to even (1.0).
  EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  // 1 + 3*2^-11 is between 1+2^-10 (odd mantissa) and 1+2^-9: ties to even -> 1 + 2^-9.
  EXPECT_EQ(f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7c00);  // overflows to infinity
  EXPECT_EQ(f32_to_f16(65519.0f), 0x7bff);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -26)), 0x0000);
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
}

TEST(BF16, RoundTripAndRounding) {
  for (uint32_t h = 0; h < 0x10000; h++) {
    const float f = bf16_to_f32((uint16_t)h);
    if (std::isnan(f)) continue;
    EXPECT_EQ(f32_to_bf16(f), h);
  }
  // 1 + 2^-8 is halfway between bf16 1.0 and 1 + 2^-7: ties to even.
  EXPECT_EQ(f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);
  EXPECT_EQ(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
}

// The row conversion (F16C where present) gives the scalar conversion's bits for every kind of
// value: ties, subnormals, overflow, infinities, NaN; n not a multiple of 8 covers the tail.
TEST(F16, RowConversionMatchesScalar) {
  std::vector<float> x;
  for (uint32_t h = 0; h < 0x10000; h += 7) {
    const float f = f16_to_f32((uint16_t)h);
    x.push_back(f);
    x.push_back(std::nextafter(f, INFINITY));
    x.push_back(f * (1.0f + std::ldexp(1.0f, -11)));  // halfway cases and their neighbours
  }
  for (float f : {65519.0f, 65520.0f, 1e30f, -1e30f, INFINITY, -INFINITY, NAN, std::ldexp(1.0f, -25),
                  std::ldexp(1.5f, -25), 1e-30f, -0.0f})
    x.push_back(f);
  x.push_back(0.5f);  // make the size odd
  ASSERT_NE(x.size() % 8, 0u);
  std::vector<uint16_t> y(x.size());
  f32_to_f16_rows(x.data(), y.data(), (int64_t)x.size());
  for (size_t i = 0; i < x.size(); i++) {
    if (std::isnan(x[i])) {
      EXPECT_TRUE(std::isnan(f16_to_f32(y[i]))) << i;
      continue;
    }
    EXPECT_EQ(y[i], f32_to_f16(x[i])) << "x = " << x[i];
  }
}

// dtype table: ids, names, row sizes.
#include <gtest/gtest.h>

#include "core/dtype.h"

using namespace uma;

TEST(DType, IdsAndGeometry) {
  EXPECT_EQ(dtype_info(8u)->block_bytes, 34u);   // Q8_0
  EXPECT_EQ(dtype_info(12u)->block_bytes, 144u); // Q4_K
  EXPECT_EQ(dtype_info(30u)->name, "bf16");
  EXPECT_FALSE(dtype_info(4u).has_value());      // removed Q4_2
  EXPECT_FALSE(dtype_info(1000u).has_value());
  EXPECT_EQ(*dtype_row_bytes(DType::Q4_0, 64), 36u);
  EXPECT_FALSE(dtype_row_bytes(DType::Q4_0, 172).has_value());
  EXPECT_EQ(*dtype_from_name("Q6_K"), DType::Q6_K);
  EXPECT_FALSE(dtype_from_name("q9_9").has_value());
}

// HugeBuffer: 2 MiB alignment, zeroed memory, writable end to end, moves transfer ownership.
#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

#include "core/huge_buffer.h"

namespace uma {
namespace {

TEST(HugeBuffer, AlignedZeroedWritableAndMovable) {
  HugeBuffer b;
  EXPECT_EQ(b.data(), nullptr);
  const size_t n = (size_t{3} << 20) + 123;  // not a multiple of the page size
  ASSERT_TRUE(b.allocate(n));
  ASSERT_NE(b.data(), nullptr);
  EXPECT_EQ(b.size(), n);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % (size_t{2} << 20), 0u);
  for (size_t i = 0; i < n; i += 4096) EXPECT_EQ(b.data()[i], 0) << i;
  EXPECT_EQ(b.data()[n - 1], 0);
  b.data()[0] = 7;
  b.data()[n - 1] = 9;
  HugeBuffer c = std::move(b);
  EXPECT_EQ(b.data(), nullptr);
  EXPECT_EQ(b.size(), 0u);
  ASSERT_EQ(c.size(), n);
  EXPECT_EQ(c.data()[0], 7);
  EXPECT_EQ(c.data()[n - 1], 9);
  ASSERT_TRUE(c.allocate(0));  // empty: no memory
  EXPECT_EQ(c.data(), nullptr);
  EXPECT_FALSE(c.allocate(~size_t{0}));  // cannot be mapped: refused, not a crash
  EXPECT_EQ(c.data(), nullptr);
}

}  // namespace
}  // namespace uma

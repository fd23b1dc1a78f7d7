// Memory-bandwidth probe: plausible numbers on this machine and clear errors on bad options.
#include <gtest/gtest.h>

#include <cstdio>

#include "core/membw.h"

namespace uma {
namespace {

TEST(Membw, MeasuresPlausibleBandwidth) {
  // 256 MiB still dwarfs any LLC here and keeps the test fast.
  auto r = measure_read_bandwidth({.n_threads = 0, .buffer_bytes = size_t{256} << 20, .passes = 3});
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::printf("read bandwidth: %.1f GB/s (%d threads, %s loop)\n", r->bytes_per_s / 1e9,
              r->n_threads, r->kernel);
  EXPECT_GT(r->bytes_per_s, 1e9);    // any machine that runs an LLM reads > 1 GB/s
  EXPECT_LT(r->bytes_per_s, 1e13);   // and < 10 TB/s: a faster result means the reads were skipped
  EXPECT_GE(r->n_threads, 1);
  EXPECT_EQ(r->passes, 3);
  EXPECT_LE(r->buffer_bytes, size_t{256} << 20);
}

TEST(Membw, SingleThread) {
  auto r = measure_read_bandwidth({.n_threads = 1, .buffer_bytes = size_t{128} << 20, .passes = 2});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->n_threads, 1);
  EXPECT_GT(r->bytes_per_s, 1e9);
}

TEST(Membw, RejectsBadOptions) {
  EXPECT_FALSE(measure_read_bandwidth({.n_threads = -1}).ok());
  EXPECT_FALSE(measure_read_bandwidth({.n_threads = 1, .buffer_bytes = 1 << 20, .passes = 0}).ok());
  auto tiny = measure_read_bandwidth({.n_threads = 4, .buffer_bytes = 100, .passes = 1});
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.status().message().find("too small"), std::string::npos);
}

}  // namespace
}  // namespace uma

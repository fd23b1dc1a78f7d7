// Thread pool: every index visited exactly once, chunk boundaries respect the grain, reuse works.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "core/thread_pool.h"

using namespace uma;

TEST(ThreadPool, CoversRangeExactlyOnce) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    for (size_t n : {1u, 7u, 64u, 1000u, 4097u}) {
      std::vector<std::atomic<int>> hits(n);
      pool.parallel_for(n, 16, [&](int, size_t b, size_t e) {
        EXPECT_EQ(b % 16, 0u);
        for (size_t i = b; i < e; i++) hits[i]++;
      });
      for (size_t i = 0; i < n; i++) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
    }
  }
}

TEST(ThreadPool, ManySmallJobs) {
  ThreadPool pool(2);
  std::atomic<long> sum{0};
  for (int it = 0; it < 20000; it++)
    pool.parallel_for(4, 1, [&](int, size_t b, size_t e) { sum += (long)(e - b); });
  EXPECT_EQ(sum.load(), 80000);
}

TEST(ThreadPool, PhysicalCoresPositive) { EXPECT_GE(ThreadPool::physical_cores(), 1); }

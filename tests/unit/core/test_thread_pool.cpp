// Thread pool: every index visited exactly once, chunk boundaries respect the grain, reuse works.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
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

// parallel_units: every unit once, thread indices in range, units taken in increasing order by
// each thread (the counter hands them out front to back), max_threads = 1 runs on the caller.
TEST(ThreadPool, ParallelUnitsEachOnceInOrder) {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    for (size_t n : {0u, 1u, 2u, 7u, 1000u}) {
      std::vector<std::atomic<int>> hits(n);
      std::vector<std::vector<size_t>> seen((size_t)threads);
      pool.parallel_units(n, [&](int ith, size_t u) {
        ASSERT_GE(ith, 0);
        ASSERT_LT(ith, threads);
        hits[u]++;
        seen[(size_t)ith].push_back(u);
      });
      for (size_t i = 0; i < n; i++) ASSERT_EQ(hits[i].load(), 1) << "threads=" << threads << " n=" << n << " i=" << i;
      for (const auto& v : seen)
        for (size_t k = 1; k < v.size(); k++) ASSERT_LT(v[k - 1], v[k]);
    }
    const std::thread::id caller = std::this_thread::get_id();
    std::vector<size_t> order;
    pool.parallel_units(50, [&](int ith, size_t u) {
      EXPECT_EQ(ith, 0);
      EXPECT_EQ(std::this_thread::get_id(), caller);
      order.push_back(u);
    }, 1);
    ASSERT_EQ(order.size(), 50u);
    for (size_t k = 0; k < order.size(); k++) EXPECT_EQ(order[k], k);
  }
}

TEST(ThreadPool, PhysicalCoresPositive) { EXPECT_GE(ThreadPool::physical_cores(), 1); }

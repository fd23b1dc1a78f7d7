// Fixed thread pool for data-parallel ops. Workers are created once; each parallel_for wakes them,
// splits [0, n) into contiguous chunks, and waits. Waiting spins briefly before sleeping, so a
// decode step's many small ops do not pay a futex round trip each.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace uma {

class ThreadPool {
 public:
  // n_threads includes the calling thread; 1 means everything runs inline.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int n_threads() const { return n_threads_; }

  // fn(thread_index, begin, end) over contiguous chunks of [0, n); chunks are aligned to `grain`.
  void parallel_for(size_t n, size_t grain,
                    const std::function<void(int, size_t, size_t)>& fn);

  // fn(thread_index, unit) for every unit of [0, n_units), the threads taking units in order
  // from a shared counter (dynamic balance: on a shared machine one core is often slower for a
  // while, and a static split waits for it). At most max_threads threads (0: all); with one
  // thread or unit everything runs inline.
  void parallel_units(size_t n_units, const std::function<void(int, size_t)>& fn, int max_threads = 0);

  // Physical cores of this machine (SMT siblings counted once); at least 1.
  static int physical_cores();

 private:
  void worker(int idx);
  void run_chunk(int idx);

  int n_threads_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  const std::function<void(int, size_t, size_t)>* fn_ = nullptr;
  size_t n_ = 0, grain_ = 1;
};

}  // namespace uma

// ThreadPool implementation: generation counter + spin-then-sleep wake-up and completion wait.
#include "core/thread_pool.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define UMA_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define UMA_PAUSE() asm volatile("yield")
#else
#define UMA_PAUSE() ((void)0)
#endif

namespace uma {

namespace {
constexpr int kSpinIters = 20000;  // ~ tens of microseconds before falling back to sleeping
}

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads < 1 ? 1 : n_threads) {
  for (int i = 1; i < n_threads_; i++) threads_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_.store(true);
    generation_.fetch_add(1);
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::run_chunk(int idx) {
  // Split n_ into n_threads_ chunks whose boundaries are multiples of grain_.
  const size_t blocks = (n_ + grain_ - 1) / grain_;
  const size_t per = blocks / n_threads_, extra = blocks % n_threads_;
  const size_t b0 = idx * per + (static_cast<size_t>(idx) < extra ? idx : extra);
  const size_t b1 = b0 + per + (static_cast<size_t>(idx) < extra ? 1 : 0);
  const size_t begin = b0 * grain_, end = b1 * grain_ < n_ ? b1 * grain_ : n_;
  if (begin < end) (*fn_)(idx, begin, end);
}

void ThreadPool::worker(int idx) {
  uint64_t seen = 0;
  for (;;) {
    int spins = 0;
    while (generation_.load(std::memory_order_acquire) == seen && spins < kSpinIters) {
      if (spins % 64 == 63) std::this_thread::yield();  // let other runnable threads in
      UMA_PAUSE();
      spins++;
    }
    if (generation_.load(std::memory_order_acquire) == seen) {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return generation_.load() != seen; });
    }
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load()) return;
    run_chunk(idx);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::parallel_for(size_t n, size_t grain,
                              const std::function<void(int, size_t, size_t)>& fn) {
  if (n == 0) return;
  if (grain == 0) grain = 1;
  if (n_threads_ == 1 || n <= grain) {
    fn(0, 0, n);
    return;
  }
  fn_ = &fn;
  n_ = n;
  grain_ = grain;
  pending_.store(n_threads_ - 1, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lk(mu_);
    generation_.fetch_add(1, std::memory_order_acq_rel);
  }
  cv_.notify_all();
  run_chunk(0);
  // Spin briefly, then yield: on an oversubscribed machine a descheduled worker needs our core.
  for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; spins++) {
    if (spins < kSpinIters) {
      UMA_PAUSE();
    } else {
      std::this_thread::yield();
    }
  }
  fn_ = nullptr;
}

int ThreadPool::physical_cores() {
  // Count distinct (physical id, core id) pairs in /proc/cpuinfo; fall back to hardware_concurrency.
  std::ifstream f("/proc/cpuinfo");
  std::set<std::pair<std::string, std::string>> cores;
  std::string line, phys = "0";
  while (std::getline(f, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
    std::string val = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "physical id") phys = val;
    if (key == "core id") cores.insert({phys, val});
  }
  int n = static_cast<int>(cores.size());
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  return n > 0 ? n : 1;
}

void ThreadPool::parallel_units(size_t n_units, const std::function<void(int, size_t)>& fn, int max_threads) {
  const int nt = max_threads > 0 ? std::min(max_threads, n_threads_) : n_threads_;
  if (nt == 1 || n_units <= 1) {
    for (size_t u = 0; u < n_units; u++) fn(0, u);
    return;
  }
  std::atomic<size_t> next{0};
  parallel_for((size_t)nt, 1, [&](int ith, size_t, size_t) {
    for (size_t u; (u = next.fetch_add(1, std::memory_order_relaxed)) < n_units;) fn(ith, u);
  });
}

}  // namespace uma

// Memory read-bandwidth probe (see membw.h): per-thread slices of one big buffer, first-touched by
// the thread that later reads them, read with wide loads into independent accumulators so the
// loop is limited by DRAM and not by a dependency chain or the load ports.
#include "core/membw.h"
#include "core/prefetch.h"

#include <sys/mman.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define UMA_MEMBW_X86 1
#endif

namespace uma {
namespace {

constexpr size_t kChunk = 256;  // bytes per loop iteration; slices are multiples of this

// 8 independent 64-bit accumulators: enough in-flight loads to saturate DRAM on one core, and the
// returned checksum keeps the compiler from dropping the reads.
uint64_t read_scalar(const uint8_t* p, size_t n) {
  const auto* w = reinterpret_cast<const uint64_t*>(p);
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
  for (size_t i = 0; i < n / 8; i += 8) {
    a0 += w[i + 0];
    a1 += w[i + 1];
    a2 += w[i + 2];
    a3 += w[i + 3];
    a4 += w[i + 4];
    a5 += w[i + 5];
    a6 += w[i + 6];
    a7 += w[i + 7];
  }
  return a0 ^ a1 ^ a2 ^ a3 ^ a4 ^ a5 ^ a6 ^ a7;
}

#ifdef UMA_MEMBW_X86
// 8 aligned 32-byte loads (256 bytes) per iteration into 4 accumulators. At the start of each
// 4 KiB page, the first two lines of the page 8 KiB ahead are prefetched: the hardware
// prefetchers do not follow a stream across a 4 KiB boundary by themselves, and these two hints
// per page start them early. Without them this loop read less on the 2-core Zen 5 VM (bench_stream,
// read_pg against guided_read: 5–10% in most runs; uma bench's probe, old and new binaries
// alternating: +2%, +9%, +22%; 2026-12-04), so roofline fractions against it were too kind.
__attribute__((target("avx2"))) uint64_t read_avx2(const uint8_t* p, size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < n; i += kChunk) {
    if ((reinterpret_cast<uintptr_t>(p + i) & 4095) == 0) prefetch_page_head(p + i);  // (never faults past the end)
    const auto* v = reinterpret_cast<const __m256i*>(p + i);
    a0 = _mm256_add_epi64(a0, _mm256_load_si256(v + 0));
    a1 = _mm256_add_epi64(a1, _mm256_load_si256(v + 1));
    a2 = _mm256_add_epi64(a2, _mm256_load_si256(v + 2));
    a3 = _mm256_add_epi64(a3, _mm256_load_si256(v + 3));
    a0 = _mm256_add_epi64(a0, _mm256_load_si256(v + 4));
    a1 = _mm256_add_epi64(a1, _mm256_load_si256(v + 5));
    a2 = _mm256_add_epi64(a2, _mm256_load_si256(v + 6));
    a3 = _mm256_add_epi64(a3, _mm256_load_si256(v + 7));
  }
  const __m256i s = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), s);
  return lanes[0] ^ lanes[1] ^ lanes[2] ^ lanes[3];
}

bool have_avx2() { return __builtin_cpu_supports("avx2"); }
#endif

// Anonymous mapping (page aligned); huge pages where the kernel allows, so TLB misses do not
// lower the number below what the weight reads of a decode step see.
struct Mapping {
  void* p = MAP_FAILED;
  size_t n = 0;
  ~Mapping() {
    if (p != MAP_FAILED) munmap(p, n);
  }
};

}  // namespace

Result<MembwResult> measure_read_bandwidth(const MembwOptions& opts) {
  const int n_threads = opts.n_threads > 0 ? opts.n_threads : ThreadPool::physical_cores();
  if (opts.n_threads < 0 || n_threads > 1024)
    return error("membw: thread count " + std::to_string(opts.n_threads) + " out of range");
  if (opts.passes < 1 || opts.passes > 1000)
    return error("membw: passes " + std::to_string(opts.passes) + " out of range (1..1000)");
  // Each thread reads a whole number of chunks; at least one chunk per thread.
  const size_t slice = opts.buffer_bytes / n_threads / kChunk * kChunk;
  if (slice == 0)
    return error("membw: buffer of " + std::to_string(opts.buffer_bytes) +
                 " bytes too small for " + std::to_string(n_threads) + " threads");
  const size_t total = slice * n_threads;

  Mapping map;
  map.n = total;
  map.p = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map.p == MAP_FAILED)
    return error("membw: cannot allocate a " + std::to_string(total >> 20) + " MiB probe buffer");
#ifdef MADV_HUGEPAGE
  madvise(map.p, total, MADV_HUGEPAGE);
#endif
  auto* base = static_cast<uint8_t*>(map.p);

#ifdef UMA_MEMBW_X86
  const bool avx2 = have_avx2();
#else
  const bool avx2 = false;
#endif
  auto read = [avx2](const uint8_t* p, size_t n) -> uint64_t {
#ifdef UMA_MEMBW_X86
    if (avx2) return read_avx2(p, n);
#endif
    return read_scalar(p, n);
  };

  // Pass -1 is the warm-up (fills the TLB and wakes the cores); passes 0.. are timed. A pass's
  // time is from the barrier that starts it to the barrier after the slowest thread finished.
  using Clock = std::chrono::steady_clock;
  const int n_runs = opts.passes + 1;
  std::vector<double> seconds(n_runs, 0.0);
  Clock::time_point t0;
  int run = 0;
  std::barrier start_bar(n_threads, [&]() noexcept { t0 = Clock::now(); });
  std::barrier end_bar(n_threads, [&]() noexcept {
    seconds[run] = std::chrono::duration<double>(Clock::now() - t0).count();
    ++run;
  });
  std::vector<uint64_t> sinks(n_threads * 8, 0);  // one cache line per thread: no false sharing

  auto body = [&](int t) {
    uint8_t* mine = base + slice * t;
    // First touch by the reading thread; non-zero bytes so no page is the shared zero page.
    std::memset(mine, 0x5a + t, slice);
    uint64_t sink = 0;
    for (int r = 0; r < n_runs; ++r) {
      start_bar.arrive_and_wait();
      sink += read(mine, slice);
      end_bar.arrive_and_wait();
    }
    sinks[t * 8] = sink;
  };
  std::vector<std::thread> workers;
  workers.reserve(n_threads - 1);
  for (int t = 1; t < n_threads; ++t) workers.emplace_back(body, t);
  body(0);
  for (auto& w : workers) w.join();

  // The checksum is consumed through a volatile store, so the reads are observable.
  volatile uint64_t keep = 0;
  for (int t = 0; t < n_threads; ++t) keep = keep ^ sinks[t * 8];

  double best = *std::min_element(seconds.begin() + 1, seconds.end());
  if (best <= 0) best = 1e-9;
  MembwResult res;
  res.bytes_per_s = static_cast<double>(total) / best;
  res.n_threads = n_threads;
  res.buffer_bytes = total;
  res.passes = opts.passes;
  res.kernel = avx2 ? "avx2" : "scalar";
  return res;
}

}  // namespace uma

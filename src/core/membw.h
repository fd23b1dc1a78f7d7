// Memory read-bandwidth probe: several threads stream-read a buffer far larger than the last-level
// cache and the best pass gives bytes/s. This is the denominator of the decode roofline
// (tokens/s <= bandwidth / bytes read per token) that `uma bench` and `uma fit` report against.
#pragma once

#include <cstddef>

#include "core/status.h"

namespace uma {

struct MembwOptions {
  int n_threads = 0;                  // 0 = ThreadPool::physical_cores()
  size_t buffer_bytes = size_t{1} << 30;  // 1 GiB: ~30x a typical L3, so reads come from DRAM
  int passes = 5;                     // timed passes after one warm-up; the fastest one counts
};

struct MembwResult {
  double bytes_per_s = 0;  // best pass: buffer_bytes / wall time of the slowest thread
  int n_threads = 0;
  size_t buffer_bytes = 0;
  int passes = 0;
  const char* kernel = "";  // "avx2" or "scalar": which read loop ran
};

// Errors (not aborts) on bad options or when the buffer cannot be allocated.
Result<MembwResult> measure_read_bandwidth(const MembwOptions& opts = {});

}  // namespace uma

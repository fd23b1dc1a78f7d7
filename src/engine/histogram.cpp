// Histogram: per-bucket counts under a mutex (observations are a few per token, far from hot).
#include "engine/histogram.h"

#include <limits>

namespace uma::engine {

void Histogram::observe(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < kBounds.size(); i++) {
    if (seconds <= kBounds[i]) {
      buckets_[i]++;
      break;
    }
  }
  count_++;
  sum_ += seconds;
}

Histogram::Snapshot Histogram::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  Snapshot s;
  uint64_t run = 0;
  for (size_t i = 0; i < kBounds.size(); i++) {
    run += buckets_[i];
    s.cumulative[i] = run;
  }
  s.count = count_;
  s.sum = sum_;
  return s;
}

double Histogram::Snapshot::quantile(double q) const {
  if (count == 0) return 0;
  const double want = q * (double)count;
  for (size_t i = 0; i < kBounds.size(); i++)
    if ((double)cumulative[i] >= want) return kBounds[i];
  return std::numeric_limits<double>::infinity();
}

}  // namespace uma::engine

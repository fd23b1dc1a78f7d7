// Thread-safe latency histogram with fixed Prometheus-style buckets (seconds), plus quantiles
// estimated from the buckets for logs and benchmarks.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>

namespace uma::engine {

class Histogram {
 public:
  static constexpr std::array<double, 16> kBounds = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
  struct Snapshot {
    std::array<uint64_t, kBounds.size()> cumulative{};  // count of samples <= kBounds[i]
    uint64_t count = 0;
    double sum = 0;
    // Upper bucket bound containing quantile q (0..1); 0 without samples; +inf when beyond.
    double quantile(double q) const;
  };

  void observe(double seconds);
  Snapshot snapshot() const;

 private:
  mutable std::mutex mu_;
  std::array<uint64_t, kBounds.size()> buckets_{};  // per bucket (not cumulative)
  uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace uma::engine

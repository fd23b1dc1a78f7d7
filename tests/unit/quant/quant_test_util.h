// Helpers shared by the quant tests: seeded random rows, whole-buffer quantize/dequantize, and
// error statistics (normalised MSE = sum (x - y)^2 / sum x^2, as ggml's test-backend-ops uses).
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "quant/quant.h"

namespace uma::quant::test {

inline std::vector<float> random_normal(int64_t n, uint32_t seed, float stddev = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> v((size_t)n);
  for (auto& x : v) x = dist(rng);
  return v;
}

inline size_t row_bytes(DType t, int64_t n) { return (size_t)*dtype_row_bytes(t, (uint64_t)n); }

inline std::vector<uint8_t> quantize(DType t, const std::vector<float>& x) {
  std::vector<uint8_t> q(row_bytes(t, (int64_t)x.size()));
  quantize_row(t, x.data(), q.data(), (int64_t)x.size());
  return q;
}

inline std::vector<float> dequantize(DType t, const void* q, int64_t n) {
  std::vector<float> y((size_t)n);
  dequantize_row(t, q, y.data(), n);
  return y;
}

struct ErrorStats {
  double nmse = 0;      // sum (x-y)^2 / sum x^2
  double rmse = 0;      // sqrt(mean (x-y)^2)
  double max_abs = 0;   // max |x-y|
  bool finite = true;   // no NaN/Inf in y
};

inline ErrorStats error_stats(const float* x, const float* y, int64_t n) {
  double se = 0, sx = 0;
  ErrorStats s;
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(y[i])) s.finite = false;
    const double d = (double)x[i] - (double)y[i];
    se += d * d;
    sx += (double)x[i] * x[i];
    s.max_abs = std::max(s.max_abs, std::fabs(d));
  }
  s.nmse = sx > 0 ? se / sx : se;
  s.rmse = n > 0 ? std::sqrt(se / (double)n) : 0;
  return s;
}

// Weight types with a quantizer and a dot product, the set most tests sweep over.
inline const std::vector<DType>& weight_types() {
  static const std::vector<DType> kTypes = {
      DType::F32,  DType::F16,  DType::BF16, DType::Q4_0, DType::Q4_1, DType::Q5_0,
      DType::Q5_1, DType::Q8_0, DType::Q2_K, DType::Q3_K, DType::Q4_K, DType::Q5_K,
      DType::Q6_K, DType::Q8_K, DType::IQ4_NL};
  return kTypes;
}

}  // namespace uma::quant::test

// Scalar implementations of the row ops in ops.h (f32 math, double accumulation where it is cheap
// and keeps results close to the float64 references).
#include "kernels/cpu/ops.h"

#include <cmath>

namespace uma::kernels {

void rms_norm(const float* x, const float* w, float* out, int64_t n, float eps) {
  double ss = 0.0;
  for (int64_t i = 0; i < n; i++) ss += (double)x[i] * x[i];
  const float scale = (float)(1.0 / std::sqrt(ss / (double)n + (double)eps));
  for (int64_t i = 0; i < n; i++) out[i] = x[i] * scale * w[i];
}

void rope(float* x, int32_t pos, const RopeParams& p) {
  const int32_t half = p.n_rot / 2;
  for (int32_t i = 0; i < half; i++) {
    double theta = (double)pos * std::pow((double)p.base, -2.0 * i / p.n_rot) * p.freq_scale;
    if (p.freq_factors) theta /= p.freq_factors[i];
    const float c = (float)std::cos(theta), s = (float)std::sin(theta);
    float* a = p.neox ? &x[i] : &x[2 * i];
    float* b = p.neox ? &x[i + half] : &x[2 * i + 1];
    const float x0 = *a, x1 = *b;
    *a = x0 * c - x1 * s;
    *b = x0 * s + x1 * c;
  }
}

void softmax(float* x, int64_t n) {
  float mx = -INFINITY;
  for (int64_t i = 0; i < n; i++) mx = x[i] > mx ? x[i] : mx;
  double sum = 0.0;
  for (int64_t i = 0; i < n; i++) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = (float)(1.0 / sum);
  for (int64_t i = 0; i < n; i++) x[i] *= inv;
}

void swiglu(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; i++) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void add_inplace(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] += x[i];
}

}  // namespace uma::kernels

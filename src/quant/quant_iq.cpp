// IQ4_NL: 32-element blocks on a fixed non-linear 4-bit grid (kIQ4NLValues) with one f16 scale.
// The quantizer is ggml's quantize_iq4_nl without an importance matrix (weights x^2, 7 scale
// tries each side, then a final requantization with the chosen scale) — what llama-quantize runs.
#include <cmath>
#include <cstring>

#include "quant/quant_impl.h"

namespace uma::quant::impl {

namespace {

constexpr float kGroupMaxEps = 1e-15f;

// Index of the grid value nearest to x (ties go to the upper one), as ggml's best_index_int8.
int best_index(const int8_t* val, float x) {
  if (x <= val[0]) return 0;
  if (x >= val[15]) return 15;
  int ml = 0, mu = 15;
  while (mu - ml > 1) {
    const int mav = (ml + mu) / 2;
    if (x < val[mav]) {
      mu = mav;
    } else {
      ml = mav;
    }
  }
  return x - val[mu - 1] < val[mu] - x ? mu - 1 : mu;
}

}  // namespace

void dequantize_iq4_nl(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockIQ4_NL*>(src);
  for (int64_t i = 0; i < n / kQK4_NL; ++i, dst += kQK4_NL) {
    const float d = fp16(b[i].d);
    for (int j = 0; j < kQK4_NL / 2; ++j) {
      dst[j] = d * kIQ4NLValues[b[i].qs[j] & 0xF];
      dst[j + kQK4_NL / 2] = d * kIQ4NLValues[b[i].qs[j] >> 4];
    }
  }
}

void quantize_iq4_nl(const float* x, void* dst, int64_t n) {
  auto* y = static_cast<BlockIQ4_NL*>(dst);
  const int8_t* values = kIQ4NLValues;
  constexpr int ntry = 7;
  uint8_t L[kQK4_NL];
  float weight[kQK4_NL];
  for (int64_t i = 0; i < n / kQK4_NL; ++i, x += kQK4_NL) {
    for (int j = 0; j < kQK4_NL; ++j) weight[j] = x[j] * x[j];
    float amax = 0, max = 0;
    for (int j = 0; j < kQK4_NL; ++j) {
      const float ax = std::fabs(x[j]);
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
    float scale = 0;
    if (amax >= kGroupMaxEps) {
      // First guess maps the signed max to the grid's end -127, then refit; then try
      // 2*ntry+1 grids around it and keep the best weighted least-squares fit.
      float d = -max / values[0];
      float id = 1 / d;
      float sumqx = 0, sumq2 = 0;
      for (int j = 0; j < kQK4_NL; ++j) {
        const float q = values[best_index(values, id * x[j])];
        sumqx += weight[j] * q * x[j];
        sumq2 += weight[j] * q * q;
      }
      d = sumqx / sumq2;
      float best = d * sumqx;
      for (int itry = -ntry; itry <= ntry; ++itry) {
        id = (itry + values[0]) / max;
        sumqx = sumq2 = 0;
        for (int j = 0; j < kQK4_NL; ++j) {
          const float q = values[best_index(values, id * x[j])];
          sumqx += weight[j] * q * x[j];
          sumq2 += weight[j] * q * q;
        }
        if (sumq2 > 0 && sumqx * sumqx > best * sumq2) {
          d = sumqx / sumq2;
          best = d * sumqx;
        }
      }
      scale = d;
    }
    y[i].d = to_fp16(scale);
    // Requantize with the float scale (not the f16-rounded one), as the reference does. An
    // all-zero block maps every value to the grid point nearest 0 (index 8).
    const float id = scale != 0 ? 1 / scale : 0;
    for (int j = 0; j < kQK4_NL; ++j) L[j] = (uint8_t)best_index(values, id * x[j]);
    for (int j = 0; j < kQK4_NL / 2; ++j) {
      y[i].qs[j] = (uint8_t)(L[j] | (L[j + kQK4_NL / 2] << 4));
    }
  }
}

float vec_dot_iq4_nl_q8_0(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockIQ4_NL*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK4_NL; ++i) {
    const float d = fp16(y[i].d) * fp16(x[i].d);
    int sumi1 = 0, sumi2 = 0;
    for (int j = 0; j < kQK4_NL / 2; ++j) {
      sumi1 += y[i].qs[j] * kIQ4NLValues[x[i].qs[j] & 0xF];
      sumi2 += y[i].qs[j + kQK4_NL / 2] * kIQ4NLValues[x[i].qs[j] >> 4];
    }
    sum += d * (sumi1 + sumi2);
  }
  return sum;
}

}  // namespace uma::quant::impl

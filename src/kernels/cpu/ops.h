// Element-wise and row ops of the transformer forward pass, on raw float spans (f32).
// Scalar C++ written so the compiler vectorises it; each op states its math and shapes.
#pragma once

#include <cstdint>

namespace uma::kernels {

// out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i]   (RMSNorm, Zhang & Sennrich 2019); x, out: [n]
void rms_norm(const float* x, const float* w, float* out, int64_t n, float eps);

// Rotary position embedding (Su et al. 2021) on one head vector x: [head_dim], in place.
// Rotates pairs (x[2i], x[2i+1]) ("normal", GGUF llama layout) or (x[i], x[i + n_rot/2]) ("neox",
// Qwen2/3) by angle pos * base^(-2i/n_rot) / freq_factor[i]. Only the first n_rot dims rotate.
struct RopeParams {
  int32_t n_rot;
  float base;
  float freq_scale;            // linear scaling: angle *= freq_scale
  const float* freq_factors;   // [n_rot/2] or nullptr (Llama 3.1 rope_freqs)
  bool neox;
};
// In two steps, so a token's angles are computed once for all heads and layers:
// cs: [n_rot] = cos of the n_rot/2 angles at position pos, then their sines.
void rope_angles(int32_t pos, const RopeParams& p, float* cs);
void rope_apply(float* x, const float* cs, const RopeParams& p);

// In-place softmax over x: [n], max-subtracted for stability. Returns the log normalizer
// log Σ_i exp(x_i) of the input (what attention needs to merge parts, attention.h).
double softmax(float* x, int64_t n);

// softmax's middle step, for callers that found the maximum mx themselves and scale later:
// x[i] = exp(x[i] - mx) in place; returns Σ x[i] (in float per 1024 values, then in double).
double exp_sub_sum(float* x, int64_t n, float mx);

// out[i] = silu(gate[i]) * up[i]   (SwiGLU, Shazeer 2020); silu(x) = x / (1 + e^-x)
void swiglu(const float* gate, const float* up, float* out, int64_t n);

// y[i] += x[i]
void add_inplace(float* y, const float* x, int64_t n);

}  // namespace uma::kernels

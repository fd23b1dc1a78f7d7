// Plain float storage types (F32, F16, BF16): conversion both ways and the reference dot products,
// which accumulate products in double as ggml's scalar ggml_vec_dot_f32/f16/bf16 do.
#include <cstring>

#include "core/f16.h"
#include "quant/quant_impl.h"

namespace uma::quant::impl {

void dequantize_f32(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, (size_t)n * sizeof(float));
}

void dequantize_f16(const void* src, float* dst, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(h[i]);
}

void dequantize_bf16(const void* src, float* dst, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(h[i]);
}

void quantize_f32(const float* src, void* dst, int64_t n) {
  std::memcpy(dst, src, (size_t)n * sizeof(float));
}

void quantize_f16(const float* src, void* dst, int64_t n) {
  f32_to_f16_rows(src, static_cast<uint16_t*>(dst), n);
}

// Round to nearest even, NaN kept quiet: ggml_fp32_to_bf16_row_ref.
void quantize_bf16(const float* src, void* dst, int64_t n) {
  auto* h = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) h[i] = f32_to_bf16(src[i]);
}

float vec_dot_f32(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const float*>(w);
  const auto* y = static_cast<const float*>(a);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += (double)(x[i] * y[i]);
  return (float)sum;
}

float vec_dot_f16(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += (double)(f16_to_f32(x[i]) * f16_to_f32(y[i]));
  return (float)sum;
}

float vec_dot_bf16(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += (double)(bf16_to_f32(x[i]) * bf16_to_f32(y[i]));
  return (float)sum;
}

}  // namespace uma::quant::impl

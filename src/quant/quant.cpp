// quant.h's entry points: one table row per supported type naming its reference functions and
// its activation ("vec-dot") type, and the dispatch over it. SIMD variants are chosen here too.
#include "quant/quant.h"

#include <cstdio>
#include <string>

#include "core/check.h"
#include "quant/quant_avx2.h"
#include "quant/quant_impl.h"
#include "quant/quant_simd.h"

namespace uma::quant {

namespace {

using DequantizeFn = void (*)(const void*, float*, int64_t);
using QuantizeFn = void (*)(const float*, void*, int64_t);

struct TypeOps {
  DType type;
  DequantizeFn dequantize;  // null: cannot be read as floats
  QuantizeFn quantize;      // null: no reference quantizer
  DType dot_type;           // activation type paired for vec_dot
  VecDotFn vec_dot;         // null: not a weight type for dot products
};

constexpr TypeOps kOps[] = {
    {DType::F32, impl::dequantize_f32, impl::quantize_f32, DType::F32, impl::vec_dot_f32},
    {DType::F16, impl::dequantize_f16, impl::quantize_f16, DType::F16, impl::vec_dot_f16},
    {DType::BF16, impl::dequantize_bf16, impl::quantize_bf16, DType::BF16, impl::vec_dot_bf16},
    {DType::Q4_0, impl::dequantize_q4_0, impl::quantize_q4_0, DType::Q8_0, impl::vec_dot_q4_0_q8_0},
    {DType::Q4_1, impl::dequantize_q4_1, impl::quantize_q4_1, DType::Q8_1, impl::vec_dot_q4_1_q8_1},
    {DType::Q5_0, impl::dequantize_q5_0, impl::quantize_q5_0, DType::Q8_0, impl::vec_dot_q5_0_q8_0},
    {DType::Q5_1, impl::dequantize_q5_1, impl::quantize_q5_1, DType::Q8_1, impl::vec_dot_q5_1_q8_1},
    {DType::Q8_0, impl::dequantize_q8_0, impl::quantize_q8_0, DType::Q8_0, impl::vec_dot_q8_0_q8_0},
    {DType::Q8_1, impl::dequantize_q8_1, impl::quantize_q8_1, DType::Q8_1, nullptr},
    {DType::Q2_K, impl::dequantize_q2_k, impl::quantize_q2_k, DType::Q8_K, impl::vec_dot_q2_k_q8_k},
    {DType::Q3_K, impl::dequantize_q3_k, impl::quantize_q3_k, DType::Q8_K, impl::vec_dot_q3_k_q8_k},
    {DType::Q4_K, impl::dequantize_q4_k, impl::quantize_q4_k, DType::Q8_K, impl::vec_dot_q4_k_q8_k},
    {DType::Q5_K, impl::dequantize_q5_k, impl::quantize_q5_k, DType::Q8_K, impl::vec_dot_q5_k_q8_k},
    {DType::Q6_K, impl::dequantize_q6_k, impl::quantize_q6_k, DType::Q8_K, impl::vec_dot_q6_k_q8_k},
    {DType::Q8_K, impl::dequantize_q8_k, impl::quantize_q8_k, DType::Q8_K, impl::vec_dot_q8_k_q8_k},
    {DType::IQ4_NL, impl::dequantize_iq4_nl, impl::quantize_iq4_nl, DType::Q8_0,
     impl::vec_dot_iq4_nl_q8_0},
};

const TypeOps* find_ops(DType t) {
  for (const auto& ops : kOps)
    if (ops.type == t) return &ops;
  return nullptr;
}

const TypeOps& ops_or_die(DType t, const char* what) {
  const TypeOps* ops = find_ops(t);
  if (ops == nullptr) {
    std::fprintf(stderr, "uma: quant: %s: unsupported type %s\n", what,
                 std::string(dtype_name(t)).c_str());
  }
  UMA_CHECK(ops != nullptr);
  return *ops;
}

}  // namespace

bool can_dequantize(DType t) {
  const TypeOps* ops = find_ops(t);
  return ops != nullptr && ops->dequantize != nullptr;
}

bool can_quantize(DType t) {
  const TypeOps* ops = find_ops(t);
  return ops != nullptr && ops->quantize != nullptr;
}

bool can_vec_dot(DType t) {
  const TypeOps* ops = find_ops(t);
  return ops != nullptr && ops->vec_dot != nullptr;
}

void dequantize_row(DType t, const void* src, float* dst, int64_t n) {
  const TypeOps& ops = ops_or_die(t, "dequantize_row");
  UMA_CHECK(ops.dequantize != nullptr);
  UMA_DCHECK(n % dtype_info(t).block_elems == 0);
  ops.dequantize(src, dst, n);
}

void quantize_row(DType t, const float* src, void* dst, int64_t n) {
  const TypeOps& ops = ops_or_die(t, "quantize_row");
  UMA_CHECK(ops.quantize != nullptr);
  UMA_DCHECK(n % dtype_info(t).block_elems == 0);
  ops.quantize(src, dst, n);
}

void quantize_row_act(DType t, const float* src, void* dst, int64_t n) {
  static const bool has_avx2 = avx2::cpu_supported();
  if (t == DType::Q8_0) return has_avx2 ? avx2::quantize_act_q8_0(src, dst, n) : impl::quantize_act_q8_0(src, dst, n);
  if (t == DType::Q8_K && has_avx2) return avx2::quantize_q8_k(src, dst, n);
  if (t == DType::Q8_1) return impl::quantize_act_q8_1(src, dst, n);
  quantize_row(t, src, dst, n);
}

DType vec_dot_type(DType t) { return ops_or_die(t, "vec_dot_type").dot_type; }

VecDotFn vec_dot_fn(DType t) {
  if (VecDotFn fast = simd_vec_dot(t)) return fast;
  const TypeOps& ops = ops_or_die(t, "vec_dot");
  UMA_CHECK(ops.vec_dot != nullptr);
  return ops.vec_dot;
}

float vec_dot(DType t, int64_t n, const void* w, const void* a) {
  UMA_DCHECK(n % dtype_info(t).block_elems == 0);
  return vec_dot_fn(t)(n, w, a);
}

float vec_dot_ref(DType t, int64_t n, const void* w, const void* a) {
  const TypeOps& ops = ops_or_die(t, "vec_dot");
  UMA_CHECK(ops.vec_dot != nullptr);
  UMA_DCHECK(n % dtype_info(t).block_elems == 0);
  return ops.vec_dot(n, w, a);
}

}  // namespace uma::quant

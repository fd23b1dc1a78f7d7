// Tensor element types with GGML/GGUF type ids and block geometry. Lives in core because both the
// GGUF reader (to validate row sizes) and the quant/kernels layers need it.
// Reference: ggml/include/ggml.h enum ggml_type; block sizes from ggml-common.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace uma {

enum class DType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
  IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  TQ1_0 = 34, TQ2_0 = 35,
};

struct DTypeInfo {
  DType type;
  std::string_view name;   // as llama.cpp prints it, e.g. "q4_K"
  uint32_t block_elems;    // elements per block (1 for plain types)
  uint32_t block_bytes;    // bytes per block
};

// Info for a raw type id read from a file; nullopt for ids that are not (or no longer) valid.
std::optional<DTypeInfo> dtype_info(uint32_t id);
const DTypeInfo& dtype_info(DType t);
std::string_view dtype_name(DType t);
// Parse a name such as "q8_0", "Q8_0", "f16" (case-insensitive).
std::optional<DType> dtype_from_name(std::string_view name);

// Bytes of one row of n elements; nullopt if n is not a multiple of the block size.
std::optional<uint64_t> dtype_row_bytes(DType t, uint64_t n);

}  // namespace uma

// Type table: ids, names and block geometry of every GGML tensor type a GGUF file may hold.
#include "core/dtype.h"

#include <array>
#include <cctype>

#include "core/check.h"

namespace uma {

namespace {
constexpr std::array<DTypeInfo, 31> kTypes = {{
    {DType::F32, "f32", 1, 4},         {DType::F16, "f16", 1, 2},
    {DType::Q4_0, "q4_0", 32, 18},     {DType::Q4_1, "q4_1", 32, 20},
    {DType::Q5_0, "q5_0", 32, 22},     {DType::Q5_1, "q5_1", 32, 24},
    {DType::Q8_0, "q8_0", 32, 34},     {DType::Q8_1, "q8_1", 32, 36},
    {DType::Q2_K, "q2_K", 256, 84},    {DType::Q3_K, "q3_K", 256, 110},
    {DType::Q4_K, "q4_K", 256, 144},   {DType::Q5_K, "q5_K", 256, 176},
    {DType::Q6_K, "q6_K", 256, 210},   {DType::Q8_K, "q8_K", 256, 292},
    {DType::IQ2_XXS, "iq2_xxs", 256, 66}, {DType::IQ2_XS, "iq2_xs", 256, 74},
    {DType::IQ3_XXS, "iq3_xxs", 256, 98}, {DType::IQ1_S, "iq1_s", 256, 50},
    {DType::IQ4_NL, "iq4_nl", 32, 18}, {DType::IQ3_S, "iq3_s", 256, 110},
    {DType::IQ2_S, "iq2_s", 256, 82},  {DType::IQ4_XS, "iq4_xs", 256, 136},
    {DType::I8, "i8", 1, 1},           {DType::I16, "i16", 1, 2},
    {DType::I32, "i32", 1, 4},         {DType::I64, "i64", 1, 8},
    {DType::F64, "f64", 1, 8},         {DType::IQ1_M, "iq1_m", 256, 56},
    {DType::BF16, "bf16", 1, 2},       {DType::TQ1_0, "tq1_0", 256, 54},
    {DType::TQ2_0, "tq2_0", 256, 66},
}};
}  // namespace

std::optional<DTypeInfo> dtype_info(uint32_t id) {
  for (const auto& t : kTypes)
    if (static_cast<uint32_t>(t.type) == id) return t;
  return std::nullopt;
}

const DTypeInfo& dtype_info(DType t) {
  for (const auto& info : kTypes)
    if (info.type == t) return info;
  UMA_CHECK(false && "unknown DType");
  return kTypes[0];
}

std::string_view dtype_name(DType t) { return dtype_info(t).name; }

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const auto& t : kTypes) {
    if (t.name.size() != name.size()) continue;
    bool eq = true;
    for (size_t i = 0; i < name.size() && eq; i++)
      eq = std::tolower((unsigned char)name[i]) == std::tolower((unsigned char)t.name[i]);
    if (eq) return t.type;
  }
  return std::nullopt;
}

std::optional<uint64_t> dtype_row_bytes(DType t, uint64_t n) {
  const auto& info = dtype_info(t);
  if (n % info.block_elems != 0) return std::nullopt;
  return n / info.block_elems * info.block_bytes;
}

}  // namespace uma

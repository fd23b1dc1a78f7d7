// File types (llama.cpp's `general.file_type` / llama_ftype) and the per-tensor type each one picks:
// the "mix" rules of llama.cpp's llama-quantize (llama_tensor_get_type in src/llama-quant.cpp,
// commit c392e50), including the fallback for rows that are not a multiple of the block size.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"

namespace uma::quant {

// Values are llama.cpp's llama_ftype ids, as stored in `general.file_type`.
enum class FileType : uint32_t {
  ALL_F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q8_0 = 7, Q5_0 = 8, Q5_1 = 9,
  Q2_K = 10, Q3_K_S = 11, Q3_K_M = 12, Q3_K_L = 13, Q4_K_S = 14, Q4_K_M = 15,
  Q5_K_S = 16, Q5_K_M = 17, Q6_K = 18, IQ4_NL = 25, IQ4_XS = 30, BF16 = 32,
  TQ1_0 = 36, TQ2_0 = 37,
};

// All file types above, in llama-quantize's listing order.
const std::vector<FileType>& all_file_types();
// "Q4_K_M", "F32", ... (the names llama-quantize accepts).
std::string_view file_type_name(FileType ft);
// Case-insensitive name ("q4_k_m"), llama-quantize's aliases (Q3_K = Q3_K_M, Q4_K = Q4_K_M,
// Q5_K = Q5_K_M) or a numeric id ("15"). nullopt for anything else.
std::optional<FileType> file_type_from_name(std::string_view name);
// A `general.file_type` value; nullopt for ids this table does not know.
std::optional<FileType> file_type_from_id(uint64_t id);
// The type most tensors get (Q4_K for Q4_K_M, F16 for F16, ...).
DType file_type_base_type(FileType ft);
// False for the types whose mix holds a tensor type uma cannot write (IQ4_XS, TQ1_0, TQ2_0 bases);
// they are listed so that files made by llama.cpp can be described, and their fallbacks computed.
bool file_type_can_write(FileType ft);

// Whether llama-quantize would convert this tensor at all: weights ("...weight") of 2+ dims,
// except norms, MoE router (ffn_gate_inp), positional/token-type embeddings and a few small
// per-architecture tensors. Everything else is copied in its stored type.
bool is_quantizable_weight(std::string_view name, uint32_t n_dims);

// What the type choice needs to know about a tensor and its model.
struct TensorShapeInfo {
  std::vector<int64_t> ne;      // ggml order: ne[0] = row length; ne.size() = n_dims
  DType type = DType::F32;      // stored type, kept for tensors that are never quantized
  std::string arch = "llama";   // general.architecture ("falcon" has rules of its own)
  int64_t n_layer = 0;          // {arch}.block_count
  int64_t n_head = 0;           // {arch}.attention.head_count
  int64_t n_head_kv = 0;        // {arch}.attention.head_count_kv (GQA when < n_head)
  int64_t n_expert = 0;         // {arch}.expert_count (0 or 1: dense)
  bool has_output = true;       // the model has output.weight; if not, token_embd acts as output
  int64_t layer = -1;           // layer index; -1 = parsed from "blk.N." in the name
};

// The type llama-quantize gives `name` for file type `ft` (no importance matrix). `pure` skips
// the mix rules (every quantizable tensor gets the base type), as `llama-quantize --pure`.
// Errors, naming the tensor, where llama.cpp gives up: a legacy type (Q4_0, Q8_0, ...) or a pure
// mix whose block size does not divide the row length, and shape info that does not fit the name.
// `fell_back` (optional) is set when the rules' type did not fit the rows and a fallback was used.
Result<DType> choose_tensor_type(FileType ft, const std::string& name, const TensorShapeInfo& info,
                                 bool pure, bool* fell_back = nullptr);

// The per-tensor fallback on its own: the type llama.cpp substitutes when `t`'s block size does
// not divide `row_len` (Q4_K -> Q5_0, Q6_K -> Q8_0, ..., then F16). nullopt where llama.cpp has
// no fallback (the legacy types). Returns `t` unchanged when it fits.
std::optional<DType> fallback_type(DType t, int64_t row_len);

}  // namespace uma::quant

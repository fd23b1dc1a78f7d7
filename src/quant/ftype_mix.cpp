// Per-tensor type choice for each file type, following llama.cpp's llama_tensor_get_type
// (src/llama-quant.cpp, commit c392e50) rule by rule, without an importance matrix. The
// rules that only concern types uma does not write (IQ1/IQ2/IQ3 mixes) are left out.
#include "quant/ftype_mix.h"

#include <array>
#include <cctype>
#include <charconv>

namespace uma::quant {

namespace {

struct FileTypeInfo {
  FileType ft;
  std::string_view name;
  DType base;
  bool can_write;
};

// llama-quantize's listing order.
constexpr std::array<FileTypeInfo, 21> kFileTypes = {{
    {FileType::Q4_0, "Q4_0", DType::Q4_0, true},
    {FileType::Q4_1, "Q4_1", DType::Q4_1, true},
    {FileType::Q5_0, "Q5_0", DType::Q5_0, true},
    {FileType::Q5_1, "Q5_1", DType::Q5_1, true},
    {FileType::TQ1_0, "TQ1_0", DType::TQ1_0, false},
    {FileType::TQ2_0, "TQ2_0", DType::TQ2_0, false},
    {FileType::Q2_K, "Q2_K", DType::Q2_K, true},
    {FileType::Q3_K_S, "Q3_K_S", DType::Q3_K, true},
    {FileType::Q3_K_M, "Q3_K_M", DType::Q3_K, true},
    {FileType::Q3_K_L, "Q3_K_L", DType::Q3_K, true},
    {FileType::IQ4_NL, "IQ4_NL", DType::IQ4_NL, true},
    {FileType::IQ4_XS, "IQ4_XS", DType::IQ4_XS, false},
    {FileType::Q4_K_S, "Q4_K_S", DType::Q4_K, true},
    {FileType::Q4_K_M, "Q4_K_M", DType::Q4_K, true},
    {FileType::Q5_K_S, "Q5_K_S", DType::Q5_K, true},
    {FileType::Q5_K_M, "Q5_K_M", DType::Q5_K, true},
    {FileType::Q6_K, "Q6_K", DType::Q6_K, true},
    {FileType::Q8_0, "Q8_0", DType::Q8_0, true},
    {FileType::F16, "F16", DType::F16, true},
    {FileType::BF16, "BF16", DType::BF16, true},
    {FileType::ALL_F32, "F32", DType::F32, true},
}};

const FileTypeInfo& info_of(FileType ft) {
  for (const auto& i : kFileTypes)
    if (i.ft == ft) return i;
  return kFileTypes.back();  // unreachable for valid enum values
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (std::toupper((unsigned char)a[i]) != std::toupper((unsigned char)b[i])) return false;
  return true;
}

bool contains(std::string_view s, std::string_view part) { return s.find(part) != s.npos; }

int64_t block_of(DType t) { return dtype_info(t).block_elems; }

// "blk.N." at the start of a tensor name; -1 when absent.
int64_t parse_layer(std::string_view name) {
  constexpr std::string_view kPrefix = "blk.";
  if (name.substr(0, kPrefix.size()) != kPrefix) return -1;
  std::string_view rest = name.substr(kPrefix.size());
  int64_t v = -1;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
  if (ec != std::errc() || p == rest.data() || p == rest.data() + rest.size() || *p != '.')
    return -1;
  return v;
}

// llama.cpp spends more bits on the first and last eighth of the layers and on every third
// layer in between (use_more_bits in llama_tensor_get_type).
bool use_more_bits(int64_t i_layer, int64_t n_layer) {
  return i_layer < n_layer / 8 || i_layer >= 7 * n_layer / 8 || (i_layer - n_layer / 8) % 3 == 2;
}

// llama.cpp's LLM_TYPE_70B for the architectures uma converts: attn_v of 70B models is 8x
// smaller than attn_q (GQA 8), so it gets Q5_K instead of Q3_K/Q4_K.
bool is_70b(const TensorShapeInfo& m) {
  if (m.n_layer != 80) return false;
  if (m.arch == "llama") return m.n_expert != 8 && m.n_head != m.n_head_kv;  // 65B: no GQA
  return m.arch == "qwen2";
}

}  // namespace

const std::vector<FileType>& all_file_types() {
  static const std::vector<FileType> kAll = [] {
    std::vector<FileType> v;
    for (const auto& i : kFileTypes) v.push_back(i.ft);
    return v;
  }();
  return kAll;
}

std::string_view file_type_name(FileType ft) { return info_of(ft).name; }
DType file_type_base_type(FileType ft) { return info_of(ft).base; }
bool file_type_can_write(FileType ft) { return info_of(ft).can_write; }

std::optional<FileType> file_type_from_name(std::string_view name) {
  for (const auto& i : kFileTypes)
    if (iequals(name, i.name)) return i.ft;
  if (iequals(name, "Q3_K")) return FileType::Q3_K_M;
  if (iequals(name, "Q4_K")) return FileType::Q4_K_M;
  if (iequals(name, "Q5_K")) return FileType::Q5_K_M;
  uint64_t id = 0;
  auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
  if (!name.empty() && ec == std::errc() && p == name.data() + name.size())
    return file_type_from_id(id);
  return std::nullopt;
}

std::optional<FileType> file_type_from_id(uint64_t id) {
  for (const auto& i : kFileTypes)
    if (static_cast<uint64_t>(i.ft) == id) return i.ft;
  return std::nullopt;
}

bool is_quantizable_weight(std::string_view name, uint32_t n_dims) {
  constexpr std::string_view kWeight = "weight";
  if (name.size() < kWeight.size() || name.substr(name.size() - kWeight.size()) != kWeight)
    return false;
  if (n_dims < 2) return false;
  for (std::string_view skip :
       {"_norm.weight", "ffn_gate_inp.weight", "ssm_conv1d.weight", "time_mix_first.weight",
        "time_mix_w1.weight", "time_mix_w2.weight", "time_mix_decay_w1.weight",
        "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight", "attn_rel_b.weight"})
    if (contains(name, skip)) return false;
  return name != "position_embd.weight" && name != "token_types.weight";
}

std::optional<DType> fallback_type(DType t, int64_t row_len) {
  if (row_len % block_of(t) == 0) return t;
  DType f;
  switch (t) {
    case DType::TQ1_0:
    case DType::TQ2_0: f = DType::Q4_0; break;
    case DType::IQ2_XXS:
    case DType::IQ2_XS:
    case DType::IQ2_S:
    case DType::IQ3_XXS:
    case DType::IQ3_S:
    case DType::IQ1_S:
    case DType::IQ1_M:
    case DType::Q2_K:
    case DType::Q3_K:
    case DType::IQ4_XS: f = DType::IQ4_NL; break;
    case DType::Q4_K: f = DType::Q5_0; break;
    case DType::Q5_K: f = DType::Q5_1; break;
    case DType::Q6_K: f = DType::Q8_0; break;
    default: return std::nullopt;
  }
  return row_len % block_of(f) == 0 ? f : DType::F16;
}

Result<DType> choose_tensor_type(FileType ft, const std::string& name, const TensorShapeInfo& info,
                                 bool pure, bool* fell_back) {
  if (fell_back) *fell_back = false;
  const uint32_t n_dims = static_cast<uint32_t>(info.ne.size());
  if (!is_quantizable_weight(name, n_dims)) return info.type;
  const int64_t nx = info.ne[0];
  if (nx <= 0) return error("tensor '" + name + "': empty rows cannot be quantized");

  const DType base = file_type_base_type(ft);
  if (block_of(base) == 1) return base;  // F32/F16/BF16: no mix, no fallback
  auto no_fit = [&](DType t) {
    return error("tensor '" + name + "': row length " + std::to_string(nx) +
                 " is not a multiple of " + std::to_string(block_of(t)) + ", which " +
                 std::string(dtype_name(t)) + " needs");
  };
  if (pure) {
    if (nx % block_of(base) != 0) return no_fit(base);
    return base;
  }

  const std::string& arch = info.arch;
  const bool falcon = arch == "falcon";
  const int64_t n_layer = info.n_layer;
  const int64_t n_gqa = info.n_head_kv > 0 ? info.n_head / info.n_head_kv : 0;
  const int64_t n_expert = info.n_expert;
  // Layer index of a per-layer tensor; llama.cpp counts tensors in layer order, which is the
  // same number for every model with one attn_v / ffn_down per layer.
  auto layer = [&]() -> Result<int64_t> {
    const int64_t il = info.layer >= 0 ? info.layer : parse_layer(name);
    if (il < 0) return error("tensor '" + name + "': no layer index (expected 'blk.N.')");
    if (il >= n_layer)
      return error("tensor '" + name + "': layer " + std::to_string(il) + " is not below " +
                   "the block count " + std::to_string(n_layer));
    return il;
  };

  DType t = base;
  if (name == "output.weight" || (!info.has_output && name == "token_embd.weight")) {
    // The output projection (or a tied embedding serving as one) is the most sensitive matrix.
    if (falcon || nx % block_of(t) != 0) {
      t = DType::Q8_0;
    } else if (t != DType::Q8_0) {
      t = DType::Q6_K;
    }
  } else if (name == "token_embd.weight") {
    if (ft == FileType::TQ1_0 || ft == FileType::TQ2_0) t = DType::Q4_K;
  } else if (contains(name, "attn_v.weight")) {
    UMA_ASSIGN_OR_RETURN(const int64_t il, layer());
    if (ft == FileType::Q2_K) {
      t = n_gqa >= 4 ? DType::Q4_K : DType::Q3_K;
    } else if (ft == FileType::Q3_K_M) {
      t = il < 2 ? DType::Q5_K : DType::Q4_K;
    } else if (ft == FileType::Q3_K_L) {
      t = DType::Q5_K;
    } else if ((ft == FileType::IQ4_NL || ft == FileType::IQ4_XS) && n_gqa >= 4) {
      t = DType::Q5_K;
    } else if ((ft == FileType::Q4_K_M || ft == FileType::Q5_K_M) && use_more_bits(il, n_layer)) {
      t = DType::Q6_K;
    } else if (ft == FileType::Q4_K_S && il < 4) {
      t = DType::Q5_K;
    }
    if (is_70b(info) && (t == DType::Q3_K || t == DType::Q4_K)) t = DType::Q5_K;
    if (n_expert == 8) t = DType::Q8_0;
  } else if (contains(name, "attn_k.weight")) {
    if (n_expert == 8) t = DType::Q8_0;
  } else if (contains(name, "attn_q.weight")) {
    // Only the IQ3 mixes change attn_q.
  } else if (contains(name, "ffn_down")) {
    UMA_ASSIGN_OR_RETURN(const int64_t il, layer());
    const bool more = use_more_bits(il, n_layer);
    if (ft == FileType::Q2_K) {
      t = DType::Q3_K;
    } else if (ft == FileType::Q3_K_M) {
      t = il < n_layer / 16 ? DType::Q5_K : (!falcon || more) ? DType::Q4_K : DType::Q3_K;
    } else if (ft == FileType::Q3_K_L) {
      t = falcon ? DType::Q4_K : DType::Q5_K;
    } else if (ft == FileType::Q4_K_M) {
      if (falcon) {
        t = il < n_layer / 16 ? DType::Q6_K : more ? DType::Q5_K : DType::Q4_K;
      } else if (more) {
        t = DType::Q6_K;
      }
    } else if (il < n_layer / 8 && (ft == FileType::IQ4_NL || ft == FileType::IQ4_XS)) {
      t = DType::Q5_K;
    } else if (ft == FileType::Q5_K_M && more) {
      t = DType::Q6_K;
    } else if (ft == FileType::Q4_K_S && !falcon && il < n_layer / 8) {
      t = DType::Q5_K;
    }
  } else if (contains(name, "attn_output.weight")) {
    if (!falcon) {
      if (n_expert == 8) {
        if (ft == FileType::Q2_K || ft == FileType::Q3_K_S || ft == FileType::Q3_K_M ||
            ft == FileType::IQ4_NL || ft == FileType::Q4_K_S || ft == FileType::Q4_K_M ||
            ft == FileType::IQ4_XS)
          t = DType::Q5_K;
      } else if (ft == FileType::Q2_K) {
        t = DType::Q3_K;
      } else if (ft == FileType::Q3_K_M) {
        t = DType::Q4_K;
      } else if (ft == FileType::Q3_K_L) {
        t = DType::Q5_K;
      }
    } else if (ft == FileType::Q3_K_L) {
      t = DType::Q4_K;
    }
  } else if (contains(name, "attn_qkv.weight")) {
    if (ft == FileType::Q3_K_M || ft == FileType::Q3_K_L) {
      t = DType::Q4_K;
    } else if (ft == FileType::Q4_K_M) {
      t = DType::Q5_K;
    } else if (ft == FileType::Q5_K_M) {
      t = DType::Q6_K;
    }
  }

  // Rows that the chosen block does not divide: llama.cpp swaps in a type with 32-wide blocks
  // (then F16); the legacy types have no fallback and llama.cpp refuses the file.
  std::optional<DType> fitted = fallback_type(t, nx);
  if (!fitted) return no_fit(t);
  if (fell_back) *fell_back = *fitted != t;
  return *fitted;
}

}  // namespace uma::quant

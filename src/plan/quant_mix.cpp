// Applying a quant mix to a ModelDesc: the per-tensor choice is quant::choose_tensor_type (one
// copy of llama-quantize's rules in the tree, tested against the quant-ref files llama.cpp made).
#include "plan/quant_mix.h"

#include <array>

namespace uma::plan {

namespace {

struct MixInfo {
  QuantMix mix;
  quant::FileType ft;
};

constexpr std::array<MixInfo, 10> kMixes = {{
    {QuantMix::F16, quant::FileType::F16},
    {QuantMix::BF16, quant::FileType::BF16},
    {QuantMix::Q8_0, quant::FileType::Q8_0},
    {QuantMix::Q6_K, quant::FileType::Q6_K},
    {QuantMix::Q5_K_M, quant::FileType::Q5_K_M},
    {QuantMix::Q4_K_M, quant::FileType::Q4_K_M},
    {QuantMix::IQ4_XS, quant::FileType::IQ4_XS},
    {QuantMix::Q4_0, quant::FileType::Q4_0},
    {QuantMix::Q3_K_M, quant::FileType::Q3_K_M},
    {QuantMix::Q2_K, quant::FileType::Q2_K},
}};

}  // namespace

const std::vector<QuantMix>& all_quant_mixes() {
  static const std::vector<QuantMix> kAll = [] {
    std::vector<QuantMix> v;
    for (const auto& i : kMixes) v.push_back(i.mix);
    return v;
  }();
  return kAll;
}

quant::FileType quant_mix_file_type(QuantMix m) {
  for (const auto& i : kMixes)
    if (i.mix == m) return i.ft;
  return quant::FileType::F16;
}

std::string_view quant_mix_name(QuantMix m) {
  return quant::file_type_name(quant_mix_file_type(m));
}

std::optional<QuantMix> quant_mix_from_name(std::string_view name) {
  // file_type_from_name also takes numeric ids; a mix is asked for by name only.
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return std::nullopt;
  const auto ft = quant::file_type_from_name(name);
  if (!ft) return std::nullopt;
  for (const auto& i : kMixes)
    if (i.ft == *ft) return i.mix;
  return std::nullopt;
}

std::string quant_mix_names() {
  std::string s;
  for (const auto& i : kMixes) s += (s.empty() ? "" : ", ") + std::string(quant_mix_name(i.mix));
  return s;
}

Status apply_quant_mix(QuantMix mix, ModelDesc& m) {
  quant::TensorShapeInfo info;
  info.arch = m.arch;
  info.n_layer = m.n_layer;
  info.n_head = m.n_head;
  info.n_head_kv = m.n_head_kv;
  info.n_expert = m.n_expert;
  info.has_output = !m.tied_output;
  const quant::FileType ft = quant_mix_file_type(mix);
  for (auto& t : m.tensors) {
    if (!quant::is_quantizable_weight(t.name, t.n_dims)) continue;
    info.ne.assign(t.ne, t.ne + t.n_dims);
    info.type = t.type;
    auto type = quant::choose_tensor_type(ft, t.name, info, /*pure=*/false);
    if (!type.ok())
      return type.status().with_context("cannot make " + std::string(quant_mix_name(mix)));
    const auto& di = dtype_info(*type);
    t.type = *type;
    t.bytes = t.n_rows() * (uint64_t)(t.ne[0] / di.block_elems) * di.block_bytes;
  }
  m.quant = std::string(quant_mix_name(mix));
  return Status::ok();
}

}  // namespace uma::plan

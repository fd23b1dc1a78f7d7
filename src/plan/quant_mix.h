// The quant mixes uma fit plans with (F16 … Q2_K) and applying one to a whole model: every
// tensor gets the type llama-quantize would give it, from quant::choose_tensor_type
// (src/quant/ftype_mix.h, llama.cpp's per-tensor rules), so a model's bytes and real bits per
// weight follow from its tensor shapes rather than from a nominal bits-per-weight figure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "plan/model_desc.h"
#include "quant/ftype_mix.h"

namespace uma::plan {

enum class QuantMix { F16, BF16, Q8_0, Q6_K, Q5_K_M, Q4_K_M, IQ4_XS, Q4_0, Q3_K_M, Q2_K };

// All mixes, best quality first (the order `uma fit` tries them in when choosing one).
const std::vector<QuantMix>& all_quant_mixes();
std::string_view quant_mix_name(QuantMix m);  // "Q4_K_M"
quant::FileType quant_mix_file_type(QuantMix m);
// Case-insensitive; also llama-quantize's aliases Q4_K (= Q4_K_M), Q5_K, Q3_K.
std::optional<QuantMix> quant_mix_from_name(std::string_view name);
std::string quant_mix_names();  // "F16, BF16, Q8_0, ..." for help and errors

// Set every quantizable tensor of `m` to the type `mix` gives it and recompute its bytes; the
// others (norms, biases, routers) keep theirs. Errors where llama.cpp gives up (a legacy type
// whose block does not divide a row), naming the tensor.
Status apply_quant_mix(QuantMix mix, ModelDesc& m);

}  // namespace uma::plan

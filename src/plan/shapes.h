// Built-in model shapes for planning without the file: the hyperparameters of well-known models
// (from each model's Hugging Face config.json, cited per shape) and the tensor table llama.cpp's
// converter writes for them, in F16 — a quant mix (quant_mix.h) then sets the real types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plan/model_desc.h"

namespace uma::plan {

enum class Family { kLlama, kQwen2, kQwen3, kGemma2, kGemma3, kPhi3, kDeepseek2 };

struct ShapeDef {
  std::string_view name;     // CLI name, e.g. "llama3.1-70b"
  std::string_view aliases;  // comma-separated other names, e.g. "llama3-70b"
  std::string_view label;    // "Llama 3.1 70B"
  Family family;
  int64_t n_vocab, n_ctx_train, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff;
  bool tied_output;
  bool rope_freqs;         // Llama 3.1+ "llama3" rope scaling stored as rope_freqs.weight
  int64_t sliding_window;  // gemma: span of the local-attention layers (0: none)
  // Mixture of experts (0 = dense).
  int64_t n_expert, n_expert_used, n_ff_exp, n_expert_shared, n_dense_lead;
  // DeepSeek multi-head latent attention (0 = plain attention).
  int64_t q_lora_rank, kv_lora_rank, qk_rope_dim, qk_nope_dim, v_head_dim;
  std::string_view config_url;  // where the numbers come from
};

const std::vector<ShapeDef>& builtin_shapes();
// Matches the name or an alias, ignoring case and the characters ". - _".
const ShapeDef* find_shape(std::string_view name);
std::string shape_names();  // for help and errors

// The F16 model (tensor table + hparams + per-layer KV widths) of a shape.
ModelDesc shape_model(const ShapeDef& s);

}  // namespace uma::plan

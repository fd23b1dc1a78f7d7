// Built-in model shapes for `uma synth`: the hyperparameters and the exact GGUF tensor list
// (names, ne, order) that llama.cpp's converter writes for the real model of that name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uma::synth {

// Llama 3.1 "llama3" RoPE scaling; the converter stores its per-frequency factors as the
// rope_freqs.weight tensor (F32, [head_dim / 2]) instead of metadata.
struct RopeLlama3 {
  float factor = 1, low_freq_factor = 1, high_freq_factor = 4;
  int64_t original_ctx = 8192;
};

struct Shape {
  std::string_view name;        // CLI name, e.g. "llama3-1b"
  std::string_view model_name;  // general.name, e.g. "Llama 3.2 1B"
  std::string_view size_label;  // general.size_label, e.g. "1B"
  std::string_view arch;        // general.architecture: llama | qwen2 | qwen3
  int64_t n_vocab, n_ctx_train, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff;
  float rope_base, rms_eps;
  bool tied_output;  // no output.weight: logits come from token_embd
  bool qkv_bias;     // qwen2: attn_{q,k,v}.bias
  bool qk_norm;      // qwen3: attn_{q,k}_norm.weight (per-head RMSNorm)
  std::optional<RopeLlama3> rope_llama3;
  std::string_view default_vocab;  // relative to the shared models folder
};

// What a tensor is, for the per-tensor type rules (norms and biases stay F32).
enum class TensorRole {
  kTokenEmbd, kOutput, kNorm, kBias, kRopeFreqs,
  kAttnQ, kAttnK, kAttnV, kAttnOutput, kFfnGate, kFfnUp, kFfnDown,
};

struct TensorSpec {
  std::string name;          // e.g. "blk.3.attn_q.weight"
  std::vector<int64_t> ne;   // ne[0] = row length (ggml order)
  TensorRole role;
  int layer;                 // -1 outside the blocks

  int64_t n_elements() const;
  bool is_matrix() const { return ne.size() >= 2; }
};

const std::vector<Shape>& builtin_shapes();
const Shape* find_shape(std::string_view name);
std::string shape_names();  // "tiny, llama3-1b, ..." for help and errors

// Tensors in the converter's order: rope_freqs (if any), token_embd, blocks 0..n-1,
// output_norm, output (synth_model reorders them for quantized files, as llama-quantize does).
std::vector<TensorSpec> shape_tensors(const Shape& s);

// The rope_freqs.weight values (llama.cpp convert_hf_to_gguf.py, LlamaModel: frequencies whose
// wavelength exceeds original_ctx / low_freq_factor are slowed by `factor`, those below
// original_ctx / high_freq_factor kept, and the band between interpolated smoothly).
std::vector<float> llama3_rope_factors(const Shape& s);

}  // namespace uma::synth

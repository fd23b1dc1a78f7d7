// Built-in shapes (numbers from each model's published config.json) and their GGUF tensor lists,
// named and laid out as llama.cpp's convert_hf_to_gguf.py writes them.
#include "synth/shapes.h"

#include <cmath>

namespace uma::synth {

int64_t TensorSpec::n_elements() const {
  int64_t n = 1;
  for (int64_t d : ne) n *= d;
  return n;
}

const std::vector<Shape>& builtin_shapes() {
  // clang-format off
  static const std::vector<Shape> kShapes = {
      // Same geometry as shared/models/quant-ref synth-tiny (every row a multiple of 256, so the
      // K-quants apply), with the 512-token stories260K vocabulary: small and fast for tests.
      {.name = "tiny", .model_name = "synth-tiny", .size_label = "4M", .arch = "llama",
       .n_vocab = 512, .n_ctx_train = 512, .n_embd = 256, .n_layer = 2, .n_head = 4,
       .n_head_kv = 2, .head_dim = 64, .n_ff = 768, .rope_base = 10000.f, .rms_eps = 1e-5f,
       .tied_output = false, .qkv_bias = false, .qk_norm = false, .rope_llama3 = std::nullopt,
       .default_vocab = "stories260K.gguf"},
      {.name = "llama3-1b", .model_name = "Llama 3.2 1B", .size_label = "1B", .arch = "llama",
       .n_vocab = 128256, .n_ctx_train = 131072, .n_embd = 2048, .n_layer = 16, .n_head = 32,
       .n_head_kv = 8, .head_dim = 64, .n_ff = 8192, .rope_base = 500000.f, .rms_eps = 1e-5f,
       .tied_output = true, .qkv_bias = false, .qk_norm = false,
       .rope_llama3 = RopeLlama3{32.f, 1.f, 4.f, 8192},
       .default_vocab = "vocab/ggml-vocab-llama-bpe.gguf"},
      {.name = "llama3-3b", .model_name = "Llama 3.2 3B", .size_label = "3B", .arch = "llama",
       .n_vocab = 128256, .n_ctx_train = 131072, .n_embd = 3072, .n_layer = 28, .n_head = 24,
       .n_head_kv = 8, .head_dim = 128, .n_ff = 8192, .rope_base = 500000.f, .rms_eps = 1e-5f,
       .tied_output = true, .qkv_bias = false, .qk_norm = false,
       .rope_llama3 = RopeLlama3{32.f, 1.f, 4.f, 8192},
       .default_vocab = "vocab/ggml-vocab-llama-bpe.gguf"},
      {.name = "llama3-8b", .model_name = "Llama 3.1 8B", .size_label = "8B", .arch = "llama",
       .n_vocab = 128256, .n_ctx_train = 131072, .n_embd = 4096, .n_layer = 32, .n_head = 32,
       .n_head_kv = 8, .head_dim = 128, .n_ff = 14336, .rope_base = 500000.f, .rms_eps = 1e-5f,
       .tied_output = false, .qkv_bias = false, .qk_norm = false,
       .rope_llama3 = RopeLlama3{8.f, 1.f, 4.f, 8192},
       .default_vocab = "vocab/ggml-vocab-llama-bpe.gguf"},
      {.name = "qwen2.5-0.5b", .model_name = "Qwen2.5 0.5B", .size_label = "0.5B", .arch = "qwen2",
       .n_vocab = 151936, .n_ctx_train = 32768, .n_embd = 896, .n_layer = 24, .n_head = 14,
       .n_head_kv = 2, .head_dim = 64, .n_ff = 4864, .rope_base = 1000000.f, .rms_eps = 1e-6f,
       .tied_output = true, .qkv_bias = true, .qk_norm = false, .rope_llama3 = std::nullopt,
       .default_vocab = "vocab/ggml-vocab-llama-bpe.gguf"},
      {.name = "qwen3-4b", .model_name = "Qwen3 4B", .size_label = "4B", .arch = "qwen3",
       .n_vocab = 151936, .n_ctx_train = 40960, .n_embd = 2560, .n_layer = 36, .n_head = 32,
       .n_head_kv = 8, .head_dim = 128, .n_ff = 9728, .rope_base = 1000000.f, .rms_eps = 1e-6f,
       .tied_output = true, .qkv_bias = false, .qk_norm = true, .rope_llama3 = std::nullopt,
       .default_vocab = "vocab/ggml-vocab-llama-bpe.gguf"},
      // v0.1: its 32000-token SentencePiece vocabulary has the size of llama-spm's.
      {.name = "mistral-7b", .model_name = "Mistral 7B v0.1", .size_label = "7B", .arch = "llama",
       .n_vocab = 32000, .n_ctx_train = 32768, .n_embd = 4096, .n_layer = 32, .n_head = 32,
       .n_head_kv = 8, .head_dim = 128, .n_ff = 14336, .rope_base = 10000.f, .rms_eps = 1e-5f,
       .tied_output = false, .qkv_bias = false, .qk_norm = false, .rope_llama3 = std::nullopt,
       .default_vocab = "vocab/ggml-vocab-llama-spm.gguf"},
  };
  // clang-format on
  return kShapes;
}

const Shape* find_shape(std::string_view name) {
  for (const Shape& s : builtin_shapes())
    if (s.name == name) return &s;
  return nullptr;
}

std::string shape_names() {
  std::string out;
  for (const Shape& s : builtin_shapes()) {
    if (!out.empty()) out += ", ";
    out += s.name;
  }
  return out;
}

std::vector<TensorSpec> shape_tensors(const Shape& s) {
  const int64_t d = s.n_embd, q_dim = s.n_head * s.head_dim, kv_dim = s.n_head_kv * s.head_dim;
  std::vector<TensorSpec> t;
  // The converter yields rope_freqs first (generate_extra_tensors runs before the weights).
  if (s.rope_llama3) t.push_back({"rope_freqs.weight", {s.head_dim / 2}, TensorRole::kRopeFreqs, -1});
  t.push_back({"token_embd.weight", {d, s.n_vocab}, TensorRole::kTokenEmbd, -1});
  for (int il = 0; il < (int)s.n_layer; il++) {
    const std::string p = "blk." + std::to_string(il) + ".";
    t.push_back({p + "attn_norm.weight", {d}, TensorRole::kNorm, il});
    t.push_back({p + "attn_q.weight", {d, q_dim}, TensorRole::kAttnQ, il});
    if (s.qkv_bias) t.push_back({p + "attn_q.bias", {q_dim}, TensorRole::kBias, il});
    t.push_back({p + "attn_k.weight", {d, kv_dim}, TensorRole::kAttnK, il});
    if (s.qkv_bias) t.push_back({p + "attn_k.bias", {kv_dim}, TensorRole::kBias, il});
    t.push_back({p + "attn_v.weight", {d, kv_dim}, TensorRole::kAttnV, il});
    if (s.qkv_bias) t.push_back({p + "attn_v.bias", {kv_dim}, TensorRole::kBias, il});
    t.push_back({p + "attn_output.weight", {q_dim, d}, TensorRole::kAttnOutput, il});
    if (s.qk_norm) {
      t.push_back({p + "attn_q_norm.weight", {s.head_dim}, TensorRole::kNorm, il});
      t.push_back({p + "attn_k_norm.weight", {s.head_dim}, TensorRole::kNorm, il});
    }
    t.push_back({p + "ffn_norm.weight", {d}, TensorRole::kNorm, il});
    t.push_back({p + "ffn_gate.weight", {d, s.n_ff}, TensorRole::kFfnGate, il});
    t.push_back({p + "ffn_up.weight", {d, s.n_ff}, TensorRole::kFfnUp, il});
    t.push_back({p + "ffn_down.weight", {s.n_ff, d}, TensorRole::kFfnDown, il});
  }
  t.push_back({"output_norm.weight", {d}, TensorRole::kNorm, -1});
  if (!s.tied_output) t.push_back({"output.weight", {d, s.n_vocab}, TensorRole::kOutput, -1});
  return t;
}

std::vector<float> llama3_rope_factors(const Shape& s) {
  std::vector<float> out;
  if (!s.rope_llama3) return out;
  const RopeLlama3& r = *s.rope_llama3;
  // float arithmetic throughout, as the converter does it on float32 torch tensors.
  const float low_wavelen = (float)r.original_ctx / r.low_freq_factor;
  const float high_wavelen = (float)r.original_ctx / r.high_freq_factor;
  for (int64_t i = 0; i < s.head_dim; i += 2) {
    const float freq = 1.0f / std::pow(s.rope_base, (float)i / (float)s.head_dim);
    const float wavelen = 2 * (float)M_PI / freq;
    if (wavelen < high_wavelen) {
      out.push_back(1.f);
    } else if (wavelen > low_wavelen) {
      out.push_back(r.factor);
    } else {
      const float smooth =
          ((float)r.original_ctx / wavelen - r.low_freq_factor) / (r.high_freq_factor - r.low_freq_factor);
      out.push_back(1.0f / ((1 - smooth) / r.factor + smooth));
    }
  }
  return out;
}

}  // namespace uma::synth

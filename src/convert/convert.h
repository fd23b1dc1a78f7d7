// Hugging Face checkpoint folder -> GGUF (`uma convert`): Llama, Mistral, Qwen2 and Qwen3 causal
// LMs from config.json + safetensors + tokenizer files, written as llama.cpp's
// convert_hf_to_gguf.py writes them (names, metadata keys and order, q/k rotary permutation for
// Llama), one tensor at a time so that memory stays at about one tensor.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"

namespace uma::convert {

struct ConvertOptions {
  std::string dir;
  std::string output;
  std::string type = "f16";  // f32, f16, bf16 or q8_0 for the matrices; norms and biases stay f32
  bool vocab_only = false;   // metadata and tokenizer only (config.json optional)
  int n_threads = 0;         // 0: physical cores
  // Called after each batch of rows with elements done and total, from one thread.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct ConvertSummary {
  std::string arch;          // "" for a vocab-only file without config.json
  std::string hf_arch;       // e.g. "LlamaForCausalLM"
  std::string tokenizer;     // e.g. "llama (SentencePiece), pre default"
  uint64_t n_vocab = 0;
  uint64_t n_tensors = 0;
  uint64_t n_params = 0;
  uint64_t tensor_bytes = 0;
  uint64_t file_bytes = 0;
  std::map<DType, int> type_counts;
  std::vector<std::string> notes;  // non-fatal things worth telling the user
  double seconds = 0;
};

// The HF architectures convert accepts, for messages and --help.
std::string supported_architectures();

Result<ConvertSummary> convert_hf(const ConvertOptions& options);

// gguf-py's size label for a parameter count: "260K", "494M", "8.0B" (two significant digits at
// least, as model_weight_count_rounded_notation).
std::string size_label(uint64_t n_params);

// The HF -> GGUF tensor name for the Llama-family layout; "" for tensors llama.cpp drops
// (rotary inv_freq), nullopt-like error for names it cannot map. `layer` receives N of
// "model.layers.N." (-1 otherwise).
Result<std::string> gguf_tensor_name(const std::string& hf_name, int64_t* layer);

}  // namespace uma::convert

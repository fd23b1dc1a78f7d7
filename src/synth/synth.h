// `uma synth` library: writes a random-weight GGUF with a built-in shape's exact tensors, the
// per-tensor types of a llama.cpp file type, and a real tokenizer copied from a vocab GGUF.
// Weights are generated and quantized tensor by tensor (only one tensor in memory), on threads,
// deterministically from the seed (the same seed gives the same bytes for any thread count).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "core/dtype.h"
#include "core/status.h"

namespace uma::synth {

struct SynthOptions {
  std::string shape;        // built-in shape name (shapes.h)
  std::string type;         // llama.cpp file type name (quant/ftype_mix.h), e.g. "Q4_K_M"
  bool pure = false;        // every quantized matrix in the base type (llama-quantize --pure)
  uint64_t seed = 0;
  std::string vocab_path;   // GGUF whose tokenizer.* keys are copied
  std::string output_path;
  int n_threads = 0;        // 0: physical cores
  float weight_std = 0.02f; // spread of the random matrix entries (norms are 1)
  // Called on the calling thread while tensors are produced: elements done so far, total.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct SynthSummary {
  uint64_t n_tensors = 0;
  uint64_t n_params = 0;
  uint64_t tensor_bytes = 0;
  std::map<DType, int> type_counts;  // tensors per stored type
  std::string description;           // what general.description says
};

// File types synth can write, comma-separated, for help and errors ("Q4_0, Q4_1, ...").
std::string type_names();

// Errors (one line each): unknown shape or type, unreadable vocab, a vocab whose special tokens
// do not fit the shape's n_vocab, output not writable.
Result<SynthSummary> synth_model(const SynthOptions& opts);

}  // namespace uma::synth

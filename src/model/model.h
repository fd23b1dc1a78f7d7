// A loaded Llama-family model: the mapped GGUF, its hyperparameters, tokenizer and weight views.
// Weights stay in their stored (quantized) type inside the mapping (Q4_0 matrices are repacked
// into interleaved row tiles where the CPU has a kernel for them, see repack_weights); only the
// tiny norm vectors and biases are converted to f32 at load.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/aligned_buffer.h"
#include "core/huge_buffer.h"
#include "core/status.h"
#include "gguf/gguf.h"
#include "kernels/cpu/matmul.h"
#include "model/hparams.h"
#include "tokenizer/tokenizer.h"

namespace uma {

// Per-layer weights. Optional tensors are empty (n_out == 0) or empty vectors when absent.
struct LayerWeights {
  std::vector<float> attn_norm;         // [n_embd]
  kernels::MatView wq, wk, wv, wo;      // [n_head*hd, n_embd], [n_kv*hd, n_embd] x2, [n_embd, n_head*hd]
  std::vector<float> bq, bk, bv;        // qwen2: q/k/v biases
  std::vector<float> q_norm, k_norm;    // qwen3: per-head RMSNorm weights [hd]
  std::vector<float> ffn_norm;          // [n_embd]
  kernels::MatView w_gate, w_up, w_down;  // [n_ff, n_embd] x2, [n_embd, n_ff]
};

struct ModelWeights {
  kernels::MatView tok_embd;            // [n_vocab, n_embd]
  std::vector<LayerWeights> layers;
  std::vector<float> output_norm;       // [n_embd]
  kernels::MatView output;              // [n_vocab, n_embd]; = tok_embd when tied
  std::vector<float> rope_freqs;        // Llama 3.1 rope frequency factors [n_rot/2], optional
  bool tied_output = false;
};

// Architecture traits that differ inside the Llama family.
struct ArchTraits {
  bool qkv_bias = false;   // qwen2
  bool qk_norm = false;    // qwen3
  bool neox_rope = false;  // qwen2/qwen3 rotate (i, i + d/2) pairs
};

class Model {
 public:
  // Errors: missing file, not a GGUF, unsupported architecture or tensor type, missing tensor or
  // wrong shape — each one line naming the file and the tensor/key.
  static Result<std::unique_ptr<Model>> load(const std::string& path);

  const HParams& hparams() const { return hp_; }
  const ArchTraits& traits() const { return traits_; }
  const ModelWeights& weights() const { return w_; }
  const Tokenizer& tokenizer() const { return *tok_; }
  const gguf::GgufFile& file() const { return file_; }
  uint64_t weight_bytes() const;  // bytes of all tensors in the file
  uint64_t repacked_bytes() const;  // weights copied into interleaved tiles at load (repack.h)

 private:
  Model() = default;
  gguf::GgufFile file_;
  HParams hp_;
  ArchTraits traits_;
  ModelWeights w_;
  std::unique_ptr<Tokenizer> tok_;
  HugeBuffer repacked_;  // owns the interleaved copies MatViews point to (one arena)
};

// Copies every matrix the CPU has an interleaved kernel for (Q4_0, Q4_K, Q6_K, Q8_0 with rows a
// multiple of 8, AVX2) into row-interleaved tiles (quant/repack.h) and points its MatView there; the mapped file
// pages it came from are released (madvise) so resident memory does not double. The token
// embedding stays as stored (gathered row by row); a tied output gets its own repacked
// copy. All copies live in one huge-page arena (core/huge_buffer.h). UMA_REPACK=0 in the
// environment turns repacking off (A/B benches).
Status repack_weights(ModelWeights* w, HugeBuffer* store);

}  // namespace uma

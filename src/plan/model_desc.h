// What the planner knows about a model: its tensor table (name, shape, type, exact bytes) and the
// few hyperparameters that size the KV cache and the activations. Built from a GGUF file (exact
// bytes from its tensor table, hparams from its keys) or from a built-in shape and a quant mix.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"
#include "gguf/gguf.h"

namespace uma::plan {

struct TensorDesc {
  std::string name;  // GGUF name, e.g. "blk.3.attn_v.weight"
  uint32_t n_dims = 1;
  int64_t ne[4] = {1, 1, 1, 1};  // ne[0] = row length, as in ggml
  DType type = DType::F32;
  uint64_t bytes = 0;   // exact: rows × row bytes of `type`
  bool expert = false;  // an MoE expert stack: ne[2] experts, ne[2] > 1

  uint64_t n_elements() const { return (uint64_t)ne[0] * ne[1] * ne[2] * ne[3]; }
  uint64_t n_rows() const { return (uint64_t)ne[1] * ne[2] * ne[3]; }
};

// KV cache width of one layer, in elements per token: K and V rows (all kv heads together).
struct LayerKv {
  int64_t k_elems = 0;
  int64_t v_elems = 0;
  int64_t window = 0;  // sliding-window attention span in tokens; 0 = the whole context
};

struct ModelDesc {
  std::string name;    // "Llama 3.1 70B" or the file's general.name / path
  std::string arch;    // general.architecture: llama, qwen2, qwen3, gemma2, gemma3, phi3, deepseek2
  std::string quant;   // "Q4_K_M", ... or "as stored" for a file
  std::string file_type;  // a file's general.file_type by llama.cpp's name ("Q4_K_M"), or ""
  std::string source;  // "built-in shape llama3.1-70b (config: URL)" or the file path
  int64_t n_vocab = 0, n_ctx_train = 0, n_embd = 0, n_layer = 0;
  int64_t n_head = 0, n_head_kv = 0, head_dim = 0;
  int64_t n_ff = 0;  // widest FFN hidden size (activation buffers)
  int64_t n_expert = 0, n_expert_used = 0;
  bool tied_output = false;         // no output.weight: logits read token_embd
  std::vector<LayerKv> kv;          // one per layer
  std::vector<TensorDesc> tensors;  // in file order
  int64_t n_merges = 0;             // BPE merges (tokenizer.ggml.merges); 0 for SPM
  uint64_t metadata_bytes = 0;      // GGUF header + metadata (vocab) + padding; estimated
                                    // for built-in shapes

  uint64_t weight_bytes() const;  // Σ tensor bytes
  uint64_t n_params() const;      // Σ tensor elements
  uint64_t file_bytes() const { return weight_bytes() + metadata_bytes; }
  // Parameters a decoded token touches: all but the token-embedding gather (tied output reads
  // token_embd in full), and for MoE only n_expert_used of n_expert experts.
  uint64_t active_params() const;
  // Bytes of weights read per decoded token, counted as active_params() is.
  uint64_t active_weight_bytes() const;
};

// Bytes of `n` elements of `t`, counting a partial block as whole (KV rows of q8_0/q4_0).
uint64_t padded_row_bytes(DType t, uint64_t n);

// Model from an open GGUF file: its tensor table as is, hparams from `{arch}.*` keys. Works for
// any architecture that follows llama.cpp's key names (per-layer arrays included); errors name
// the key that is missing or out of range.
Result<ModelDesc> describe_gguf(const gguf::GgufFile& f);
Result<ModelDesc> describe_gguf_file(const std::string& path);

// A MODEL argument: a path to a .gguf file, or SHAPE:QUANT (e.g. "llama3.1-70b:Q4_K_M"; QUANT
// defaults to Q4_K_M). Errors list the known shapes and quant types.
Result<ModelDesc> describe_model(std::string_view arg);

}  // namespace uma::plan

// HParams::from_gguf: read and cross-check the `{arch}.*` keys.
#include "model/hparams.h"

namespace uma {

namespace {

Status positive(const std::string& key, int64_t v) {
  if (v <= 0) return error("key '" + key + "' must be positive (got " + std::to_string(v) + ")");
  return Status::ok();
}

}  // namespace

Result<HParams> HParams::from_gguf(const gguf::GgufFile& f) {
  HParams hp;
  UMA_ASSIGN_OR_RETURN(hp.arch, f.get_string("general.architecture"));
  UMA_ASSIGN_OR_RETURN(hp.name, f.get_string_or("general.name", ""));
  if (hp.arch != "llama" && hp.arch != "qwen2" && hp.arch != "qwen3")
    return error("unsupported architecture '" + hp.arch + "' (supported: llama, qwen2, qwen3)");
  const std::string a = hp.arch + ".";
  // Integer keys are bounded so later products (KV bytes, buffer sizes) cannot overflow.
  constexpr uint64_t kMaxDim = 1u << 20, kMaxCtx = 1u << 24, kMaxLayers = 4096;
  auto get = [&](const std::string& key, uint64_t limit, int64_t* out) -> Status {
    auto r = f.get_uint(key);
    if (!r.ok()) return r.status();
    if (*r > limit) return error("key '" + key + "' = " + std::to_string(*r) + " is out of range");
    *out = (int64_t)*r;
    return positive(key, *out);
  };
  auto get_or = [&](const std::string& key, int64_t dflt, uint64_t limit, int64_t* out) -> Status {
    if (!f.find(key)) {
      *out = dflt;
      return Status::ok();
    }
    return get(key, limit, out);
  };
  UMA_TRY(get(a + "context_length", kMaxCtx, &hp.n_ctx_train));
  UMA_TRY(get(a + "embedding_length", kMaxDim, &hp.n_embd));
  UMA_TRY(get(a + "block_count", kMaxLayers, &hp.n_layer));
  UMA_TRY(get(a + "feed_forward_length", kMaxDim, &hp.n_ff));
  UMA_TRY(get(a + "attention.head_count", kMaxDim, &hp.n_head));
  UMA_TRY(get_or(a + "attention.head_count_kv", hp.n_head, kMaxDim, &hp.n_head_kv));
  if (hp.n_embd % hp.n_head != 0 && !f.find(a + "attention.key_length"))
    return error("embedding_length " + std::to_string(hp.n_embd) + " is not a multiple of head_count " +
                 std::to_string(hp.n_head));
  UMA_TRY(get_or(a + "attention.key_length", hp.n_embd / hp.n_head, kMaxDim, &hp.head_dim_k));
  UMA_TRY(get_or(a + "attention.value_length", hp.head_dim_k, kMaxDim, &hp.head_dim_v));
  UMA_TRY(get_or(a + "rope.dimension_count", hp.head_dim_k, kMaxDim, &hp.n_rot));
  if (hp.n_head % hp.n_head_kv != 0)
    return error("head_count " + std::to_string(hp.n_head) + " is not a multiple of head_count_kv " +
                 std::to_string(hp.n_head_kv));
  if (hp.n_rot > hp.head_dim_k || hp.n_rot % 2 != 0)
    return error("rope.dimension_count " + std::to_string(hp.n_rot) +
                 " must be even and at most the head size " + std::to_string(hp.head_dim_k));
  if (hp.head_dim_k != hp.head_dim_v)
    return error("key_length != value_length is not supported");

  UMA_ASSIGN_OR_RETURN(double eps, f.get_float_or(a + "attention.layer_norm_rms_epsilon", 1e-5));
  UMA_ASSIGN_OR_RETURN(double base, f.get_float_or(a + "rope.freq_base", 10000.0));
  if (!(eps > 0 && eps < 1)) return error("key '" + a + "attention.layer_norm_rms_epsilon' out of range");
  if (!(base > 1 && base < 1e12)) return error("key '" + a + "rope.freq_base' out of range");
  hp.rms_eps = (float)eps;
  hp.rope_base = (float)base;

  // RoPE scaling: "linear" divides positions by the factor; Llama 3.1's "llama3" scheme is
  // carried by the rope_freqs.weight tensor instead (see the model loader).
  UMA_ASSIGN_OR_RETURN(std::string scaling, f.get_string_or(a + "rope.scaling.type", "none"));
  if (scaling == "linear") {
    UMA_ASSIGN_OR_RETURN(double factor, f.get_float_or(a + "rope.scaling.factor", 1.0));
    if (!(factor >= 1 && factor < 1e6)) return error("key '" + a + "rope.scaling.factor' out of range");
    hp.rope_freq_scale = (float)(1.0 / factor);
  } else if (scaling != "none" && scaling != "llama3") {
    return error("unsupported rope scaling type '" + scaling + "'");
  }

  if (f.find(a + "vocab_size")) {
    UMA_TRY(get(a + "vocab_size", 1u << 24, &hp.n_vocab));
  } else if (const auto* toks = f.find("tokenizer.ggml.tokens"); toks && toks->is_array()) {
    hp.n_vocab = (int64_t)toks->array_size();
  }
  return hp;
}

}  // namespace uma

// Built-in shapes (numbers from each model's config.json, URL per row) and the tensor tables
// llama.cpp's convert_hf_to_gguf.py writes for them: names, ggml shapes ([row length, rows,
// experts]), F16 for matrices and F32 for norms, biases, routers and rope factors.
#include "plan/shapes.h"

#include <algorithm>
#include <cctype>

namespace uma::plan {

namespace {

constexpr Family L = Family::kLlama, Q2 = Family::kQwen2, Q3 = Family::kQwen3, G2 = Family::kGemma2,
                 G3 = Family::kGemma3, P3 = Family::kPhi3, D2 = Family::kDeepseek2;

#define HF(path) "https://huggingface.co/" path "/blob/main/config.json"
// clang-format off
const std::vector<ShapeDef> kShapes = {
  // name, aliases, label, family, vocab, ctx, embd, layers, heads, kv heads, head dim, ffn,
  // tied, rope_freqs, window, experts, used, ffn_exp, shared, dense lead, MLA ranks..., source
  {"llama3.2-1b", "llama3-1b", "Llama 3.2 1B", L, 128256, 131072, 2048, 16, 32, 8, 64, 8192, true, true, 0, 0,0,0,0,0, 0,0,0,0,0, HF("meta-llama/Llama-3.2-1B")},
  {"llama3.2-3b", "llama3-3b", "Llama 3.2 3B", L, 128256, 131072, 3072, 28, 24, 8, 128, 8192, true, true, 0, 0,0,0,0,0, 0,0,0,0,0, HF("meta-llama/Llama-3.2-3B")},
  {"llama3.1-8b", "llama3-8b", "Llama 3.1 8B", L, 128256, 131072, 4096, 32, 32, 8, 128, 14336, false, true, 0, 0,0,0,0,0, 0,0,0,0,0, HF("meta-llama/Llama-3.1-8B")},
  {"llama3.1-70b", "llama3-70b,llama3.3-70b", "Llama 3.1 70B", L, 128256, 131072, 8192, 80, 64, 8, 128, 28672, false, true, 0, 0,0,0,0,0, 0,0,0,0,0, HF("meta-llama/Llama-3.1-70B")},
  {"llama3.1-405b", "llama3-405b", "Llama 3.1 405B", L, 128256, 131072, 16384, 126, 128, 8, 128, 53248, false, true, 0, 0,0,0,0,0, 0,0,0,0,0, HF("meta-llama/Llama-3.1-405B")},
  {"llama2-7b", "", "Llama 2 7B", L, 32000, 4096, 4096, 32, 32, 32, 128, 11008, false, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("meta-llama/Llama-2-7b-hf")},
  {"llama2-13b", "", "Llama 2 13B", L, 32000, 4096, 5120, 40, 40, 40, 128, 13824, false, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("meta-llama/Llama-2-13b-hf")},
  {"llama2-70b", "", "Llama 2 70B", L, 32000, 4096, 8192, 80, 64, 8, 128, 28672, false, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("meta-llama/Llama-2-70b-hf")},
  {"mistral-7b", "mistral-7b-v0.3", "Mistral 7B v0.3", L, 32768, 32768, 4096, 32, 32, 8, 128, 14336, false, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("mistralai/Mistral-7B-v0.3")},
  {"mixtral-8x7b", "", "Mixtral 8x7B", L, 32000, 32768, 4096, 32, 32, 8, 128, 14336, false, false, 0, 8, 2, 14336, 0, 0, 0,0,0,0,0, HF("mistralai/Mixtral-8x7B-v0.1")},
  {"qwen2.5-0.5b", "", "Qwen2.5 0.5B", Q2, 151936, 32768, 896, 24, 14, 2, 64, 4864, true, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("Qwen/Qwen2.5-0.5B")},
  {"qwen2.5-1.5b", "", "Qwen2.5 1.5B", Q2, 151936, 32768, 1536, 28, 12, 2, 128, 8960, true, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("Qwen/Qwen2.5-1.5B")},
  {"qwen2.5-3b", "", "Qwen2.5 3B", Q2, 151936, 32768, 2048, 36, 16, 2, 128, 11008, true, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("Qwen/Qwen2.5-3B")},
  {"qwen2.5-7b", "", "Qwen2.5 7B", Q2, 152064, 32768, 3584, 28, 28, 4, 128, 18944, false, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("Qwen/Qwen2.5-7B")},
  {"qwen2.5-14b", "", "Qwen2.5 14B", Q2, 152064, 32768, 5120, 48, 40, 8, 128, 13824, false, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("Qwen/Qwen2.5-14B")},
  {"qwen2.5-32b", "", "Qwen2.5 32B", Q2, 152064, 32768, 5120, 64, 40, 8, 128, 27648, false, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("Qwen/Qwen2.5-32B")},
  {"qwen2.5-72b", "", "Qwen2.5 72B", Q2, 152064, 32768, 8192, 80, 64, 8, 128, 29568, false, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("Qwen/Qwen2.5-72B")},
  {"qwen3-0.6b", "", "Qwen3 0.6B", Q3, 151936, 40960, 1024, 28, 16, 8, 128, 3072, true, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("Qwen/Qwen3-0.6B")},
  {"qwen3-1.7b", "", "Qwen3 1.7B", Q3, 151936, 40960, 2048, 28, 16, 8, 128, 6144, true, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("Qwen/Qwen3-1.7B")},
  {"qwen3-4b", "", "Qwen3 4B", Q3, 151936, 40960, 2560, 36, 32, 8, 128, 9728, true, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("Qwen/Qwen3-4B")},
  {"qwen3-8b", "", "Qwen3 8B", Q3, 151936, 40960, 4096, 36, 32, 8, 128, 12288, false, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("Qwen/Qwen3-8B")},
  {"qwen3-14b", "", "Qwen3 14B", Q3, 151936, 40960, 5120, 40, 40, 8, 128, 17408, false, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("Qwen/Qwen3-14B")},
  {"qwen3-32b", "", "Qwen3 32B", Q3, 151936, 40960, 5120, 64, 64, 8, 128, 25600, false, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("Qwen/Qwen3-32B")},
  {"gemma2-2b", "", "Gemma 2 2B", G2, 256000, 8192, 2304, 26, 8, 4, 256, 9216, true, false, 4096, 0,0,0,0,0, 0,0,0,0,0, HF("google/gemma-2-2b")},
  {"gemma2-9b", "", "Gemma 2 9B", G2, 256000, 8192, 3584, 42, 16, 8, 256, 14336, true, false, 4096, 0,0,0,0,0, 0,0,0,0,0, HF("google/gemma-2-9b")},
  {"gemma2-27b", "", "Gemma 2 27B", G2, 256000, 8192, 4608, 46, 32, 16, 128, 36864, true, false, 4096, 0,0,0,0,0, 0,0,0,0,0, HF("google/gemma-2-27b")},
  {"gemma3-1b", "", "Gemma 3 1B", G3, 262144, 32768, 1152, 26, 4, 1, 256, 6912, true, false, 512, 0,0,0,0,0, 0,0,0,0,0, HF("google/gemma-3-1b-pt")},
  {"gemma3-4b", "", "Gemma 3 4B", G3, 262208, 131072, 2560, 34, 8, 4, 256, 10240, true, false, 1024, 0,0,0,0,0, 0,0,0,0,0, HF("google/gemma-3-4b-pt")},
  {"gemma3-12b", "", "Gemma 3 12B", G3, 262208, 131072, 3840, 48, 16, 8, 256, 15360, true, false, 1024, 0,0,0,0,0, 0,0,0,0,0, HF("google/gemma-3-12b-pt")},
  {"gemma3-27b", "", "Gemma 3 27B", G3, 262208, 131072, 5376, 62, 32, 16, 128, 21504, true, false, 1024, 0,0,0,0,0, 0,0,0,0,0, HF("google/gemma-3-27b-pt")},
  {"phi3-mini", "phi3-3.8b,phi3.5-mini", "Phi-3 mini 3.8B", P3, 32064, 4096, 3072, 32, 32, 32, 96, 8192, false, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("microsoft/Phi-3-mini-4k-instruct")},
  {"phi3-medium", "phi3-14b", "Phi-3 medium 14B", P3, 32064, 4096, 5120, 40, 40, 10, 128, 17920, false, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("microsoft/Phi-3-medium-4k-instruct")},
  {"phi4", "phi4-14b", "Phi-4 14B", P3, 100352, 16384, 5120, 40, 40, 10, 128, 17920, false, false, 0, 0,0,0,0,0, 0,0,0,0,0, HF("microsoft/phi-4")},
  // DeepSeek V3: 671B in all, 37B active per token; 3 dense layers, then 256 routed experts (8
  // used) + 1 shared; multi-head latent attention.
  {"deepseek-v3", "deepseek-r1,deepseek-v3-671b", "DeepSeek V3 671B", D2, 129280, 163840, 7168, 61, 128, 128, 192, 18432, false, false, 0, 256, 8, 2048, 1, 3, 1536, 512, 64, 128, 128, HF("deepseek-ai/DeepSeek-V3")},
};
// clang-format on
#undef HF

std::string normalize(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '.' && c != '-' && c != '_' && c != ' ') out += (char)std::tolower((unsigned char)c);
  return out;
}

const char* arch_name(Family f) {
  switch (f) {
    case Family::kLlama:
      return "llama";
    case Family::kQwen2:
      return "qwen2";
    case Family::kQwen3:
      return "qwen3";
    case Family::kGemma2:
      return "gemma2";
    case Family::kGemma3:
      return "gemma3";
    case Family::kPhi3:
      return "phi3";
    case Family::kDeepseek2:
      return "deepseek2";
  }
  return "llama";
}

TensorDesc make(std::string name, std::vector<int64_t> ne) {
  TensorDesc t;
  t.name = std::move(name);
  t.n_dims = (uint32_t)ne.size();
  for (size_t i = 0; i < ne.size() && i < 4; i++) t.ne[i] = ne[i];
  // Matrices are written in F16, everything 1-D (norms, biases, factors) in F32.
  t.type = t.n_dims >= 2 ? DType::F16 : DType::F32;
  t.bytes = t.n_elements() * (t.type == DType::F16 ? 2 : 4);
  t.expert = t.n_dims >= 3 && t.ne[2] > 1;
  return t;
}

}  // namespace

const std::vector<ShapeDef>& builtin_shapes() { return kShapes; }

const ShapeDef* find_shape(std::string_view name) {
  const std::string want = normalize(name);
  for (const auto& s : kShapes) {
    if (normalize(s.name) == want) return &s;
    std::string_view rest = s.aliases;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      if (normalize(rest.substr(0, comma)) == want) return &s;
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  return nullptr;
}

std::string shape_names() {
  std::string out;
  for (const auto& s : kShapes) out += (out.empty() ? "" : ", ") + std::string(s.name);
  return out;
}

ModelDesc shape_model(const ShapeDef& s) {
  ModelDesc m;
  m.name = std::string(s.label);
  m.arch = arch_name(s.family);
  m.quant = "F16";
  m.source = "built-in shape " + std::string(s.name) + " (" + std::string(s.config_url) + ")";
  m.n_vocab = s.n_vocab;
  m.n_ctx_train = s.n_ctx_train;
  m.n_embd = s.n_embd;
  m.n_layer = s.n_layer;
  m.n_head = s.n_head;
  m.n_head_kv = s.n_head_kv;
  m.head_dim = s.head_dim;
  m.n_ff = s.n_expert > 0 ? std::max(s.n_ff, s.n_ff_exp) : s.n_ff;
  m.n_expert = s.n_expert;
  m.n_expert_used = s.n_expert_used;
  m.tied_output = s.tied_output;

  const int64_t d = s.n_embd, hd = s.head_dim, q_dim = s.n_head * hd, kv_dim = s.n_head_kv * hd;
  auto& T = m.tensors;
  if (s.rope_freqs) T.push_back(make("rope_freqs.weight", {hd / 2}));
  T.push_back(make("token_embd.weight", {d, s.n_vocab}));
  for (int64_t il = 0; il < s.n_layer; il++) {
    const std::string b = "blk." + std::to_string(il) + ".";
    T.push_back(make(b + "attn_norm.weight", {d}));
    if (s.family == Family::kDeepseek2) {
      const int64_t qk_head = s.qk_nope_dim + s.qk_rope_dim;
      T.push_back(make(b + "attn_q_a_norm.weight", {s.q_lora_rank}));
      T.push_back(make(b + "attn_kv_a_norm.weight", {s.kv_lora_rank}));
      T.push_back(make(b + "attn_q_a.weight", {d, s.q_lora_rank}));
      T.push_back(make(b + "attn_q_b.weight", {s.q_lora_rank, s.n_head * qk_head}));
      T.push_back(make(b + "attn_kv_a_mqa.weight", {d, s.kv_lora_rank + s.qk_rope_dim}));
      T.push_back(make(b + "attn_kv_b.weight",
                       {s.kv_lora_rank, s.n_head * (s.qk_nope_dim + s.v_head_dim)}));
      T.push_back(make(b + "attn_output.weight", {s.n_head * s.v_head_dim, d}));
    } else if (s.family == Family::kPhi3) {
      T.push_back(make(b + "attn_qkv.weight", {d, q_dim + 2 * kv_dim}));
      T.push_back(make(b + "attn_output.weight", {q_dim, d}));
    } else {
      T.push_back(make(b + "attn_q.weight", {d, q_dim}));
      T.push_back(make(b + "attn_k.weight", {d, kv_dim}));
      T.push_back(make(b + "attn_v.weight", {d, kv_dim}));
      if (s.family == Family::kQwen2) {
        T.push_back(make(b + "attn_q.bias", {q_dim}));
        T.push_back(make(b + "attn_k.bias", {kv_dim}));
        T.push_back(make(b + "attn_v.bias", {kv_dim}));
      }
      if (s.family == Family::kQwen3 || s.family == Family::kGemma3) {
        T.push_back(make(b + "attn_q_norm.weight", {hd}));
        T.push_back(make(b + "attn_k_norm.weight", {hd}));
      }
      T.push_back(make(b + "attn_output.weight", {q_dim, d}));
    }
    if (s.family == Family::kGemma2 || s.family == Family::kGemma3)
      T.push_back(make(b + "post_attention_norm.weight", {d}));
    T.push_back(make(b + "ffn_norm.weight", {d}));
    const bool moe_layer = s.n_expert > 0 && il >= s.n_dense_lead;
    if (!moe_layer) {
      if (s.family == Family::kPhi3) {
        T.push_back(make(b + "ffn_up.weight", {d, 2 * s.n_ff}));  // gate and up fused
      } else {
        T.push_back(make(b + "ffn_gate.weight", {d, s.n_ff}));
        T.push_back(make(b + "ffn_up.weight", {d, s.n_ff}));
      }
      T.push_back(make(b + "ffn_down.weight", {s.n_ff, d}));
    } else {
      auto router = make(b + "ffn_gate_inp.weight", {d, s.n_expert});
      router.type = DType::F32;  // the converter keeps the router in F32
      router.bytes = router.n_elements() * 4;
      T.push_back(router);
      if (s.family == Family::kDeepseek2) T.push_back(make(b + "exp_probs_b.bias", {s.n_expert}));
      T.push_back(make(b + "ffn_gate_exps.weight", {d, s.n_ff_exp, s.n_expert}));
      T.push_back(make(b + "ffn_up_exps.weight", {d, s.n_ff_exp, s.n_expert}));
      T.push_back(make(b + "ffn_down_exps.weight", {s.n_ff_exp, d, s.n_expert}));
      if (s.n_expert_shared > 0) {
        const int64_t ff = s.n_ff_exp * s.n_expert_shared;
        T.push_back(make(b + "ffn_gate_shexp.weight", {d, ff}));
        T.push_back(make(b + "ffn_up_shexp.weight", {d, ff}));
        T.push_back(make(b + "ffn_down_shexp.weight", {ff, d}));
      }
    }
    if (s.family == Family::kGemma2 || s.family == Family::kGemma3)
      T.push_back(make(b + "post_ffw_norm.weight", {d}));

    // KV cache width of this layer. DeepSeek's MLA caches the compressed latent plus the rope
    // part (llama.cpp: key_length_mla/value_length_mla, K = kv_lora_rank + rope dims,
    // V = kv_lora_rank); Gemma's local layers keep only a window (Gemma 2: every other layer,
    // Gemma 3: five of every six — llama.cpp set_swa_pattern(2) / (6)).
    LayerKv kv;
    if (s.family == Family::kDeepseek2) {
      kv.k_elems = s.kv_lora_rank + s.qk_rope_dim;
      kv.v_elems = s.kv_lora_rank;
    } else {
      kv.k_elems = kv.v_elems = kv_dim;
    }
    if (s.family == Family::kGemma2 && il % 2 == 0) kv.window = s.sliding_window;
    if (s.family == Family::kGemma3 && il % 6 < 5) kv.window = s.sliding_window;
    m.kv.push_back(kv);
  }
  T.push_back(make("output_norm.weight", {d}));
  if (!s.tied_output) T.push_back(make("output.weight", {d, s.n_vocab}));

  // BPE merges of the family's tokenizer: Llama 3 280147 and Qwen2/3 151387 (counted in
  // shared/models/tokenizers/{llama3,qwen3}/tokenizer.json); Phi-4 and DeepSeek V3 about their
  // vocabulary size (an estimate). Llama 2, Mistral, Mixtral, Phi-3 and Gemma use SentencePiece.
  if (s.family == Family::kLlama && s.n_vocab == 128256) m.n_merges = 280147;
  if (s.family == Family::kQwen2 || s.family == Family::kQwen3) m.n_merges = 151387;
  if (s.family == Family::kPhi3 && s.n_vocab == 100352) m.n_merges = 100000;
  if (s.family == Family::kDeepseek2) m.n_merges = 127741;
  // The file's metadata is mostly the vocabulary: per token a string (~7 bytes + an 8-byte
  // length), a score and a type; per merge a string of ~12 bytes + its length; then the
  // tensor table (~96 bytes per entry with alignment padding).
  m.metadata_bytes = (uint64_t)s.n_vocab * 23 + (uint64_t)m.n_merges * 20 + T.size() * 96;
  return m;
}

}  // namespace uma::plan

// ModelDesc from a GGUF file (tensor table as stored, hparams from llama.cpp's `{arch}.*` keys)
// or from a MODEL argument (a path or SHAPE:QUANT), and the per-token byte counts.
#include "plan/model_desc.h"

#include "quant/ftype_mix.h"

#include <sys/stat.h>

#include <algorithm>
#include <optional>

#include "plan/quant_mix.h"
#include "plan/shapes.h"

namespace uma::plan {

uint64_t ModelDesc::weight_bytes() const {
  uint64_t s = 0;
  for (const auto& t : tensors) s += t.bytes;
  return s;
}

uint64_t ModelDesc::n_params() const {
  uint64_t s = 0;
  for (const auto& t : tensors) s += t.n_elements();
  return s;
}

namespace {

// The share of a tensor one decoded token reads: none of token_embd (one row is gathered) unless
// it doubles as the output matrix; n_expert_used of an expert stack's experts.
double active_share(const TensorDesc& t, const ModelDesc& m) {
  if (t.name == "token_embd.weight" || t.name == "per_layer_token_embd.weight")
    return (m.tied_output && t.name == "token_embd.weight") ? 1.0 : 0.0;
  if (t.expert && m.n_expert_used > 0)
    return std::min(1.0, (double)m.n_expert_used / (double)t.ne[2]);
  return 1.0;
}

}  // namespace

uint64_t ModelDesc::active_params() const {
  double s = 0;
  for (const auto& t : tensors) s += active_share(t, *this) * (double)t.n_elements();
  return (uint64_t)s;
}

uint64_t ModelDesc::active_weight_bytes() const {
  double s = 0;
  for (const auto& t : tensors) s += active_share(t, *this) * (double)t.bytes;
  return (uint64_t)s;
}

uint64_t padded_row_bytes(DType t, uint64_t n) {
  const auto& info = dtype_info(t);
  return (n + info.block_elems - 1) / info.block_elems * info.block_bytes;
}

namespace {

constexpr uint64_t kMaxDim = 1u << 24, kMaxLayers = 4096;

// A per-layer hyperparameter: one value for all layers, or an array with one per layer.
Result<std::vector<int64_t>> per_layer(const gguf::GgufFile& f, const std::string& key,
                                       int64_t n_layer, std::optional<int64_t> dflt) {
  const gguf::Value* v = f.find(key);
  if (!v) {
    if (!dflt) return error("missing key '" + key + "'");
    return std::vector<int64_t>((size_t)n_layer, *dflt);
  }
  std::vector<int64_t> out;
  if (!v->is_array()) {
    const auto u = v->as_uint();
    if (!u || *u > kMaxDim) return error("key '" + key + "' is not a size in range");
    return std::vector<int64_t>((size_t)n_layer, (int64_t)*u);
  }
  if (v->array_size() != (uint64_t)n_layer)
    return error("key '" + key + "' has " + std::to_string(v->array_size()) + " values for " +
                 std::to_string(n_layer) + " layers");
  for (uint64_t i = 0; i < v->array_size(); i++) {
    const auto x = v->array_int(i);
    if (!x || *x < 0 || (uint64_t)*x > kMaxDim)
      return error("key '" + key + "' holds a value out of range");
    out.push_back(*x);
  }
  return out;
}

Result<int64_t> get_dim(const gguf::GgufFile& f, const std::string& key,
                        std::optional<int64_t> dflt, uint64_t limit = kMaxDim) {
  if (!f.find(key)) {
    if (!dflt) return error("missing key '" + key + "'");
    return *dflt;
  }
  UMA_ASSIGN_OR_RETURN(uint64_t v, f.get_uint(key));
  if (v > limit) return error("key '" + key + "' = " + std::to_string(v) + " is out of range");
  return (int64_t)v;
}

}  // namespace

Result<ModelDesc> describe_gguf(const gguf::GgufFile& f) {
  auto fail = [&](const Status& st) { return st.with_context(f.name()); };
  ModelDesc m;
  const gguf::Value* arch_v = f.find("general.architecture");
  if (!arch_v || !arch_v->as_string())
    return fail(error("no general.architecture: not a model file"));
  if (f.tensors().empty()) return fail(error("no tensors: not a model file (vocab only?)"));
  m.arch = std::string(*arch_v->as_string());
  const std::string a = m.arch + ".";
  const gguf::Value* name_v = f.find("general.name");
  m.name = name_v && name_v->as_string() && !name_v->as_string()->empty()
               ? std::string(*name_v->as_string())
               : f.name();
  m.quant = "as stored";
  m.source = f.name();
  if (const gguf::Value* ft = f.find("general.file_type"))
    if (auto id = ft->as_uint())
      if (auto t = quant::file_type_from_id(*id)) m.file_type = quant::file_type_name(*t);

  auto r_layers = get_dim(f, a + "block_count", std::nullopt, kMaxLayers);
  if (!r_layers.ok()) return fail(r_layers.status());
  m.n_layer = *r_layers;
  if (m.n_layer <= 0) return fail(error("key '" + a + "block_count' must be positive"));
  auto r_embd = get_dim(f, a + "embedding_length", std::nullopt);
  if (!r_embd.ok()) return fail(r_embd.status());
  m.n_embd = *r_embd;
  auto r_ctx = get_dim(f, a + "context_length", 0, 1ull << 32);
  if (!r_ctx.ok()) return fail(r_ctx.status());
  m.n_ctx_train = *r_ctx;

  auto heads = per_layer(f, a + "attention.head_count", m.n_layer, std::nullopt);
  if (!heads.ok()) return fail(heads.status());
  // Absent: no GQA, as many kv heads as heads.
  auto heads_kv = f.find(a + "attention.head_count_kv")
                      ? per_layer(f, a + "attention.head_count_kv", m.n_layer, std::nullopt)
                      : heads;
  if (!heads_kv.ok()) return fail(heads_kv.status());
  m.n_head = *std::max_element(heads->begin(), heads->end());
  m.n_head_kv = *std::max_element(heads_kv->begin(), heads_kv->end());
  if (m.n_head <= 0) return fail(error("key '" + a + "attention.head_count' must be positive"));
  auto hd_k = get_dim(f, a + "attention.key_length", m.n_embd / m.n_head);
  auto hd_v = hd_k.ok() ? get_dim(f, a + "attention.value_length", *hd_k) : hd_k;
  if (!hd_v.ok()) return fail(hd_v.status());
  m.head_dim = *hd_k;
  auto ffs = per_layer(f, a + "feed_forward_length", m.n_layer, 0);
  if (!ffs.ok()) return fail(ffs.status());
  m.n_ff = *std::max_element(ffs->begin(), ffs->end());
  auto r_ne = get_dim(f, a + "expert_count", 0);
  auto r_nu = get_dim(f, a + "expert_used_count", 0);
  auto r_ffe = get_dim(f, a + "expert_feed_forward_length", 0);
  if (!r_ne.ok() || !r_nu.ok() || !r_ffe.ok())
    return fail(!r_ne.ok() ? r_ne.status() : !r_nu.ok() ? r_nu.status() : r_ffe.status());
  m.n_expert = *r_ne;
  m.n_expert_used = *r_nu;
  m.n_ff = std::max(m.n_ff, *r_ffe);

  // KV width per layer; DeepSeek's latent attention caches kv_lora_rank + rope dims (K) and
  // kv_lora_rank (V); Gemma's sliding-window layers keep a window only.
  const bool mla = m.arch == "deepseek2" && f.find(a + "attention.kv_lora_rank");
  int64_t kv_lora = 0, n_rot = 0, window = 0;
  if (mla) {
    auto r1 = get_dim(f, a + "attention.kv_lora_rank", std::nullopt);
    auto r2 = get_dim(f, a + "rope.dimension_count", std::nullopt);
    if (!r1.ok() || !r2.ok()) return fail(!r1.ok() ? r1.status() : r2.status());
    kv_lora = *r1;
    n_rot = *r2;
  }
  if (m.arch == "gemma2" || m.arch == "gemma3") {
    auto r = get_dim(f, a + "attention.sliding_window", 0, 1ull << 32);
    if (!r.ok()) return fail(r.status());
    window = *r;
  }
  for (int64_t il = 0; il < m.n_layer; il++) {
    LayerKv kv;
    if (mla) {
      kv.k_elems = kv_lora + n_rot;
      kv.v_elems = kv_lora;
    } else {
      kv.k_elems = (*heads_kv)[(size_t)il] * *hd_k;
      kv.v_elems = (*heads_kv)[(size_t)il] * *hd_v;
    }
    // Keeps the products of the planner (KV rows × context × sequences) far from overflow.
    if (kv.k_elems > (int64_t)kMaxDim || kv.v_elems > (int64_t)kMaxDim)
      return fail(error("layer " + std::to_string(il) + ": KV row of " +
                        std::to_string(std::max(kv.k_elems, kv.v_elems)) +
                        " elements is out of range"));
    if (m.arch == "gemma2" && il % 2 == 0) kv.window = window;
    if (m.arch == "gemma3" && il % 6 < 5) kv.window = window;
    m.kv.push_back(kv);
  }

  for (const auto& ti : f.tensors()) {
    TensorDesc t;
    t.name = ti.name;
    t.n_dims = ti.n_dims;
    for (int i = 0; i < 4; i++) t.ne[i] = ti.ne[i];
    t.type = ti.type;
    t.bytes = ti.nbytes;
    t.expert = ti.n_dims >= 3 && ti.ne[2] > 1 && m.n_expert > 1;
    m.tensors.push_back(std::move(t));
  }
  m.tied_output = f.find_tensor("output.weight") == nullptr;
  const gguf::TensorInfo* embd = f.find_tensor("token_embd.weight");
  if (f.find(a + "vocab_size")) {
    auto r = get_dim(f, a + "vocab_size", std::nullopt);
    if (!r.ok()) return fail(r.status());
    m.n_vocab = *r;
  } else if (const auto* toks = f.find("tokenizer.ggml.tokens"); toks && toks->is_array()) {
    m.n_vocab = (int64_t)toks->array_size();
  } else if (embd) {
    m.n_vocab = embd->ne[1];
  }
  if (const auto* merges = f.find("tokenizer.ggml.merges"); merges && merges->is_array())
    m.n_merges = (int64_t)merges->array_size();
  const uint64_t w = m.weight_bytes();
  m.metadata_bytes = f.file_size() > w ? f.file_size() - w : 0;
  return m;
}

Result<ModelDesc> describe_gguf_file(const std::string& path) {
  auto f = gguf::GgufFile::open(path);
  if (!f.ok()) return f.status();
  return describe_gguf(*f);
}

Result<ModelDesc> describe_model(std::string_view arg) {
  if (arg.empty())
    return error("empty model: give a .gguf file or SHAPE:QUANT (e.g. llama3.1-8b:Q4_K_M)");
  const std::string s(arg);
  struct stat st {};
  const bool exists = ::stat(s.c_str(), &st) == 0;
  const bool looks_like_file = s.find('/') != std::string::npos ||
                               (s.size() > 5 && s.compare(s.size() - 5, 5, ".gguf") == 0);
  if (exists || looks_like_file) return describe_gguf_file(s);

  const size_t colon = s.find(':');
  const std::string shape_name = s.substr(0, colon);
  const std::string quant_name = colon == std::string::npos ? "Q4_K_M" : s.substr(colon + 1);
  const ShapeDef* shape = find_shape(shape_name);
  if (!shape)
    return error("model '" + s + "': no such file, and '" + shape_name +
                 "' is not a built-in shape (known: " + shape_names() + ")");
  const auto mix = quant_mix_from_name(quant_name);
  if (!mix)
    return error("model '" + s + "': unknown quant type '" + quant_name +
                 "' (known: " + quant_mix_names() + ")");
  ModelDesc m = shape_model(*shape);
  UMA_TRY(apply_quant_mix(*mix, m));
  return m;
}

}  // namespace uma::plan

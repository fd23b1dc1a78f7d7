// convert_hf: read config.json into hparams, map and check every safetensors tensor against them,
// then write metadata in convert_hf_to_gguf.py's order (general, hparams, tokenizer) and stream the
// tensors, converting rows on a thread pool. Llama q/k rows are un-permuted from HF's rotate-half
// layout back to the interleaved pairs GGUF/ggml rope expects (LlamaModel.permute).
#include "convert/convert.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "convert/hf_tokenizer.h"
#include "convert/safetensors.h"
#include "core/mapped_file.h"
#include "core/thread_pool.h"
#include "gguf/gguf_writer.h"
#include "quant/quant.h"

namespace uma::convert {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct ArchInfo {
  const char* hf;
  const char* gguf;
  bool permute_qk;  // HF stores Llama q/k in rotate-half order; Qwen is NeoX rope already
  bool qkv_bias;
  bool qk_norm;
};
constexpr ArchInfo kArchs[] = {
    {"LlamaForCausalLM", "llama", true, false, false},
    {"MistralForCausalLM", "llama", true, false, false},
    {"Qwen2ForCausalLM", "qwen2", false, true, false},
    {"Qwen3ForCausalLM", "qwen3", false, false, true},
};

struct HParams {
  const ArchInfo* arch = nullptr;
  int64_t n_layer = 0, n_embd = 0, n_ff = 0, n_head = 0, n_head_kv = 0, head_dim = 0;
  std::optional<int64_t> n_ctx, n_vocab, head_dim_key;
  std::optional<double> rope_theta, rms_eps;
  bool tied = false;
  json rope_scaling;  // null when absent
};

Result<json> read_json(const std::string& path) {
  UMA_ASSIGN_OR_RETURN(MappedFile f, MappedFile::open(path));
  const char* p = reinterpret_cast<const char*>(f.data());
  json j = json::parse(p, p + f.size(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return error(path + ": not valid JSON");
  if (!j.is_object()) return error(path + ": expected a JSON object");
  return j;
}

Result<HParams> read_hparams(const json& c, const std::string& path) {
  HParams hp;
  auto archs = c.find("architectures");
  if (archs == c.end() || !archs->is_array() || archs->empty() || !(*archs)[0].is_string())
    return error(path + ": no 'architectures' list");
  const std::string name = (*archs)[0].get<std::string>();
  for (const auto& a : kArchs)
    if (name == a.hf) hp.arch = &a;
  if (!hp.arch)
    return error(path + ": architecture '" + name + "' is not supported (supported: " +
                 supported_architectures() + ")");
  auto count = [&](const char* key, bool required, int64_t* out) -> Status {
    auto it = c.find(key);
    if (it == c.end() || it->is_null()) {
      return required ? error(path + ": missing '" + std::string(key) + "'") : Status::ok();
    }
    if (!it->is_number_integer() || it->get<int64_t>() <= 0 || it->get<int64_t>() > (1ll << 31))
      return error(path + ": '" + std::string(key) + "' must be a positive integer");
    *out = it->get<int64_t>();
    return Status::ok();
  };
  UMA_TRY(count("num_hidden_layers", true, &hp.n_layer));
  UMA_TRY(count("hidden_size", true, &hp.n_embd));
  UMA_TRY(count("intermediate_size", true, &hp.n_ff));
  UMA_TRY(count("num_attention_heads", true, &hp.n_head));
  hp.n_head_kv = hp.n_head;
  UMA_TRY(count("num_key_value_heads", false, &hp.n_head_kv));
  int64_t v = 0;
  UMA_TRY(count("max_position_embeddings", false, &v));
  if (v) hp.n_ctx = v;
  v = 0;
  UMA_TRY(count("vocab_size", false, &v));
  if (v) hp.n_vocab = v;
  v = 0;
  UMA_TRY(count("head_dim", false, &v));
  if (v) hp.head_dim_key = v;
  if (hp.n_head % hp.n_head_kv != 0)
    return error(path + ": num_attention_heads " + std::to_string(hp.n_head) +
                 " is not a multiple of num_key_value_heads " + std::to_string(hp.n_head_kv));
  if (!hp.head_dim_key && hp.n_embd % hp.n_head != 0)
    return error(path + ": hidden_size is not a multiple of num_attention_heads (and no head_dim)");
  hp.head_dim = hp.head_dim_key.value_or(hp.n_embd / hp.n_head);
  auto number = [&](const char* key, std::optional<double>* out) -> Status {
    auto it = c.find(key);
    if (it == c.end() || it->is_null()) return Status::ok();
    if (!it->is_number() || !(it->get<double>() > 0) || !std::isfinite(it->get<double>()))
      return error(path + ": '" + std::string(key) + "' must be a positive number");
    *out = it->get<double>();
    return Status::ok();
  };
  UMA_TRY(number("rope_theta", &hp.rope_theta));
  UMA_TRY(number("rms_norm_eps", &hp.rms_eps));
  if (auto t = c.find("tie_word_embeddings"); t != c.end() && t->is_boolean()) hp.tied = t->get<bool>();
  if (auto r = c.find("rope_scaling"); r != c.end() && r->is_object()) hp.rope_scaling = *r;
  return hp;
}

// The shape a tensor must have (HF order: rows first); empty when the name is not checked.
std::vector<int64_t> expected_shape(const std::string& gguf_name, const HParams& hp) {
  const int64_t n_vocab = hp.n_vocab.value_or(-1), q = hp.n_head * hp.head_dim,
                kv = hp.n_head_kv * hp.head_dim;
  auto ends = [&](const char* s) {
    const size_t n = std::strlen(s);
    return gguf_name.size() >= n && gguf_name.compare(gguf_name.size() - n, n, s) == 0;
  };
  if (gguf_name == "token_embd.weight" || gguf_name == "output.weight") return {n_vocab, hp.n_embd};
  if (ends("_norm.weight") && !ends("attn_q_norm.weight") && !ends("attn_k_norm.weight"))
    return {hp.n_embd};
  if (ends("attn_q_norm.weight") || ends("attn_k_norm.weight")) return {hp.head_dim};
  if (ends("attn_q.weight")) return {q, hp.n_embd};
  if (ends("attn_k.weight") || ends("attn_v.weight")) return {kv, hp.n_embd};
  if (ends("attn_q.bias")) return {q};
  if (ends("attn_k.bias") || ends("attn_v.bias")) return {kv};
  if (ends("attn_output.weight")) return {hp.n_embd, q};
  if (ends("ffn_gate.weight") || ends("ffn_up.weight")) return {hp.n_ff, hp.n_embd};
  if (ends("ffn_down.weight")) return {hp.n_embd, hp.n_ff};
  return {};
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); i++) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// Llama 3.1 "llama3" rope scaling: per-frequency factors stored as rope_freqs.weight
// (convert_hf_to_gguf.py LlamaModel, after Meta's apply_scaling).
std::vector<float> llama3_rope_factors(const HParams& hp) {
  const json& r = hp.rope_scaling;
  auto num = [&](const char* k, double d) {
    return (float)(r.contains(k) && r[k].is_number() ? r[k].get<double>() : d);
  };
  // float32 throughout, as the reference computes it on float32 torch tensors.
  const float base = (float)hp.rope_theta.value_or(10000.0), factor = num("factor", 8.0),
              low = num("low_freq_factor", 1.0), high = num("high_freq_factor", 4.0),
              old_ctx = num("original_max_position_embeddings", 8192);
  const float low_wavelen = old_ctx / low, high_wavelen = old_ctx / high;
  std::vector<float> out;
  const int64_t dim = hp.head_dim;
  for (int64_t i = 0; i < dim; i += 2) {
    const float freq = 1.0f / std::pow(base, (float)i / (float)dim);
    const float wavelen = (float)(2 * M_PI) / freq;
    if (wavelen < high_wavelen) {
      out.push_back(1.0f);
    } else if (wavelen > low_wavelen) {
      out.push_back(factor);
    } else {
      const float smooth = (old_ctx / wavelen - low) / (high - low);
      out.push_back(1.0f / ((1 - smooth) / factor + smooth));
    }
  }
  return out;
}

std::string rope_type(const json& r) {
  for (const char* k : {"rope_type", "type"})
    if (r.is_object() && r.contains(k) && r[k].is_string()) return r[k].get<std::string>();
  return "";
}

// One tensor to write: its source, GGUF name and type, and the row permutation.
struct Job {
  const StTensor* src = nullptr;
  std::string name;
  DType out = DType::F32;
  std::vector<int64_t> ne;       // GGUF order
  int64_t permute_heads = 0;     // > 0: undo HF's rotary permutation with this many heads
  std::vector<float> generated;  // rope_freqs.weight (no source)
};

DType src_dtype(StDType t) {
  return t == StDType::F32 ? DType::F32 : t == StDType::F16 ? DType::F16 : DType::BF16;
}

// Output row r of a permuted q/k matrix: HF keeps, per head, the first halves of all rotary
// pairs, then the second halves; GGUF interleaves them (row 2i+j <- row j*hd/2 + i).
uint64_t source_row(uint64_t r, uint64_t rows, int64_t heads) {
  if (heads <= 0) return r;
  const uint64_t hd = rows / heads, h = r / hd, k = r % hd, half = hd / 2;
  return h * hd + (k % 2) * half + k / 2;
}

class RowConverter {
 public:
  RowConverter(ThreadPool& pool, const ConvertOptions& o, uint64_t total)
      : pool_(pool), o_(o), total_(total), bufs_(pool.n_threads()) {}

  Status fill(const Job& j, uint8_t* dst, uint64_t nbytes) {
    const int64_t row_len = j.ne[0];
    uint64_t rows = 1;
    for (size_t d = 1; d < j.ne.size(); d++) rows *= (uint64_t)j.ne[d];
    const uint64_t dst_row = *dtype_row_bytes(j.out, row_len);
    if (dst_row * rows != nbytes) return error("internal: size mismatch for '" + j.name + "'");
    if (!j.src) {
      std::memcpy(dst, j.generated.data(), nbytes);
      advance(rows * row_len);
      return Status::ok();
    }
    const DType st = src_dtype(j.src->dtype);
    const uint64_t src_row = *dtype_row_bytes(st, row_len);
    for (auto& b : bufs_) b.resize(row_len);
    const uint64_t batch = std::max<uint64_t>(1, (uint64_t(1) << 22) / row_len);
    for (uint64_t r0 = 0; r0 < rows; r0 += batch) {
      const uint64_t r1 = std::min(rows, r0 + batch);
      pool_.parallel_for(r1 - r0, 1, [&](int tid, size_t b, size_t e) {
        float* buf = bufs_[tid].data();
        for (uint64_t r = r0 + b; r < r0 + e; r++) {
          const uint8_t* s = j.src->data + source_row(r, rows, j.permute_heads) * src_row;
          uint8_t* d = dst + r * dst_row;
          if (st == j.out) {
            std::memcpy(d, s, src_row);
            continue;
          }
          if (st == DType::F32) std::memcpy(buf, s, src_row);
          else quant::dequantize_row(st, s, buf, row_len);
          if (j.out == DType::F32) std::memcpy(d, buf, dst_row);
          else quant::quantize_row(j.out, buf, d, row_len);
        }
      });
      advance((r1 - r0) * row_len);
    }
    return Status::ok();
  }

 private:
  void advance(uint64_t n) {
    done_ += n;
    if (o_.progress) o_.progress(done_, total_);
  }
  ThreadPool& pool_;
  const ConvertOptions& o_;
  uint64_t total_;
  uint64_t done_ = 0;
  std::vector<std::vector<float>> bufs_;
};

// gguf-py's Metadata.id_to_title: dashes to spaces, lowercase words title-cased (versions and
// words starting with a digit kept).
std::string id_to_title(const std::string& id) {
  std::string out, word;
  auto flush = [&] {
    if (word.empty()) return;
    bool lower = false, upper = false;
    for (char c : word) lower |= std::islower((unsigned char)c), upper |= std::isupper((unsigned char)c);
    const bool keep = std::isdigit((unsigned char)word[0]) ||
                      (word.size() > 1 && word[0] == 'v' && std::isdigit((unsigned char)word[1]));
    if (lower && !upper && !keep) word[0] = (char)std::toupper((unsigned char)word[0]);
    out += (out.empty() ? "" : " ") + word;
    word.clear();
  };
  for (char c : id) {
    if (c == '-' || c == ' ') flush();
    else word += c;
  }
  flush();
  return out;
}

}  // namespace

std::string supported_architectures() {
  std::string s;
  for (const auto& a : kArchs) s += (s.empty() ? "" : ", ") + std::string(a.hf);
  return s;
}

std::string size_label(uint64_t n) {
  double scaled;
  const char* suffix;
  if (n > 1e12) scaled = n * 1e-12, suffix = "T";
  else if (n > 1e9) scaled = n * 1e-9, suffix = "B";
  else if (n > 1e6) scaled = n * 1e-6, suffix = "M";
  else scaled = n * 1e-3, suffix = "K";
  const std::string whole = std::to_string((long long)std::nearbyint(scaled));
  const size_t digits = whole == "0" ? 0 : whole.size();
  const int fix = digits >= 2 ? 0 : (int)(2 - digits);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f%s", fix, scaled, suffix);
  return buf;
}

Result<std::string> gguf_tensor_name(const std::string& hf, int64_t* layer) {
  *layer = -1;
  if (hf == "model.embed_tokens.weight") return std::string("token_embd.weight");
  if (hf == "model.norm.weight") return std::string("output_norm.weight");
  if (hf == "lm_head.weight") return std::string("output.weight");
  constexpr std::string_view kLayers = "model.layers.";
  if (hf.rfind(kLayers, 0) == 0) {
    size_t p = kLayers.size(), q = p;
    while (q < hf.size() && std::isdigit((unsigned char)hf[q])) q++;
    if (q > p && q - p < 9 && q < hf.size() && hf[q] == '.') {
      *layer = std::stoll(hf.substr(p, q - p));
      const std::string rest = hf.substr(q + 1);
      static const std::pair<const char*, const char*> kMap[] = {
          {"input_layernorm.weight", "attn_norm.weight"},
          {"self_attn.q_proj.weight", "attn_q.weight"},
          {"self_attn.k_proj.weight", "attn_k.weight"},
          {"self_attn.v_proj.weight", "attn_v.weight"},
          {"self_attn.o_proj.weight", "attn_output.weight"},
          {"self_attn.q_proj.bias", "attn_q.bias"},
          {"self_attn.k_proj.bias", "attn_k.bias"},
          {"self_attn.v_proj.bias", "attn_v.bias"},
          {"self_attn.q_norm.weight", "attn_q_norm.weight"},
          {"self_attn.k_norm.weight", "attn_k_norm.weight"},
          {"post_attention_layernorm.weight", "ffn_norm.weight"},
          {"mlp.gate_proj.weight", "ffn_gate.weight"},
          {"mlp.up_proj.weight", "ffn_up.weight"},
          {"mlp.down_proj.weight", "ffn_down.weight"},
      };
      if (rest == "self_attn.rotary_emb.inv_freq") return std::string();
      for (const auto& [from, to] : kMap)
        if (rest == from) return "blk." + std::to_string(*layer) + "." + to;
    }
  }
  return error("tensor '" + hf + "' has no GGUF name in the Llama-family layout");
}

Result<ConvertSummary> convert_hf(const ConvertOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!fs::exists(o.dir, ec)) return error(o.dir + ": no such directory");
  if (!fs::is_directory(o.dir, ec)) return error(o.dir + ": not a directory");
  DType target;
  if (o.type == "f32") target = DType::F32;
  else if (o.type == "f16") target = DType::F16;
  else if (o.type == "bf16") target = DType::BF16;
  else if (o.type == "q8_0") target = DType::Q8_0;
  else return error("unknown output type '" + o.type + "' (f32, f16, bf16, q8_0)");
  const uint32_t file_type = target == DType::F32 ? 0 : target == DType::F16 ? 1
                           : target == DType::BF16 ? 32 : 7;

  ConvertSummary sum;
  const std::string cfg_path = (fs::path(o.dir) / "config.json").string();
  std::optional<HParams> hp;
  if (!o.vocab_only || fs::exists(cfg_path, ec)) {
    UMA_ASSIGN_OR_RETURN(json cfg, read_json(cfg_path));
    UMA_ASSIGN_OR_RETURN(hp, read_hparams(cfg, cfg_path));
    sum.arch = hp->arch->gguf;
    sum.hf_arch = hp->arch->hf;
  }
  UMA_ASSIGN_OR_RETURN(TokenizerMeta tok,
                       load_hf_tokenizer(o.dir, hp ? hp->n_vocab : std::optional<int64_t>()));
  if (hp && !hp->n_vocab) hp->n_vocab = (int64_t)tok.tokens.size();
  sum.n_vocab = tok.tokens.size();
  sum.tokenizer = tok.model + (tok.model == "llama" ? " (SentencePiece)" : " (byte-level BPE)") +
                  ", pre " + tok.pre;
  sum.notes = tok.notes;

  // Tensors: map, check and type every one before writing anything.
  std::optional<Checkpoint> ckpt;
  std::vector<Job> jobs;
  if (!o.vocab_only) {
    UMA_ASSIGN_OR_RETURN(ckpt, Checkpoint::open_dir(o.dir));
    const std::string arch = hp->arch->gguf;
    if (rope_type(hp->rope_scaling) == "llama3" && arch == "llama") {
      Job j;
      j.name = "rope_freqs.weight";
      j.generated = llama3_rope_factors(*hp);
      j.ne = {(int64_t)j.generated.size()};
      jobs.push_back(std::move(j));
    }
    std::set<std::string> names;
    for (const auto& t : ckpt->tensors()) {
      int64_t layer = -1;
      auto mapped = gguf_tensor_name(t.name, &layer);
      if (!mapped.ok()) return mapped.status().with_context(t.file);
      if (mapped->empty()) continue;
      const std::string ctx = t.file + ": tensor '" + t.name + "': ";
      if (layer >= hp->n_layer)
        return error(ctx + "layer " + std::to_string(layer) + " but num_hidden_layers is " +
                     std::to_string(hp->n_layer));
      const bool is_bias = mapped->size() > 5 && mapped->substr(mapped->size() - 5) == ".bias";
      if (is_bias && !hp->arch->qkv_bias && !hp->arch->permute_qk)
        return error(ctx + "biases are not part of " + std::string(hp->arch->hf));
      if (mapped->find("_q_norm") != std::string::npos || mapped->find("_k_norm") != std::string::npos)
        if (!hp->arch->qk_norm) return error(ctx + "q/k norms are not part of " + std::string(hp->arch->hf));
      const auto want = expected_shape(*mapped, *hp);
      if (!want.empty() && want != t.shape)
        return error(ctx + "shape " + shape_str(t.shape) + ", expected " + shape_str(want) +
                     " from config.json");
      if (t.shape.empty()) return error(ctx + "is a scalar");
      Job j;
      j.src = &t;
      j.name = *mapped;
      j.ne.assign(t.shape.rbegin(), t.shape.rend());
      const bool is_weight = mapped->size() > 7 && mapped->substr(mapped->size() - 7) == ".weight";
      const bool is_norm = mapped->find("_norm.weight") != std::string::npos;
      j.out = (t.shape.size() <= 1 || is_norm || !is_weight) ? DType::F32 : target;
      if (j.out == DType::Q8_0 && j.ne[0] % 32 != 0) j.out = DType::F16;  // gguf-py's fallback
      if (hp->arch->permute_qk) {
        const bool q = mapped->find("attn_q.") != std::string::npos;
        const bool k = mapped->find("attn_k.") != std::string::npos;
        if (q || k) {
          j.permute_heads = q ? hp->n_head : hp->n_head_kv;
          if (t.shape[0] % (2 * j.permute_heads) != 0)
            return error(ctx + "rows not divisible into " + std::to_string(j.permute_heads) +
                         " heads of rotary pairs");
        }
      }
      names.insert(j.name);
      jobs.push_back(std::move(j));
    }
    // Everything the engine binds must be there.
    std::vector<std::string> need = {"token_embd.weight", "output_norm.weight"};
    for (int64_t il = 0; il < hp->n_layer; il++) {
      const std::string p = "blk." + std::to_string(il) + ".";
      for (const char* s : {"attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight",
                            "attn_output.weight", "ffn_norm.weight", "ffn_gate.weight",
                            "ffn_up.weight", "ffn_down.weight"})
        need.push_back(p + s);
      if (hp->arch->qkv_bias)
        for (const char* s : {"attn_q.bias", "attn_k.bias", "attn_v.bias"}) need.push_back(p + s);
      if (hp->arch->qk_norm)
        for (const char* s : {"attn_q_norm.weight", "attn_k_norm.weight"}) need.push_back(p + s);
    }
    for (const auto& n : need)
      if (!names.count(n))
        return error(o.dir + ": the checkpoint has no tensor for '" + n + "' (" +
                     std::to_string(ckpt->tensors().size()) + " tensors in " +
                     std::to_string(ckpt->files().size()) + " files)");
    if (!names.count("output.weight") && !hp->tied)
      sum.notes.push_back("no lm_head.weight although tie_word_embeddings is false: the output "
                          "projection will reuse token_embd");
  }

  uint64_t n_params = 0;
  for (const auto& j : jobs) {
    uint64_t n = 1;
    for (int64_t d : j.ne) n *= (uint64_t)d;
    n_params += n;
  }

  gguf::Writer w;
  const std::string a = sum.arch + ".";
  if (hp) w.set_string("general.architecture", sum.arch);
  w.set_string("general.type", "model");
  // general.name from the folder name, as convert_hf_to_gguf.py does without a model card.
  fs::path folder = fs::absolute(o.dir, ec).lexically_normal();
  if (folder.filename().empty()) folder = folder.parent_path();
  w.set_string("general.name", id_to_title(folder.filename().string()));
  if (n_params > 0) w.set_string("general.size_label", size_label(n_params));
  if (hp) {
    w.set_u32(a + "block_count", (uint32_t)hp->n_layer);
    if (hp->n_ctx) w.set_u32(a + "context_length", (uint32_t)*hp->n_ctx);
    w.set_u32(a + "embedding_length", (uint32_t)hp->n_embd);
    w.set_u32(a + "feed_forward_length", (uint32_t)hp->n_ff);
    w.set_u32(a + "attention.head_count", (uint32_t)hp->n_head);
    w.set_u32(a + "attention.head_count_kv", (uint32_t)hp->n_head_kv);
    if (hp->rope_theta) w.set_f32(a + "rope.freq_base", (float)*hp->rope_theta);
    if (hp->rms_eps) w.set_f32(a + "attention.layer_norm_rms_epsilon", (float)*hp->rms_eps);
    if (hp->head_dim_key) {
      w.set_u32(a + "attention.key_length", (uint32_t)*hp->head_dim_key);
      w.set_u32(a + "attention.value_length", (uint32_t)*hp->head_dim_key);
    }
    w.set_u32("general.file_type", file_type);
    const std::string rt = rope_type(hp->rope_scaling);
    const json& rs = hp->rope_scaling;
    const bool has_factor = rs.is_object() && rs.contains("factor") && rs["factor"].is_number();
    if (sum.arch == "llama") {
      w.set_u32(a + "vocab_size", (uint32_t)*hp->n_vocab);
      w.set_u32(a + "rope.dimension_count", (uint32_t)hp->head_dim);
      if (rt == "linear" && has_factor) {
        w.set_string(a + "rope.scaling.type", "linear");
        w.set_f32(a + "rope.scaling.factor", rs["factor"].get<float>());
      }
    } else if (rt == "yarn" && has_factor) {
      w.set_string(a + "rope.scaling.type", "yarn");
      w.set_f32(a + "rope.scaling.factor", rs["factor"].get<float>());
      if (rs.contains("original_max_position_embeddings") &&
          rs["original_max_position_embeddings"].is_number_unsigned())
        w.set_u32(a + "rope.scaling.original_context_length",
                  rs["original_max_position_embeddings"].get<uint32_t>());
    }
    if (!rt.empty() && rt != "linear" && rt != "llama3" && !(rt == "yarn" && sum.arch != "llama"))
      sum.notes.push_back("rope_scaling type '" + rt + "' is not carried into the GGUF");
  }
  write_tokenizer_meta(tok, w);
  w.set_u32("general.quantization_version", 2);

  uint64_t total = n_params;
  ThreadPool pool(o.n_threads > 0 ? o.n_threads : ThreadPool::physical_cores());
  RowConverter conv(pool, o, total);
  for (const auto& j : jobs) {
    w.add_tensor(j.name, j.out, j.ne,
                 [&conv, &j](uint8_t* dst, uint64_t nbytes) { return conv.fill(j, dst, nbytes); });
    sum.type_counts[j.out]++;
    uint64_t rows = 1;
    for (size_t d = 1; d < j.ne.size(); d++) rows *= (uint64_t)j.ne[d];
    sum.tensor_bytes += *dtype_row_bytes(j.out, j.ne[0]) * rows;
  }
  UMA_TRY(w.write(o.output));
  sum.n_tensors = jobs.size();
  sum.n_params = n_params;
  sum.file_bytes = fs::file_size(o.output, ec);
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace uma::convert

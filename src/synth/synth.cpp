// synth_model: metadata as llama.cpp's converter writes it, the tokenizer from a vocab GGUF
// (padded or truncated to the shape's n_vocab), and streamed random tensors.
#include "synth/synth.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <unordered_set>
#include <vector>

#include "core/thread_pool.h"
#include "gguf/gguf.h"
#include "gguf/gguf_writer.h"
#include "quant/ftype_mix.h"
#include "quant/quant.h"
#include "synth/shapes.h"

namespace uma::synth {
namespace {

// splitmix64 (Steele et al., "Fast splittable pseudorandom number generators"): one add and a
// mix per draw, and a good hash for deriving independent per-chunk seeds.
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

struct Rng {
  uint64_t state;
  uint64_t next() { return mix64(state += 0x9e3779b97f4a7c15ULL); }
  // Irwin-Hall with four 16-bit uniforms from one draw: mean 0, unit variance, tails cut at
  // 3.46 sigma. Close enough to normal for weights that only need a realistic value spread.
  float normalish() {
    const uint64_t r = next();
    const uint32_t s = (uint32_t)(r & 0xffff) + (uint32_t)((r >> 16) & 0xffff) +
                       (uint32_t)((r >> 32) & 0xffff) + (uint32_t)(r >> 48);
    constexpr float kMean = 4 * 32767.5f, kInvStd = 1.7320508f / 65536.f;  // sqrt(3) / 2^16
    return ((float)s - kMean) * kInvStd;
  }
};

uint64_t name_hash(const std::string& s) {  // FNV-1a: a tensor's stream depends on its name only
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

constexpr int64_t kChunkElems = 1 << 18;  // rows per chunk ≈ 256K elements: fixed, so the bytes
                                          // do not depend on the thread count

// Copies every tokenizer.* key; when the vocab's size differs from n_vocab, the per-token arrays
// are padded with "[PAD<id>]" UNUSED tokens (as convert_hf_to_gguf.py pads) or truncated (merges
// that need a dropped token go too). Returns a note for general.description ("" when exact).
Result<std::string> copy_tokenizer(const gguf::GgufFile& v, int64_t n_vocab, gguf::Writer& w) {
  const gguf::Value* toks = v.find("tokenizer.ggml.tokens");
  if (!toks || !toks->is_array() || toks->elem_type() != gguf::ValueType::STRING)
    return error(v.name() + ": no tokenizer.ggml.tokens array (not a vocab GGUF)");
  const int64_t have = (int64_t)toks->array_size();
  if (have == n_vocab) {
    for (const auto& [key, val] : v.metadata())
      if (key.rfind("tokenizer.", 0) == 0) w.copy_value(key, val);
    return std::string();
  }
  const int64_t keep = std::min(have, n_vocab);
  std::vector<std::string> tokens;
  tokens.reserve(n_vocab);
  for (int64_t i = 0; i < keep; i++) tokens.emplace_back(toks->array_string(i));
  for (int64_t i = keep; i < n_vocab; i++) tokens.push_back("[PAD" + std::to_string(i) + "]");
  std::unordered_set<std::string> kept;
  if (have > n_vocab) kept.insert(tokens.begin(), tokens.end());

  for (const auto& [key, val] : v.metadata()) {
    if (key.rfind("tokenizer.", 0) != 0) continue;
    if (key == "tokenizer.ggml.tokens") {
      w.set_array_string(key, tokens);
    } else if (key == "tokenizer.ggml.scores" || key == "tokenizer.ggml.token_type") {
      if (!val.is_array() || (int64_t)val.array_size() != have)
        return error(v.name() + ": key '" + key + "' is not an array of " + std::to_string(have));
      if (key == "tokenizer.ggml.scores") {
        std::vector<float> s(n_vocab, -1000.f);  // padded pieces never win a merge
        for (int64_t i = 0; i < keep; i++) s[i] = (float)val.array_number(i).value_or(0);
        w.set_array_f32(key, s);
      } else {
        std::vector<int32_t> t(n_vocab, 5);  // 5 = UNUSED
        for (int64_t i = 0; i < keep; i++) t[i] = (int32_t)val.array_int(i).value_or(1);
        w.set_array_i32(key, t);
      }
    } else if (key == "tokenizer.ggml.merges" && have > n_vocab && val.is_array()) {
      std::vector<std::string> merges;
      for (uint64_t i = 0; i < val.array_size(); i++) {
        const std::string m(val.array_string(i));
        const size_t sp = m.find(' ', 1);
        if (sp == std::string::npos) continue;
        const std::string a = m.substr(0, sp), b = m.substr(sp + 1);
        if (kept.count(a) && kept.count(b) && kept.count(a + b)) merges.push_back(m);
      }
      w.set_array_string(key, merges);
    } else {
      if (key.size() > 9 && key.ends_with("_token_id")) {
        const auto id = val.as_uint();
        // 0xFFFFFFFF (and -1) mean "none" in llama.cpp files.
        if (id && *id != 0xFFFFFFFFu && (int64_t)*id >= n_vocab)
          return error(v.name() + ": '" + key + "' = " + std::to_string(*id) +
                       " does not fit the shape's vocabulary of " + std::to_string(n_vocab) +
                       " tokens");
      }
      w.copy_value(key, val);
    }
  }
  return std::string(have < n_vocab ? "padded" : "truncated") + " from " + std::to_string(have) +
         " to " + std::to_string(n_vocab) + " tokens";
}

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string type_names() {
  std::string out;
  for (quant::FileType ft : quant::all_file_types()) {
    if (!quant::file_type_can_write(ft)) continue;
    if (!out.empty()) out += ", ";
    out += quant::file_type_name(ft);
  }
  return out;
}

Result<SynthSummary> synth_model(const SynthOptions& o) {
  const Shape* shape = find_shape(o.shape);
  if (!shape) return error("unknown shape '" + o.shape + "' (known: " + shape_names() + ")");
  const auto ft = quant::file_type_from_name(o.type);
  if (!ft || !quant::file_type_can_write(*ft))
    return error("unknown type '" + o.type + "' (known: " + type_names() + ")");
  if (!(o.weight_std > 0 && o.weight_std < 10)) return error("weight std out of range");
  if (o.output_path.empty()) return error("no output path");
  if (o.n_threads < 0) return error("threads must be >= 0");

  auto vocab = gguf::GgufFile::open(o.vocab_path);
  if (!vocab.ok()) return vocab.status().with_context("vocab");

  const Shape& s = *shape;
  const DType base = quant::file_type_base_type(*ft);
  const bool quantized = base != DType::F32 && base != DType::F16 && base != DType::BF16;
  std::vector<TensorSpec> specs = shape_tensors(s);
  // A float file keeps the converter's order. llama-quantize writes tensors in the order of
  // llama.cpp's weight map: tensors outside the blocks first, then block by block, each group
  // sorted by name (weight_name_comparer in llama-model-loader.h). Quantized files follow it.
  if (quantized)
    std::stable_sort(specs.begin(), specs.end(), [](const TensorSpec& x, const TensorSpec& y) {
      return x.layer != y.layer ? x.layer < y.layer : x.name < y.name;
    });
  std::vector<DType> types;
  SynthSummary sum;
  for (const TensorSpec& t : specs) {
    // Synthetic tensors start as F32, as a converted model's norms and biases do; the mix
    // decides the rest exactly as llama-quantize would for the real model.
    const quant::TensorShapeInfo info{.ne = t.ne, .type = DType::F32, .arch = std::string(s.arch),
                                      .n_layer = s.n_layer, .n_head = s.n_head,
                                      .n_head_kv = s.n_head_kv, .n_expert = 0,
                                      .has_output = !s.tied_output, .layer = t.layer};
    auto ty = quant::choose_tensor_type(*ft, t.name, info, o.pure);
    if (!ty.ok()) return ty.status();
    if (!quant::can_quantize(*ty))
      return error("tensor '" + t.name + "': type " + std::string(dtype_name(*ty)) +
                   " cannot be written");
    types.push_back(*ty);
    sum.n_tensors++;
    sum.n_params += (uint64_t)t.n_elements();
    sum.tensor_bytes += *dtype_row_bytes(*ty, t.ne[0]) * (uint64_t)(t.n_elements() / t.ne[0]);
    sum.type_counts[*ty]++;
  }
  const std::string type_name(quant::file_type_name(*ft));

  gguf::Writer w;
  const std::string a = std::string(s.arch) + ".";
  w.set_string("general.architecture", std::string(s.arch));
  w.set_string("general.type", "model");
  w.set_string("general.name", std::string(s.model_name) + " (synthetic)");
  w.set_string("general.size_label", std::string(s.size_label));
  w.set_u32(a + "block_count", (uint32_t)s.n_layer);
  w.set_u32(a + "context_length", (uint32_t)s.n_ctx_train);
  w.set_u32(a + "embedding_length", (uint32_t)s.n_embd);
  w.set_u32(a + "feed_forward_length", (uint32_t)s.n_ff);
  w.set_u32(a + "attention.head_count", (uint32_t)s.n_head);
  w.set_u32(a + "attention.head_count_kv", (uint32_t)s.n_head_kv);
  w.set_f32(a + "rope.freq_base", s.rope_base);
  w.set_f32(a + "attention.layer_norm_rms_epsilon", s.rms_eps);
  w.set_u32(a + "attention.key_length", (uint32_t)s.head_dim);
  w.set_u32(a + "attention.value_length", (uint32_t)s.head_dim);
  w.set_u32("general.file_type", (uint32_t)*ft);
  w.set_u32(a + "vocab_size", (uint32_t)s.n_vocab);
  w.set_u32(a + "rope.dimension_count", (uint32_t)s.head_dim);
  auto note = copy_tokenizer(*vocab, s.n_vocab, w);
  if (!note.ok()) return note.status();
  if (quantized) w.set_u32("general.quantization_version", 2);
  sum.description = "uma synth: random weights (seed " + std::to_string(o.seed) + ", std " +
                    std::to_string(o.weight_std).substr(0, 6) + ") with the shape of " +
                    std::string(s.model_name) + ", " + type_name +
                    (o.pure ? " --pure" : "") + "; tokenizer from " + base_name(o.vocab_path);
  if (!note->empty()) sum.description += " (" + *note + ": not the model's own vocabulary)";
  w.set_string("general.description", sum.description);

  ThreadPool pool(o.n_threads > 0 ? o.n_threads : ThreadPool::physical_cores());
  const uint64_t total = sum.n_params;
  std::atomic<uint64_t> done{0};
  std::vector<std::vector<float>> scratch(pool.n_threads());
  const std::vector<float> rope = llama3_rope_factors(s);

  for (size_t ti = 0; ti < specs.size(); ti++) {
    const TensorSpec& t = specs[ti];
    const DType ty = types[ti];
    auto fill = [&, ti, ty](uint8_t* dst, uint64_t nbytes) -> Status {
      const int64_t row = t.ne[0], rows = t.n_elements() / row;
      const uint64_t row_bytes = *dtype_row_bytes(ty, row);
      if (row_bytes * (uint64_t)rows != nbytes) return error("internal: tensor size mismatch");
      if (t.role == TensorRole::kNorm || t.role == TensorRole::kRopeFreqs) {
        std::vector<float> v(t.n_elements(), 1.f);
        if (t.role == TensorRole::kRopeFreqs) v = rope;
        std::memcpy(dst, v.data(), nbytes);
        done += (uint64_t)t.n_elements();
        return Status::ok();
      }
      const int64_t rows_per_chunk = std::max<int64_t>(1, kChunkElems / row);
      const int64_t n_chunks = (rows + rows_per_chunk - 1) / rows_per_chunk;
      const uint64_t tensor_seed = mix64(mix64(o.seed) ^ name_hash(t.name));
      // Chunks are handed out dynamically (a shared machine makes static splits uneven); each
      // chunk's stream is derived from (seed, tensor name, chunk index) alone.
      pool.parallel_units((size_t)n_chunks, [&](int tid, size_t cu) {
        const int64_t c = (int64_t)cu;
        std::vector<float>& buf = scratch[tid];
        buf.resize((size_t)(rows_per_chunk * row));
        const int64_t r0 = c * rows_per_chunk, r1 = std::min(rows, r0 + rows_per_chunk);
        Rng rng{mix64(tensor_seed + (uint64_t)c)};
        const int64_t n = (r1 - r0) * row;
        for (int64_t i = 0; i < n; i++) buf[i] = rng.normalish() * o.weight_std;
        for (int64_t r = r0; r < r1; r++)
          quant::quantize_row(ty, buf.data() + (r - r0) * row, dst + (uint64_t)r * row_bytes, row);
        done += (uint64_t)n;
        if (tid == 0 && o.progress) o.progress(done.load(), total);
      });
      if (o.progress) o.progress(done.load(), total);
      return Status::ok();
    };
    w.add_tensor(t.name, ty, t.ne, fill);
  }
  if (Status st = w.write(o.output_path); !st.is_ok()) return st;
  return sum;
}

}  // namespace uma::synth

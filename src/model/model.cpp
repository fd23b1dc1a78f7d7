// Model::load: map the GGUF, read hparams, build the tokenizer, and bind every tensor by name
// with its expected shape and a supported type (GGUF llama.cpp tensor naming).
#include "model/model.h"

#include <string>

#include "quant/quant.h"

namespace uma {

namespace {

std::string shape_str(int64_t a, int64_t b) {
  return b ? "[" + std::to_string(a) + ", " + std::to_string(b) + "]" : "[" + std::to_string(a) + "]";
}

class Binder {
 public:
  explicit Binder(const gguf::GgufFile& f) : f_(f) {}

  // A 2-D weight matrix with GGUF ne = [n_in, n_out].
  Status matrix(const std::string& name, int64_t n_in, int64_t n_out, kernels::MatView* out,
                bool optional = false) {
    const gguf::TensorInfo* t = f_.find_tensor(name);
    if (!t) return optional ? Status::ok() : error("missing tensor '" + name + "'");
    if (t->ne[0] != n_in || t->n_rows() != (uint64_t)n_out || t->ne[2] != 1 || t->ne[3] != 1)
      return error("tensor '" + name + "' has shape " + t->shape_string() + ", expected " +
                   shape_str(n_in, n_out));
    if (!quant::can_dequantize(t->type))
      return error("tensor '" + name + "' has type " + std::string(dtype_name(t->type)) +
                   ", which is not supported yet");
    out->type = t->type;
    out->data = t->data;
    out->n_in = n_in;
    out->n_out = n_out;
    out->row_bytes = (size_t)*dtype_row_bytes(t->type, (uint64_t)n_in);
    return Status::ok();
  }

  // A 1-D vector, converted to f32 (norm weights, biases: a few KB each).
  Status vec(const std::string& name, int64_t n, std::vector<float>* out, bool optional = false) {
    const gguf::TensorInfo* t = f_.find_tensor(name);
    if (!t) return optional ? Status::ok() : error("missing tensor '" + name + "'");
    if (t->n_elements() != (uint64_t)n || t->ne[0] != n)
      return error("tensor '" + name + "' has shape " + t->shape_string() + ", expected " +
                   shape_str(n, 0));
    if (!quant::can_dequantize(t->type) || !dtype_row_bytes(t->type, (uint64_t)n))
      return error("tensor '" + name + "' has unsupported type " + std::string(dtype_name(t->type)));
    out->resize((size_t)n);
    quant::dequantize_row(t->type, t->data, out->data(), n);
    return Status::ok();
  }

 private:
  const gguf::GgufFile& f_;
};

Status bind_weights(const gguf::GgufFile& f, const HParams& hp, const ArchTraits& tr,
                    ModelWeights* w) {
  Binder b(f);
  const int64_t d = hp.n_embd, q_dim = hp.n_head * hp.head_dim_k, kv_dim = hp.n_embd_k_gqa();
  UMA_TRY(b.matrix("token_embd.weight", d, hp.n_vocab, &w->tok_embd));
  UMA_TRY(b.vec("output_norm.weight", d, &w->output_norm));
  UMA_TRY(b.matrix("output.weight", d, hp.n_vocab, &w->output, /*optional=*/true));
  w->tied_output = w->output.n_out == 0;
  if (w->tied_output) w->output = w->tok_embd;
  UMA_TRY(b.vec("rope_freqs.weight", hp.n_rot / 2, &w->rope_freqs, /*optional=*/true));
  w->layers.resize((size_t)hp.n_layer);
  for (int64_t il = 0; il < hp.n_layer; il++) {
    LayerWeights& L = w->layers[(size_t)il];
    const std::string p = "blk." + std::to_string(il) + ".";
    UMA_TRY(b.vec(p + "attn_norm.weight", d, &L.attn_norm));
    UMA_TRY(b.matrix(p + "attn_q.weight", d, q_dim, &L.wq));
    UMA_TRY(b.matrix(p + "attn_k.weight", d, kv_dim, &L.wk));
    UMA_TRY(b.matrix(p + "attn_v.weight", d, hp.n_embd_v_gqa(), &L.wv));
    UMA_TRY(b.matrix(p + "attn_output.weight", hp.n_head * hp.head_dim_v, d, &L.wo));
    if (tr.qkv_bias) {
      UMA_TRY(b.vec(p + "attn_q.bias", q_dim, &L.bq));
      UMA_TRY(b.vec(p + "attn_k.bias", kv_dim, &L.bk));
      UMA_TRY(b.vec(p + "attn_v.bias", hp.n_embd_v_gqa(), &L.bv));
    }
    if (tr.qk_norm) {
      UMA_TRY(b.vec(p + "attn_q_norm.weight", hp.head_dim_k, &L.q_norm));
      UMA_TRY(b.vec(p + "attn_k_norm.weight", hp.head_dim_k, &L.k_norm));
    }
    UMA_TRY(b.vec(p + "ffn_norm.weight", d, &L.ffn_norm));
    UMA_TRY(b.matrix(p + "ffn_gate.weight", d, hp.n_ff, &L.w_gate));
    UMA_TRY(b.matrix(p + "ffn_up.weight", d, hp.n_ff, &L.w_up));
    UMA_TRY(b.matrix(p + "ffn_down.weight", hp.n_ff, d, &L.w_down));
  }
  return Status::ok();
}

ArchTraits traits_for(const std::string& arch) {
  ArchTraits t;
  if (arch == "qwen2") t = {.qkv_bias = true, .qk_norm = false, .neox_rope = true};
  if (arch == "qwen3") t = {.qkv_bias = false, .qk_norm = true, .neox_rope = true};
  return t;
}

}  // namespace

Result<std::unique_ptr<Model>> Model::load(const std::string& path) {
  auto file = gguf::GgufFile::open(path);
  if (!file.ok()) return file.status();
  std::unique_ptr<Model> m(new Model());
  m->file_ = std::move(file).value();
  auto fail = [&](const Status& st) { return Status::error(path + ": " + st.message()); };
  auto hp = HParams::from_gguf(m->file_);
  if (!hp.ok()) return fail(hp.status());
  m->hp_ = std::move(hp).value();
  m->traits_ = traits_for(m->hp_.arch);
  auto tok = Tokenizer::from_gguf(m->file_);
  if (!tok.ok()) return fail(tok.status());
  m->tok_ = std::make_unique<Tokenizer>(std::move(tok).value());
  if (m->hp_.n_vocab == 0) m->hp_.n_vocab = m->tok_->n_vocab();
  if (m->tok_->n_vocab() > m->hp_.n_vocab)
    return fail(error("tokenizer has " + std::to_string(m->tok_->n_vocab()) +
                      " tokens but the model's vocabulary is " + std::to_string(m->hp_.n_vocab)));
  if (Status st = bind_weights(m->file_, m->hp_, m->traits_, &m->w_); !st.is_ok()) return fail(st);
  if (Status st = repack_weights(&m->w_, &m->repacked_); !st.is_ok()) return fail(st);
  return m;
}

uint64_t Model::repacked_bytes() const {
  return repacked_.size();
}

uint64_t Model::weight_bytes() const {
  uint64_t n = 0;
  for (const auto& t : file_.tensors()) n += t.nbytes;
  return n;
}

}  // namespace uma

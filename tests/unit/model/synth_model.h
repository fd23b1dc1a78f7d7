// Test helper: a small random-weight Llama-family GGUF (llama, qwen2 or qwen3) written with the
// GGUF writer, plus a slow float64 reference forward pass written independently of src/model.
#pragma once

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "gguf/gguf_writer.h"

namespace uma::test {

struct SynthSpec {
  std::string arch = "llama";
  int n_embd = 64, n_head = 4, n_head_kv = 2, n_ff = 96, n_layer = 2, n_ctx = 128;
  float rope_base = 10000.f, rms_eps = 1e-6f;
  bool tied_output = false;
  float linear_rope_factor = 0;  // > 0: write rope.scaling.type = linear
  uint32_t seed = 1234;
};

// Weights as float64 row-major matrices [rows][cols] keyed by GGUF tensor name.
struct SynthWeights {
  std::map<std::string, std::vector<double>> t;
  std::map<std::string, std::vector<float>> f32;  // the same, as written to the file
};

inline SynthWeights make_weights(const SynthSpec& s, int n_vocab) {
  SynthWeights w;
  std::mt19937 rng(s.seed);
  std::normal_distribution<double> nd(0.0, 0.3);
  const int hd = s.n_embd / s.n_head;
  auto add = [&](const std::string& name, size_t n, double mean, double sd) {
    std::vector<float> v(n);
    std::vector<double> d(n);
    for (size_t i = 0; i < n; i++) {
      v[i] = (float)(mean + sd * nd(rng) / 0.3);
      d[i] = v[i];
    }
    w.f32[name] = v;
    w.t[name] = d;
  };
  add("token_embd.weight", (size_t)n_vocab * s.n_embd, 0, 0.5);
  for (int il = 0; il < s.n_layer; il++) {
    const std::string p = "blk." + std::to_string(il) + ".";
    add(p + "attn_norm.weight", s.n_embd, 1, 0.1);
    add(p + "attn_q.weight", (size_t)s.n_head * hd * s.n_embd, 0, 0.15);
    add(p + "attn_k.weight", (size_t)s.n_head_kv * hd * s.n_embd, 0, 0.15);
    add(p + "attn_v.weight", (size_t)s.n_head_kv * hd * s.n_embd, 0, 0.15);
    add(p + "attn_output.weight", (size_t)s.n_embd * s.n_head * hd, 0, 0.15);
    if (s.arch == "qwen2") {
      add(p + "attn_q.bias", (size_t)s.n_head * hd, 0, 0.2);
      add(p + "attn_k.bias", (size_t)s.n_head_kv * hd, 0, 0.2);
      add(p + "attn_v.bias", (size_t)s.n_head_kv * hd, 0, 0.2);
    }
    if (s.arch == "qwen3") {
      add(p + "attn_q_norm.weight", hd, 1, 0.2);
      add(p + "attn_k_norm.weight", hd, 1, 0.2);
    }
    add(p + "ffn_norm.weight", s.n_embd, 1, 0.1);
    add(p + "ffn_gate.weight", (size_t)s.n_ff * s.n_embd, 0, 0.15);
    add(p + "ffn_up.weight", (size_t)s.n_ff * s.n_embd, 0, 0.15);
    add(p + "ffn_down.weight", (size_t)s.n_embd * s.n_ff, 0, 0.15);
  }
  add("output_norm.weight", s.n_embd, 1, 0.1);
  if (!s.tied_output) add("output.weight", (size_t)n_vocab * s.n_embd, 0, 0.3);
  return w;
}

// Writes the model with the tokenizer of `vocab_src` (all tokenizer.* keys copied).
inline Status write_synth(const SynthSpec& s, const gguf::GgufFile& vocab_src, const SynthWeights& w,
                          const std::string& path) {
  gguf::Writer wr;
  const std::string a = s.arch + ".";
  const int hd = s.n_embd / s.n_head;
  wr.set_string("general.architecture", s.arch);
  wr.set_string("general.name", "synth-" + s.arch);
  wr.set_u32(a + "context_length", s.n_ctx);
  wr.set_u32(a + "embedding_length", s.n_embd);
  wr.set_u32(a + "block_count", s.n_layer);
  wr.set_u32(a + "feed_forward_length", s.n_ff);
  wr.set_u32(a + "attention.head_count", s.n_head);
  wr.set_u32(a + "attention.head_count_kv", s.n_head_kv);
  wr.set_f32(a + "attention.layer_norm_rms_epsilon", s.rms_eps);
  wr.set_f32(a + "rope.freq_base", s.rope_base);
  if (s.linear_rope_factor > 0) {
    wr.set_string(a + "rope.scaling.type", "linear");
    wr.set_f32(a + "rope.scaling.factor", s.linear_rope_factor);
  }
  for (const auto& [key, value] : vocab_src.metadata())
    if (key.rfind("tokenizer.", 0) == 0) wr.copy_value(key, value);
  const int n_vocab = (int)(w.f32.at("token_embd.weight").size() / s.n_embd);
  for (const auto& [name, v] : w.f32) {
    const size_t n = v.size();
    std::vector<int64_t> ne;
    if (name.find(".bias") != std::string::npos || name.find("norm") != std::string::npos) {
      ne = {(int64_t)n};
    } else if (name == "token_embd.weight" || name == "output.weight") {
      ne = {s.n_embd, n_vocab};
    } else if (name.find("ffn_down") != std::string::npos) {
      ne = {s.n_ff, s.n_embd};
    } else if (name.find("attn_output") != std::string::npos) {
      ne = {s.n_head * hd, s.n_embd};
    } else {
      ne = {s.n_embd, (int64_t)(n / s.n_embd)};
    }
    wr.add_tensor(name, DType::F32, ne, v.data());
  }
  return wr.write(path);
}

// ---- float64 reference forward (all positions, causal) ----

inline std::vector<double> ref_rmsnorm(const std::vector<double>& x, const std::vector<double>& w, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double sc = 1.0 / std::sqrt(ss / x.size() + eps);
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); i++) y[i] = x[i] * sc * w[i];
  return y;
}

// y = W x for W stored [rows][cols]
inline std::vector<double> ref_matvec(const std::vector<double>& W, const std::vector<double>& x) {
  const size_t cols = x.size(), rows = W.size() / cols;
  std::vector<double> y(rows, 0.0);
  for (size_t r = 0; r < rows; r++)
    for (size_t c = 0; c < cols; c++) y[r] += W[r * cols + c] * x[c];
  return y;
}

inline void ref_rope(double* v, int hd, int pos, double base, double scale, bool neox) {
  for (int i = 0; i < hd / 2; i++) {
    const double th = pos * scale * std::pow(base, -2.0 * i / hd);
    const int a = neox ? i : 2 * i, b = neox ? i + hd / 2 : 2 * i + 1;
    const double x0 = v[a], x1 = v[b];
    v[a] = x0 * std::cos(th) - x1 * std::sin(th);
    v[b] = x0 * std::sin(th) + x1 * std::cos(th);
  }
}

// Returns logits [n_tokens][n_vocab].
inline std::vector<std::vector<double>> ref_forward(const SynthSpec& s, const SynthWeights& w,
                                                    const std::vector<int>& tokens) {
  const int d = s.n_embd, hd = d / s.n_head, n = (int)tokens.size();
  const bool neox = s.arch != "llama";
  const double scale = s.linear_rope_factor > 0 ? 1.0 / s.linear_rope_factor : 1.0;
  auto T = [&](const std::string& name) -> const std::vector<double>& { return w.t.at(name); };
  std::vector<std::vector<double>> x(n);
  for (int t = 0; t < n; t++)
    x[t].assign(T("token_embd.weight").begin() + (size_t)tokens[t] * d,
                T("token_embd.weight").begin() + (size_t)(tokens[t] + 1) * d);
  for (int il = 0; il < s.n_layer; il++) {
    const std::string p = "blk." + std::to_string(il) + ".";
    std::vector<std::vector<double>> q(n), k(n), v(n);
    for (int t = 0; t < n; t++) {
      const auto xn = ref_rmsnorm(x[t], T(p + "attn_norm.weight"), s.rms_eps);
      q[t] = ref_matvec(T(p + "attn_q.weight"), xn);
      k[t] = ref_matvec(T(p + "attn_k.weight"), xn);
      v[t] = ref_matvec(T(p + "attn_v.weight"), xn);
      if (s.arch == "qwen2") {
        for (size_t i = 0; i < q[t].size(); i++) q[t][i] += T(p + "attn_q.bias")[i];
        for (size_t i = 0; i < k[t].size(); i++) k[t][i] += T(p + "attn_k.bias")[i];
        for (size_t i = 0; i < v[t].size(); i++) v[t][i] += T(p + "attn_v.bias")[i];
      }
      for (int h = 0; h < s.n_head; h++) {
        if (s.arch == "qwen3") {
          std::vector<double> head(q[t].begin() + h * hd, q[t].begin() + (h + 1) * hd);
          head = ref_rmsnorm(head, T(p + "attn_q_norm.weight"), s.rms_eps);
          std::copy(head.begin(), head.end(), q[t].begin() + h * hd);
        }
        ref_rope(q[t].data() + h * hd, hd, t, s.rope_base, scale, neox);
      }
      for (int h = 0; h < s.n_head_kv; h++) {
        if (s.arch == "qwen3") {
          std::vector<double> head(k[t].begin() + h * hd, k[t].begin() + (h + 1) * hd);
          head = ref_rmsnorm(head, T(p + "attn_k_norm.weight"), s.rms_eps);
          std::copy(head.begin(), head.end(), k[t].begin() + h * hd);
        }
        ref_rope(k[t].data() + h * hd, hd, t, s.rope_base, scale, neox);
      }
    }
    for (int t = 0; t < n; t++) {
      std::vector<double> att((size_t)s.n_head * hd, 0.0);
      for (int h = 0; h < s.n_head; h++) {
        const int g = h / (s.n_head / s.n_head_kv);
        std::vector<double> sc(t + 1);
        double mx = -1e300;
        for (int j = 0; j <= t; j++) {
          double dot = 0;
          for (int c = 0; c < hd; c++) dot += q[t][h * hd + c] * k[j][g * hd + c];
          sc[j] = dot / std::sqrt((double)hd);
          mx = std::max(mx, sc[j]);
        }
        double sum = 0;
        for (auto& e : sc) sum += (e = std::exp(e - mx));
        for (int j = 0; j <= t; j++)
          for (int c = 0; c < hd; c++) att[h * hd + c] += sc[j] / sum * v[j][g * hd + c];
      }
      const auto o = ref_matvec(T(p + "attn_output.weight"), att);
      for (int i = 0; i < d; i++) x[t][i] += o[i];
      const auto xn = ref_rmsnorm(x[t], T(p + "ffn_norm.weight"), s.rms_eps);
      auto g = ref_matvec(T(p + "ffn_gate.weight"), xn);
      const auto u = ref_matvec(T(p + "ffn_up.weight"), xn);
      for (size_t i = 0; i < g.size(); i++) g[i] = g[i] / (1 + std::exp(-g[i])) * u[i];
      const auto dn = ref_matvec(T(p + "ffn_down.weight"), g);
      for (int i = 0; i < d; i++) x[t][i] += dn[i];
    }
  }
  std::vector<std::vector<double>> logits(n);
  const auto& out = s.tied_output ? T("token_embd.weight") : T("output.weight");
  for (int t = 0; t < n; t++) logits[t] = ref_matvec(out, ref_rmsnorm(x[t], T("output_norm.weight"), s.rms_eps));
  return logits;
}

}  // namespace uma::test

// The Llama-family forward pass (Llama 1/2/3, Mistral, Qwen2, Qwen3), written as direct op calls:
//   x = embed(tokens)
//   per layer:  x += Wo · attn(rope(Wq·norm(x)), rope(Wk·norm(x)), Wv·norm(x))      (causal, GQA)
//               x += Wdown · (silu(Wgate·norm(x)) ⊙ Wup·norm(x))                      (SwiGLU)
//   logits = Wout · norm(x)
// Qwen2 adds q/k/v biases, Qwen3 RMS-normalises each q/k head before RoPE; both rotate NeoX pairs.
// Refs: Touvron et al. 2023 (LLaMA), Ainslie et al. 2023 (GQA), Qwen2/Qwen3 technical reports.
#include <cmath>
#include <algorithm>
#include <cstring>

#include "kernels/cpu/ops.h"
#include "kernels/cpu/attention.h"
#include "model/context.h"

namespace uma {

void Context::forward(const BatchToken* batch, const int64_t* pos, int64_t n, float* out) {
  const HParams& hp = model_.hparams();
  const ModelWeights& w = model_.weights();
  const ArchTraits& tr = model_.traits();
  const int64_t d = hp.n_embd, hd = hp.head_dim_k, q_dim = hp.n_head * hd;
  const int64_t kv_dim = hp.n_embd_k_gqa(), n_ff = hp.n_ff;
  float *x = x_.data(), *xb = xb_.data(), *q = q_.data(), *k = k_.data(), *v = v_.data();
  const kernels::RopeParams rope{.n_rot = (int32_t)hp.n_rot, .base = hp.rope_base,
                                 .freq_scale = hp.rope_freq_scale,
                                 .freq_factors = w.rope_freqs.empty() ? nullptr : w.rope_freqs.data(),
                                 .neox = tr.neox_rope};

  for (int64_t t = 0; t < n; t++) kernels::get_row(w.tok_embd, batch[t].token, x + t * d);  // [n, d]
  // RoPE angles depend on the position only: once per token, not per head and layer.
  const int64_t n_rot = hp.n_rot;
  rope_cs_.resize((size_t)(n * n_rot));
  for (int64_t t = 0; t < n; t++) kernels::rope_angles((int32_t)pos[t], rope, rope_cs_.data() + t * n_rot);

  for (int64_t il = 0; il < hp.n_layer; il++) {
    const LayerWeights& L = w.layers[(size_t)il];
    // --- attention block ---
    for (int64_t t = 0; t < n; t++) kernels::rms_norm(x + t * d, L.attn_norm.data(), xb + t * d, d, hp.rms_eps);
    const kernels::MatmulJob qkv[] = {{&L.wq, q}, {&L.wk, k}, {&L.wv, v}};  // [n, q_dim], 2 x [n, kv_dim]
    kernels::matmul_multi(pool_, qkv, xb, n, mm_);
    for (int64_t t = 0; t < n; t++) {
      if (tr.qkv_bias) {
        kernels::add_inplace(q + t * q_dim, L.bq.data(), q_dim);
        kernels::add_inplace(k + t * kv_dim, L.bk.data(), kv_dim);
        kernels::add_inplace(v + t * kv_dim, L.bv.data(), kv_dim);
      }
      for (int64_t h = 0; h < hp.n_head; h++) {
        float* qh = q + t * q_dim + h * hd;
        if (tr.qk_norm) kernels::rms_norm(qh, L.q_norm.data(), qh, hd, hp.rms_eps);
        kernels::rope_apply(qh, rope_cs_.data() + t * n_rot, rope);
      }
      for (int64_t h = 0; h < hp.n_head_kv; h++) {
        float* kh = k + t * kv_dim + h * hd;
        if (tr.qk_norm) kernels::rms_norm(kh, L.k_norm.data(), kh, hd, hp.rms_eps);
        kernels::rope_apply(kh, rope_cs_.data() + t * n_rot, rope);
      }
      kv_.store(il, batch[t].seq, pos[t], k + t * kv_dim, v + t * kv_dim);
    }
    attention(il, batch, pos, n);                             // att_: [n, q_dim]
    kernels::matmul(pool_, L.wo, att_.data(), n, xb, mm_);    // [n, d]
    kernels::add_inplace(x, xb, n * d);

    // --- feed-forward block (SwiGLU) ---
    for (int64_t t = 0; t < n; t++) kernels::rms_norm(x + t * d, L.ffn_norm.data(), xb + t * d, d, hp.rms_eps);
    const kernels::MatmulJob gate_up[] = {{&L.w_gate, hg_.data()}, {&L.w_up, hu_.data()}};  // 2 x [n, n_ff]
    kernels::matmul_multi(pool_, gate_up, xb, n, mm_);
    kernels::swiglu(hg_.data(), hu_.data(), hg_.data(), n * n_ff);
    kernels::matmul(pool_, L.w_down, hg_.data(), n, xb, mm_);  // [n, d]
    kernels::add_inplace(x, xb, n * d);
  }

  // --- output: only the rows whose logits are wanted ---
  int64_t rows = 0;
  for (int64_t t = 0; t < n; t++)
    if (batch[t].logits) kernels::rms_norm(x + t * d, w.output_norm.data(), xb + rows++ * d, d, hp.rms_eps);
  if (rows == 0) return;
  kernels::matmul(pool_, w.output, xb, rows, out, mm_);  // [rows, n_vocab]
}

// Causal scaled dot-product attention of each token over its own sequence's KV cache:
//   att[t, h] = Σ_j softmax_j(q[t,h]·k[s,j,g] / √hd) v[s,j,g],  j ≤ pos[t],  s = seq of t,
//   g = h / (n_head/n_head_kv)
// With an f16 cache, q and the probabilities are rounded to f16 before their dot products, as
// llama.cpp's f16 mat-muls do, so outputs track it closely.
void Context::attention(int64_t il, const BatchToken* batch, const int64_t* pos, int64_t n) {
  const HParams& hp = model_.hparams();
  const int64_t hd = hp.head_dim_k, q_dim = hp.n_head * hd, group = hp.n_head / hp.n_head_kv;
  const bool f16 = kv_.type() == DType::F16;
  const kernels::AttendFn attend = f16 ? kernels::attend_f16 : kernels::attend_f32;
  const float scale = 1.0f / std::sqrt((float)hd);
  const int64_t n_ctx = n_ctx_, bs = kv_.block_size();
  const int nt = pool_.n_threads();
  // Work items are (token, kv head): the `group` query heads sharing a K/V row are done together
  // (kernels/cpu/attention.h), so each cached row is read once for all of them. With fewer items
  // than 4 per thread (one decode token: n_head_kv of them) and a long context, each item's
  // positions are cut into block-aligned parts (kSplitMin or more positions on average), attended
  // separately and merged by their log normalizers (kernels::merge_attention), so the threads
  // share the cache in small pieces taken from a counter instead of n_head_kv / threads heads
  // each: one core of a shared machine is often slower, and a static split waits for it.
  constexpr int64_t kSplitMin = 256;
  const size_t items = (size_t)(n * hp.n_head_kv);
  // Short contexts of small models are cheaper on one thread than waking the others.
  const bool small = (pos[n - 1] + 1) * n * hp.n_head * hd < (1 << 15);
  const int64_t want = small || nt == 1 || (int64_t)items >= 4 * nt ? 1 : (4 * nt + (int64_t)items - 1) / (int64_t)items;
  units_.clear();
  for (size_t i = 0; i < items; i++) {
    const int64_t n_kv = pos[(int64_t)i / hp.n_head_kv] + 1, nblk = (n_kv + bs - 1) / bs;
    const int64_t parts = std::clamp<int64_t>(n_kv / kSplitMin, 1, std::min(want, nblk));
    const int64_t per = (nblk + parts - 1) / parts;
    for (int64_t b0 = 0; b0 < nblk; b0 += per)
      units_.push_back({.item = i, .b0 = b0, .nblk = std::min(per, nblk - b0), .whole = parts == 1});
  }
  const size_t n_units = units_.size();
  if (n_units > items) {
    part_out_.resize(n_units * (size_t)(group * hd));
    part_lse_.resize(n_units * (size_t)group);
  }
  pool_.parallel_units(n_units, [&](int ith, size_t u) {
    float* sc = scores_.data() + (size_t)ith * (size_t)attn_scratch_per_thread(hp, n_ctx);
    float* qv = sc + group * n_ctx;  // q of each head in the group (rounded) [group][hd]
    const Unit& un = units_[u];
    const int64_t t = (int64_t)un.item / hp.n_head_kv, g = (int64_t)un.item % hp.n_head_kv, h0 = g * group;
    const int32_t seq = batch[t].seq;
    const int64_t n_kv = std::min(pos[t] + 1 - un.b0 * bs, un.nblk * bs);
    for (int64_t h = 0; h < group; h++) {
      const float* qh = q_.data() + t * q_dim + (h0 + h) * hd;
      std::memcpy(qv + h * hd, qh, sizeof(float) * (size_t)hd);
      if (f16) kernels::round_f16(qv + h * hd, hd);  // F16C: the scalar round trip cost ~0.1 ms a token
    }
    const kernels::KvView kv{kv_.k_head(il, g), kv_.v_head(il, g), kv_.table(seq) + un.b0, bs,
                             kv_.block_bytes(),  kv_.k_pos_stride(), kv_.k_dim_stride(), kv_.v_pos_stride()};
    if (un.whole) {
      attend(qv, hd, (int)group, hd, scale, kv, n_kv, sc, n_ctx, att_.data() + t * q_dim + h0 * hd, hd, nullptr);
    } else {
      attend(qv, hd, (int)group, hd, scale, kv, n_kv, sc, n_ctx, part_out_.data() + u * (size_t)(group * hd), hd,
             part_lse_.data() + u * (size_t)group);
    }
  }, small ? 1 : 0);
  // Each split item's parts are consecutive units.
  for (size_t u = 0; u < n_units;) {
    size_t e = u + 1;
    while (e < n_units && units_[e].item == units_[u].item) e++;
    if (!units_[u].whole) {
      const int64_t t = (int64_t)units_[u].item / hp.n_head_kv, h0 = (int64_t)units_[u].item % hp.n_head_kv * group;
      kernels::merge_attention((int)(e - u), (int)group, hd, part_out_.data() + u * (size_t)(group * hd),
                               part_lse_.data() + u * (size_t)group, att_.data() + t * q_dim + h0 * hd, hd);
    }
    u = e;
  }
}

}  // namespace uma

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

#include "core/f16.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/vec_f16.h"
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

  for (int64_t il = 0; il < hp.n_layer; il++) {
    const LayerWeights& L = w.layers[(size_t)il];
    // --- attention block ---
    for (int64_t t = 0; t < n; t++) kernels::rms_norm(x + t * d, L.attn_norm.data(), xb + t * d, d, hp.rms_eps);
    kernels::matmul(pool_, L.wq, xb, n, q, mm_);  // [n, q_dim]
    kernels::matmul(pool_, L.wk, xb, n, k, mm_);  // [n, kv_dim]
    kernels::matmul(pool_, L.wv, xb, n, v, mm_);  // [n, kv_dim]
    for (int64_t t = 0; t < n; t++) {
      if (tr.qkv_bias) {
        kernels::add_inplace(q + t * q_dim, L.bq.data(), q_dim);
        kernels::add_inplace(k + t * kv_dim, L.bk.data(), kv_dim);
        kernels::add_inplace(v + t * kv_dim, L.bv.data(), kv_dim);
      }
      for (int64_t h = 0; h < hp.n_head; h++) {
        float* qh = q + t * q_dim + h * hd;
        if (tr.qk_norm) kernels::rms_norm(qh, L.q_norm.data(), qh, hd, hp.rms_eps);
        kernels::rope(qh, (int32_t)pos[t], rope);
      }
      for (int64_t h = 0; h < hp.n_head_kv; h++) {
        float* kh = k + t * kv_dim + h * hd;
        if (tr.qk_norm) kernels::rms_norm(kh, L.k_norm.data(), kh, hd, hp.rms_eps);
        kernels::rope(kh, (int32_t)pos[t], rope);
      }
      kv_.store(il, batch[t].seq, pos[t], k + t * kv_dim, v + t * kv_dim);
    }
    attention(il, batch, pos, n);                             // att_: [n, q_dim]
    kernels::matmul(pool_, L.wo, att_.data(), n, xb, mm_);    // [n, d]
    kernels::add_inplace(x, xb, n * d);

    // --- feed-forward block (SwiGLU) ---
    for (int64_t t = 0; t < n; t++) kernels::rms_norm(x + t * d, L.ffn_norm.data(), xb + t * d, d, hp.rms_eps);
    kernels::matmul(pool_, L.w_gate, xb, n, hg_.data(), mm_);  // [n, n_ff]
    kernels::matmul(pool_, L.w_up, xb, n, hu_.data(), mm_);    // [n, n_ff]
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
  const float scale = 1.0f / std::sqrt((float)hd);
  const int64_t n_ctx = n_ctx_;
  // Work items are (token, kv head): the `group` query heads sharing a K/V row are done together,
  // so each cached row is widened from f16 once for all of them (bit-identical to one at a time).
  // Short contexts of small models are cheaper on one thread than waking the others.
  const size_t items = (size_t)(n * hp.n_head_kv);
  const bool small = (pos[n - 1] + 1) * n * hp.n_head * hd < (1 << 15);
  pool_.parallel_for(items, small ? items : 1, [&](int ith, size_t b, size_t e) {
    float* sc = scores_.data() + (size_t)ith * (size_t)attn_scratch_per_thread(hp, n_ctx);
    float* qv = sc + group * n_ctx;  // q of each head in the group (rounded) [group][hd]
    float* acc = qv + group * hd;    // output accumulators [group][hd]
    float* tmp = acc + group * hd;   // one key's scores / probabilities [group]
    for (size_t i = b; i < e; i++) {
      const int64_t t = (int64_t)i / hp.n_head_kv, g = (int64_t)i % hp.n_head_kv, h0 = g * group;
      const int32_t seq = batch[t].seq;
      const int64_t n_kv = pos[t] + 1;
      for (int64_t h = 0; h < group; h++) {
        const float* qh = q_.data() + t * q_dim + (h0 + h) * hd;
        for (int64_t c = 0; c < hd; c++) qv[h * hd + c] = f16 ? f16_to_f32(f32_to_f16(qh[c])) : qh[c];
      }
      // Keys a KV block at a time: rows inside a block are contiguous (no table lookup per key).
      const int64_t bs = kv_.block_size();
      const size_t stride = kv_.row_stride();
      for (int64_t j0 = 0; j0 < n_kv; j0 += bs) {
        const uint8_t* kb = kv_.k_row(il, seq, j0);
        for (int64_t j = j0; j < std::min(n_kv, j0 + bs); j++, kb += stride) {
          if (f16) {
            kernels::dot_f32_f16_heads(qv, hd, (int)group, reinterpret_cast<const uint16_t*>(kb) + g * hd, hd, tmp);
          } else {
            const auto* kr = reinterpret_cast<const float*>(kb) + g * hd;
            for (int64_t h = 0; h < group; h++) {
              float s = 0.f;
              for (int64_t c = 0; c < hd; c++) s += qv[h * hd + c] * kr[c];
              tmp[h] = s;
            }
          }
          for (int64_t h = 0; h < group; h++) sc[h * n_ctx + j] = tmp[h] * scale;
        }
      }
      for (int64_t h = 0; h < group; h++) kernels::softmax(sc + h * n_ctx, n_kv);
      std::memset(acc, 0, sizeof(float) * (size_t)(group * hd));
      if (f16)  // probabilities meet f16 values as f16, as in llama.cpp's f16 mat-mul
        for (int64_t h = 0; h < group; h++) kernels::round_f16(sc + h * n_ctx, n_kv);
      for (int64_t j0 = 0; j0 < n_kv; j0 += bs) {
        const uint8_t* vb = kv_.v_row(il, seq, j0);
        for (int64_t j = j0; j < std::min(n_kv, j0 + bs); j++, vb += stride) {
          for (int64_t h = 0; h < group; h++) tmp[h] = sc[h * n_ctx + j];
          if (f16) {
            kernels::axpy_f16_heads(tmp, reinterpret_cast<const uint16_t*>(vb) + g * hd, acc, hd, (int)group, hd);
          } else {
            const auto* vr = reinterpret_cast<const float*>(vb) + g * hd;
            for (int64_t h = 0; h < group; h++)
              for (int64_t c = 0; c < hd; c++) acc[h * hd + c] += tmp[h] * vr[c];
          }
        }
      }
      for (int64_t h = 0; h < group; h++)
        std::memcpy(att_.data() + t * q_dim + (h0 + h) * hd, acc + h * hd, sizeof(float) * (size_t)hd);
    }
  });
}

}  // namespace uma

// Attention of one query token's head group over a paged KV cache (decode and prefill): the
// `group` query heads that share one KV head (grouped-query attention) are done together, so each
// cached K/V row is read from memory once for all of them.
//
//   out[h] = Σ_j p[h][j] v[j],  p[h] = softmax_j(scale · q[h]·k[j]),  j < n_kv
//
// With an f16 cache q arrives rounded to f16 values and the probabilities are rounded to f16
// before they meet V, as llama.cpp's f16 mat-muls do, so results track it closely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace uma::kernels {

// Where one KV head's rows live: positions [b·block_size, (b+1)·block_size) are in pool block
// table[b], at k + table[b]·block_bytes (and v + …). Inside a block, K element (position i, dim c)
// is at i·k_pos_stride + c·k_dim_stride and V's at i·v_pos_stride + c·element size.
// kv/kv_cache.h stores K transposed ([head_dim][block_size]: k_pos_stride = one element), so the
// scores of 8 positions are one vector, and V as rows ([block_size][head_dim]); the AVX2 kernel
// wants exactly that, other strides take the scalar path.
struct KvView {
  const uint8_t* k = nullptr;
  const uint8_t* v = nullptr;
  const int32_t* table = nullptr;
  int64_t block_size = 0;
  size_t block_bytes = 0;
  size_t k_pos_stride = 0;
  size_t k_dim_stride = 0;
  size_t v_pos_stride = 0;
};

// q: [group][hd] (rows q_stride floats apart), out: [group][hd] (out_stride apart).
// scores: scratch of group × score_stride floats, score_stride >= n_kv.
// f16 cache: AVX-512 or AVX2 (F16C) on x86, scalar elsewhere; streams the next block while computing this
// one. Summation order differs from the scalar reference in the last bits (tested with bounds).
// lse (nullable): per head, log Σ_j exp(scale · q·k_j), the softmax's log normalizer, so results
// over disjoint position ranges can be combined (merge_attention).
void attend_f16(const float* q, int64_t q_stride, int group, int64_t hd, float scale, const KvView& kv,
                int64_t n_kv, float* scores, int64_t score_stride, float* out, int64_t out_stride,
                float* lse = nullptr);
void attend_f32(const float* q, int64_t q_stride, int group, int64_t hd, float scale, const KvView& kv,
                int64_t n_kv, float* scores, int64_t score_stride, float* out, int64_t out_stride,
                float* lse = nullptr);

using AttendFn = void (*)(const float* q, int64_t q_stride, int group, int64_t hd, float scale, const KvView& kv,
                          int64_t n_kv, float* scores, int64_t score_stride, float* out, int64_t out_stride,
                          float* lse);

// Attention over a long context cut into `parts` position ranges (each attended separately, with
// its lse): out[h] = Σ_i w_i part_out[i][h] / Σ_i w_i, w_i = exp(lse[i][h] − max_i lse[i][h]).
// part_out: [parts][group][hd], lse: [parts][group]; out rows out_stride apart.
void merge_attention(int parts, int group, int64_t hd, const float* part_out, const float* lse, float* out,
                     int64_t out_stride);

// The SIMD kernels that take this layout and head size on this CPU, fastest first by ISA name
// ("avx512": hd a multiple of 16; "avx2"); attend_f16 uses the first (UMA_ISA=avx2 in the
// environment: the AVX2 one). Exposed so the tests hold every one to the reference.
std::vector<std::pair<const char*, AttendFn>> attend_f16_kernels(const KvView& kv, int64_t hd);

// Whether attend_f16 takes the SIMD kernel for this layout and head size on this CPU (else the
// scalar reference); exposed so tests can hold the cache's real layout to the fast path.
bool attend_f16_simd(const KvView& kv, int64_t hd);

// The scalar reference for f16 caches (also the fallback), exposed for the kernel tests.
void attend_f16_ref(const float* q, int64_t q_stride, int group, int64_t hd, float scale, const KvView& kv,
                    int64_t n_kv, float* scores, int64_t score_stride, float* out, int64_t out_stride,
                    float* lse = nullptr);

// x[i] = f16_to_f32(f32_to_f16(x[i])): rounds to f16 and back (F16C 8 at a time on AVX2).
void round_f16(float* x, int64_t n);

}  // namespace uma::kernels

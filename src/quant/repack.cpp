// Q4_0x8 repacking and its scalar reference kernel (see repack.h).
#include "quant/repack.h"

#include <cstdlib>
#include <cstring>

#include "core/f16.h"
#include "quant/quant_avx2.h"
#include "quant/quant_avx2_gemm.h"
#include "quant/quant_impl.h"
#include "quant/quant_vnni_gemm.h"
#include "quant/quant_zmm_gemm.h"

namespace uma::quant {

namespace {
// Q4_0 / Q8_0 -> their x8 forms: the 8 rows' scales, then the quant bytes 4 at a time per row.
template <class In, class Out>
void repack_legacy_x8(const uint8_t* src, size_t row_bytes, int64_t n_in, Out* dst) {
  constexpr int kGroups = (int)sizeof(In{}.qs) / 4;
  const int64_t nb = n_in / 32;
  for (int64_t b = 0; b < nb; b++) {
    for (int r = 0; r < 8; r++) {
      const In& in = reinterpret_cast<const In*>(src + (size_t)r * row_bytes)[b];
      dst[b].d[r] = in.d;
      for (int k = 0; k < kGroups; k++) std::memcpy(dst[b].qs + 32 * k + 4 * r, in.qs + 4 * k, 4);
    }
  }
}
}  // namespace



namespace {
void repack_q4_k_x8(const uint8_t* src, size_t row_bytes, int64_t n_in, BlockQ4_Kx8* dst) {
  const int64_t nb = n_in / kQK_K;
  for (int64_t b = 0; b < nb; b++) {
    BlockQ4_Kx8& out = dst[b];
    for (int r = 0; r < 8; r++) {
      const BlockQ4_K& in = reinterpret_cast<const BlockQ4_K*>(src + (size_t)r * row_bytes)[b];
      out.d[r] = in.d;
      out.dmin[r] = in.dmin;
      for (int sb = 0; sb < 8; sb++) impl::k4_scale_min(sb, in.scales, &out.scales[sb][r], &out.mins[sb][r]);
      for (int g = 0; g < 32; g++) std::memcpy(out.qs + 32 * g + 4 * r, in.qs + 4 * g, 4);
    }
  }
}
void repack_q6_k_x8(const uint8_t* src, size_t row_bytes, int64_t n_in, BlockQ6_Kx8* dst) {
  const int64_t nb = n_in / kQK_K;
  for (int64_t b = 0; b < nb; b++) {
    BlockQ6_Kx8& out = dst[b];
    for (int r = 0; r < 8; r++) {
      const BlockQ6_K& in = reinterpret_cast<const BlockQ6_K*>(src + (size_t)r * row_bytes)[b];
      out.d[r] = in.d;
      for (int sb = 0; sb < 16; sb++) out.scales[sb][r] = in.scales[sb];
      // The file's order (ggml Q6_K): per half h of 128, byte l of ql holds elements l and l + 64
      // in its nibbles, ql[l + 32] elements l + 32 and l + 96; qh[l] their high bits in 2-bit steps.
      uint8_t e[256];
      for (int h = 0; h < 2; h++)
        for (int l = 0; l < 32; l++) {
          const uint8_t lo = in.ql[64 * h + l], lo2 = in.ql[64 * h + l + 32], hi = in.qh[32 * h + l];
          e[128 * h + l] = (uint8_t)((lo & 0x0F) | ((hi & 3) << 4));
          e[128 * h + l + 32] = (uint8_t)((lo2 & 0x0F) | (((hi >> 2) & 3) << 4));
          e[128 * h + l + 64] = (uint8_t)((lo >> 4) | (((hi >> 4) & 3) << 4));
          e[128 * h + l + 96] = (uint8_t)((lo2 >> 4) | (((hi >> 6) & 3) << 4));
        }
      // The inverse of q6_k_x8_value, written byte by byte (an element-wise loop of read-modify-
      // writes made this a third of an 8B model's load): per quarter p, nibble chunk c and
      // 2-bit chunk u, with e = 64 p + 4 c + j and e = 64 p + 8 u + j as in repack.h.
      for (int p = 0; p < 4; p++) {
        const uint8_t* q = e + 64 * p;
        for (int c = 0; c < 8; c++)
          for (int j = 0; j < 4; j++) {
            const int i = 4 * c + j;
            out.ql[32 * (8 * p + c) + 4 * r + j] = (uint8_t)((q[i] & 0x0F) | (q[i + 32] & 0x0F) << 4);
          }
        for (int u = 0; u < 4; u++)
          for (int j = 0; j < 4; j++) {
            const int i = 8 * u + j;
            out.qh[32 * (4 * p + u) + 4 * r + j] =
                (uint8_t)((q[i] >> 4) | (q[i + 32] >> 4) << 2 | (q[i + 4] >> 4) << 4 | (q[i + 36] >> 4) << 6);
          }
      }
    }
  }
}
}  // namespace

int interleave_rows(DType t) {
  return gemm_x8_fn(t) != nullptr ? 8 : 0;
}

size_t interleaved_group_bytes(DType t, int64_t n_in) {
  if (t == DType::Q4_0) return (size_t)(n_in / kQK4_0) * sizeof(BlockQ4_0x8);
  if (t == DType::Q4_K) return (size_t)(n_in / kQK_K) * sizeof(BlockQ4_Kx8);
  if (t == DType::Q8_0) return (size_t)(n_in / kQK8_0) * sizeof(BlockQ8_0x8);
  if (t == DType::Q6_K) return (size_t)(n_in / kQK_K) * sizeof(BlockQ6_Kx8);
  return 0;
}

void repack_rows_x8(DType t, const uint8_t* src, size_t row_bytes, int64_t n_in, uint8_t* dst) {
  if (t == DType::Q4_0) repack_legacy_x8<BlockQ4_0>(src, row_bytes, n_in, reinterpret_cast<BlockQ4_0x8*>(dst));
  if (t == DType::Q4_K) repack_q4_k_x8(src, row_bytes, n_in, reinterpret_cast<BlockQ4_Kx8*>(dst));
  if (t == DType::Q8_0) repack_legacy_x8<BlockQ8_0>(src, row_bytes, n_in, reinterpret_cast<BlockQ8_0x8*>(dst));
  if (t == DType::Q6_K) repack_q6_k_x8(src, row_bytes, n_in, reinterpret_cast<BlockQ6_Kx8*>(dst));
}




namespace {
// The reference loop shared by the x8 layouts: for every group, token and row of the group, the
// sum over blocks of block_dot(weight block, activation block, row), which returns that block's
// contribution (integer sums scaled once, like vec_dot_ref).
template <class W, class A, class BlockDot>
void gemm_x8_ref(const GemmArgs& g, int64_t block_elems, BlockDot block_dot) {
  const int64_t nb = g.n / block_elems;
  for (int64_t r0 = 0; r0 < g.nr; r0 += 8) {
    const auto* w = reinterpret_cast<const W*>(g.w + (size_t)(r0 / 8) * g.w_stride);
    for (int64_t t = 0; t < g.nt; t++) {
      const auto* a = reinterpret_cast<const A*>(g.a + (size_t)t * g.a_stride);
      for (int r = 0; r < 8; r++) {
        float sum = 0;
        for (int64_t b = 0; b < nb; b++) sum += block_dot(w[b], a[b], r);
        g.out[(size_t)t * g.ldo + (size_t)(r0 + r)] = sum;
      }
    }
  }
}
}  // namespace

void gemm_q4_0_x8_ref(const GemmArgs& g) {
  gemm_x8_ref<BlockQ4_0x8, BlockQ8_0>(g, kQK4_0, [](const BlockQ4_0x8& w, const BlockQ8_0& a, int r) {
    int32_t isum = 0;
    for (int k = 0; k < 4; k++)
      for (int j = 0; j < 4; j++) {
        const uint8_t q = w.qs[32 * k + 4 * r + j];
        isum += ((q & 0x0F) - 8) * a.qs[4 * k + j] + ((q >> 4) - 8) * a.qs[16 + 4 * k + j];
      }
    return f16_to_f32(w.d[r]) * f16_to_f32(a.d) * (float)isum;
  });
}

void gemm_q8_0_x8_ref(const GemmArgs& g) {
  gemm_x8_ref<BlockQ8_0x8, BlockQ8_0>(g, kQK8_0, [](const BlockQ8_0x8& w, const BlockQ8_0& a, int r) {
    int32_t isum = 0;
    for (int k = 0; k < 8; k++)
      for (int j = 0; j < 4; j++) isum += w.qs[32 * k + 4 * r + j] * a.qs[4 * k + j];
    return f16_to_f32(w.d[r]) * f16_to_f32(a.d) * (float)isum;
  });
}

void gemm_q4_k_x8_ref(const GemmArgs& g) {
  gemm_x8_ref<BlockQ4_Kx8, BlockQ8_K>(g, kQK_K, [](const BlockQ4_Kx8& w, const BlockQ8_K& a, int r) {
    int32_t isum = 0, msum = 0;
    for (int sb = 0; sb < 8; sb++) {
      const int c = sb / 2, hi = sb % 2;
      int32_t s = 0;
      for (int gg = 0; gg < 8; gg++)
        for (int j = 0; j < 4; j++) {
          const uint8_t q = w.qs[32 * (8 * c + gg) + 4 * r + j];
          s += (hi ? q >> 4 : q & 0x0F) * a.qs[64 * c + 32 * hi + 4 * gg + j];
        }
      isum += s * w.scales[sb][r];
      msum += w.mins[sb][r] * (a.bsums[2 * sb] + a.bsums[2 * sb + 1]);
    }
    return f16_to_f32(w.d[r]) * a.d * (float)isum - f16_to_f32(w.dmin[r]) * a.d * (float)msum;
  });
}

void gemm_q6_k_x8_ref(const GemmArgs& g) {
  gemm_x8_ref<BlockQ6_Kx8, BlockQ8_K>(g, kQK_K, [](const BlockQ6_Kx8& w, const BlockQ8_K& a, int r) {
    int32_t isum = 0;
    for (int sb = 0; sb < 16; sb++) {
      int32_t s = 0;
      for (int e = 16 * sb; e < 16 * sb + 16; e++) s += (q6_k_x8_value(w, r, e) - 32) * a.qs[e];
      isum += s * w.scales[sb][r];
    }
    return f16_to_f32(w.d[r]) * a.d * (float)isum;
  });
}

std::vector<std::pair<const char*, GemmFn>> gemm_x8_fns(DType t) {
  std::vector<std::pair<const char*, GemmFn>> fns;
  static const bool has_zmm = zmm::cpu_supported(), zmm_first = zmm::cpu_prefers();
  static const bool has_vnni = vnni::cpu_supported(), has_avx2 = avx2::cpu_supported();
  // 512-bit prefill tiles: first where measured faster, else after the VNNI kernels.
  auto add_zmm = [&] {
    if (t == DType::Q4_0) fns.push_back({"avx512", zmm::gemm_q4_0_x8});
    if (t == DType::Q4_K) fns.push_back({"avx512", zmm::gemm_q4_k_x8});
    if (t == DType::Q8_0) fns.push_back({"avx512", zmm::gemm_q8_0_x8});
    if (t == DType::Q6_K) fns.push_back({"avx512", zmm::gemm_q6_k_x8});
  };
  if (has_zmm && zmm_first) add_zmm();
  if (has_vnni) {
    if (t == DType::Q4_0) fns.push_back({"vnni", vnni::gemm_q4_0_x8});
    if (t == DType::Q4_K) fns.push_back({"vnni", vnni::gemm_q4_k_x8});
    if (t == DType::Q8_0) fns.push_back({"vnni", vnni::gemm_q8_0_x8});
    if (t == DType::Q6_K) fns.push_back({"vnni", vnni::gemm_q6_k_x8});
  }
  if (has_zmm && !zmm_first) add_zmm();
  if (has_avx2) {
    if (t == DType::Q4_0) fns.push_back({"avx2", avx2::gemm_q4_0_x8});
    if (t == DType::Q4_K) fns.push_back({"avx2", avx2::gemm_q4_k_x8});
    if (t == DType::Q8_0) fns.push_back({"avx2", avx2::gemm_q8_0_x8});
    if (t == DType::Q6_K) fns.push_back({"avx2", avx2::gemm_q6_k_x8});
  }
  return fns;
}

GemmFn gemm_x8_fn(DType t) {
  // Once per type: kernels::matmul asks on every call. UMA_ISA names the variant to take (A/B
  // runs on one binary): avx2 skips every AVX-512 kernel, vnni the 512-bit ones.
  static const auto pick = [](DType type) -> GemmFn {
    const char* env = std::getenv("UMA_ISA");
    const bool want_avx2 = env && std::strcmp(env, "avx2") == 0, want_vnni = env && std::strcmp(env, "vnni") == 0;
    for (const auto& [name, fn] : gemm_x8_fns(type)) {
      if (want_avx2 && std::strcmp(name, "avx2") != 0) continue;
      if (want_vnni && std::strcmp(name, "avx512") == 0) continue;
      return fn;
    }
    return nullptr;
  };
  static const GemmFn q4_0 = pick(DType::Q4_0), q4_k = pick(DType::Q4_K), q8_0 = pick(DType::Q8_0),
                      q6_k = pick(DType::Q6_K);
  switch (t) {
    case DType::Q4_0: return q4_0;
    case DType::Q4_K: return q4_k;
    case DType::Q8_0: return q8_0;
    case DType::Q6_K: return q6_k;
    default: return nullptr;
  }
}

}  // namespace uma::quant

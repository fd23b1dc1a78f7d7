// Prefill tiles for the Q4_0 x8 layout on 512-bit vectors: each zmm holds two adjacent 32-byte
// chunks of one 8-row group, so the unpacked weights of a block take 4 registers instead of 8
// and a token meets them in 4 vpdpbusd instead of 8. The two halves want different activation
// dwords: one broadcast of the token's 32 bytes and one vpermd per chunk pair place them, shared
// by the two groups of a tile (4 tokens x 2 groups). The halves of each integer sum are folded
// once per block, so block sums and float results are exactly the VNNI kernel's
// (quant_vnni_gemm.cpp). Decode (1-3 tokens) stays on the VNNI kernel: there a 512-bit variant
// was measured and not kept (docs/decisions.md #9), the weight stream and not the instruction
// count limits it.
//
// Why Q4_0 only: on the 2026-12-02 AMD Zen 5 VM, pp512 of the 1B shape with the 256-bit tiles was
// 1.07x llama.cpp for Q4_0 and 1.64x / 1.80x for Q4_K_M / Q8_0 (bench/compare.sh).
#include "quant/quant_zmm_gemm.h"

#if defined(__x86_64__) || defined(__i386__)

#include <algorithm>
#include <vector>

#include "core/f16.h"
#include "quant/quant_vnni_gemm.h"
#include "quant/quant_x8_common.h"
#include "quant/repack.h"

// GCC 12's AVX-512 headers seed results with _mm512_undefined_*(), which -Wmaybe-uninitialized
// reports falsely once inlined here.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define UMA_TARGET_ZMM __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")))

namespace uma::quant::zmm {

namespace {

using x8::load128;
using x8::load256;

UMA_TARGET_ZMM inline __m512i load512(const void* p) { return _mm512_loadu_si512(p); }
UMA_TARGET_ZMM inline __m512i dp(__m512i acc, __m512i u8, __m512i s8) { return _mm512_dpbusd_epi32(acc, u8, s8); }
// Dword Lo of v in the low half's 8 lanes, dword Hi in the high half's.
template <int Lo, int Hi>
UMA_TARGET_ZMM inline __m512i pair(__m512i v) {
  const __m512i idx = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi32(Lo)), _mm256_set1_epi32(Hi), 1);
  return _mm512_permutexvar_epi32(idx, v);
}
// The 8 row lanes: low half + high half.
UMA_TARGET_ZMM inline __m256i fold(__m512i v) {
  return _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
}

// Per call: each activation block's scale as a float (one broadcast per token and block in the
// tile instead of a half-to-float conversion).
inline void q8_0_scales(const GemmArgs& g, int64_t nb, std::vector<float>& out) {
  out.resize((size_t)(g.nt * nb));
  for (int64_t t = 0; t < g.nt; ++t) {
    const auto* a = reinterpret_cast<const BlockQ8_0*>(g.a + (size_t)t * g.a_stride);
    for (int64_t b = 0; b < nb; ++b) out[(size_t)(t * nb + b)] = f16_to_f32(a[b].d);
  }
}

// T tokens from t0 against groups grp .. grp + G - 1. Nibbles shifted down once per block (low:
// chunks 0-1 and 2-3, activation dwords 0-1 and 2-3; high: dwords 4-5 and 6-7); the -8 offset
// (8 * sum(y), ysum8) starts the low chain's low half, so the fold adds it once.
template <int T, int G>
UMA_TARGET_ZMM void q4_0_tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t* ysum8,
                              const float* dy) {
  const BlockQ4_0x8* w[G];
  x8::group_ptrs(g, grp, w);
  const BlockQ8_0* a[T];
  x8::act_ptrs(g, t0, a);
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  __m256 acc[G][T];
  x8::zero_acc(acc);
  for (int64_t b = 0; b < nb; ++b) {
    __m512i lo01[G], lo23[G], hi01[G], hi23[G];
    __m256 dw[G];
    for (int r = 0; r < G; ++r) {
      const BlockQ4_0x8& x = w[r][b];
      const __m512i raw0 = load512(x.qs), raw1 = load512(x.qs + 64);
      lo01[r] = _mm512_and_si512(raw0, m4);
      lo23[r] = _mm512_and_si512(raw1, m4);
      hi01[r] = _mm512_and_si512(_mm512_srli_epi16(raw0, 4), m4);
      hi23[r] = _mm512_and_si512(_mm512_srli_epi16(raw1, 4), m4);
      dw[r] = _mm256_cvtph_ps(load128(x.d));
    }
    for (int j = 0; j < T; ++j) {
      const __m512i y = _mm512_broadcast_i64x4(load256(a[j][b].qs));
      const __m512i y01 = pair<0, 1>(y), y23 = pair<2, 3>(y), y45 = pair<4, 5>(y), y67 = pair<6, 7>(y);
      const __m512i off = _mm512_maskz_set1_epi32(0x00FF, -ysum8[(t0 + j) * nb + b]);
      const __m256 dyv = _mm256_set1_ps(dy[(t0 + j) * nb + b]);
      for (int r = 0; r < G; ++r) {
        const __m512i sl = dp(dp(off, lo01[r], y01), lo23[r], y23);
        const __m512i sh = dp(dp(_mm512_setzero_si512(), hi01[r], y45), hi23[r], y67);
        const __m256i isum = fold(_mm512_add_epi32(sl, sh));
        acc[r][j] = _mm256_fmadd_ps(_mm256_mul_ps(dw[r], dyv), _mm256_cvtepi32_ps(isum), acc[r][j]);
      }
    }
  }
  x8::store_groups(g, grp, t0, acc);
}

constexpr int64_t kTT = 4;  // tokens per tile; fewer left over go to the VNNI kernel

}  // namespace

bool cpu_supported() { return vnni::cpu_supported(); }

bool cpu_prefers() {
  // Measured on AMD Zen 5 (family 26, full 512-bit datapaths). On the Intel Xeon of the same day
  // 512-bit vpdpbusd had one port (decisions.md #9); unmeasured there, so not preferred.
  static const bool amd = __builtin_cpu_is("amd");
  return cpu_supported() && amd;
}

void gemm_q4_0_x8(const GemmArgs& g) {
  if (g.nt < kTT) return vnni::gemm_q4_0_x8(g);
  const int64_t nb = g.n / kQK4_0, ng = g.nr / 8;
  thread_local std::vector<int32_t> ysum8;
  thread_local std::vector<float> dy;
  x8::q8_0_block_sums(g, nb, 8, ysum8);
  q8_0_scales(g, nb, dy);
  // Tokens in blocks whose activations stay in L2 while the weights stream by, as in x8::drive_x8.
  for (int64_t tb = 0; tb < g.nt; tb += x8::kTokBlock) {
    const int64_t te = std::min(g.nt, tb + x8::kTokBlock);
    const int64_t t4 = tb + (te - tb) / kTT * kTT;
    int64_t grp = 0;
    for (; grp + 2 <= ng; grp += 2)
      for (int64_t t = tb; t < t4; t += kTT) q4_0_tile<kTT, 2>(g, grp, t, nb, ysum8.data(), dy.data());
    for (; grp < ng; ++grp)
      for (int64_t t = tb; t < t4; t += kTT) q4_0_tile<kTT, 1>(g, grp, t, nb, ysum8.data(), dy.data());
    if (te > t4) {  // the last 1-3 tokens of the block
      GemmArgs rest = g;
      rest.a = g.a + (size_t)t4 * g.a_stride;
      rest.nt = te - t4;
      rest.out = g.out + (size_t)t4 * g.ldo;
      vnni::gemm_q4_0_x8(rest);
    }
  }
}

}  // namespace uma::quant::zmm

#else  // not x86: never called (cpu_supported() is false)

namespace uma::quant::zmm {
bool cpu_supported() { return false; }
bool cpu_prefers() { return false; }
void gemm_q4_0_x8(const GemmArgs&) {}
}  // namespace uma::quant::zmm

#endif

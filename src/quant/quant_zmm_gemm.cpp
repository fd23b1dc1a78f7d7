// Prefill tiles for the x8 layouts on 512-bit vectors (Q4_0, Q4_K, Q8_0, Q6_K): each zmm holds two
// adjacent 32-byte chunks of one 8-row group, so the unpacked weights of a block take half the
// registers and a token meets them in half the vpdpbusd. The two halves want different
// activation dwords: one broadcast of the token's 32 bytes and one vpermd per chunk pair place
// them, shared by the groups of a tile. The halves of each integer sum are folded once per block
// (after the row scales where a K-quant has them), so block sums and float results are exactly
// the VNNI kernels' (quant_vnni_gemm.cpp), except Q4_0's, folded once per tile (see there). Decode (1-3 tokens) stays on the VNNI kernels: a
// 512-bit variant was measured there and not kept (docs/decisions.md #9), the weight stream and
// not the instruction count limits it. Q6_K's 6-bit unpack shrinks too: 16-bit variable shifts
// give both halves their different moves.
//
// Measured on the 2026-12-02 AMD Zen 5 VM, where pp512 of the 1B shape with the 256-bit tiles
// was 1.07x llama.cpp for Q4_0 (1.64x / 1.80x for Q4_K_M / Q8_0, bench/compare.sh).
#include "quant/quant_zmm_gemm.h"

#if defined(__x86_64__) || defined(__i386__)

#include <algorithm>
#include <cstring>
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
// (8 * sum(y), ysum8) starts the low chain's low half. Both halves of a zmm hold the same 8 rows
// and one block has one scale per row, so the halves are scaled and accumulated as 16 floats and
// folded once per tile, not once per block (2 of the ~10 operations per group, token and block;
// float sums differ from the VNNI tiles' in the last bits).
template <int T, int G>
UMA_TARGET_ZMM void q4_0_tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t* ysum8,
                              const float* dy) {
  const BlockQ4_0x8* w[G];
  x8::group_ptrs(g, grp, w);
  const BlockQ8_0* a[T];
  x8::act_ptrs(g, t0, a);
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  __m512 acc[G][T];
  for (int r = 0; r < G; ++r)
    for (int j = 0; j < T; ++j) acc[r][j] = _mm512_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    __m512i lo01[G], lo23[G], hi01[G], hi23[G];
    __m512 dw[G];
    for (int r = 0; r < G; ++r) {
      const BlockQ4_0x8& x = w[r][b];
      const __m512i raw0 = load512(x.qs), raw1 = load512(x.qs + 64);
      lo01[r] = _mm512_and_si512(raw0, m4);
      lo23[r] = _mm512_and_si512(raw1, m4);
      hi01[r] = _mm512_and_si512(_mm512_srli_epi16(raw0, 4), m4);
      hi23[r] = _mm512_and_si512(_mm512_srli_epi16(raw1, 4), m4);
      dw[r] = _mm512_cvtph_ps(_mm256_broadcastsi128_si256(load128(x.d)));  // the 8 row scales, twice
    }
    for (int j = 0; j < T; ++j) {
      const __m512i y = _mm512_broadcast_i64x4(load256(a[j][b].qs));
      const __m512i y01 = pair<0, 1>(y), y23 = pair<2, 3>(y), y45 = pair<4, 5>(y), y67 = pair<6, 7>(y);
      const __m512i off = _mm512_maskz_set1_epi32(0x00FF, -ysum8[(t0 + j) * nb + b]);
      const __m512 dyv = _mm512_set1_ps(dy[(t0 + j) * nb + b]);
      for (int r = 0; r < G; ++r) {
        const __m512i sl = dp(dp(off, lo01[r], y01), lo23[r], y23);
        const __m512i sh = dp(dp(_mm512_setzero_si512(), hi01[r], y45), hi23[r], y67);
        acc[r][j] = _mm512_fmadd_ps(_mm512_mul_ps(dw[r], dyv), _mm512_cvtepi32_ps(_mm512_add_epi32(sl, sh)), acc[r][j]);
      }
    }
  }
  __m256 out[G][T];
  for (int r = 0; r < G; ++r)
    for (int j = 0; j < T; ++j) {  // (the zero-masking extracts: GCC 12's casts draw false -Wuninitialized)
      const __m512d v = _mm512_castps_pd(acc[r][j]);
      out[r][j] = _mm256_add_ps(_mm256_castpd_ps(_mm512_maskz_extractf64x4_pd((__mmask8)0xF, v, 0)),
                                _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd((__mmask8)0xF, v, 1)));
    }
  x8::store_groups(g, grp, t0, out);
}

// Q8_0x8: the weights made unsigned (xor 0x80), chunks 2p, 2p + 1 per zmm against activation
// dwords 2p, 2p + 1, two chains; the 128 * sum(y) offset (ysum128) starts the first chain's low half.
template <int T, int G>
UMA_TARGET_ZMM void q8_0_tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t* ysum128,
                              const float* dy) {
  const BlockQ8_0x8* w[G];
  x8::group_ptrs(g, grp, w);
  const BlockQ8_0* a[T];
  x8::act_ptrs(g, t0, a);
  const __m512i flip = _mm512_set1_epi8((char)0x80);
  __m256 acc[G][T];
  x8::zero_acc(acc);
  for (int64_t b = 0; b < nb; ++b) {
    __m512i u[G][4];
    __m256 dw[G];
    for (int r = 0; r < G; ++r) {
      for (int p = 0; p < 4; ++p) u[r][p] = _mm512_xor_si512(load512(w[r][b].qs + 64 * p), flip);
      dw[r] = _mm256_cvtph_ps(load128(w[r][b].d));
    }
    for (int j = 0; j < T; ++j) {
      const __m512i y = _mm512_broadcast_i64x4(load256(a[j][b].qs));
      const __m512i y01 = pair<0, 1>(y), y23 = pair<2, 3>(y), y45 = pair<4, 5>(y), y67 = pair<6, 7>(y);
      const __m512i off = _mm512_maskz_set1_epi32(0x00FF, -ysum128[(t0 + j) * nb + b]);
      const __m256 dyv = _mm256_set1_ps(dy[(t0 + j) * nb + b]);
      for (int r = 0; r < G; ++r) {
        const __m512i s0 = dp(dp(off, u[r][0], y01), u[r][2], y45);
        const __m512i s1 = dp(dp(_mm512_setzero_si512(), u[r][1], y23), u[r][3], y67);
        const __m256i isum = fold(_mm512_add_epi32(s0, s1));
        acc[r][j] = _mm256_fmadd_ps(_mm256_mul_ps(dw[r], dyv), _mm256_cvtepi32_ps(isum), acc[r][j]);
      }
    }
  }
  x8::store_groups(g, grp, t0, acc);
}

// 8 bytes (one sub-block's row scales) as int32 in both halves.
UMA_TARGET_ZMM inline __m512i scales_u8(const uint8_t* p) {
  int64_t v;
  std::memcpy(&v, p, 8);
  return _mm512_cvtepu8_epi32(_mm_set1_epi64x(v));
}

// Q4_Kx8, T tokens against one group: per 64-element chunk c its 4 zmm of weight bytes give the
// low-nibble sub-block 2c and the high-nibble sub-block 2c + 1 (8 vectors shared by the tokens);
// both halves of a token's chain belong to one sub-block, so the row scales (duplicated into
// both halves) apply before the per-block fold. Mins and scales as in the VNNI kernel.
template <int T>
UMA_TARGET_ZMM void q4_k_tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t* pairs) {
  const BlockQ4_Kx8* w[1];
  x8::group_ptrs(g, grp, w);
  const BlockQ8_K* a[T];
  x8::act_ptrs(g, t0, a);
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  __m256 acc[1][T];
  x8::zero_acc(acc);
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ4_Kx8& x = w[0][b];
    __m512i isum[T];
    for (int j = 0; j < T; ++j) isum[j] = _mm512_setzero_si512();
    for (int c = 0; c < 4; ++c) {
      __m512i lo[4], hi[4];
      for (int k = 0; k < 4; ++k) {
        const __m512i raw = load512(x.qs + 256 * c + 64 * k);
        lo[k] = _mm512_and_si512(raw, m4);
        hi[k] = _mm512_and_si512(_mm512_srli_epi16(raw, 4), m4);
      }
      const __m512i sc_lo = scales_u8(x.scales[2 * c]), sc_hi = scales_u8(x.scales[2 * c + 1]);
      for (int j = 0; j < T; ++j) {
        const int8_t* y = a[j][b].qs + 64 * c;
        const __m512i yl = _mm512_broadcast_i64x4(load256(y)), yh = _mm512_broadcast_i64x4(load256(y + 32));
        __m512i sl = dp(_mm512_setzero_si512(), lo[0], pair<0, 1>(yl));
        __m512i sh = dp(_mm512_setzero_si512(), hi[0], pair<0, 1>(yh));
        sl = dp(sl, lo[1], pair<2, 3>(yl));
        sh = dp(sh, hi[1], pair<2, 3>(yh));
        sl = dp(sl, lo[2], pair<4, 5>(yl));
        sh = dp(sh, hi[2], pair<4, 5>(yh));
        sl = dp(sl, lo[3], pair<6, 7>(yl));
        sh = dp(sh, hi[3], pair<6, 7>(yh));
        isum[j] = _mm512_add_epi32(isum[j], _mm512_add_epi32(_mm512_mullo_epi32(sl, sc_lo), _mm512_mullo_epi32(sh, sc_hi)));
      }
    }
    __m256i s[T];
    for (int j = 0; j < T; ++j) s[j] = fold(isum[j]);
    x8::q4k_x8_finish<T>(x, a, b, nb, t0, pairs, s, acc[0]);
  }
  x8::store_groups(g, grp, t0, acc);
}

UMA_TARGET_ZMM inline __m512i scales_s8(const int8_t* p) {
  int64_t v;
  std::memcpy(&v, p, 8);
  return _mm512_cvtepi8_epi32(_mm_set1_epi64x(v));
}

// Q6_Kx8's unpack (the VNNI kernel's q6k_unpack4) on a zmm: the two ql vectors of chunk pair u
// side by side (L = [l0 | l1]) against the 2-bit plane in both halves; the left moves of the
// high bits differ per half (v0: ha << 4, v2: ha; v1: hb << 2, v3: hb >> 2), so they are
// variable 16-bit shifts by 4 | 0 (hb first moved down by 2: (hb >> 2) << 4 == hb << 2 on the
// bits the select keeps). Out: [v0 | v2] and [v1 | v3].
UMA_TARGET_ZMM inline __m512i nibble_select(__m512i lo_src, __m512i hi_src) {
  return _mm512_ternarylogic_epi32(lo_src, hi_src, _mm512_set1_epi8(0x0F), 0xE4);
}
UMA_TARGET_ZMM inline void q6k_unpack_pair(const BlockQ6_Kx8& x, int p, int u, __m512i& v02, __m512i& v13) {
  const __m512i sh = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_setzero_si256(), 1);
  const __m512i h = _mm512_broadcast_i64x4(load256(x.qh + 32 * (4 * p + u)));
  const __m512i l = load512(x.ql + 32 * (8 * p + 2 * u));
  const __m512i ha = _mm512_and_si512(h, _mm512_set1_epi8(0x33));
  const __m512i hb = _mm512_srli_epi16(_mm512_and_si512(h, _mm512_set1_epi8((char)0xCC)), 2);
  v02 = nibble_select(l, _mm512_sllv_epi16(ha, sh));
  v13 = nibble_select(_mm512_srli_epi16(l, 4), _mm512_sllv_epi16(hb, sh));
}

// Q6_Kx8, T tokens against one group: per quarter p and half hw, sub-block 4p + hw takes
// [v0 | v2] of chunk pairs 2hw and 2hw + 1 (activation dwords 0, 1 and 2, 3 of y = qs + 64p +
// 16hw), sub-block 4p + 2 + hw their [v1 | v3] (dwords 8, 9 and 10, 11); the -32·bsum offsets
// (x8::q8_k_offsets32) start the chains' low halves, the row scales apply before the fold.
template <int T>
UMA_TARGET_ZMM void q6_k_tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t* off) {
  const BlockQ6_Kx8* w[1];
  x8::group_ptrs(g, grp, w);
  const BlockQ8_K* a[T];
  x8::act_ptrs(g, t0, a);
  __m256 acc[1][T];
  x8::zero_acc(acc);
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ6_Kx8& x = w[0][b];
    __m512i isum[T];
    for (int j = 0; j < T; ++j) isum[j] = _mm512_setzero_si512();
    for (int p = 0; p < 4; ++p)
      for (int hw = 0; hw < 2; ++hw) {
        __m512i a02, a13, b02, b13;
        q6k_unpack_pair(x, p, 2 * hw, a02, a13);
        q6k_unpack_pair(x, p, 2 * hw + 1, b02, b13);
        const int slo = 4 * p + hw, shi = 4 * p + 2 + hw;
        const __m512i sclo = scales_s8(x.scales[slo]), schi = scales_s8(x.scales[shi]);
        for (int j = 0; j < T; ++j) {
          // 64 activation bytes from y: dwords 0-3 and 8-11 are used (the read stays inside the
          // BlockQ8_K: qs is followed by bsums).
          const __m512i y = load512(a[j][b].qs + 64 * p + 16 * hw);
          const int32_t* o = off + ((t0 + j) * nb + b) * 16;
          __m512i lo = dp(_mm512_maskz_set1_epi32(0x00FF, o[slo]), a02, pair<0, 1>(y));
          __m512i hi = dp(_mm512_maskz_set1_epi32(0x00FF, o[shi]), a13, pair<8, 9>(y));
          lo = dp(lo, b02, pair<2, 3>(y));
          hi = dp(hi, b13, pair<10, 11>(y));
          isum[j] = _mm512_add_epi32(isum[j], _mm512_add_epi32(_mm512_mullo_epi32(lo, sclo), _mm512_mullo_epi32(hi, schi)));
        }
      }
    const __m256 d = _mm256_cvtph_ps(load128(x.d));
    for (int j = 0; j < T; ++j)
      acc[0][j] = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(a[j][b].d)), _mm256_cvtepi32_ps(fold(isum[j])), acc[0][j]);
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

// Tokens in blocks whose activations stay in L2 while the weights stream by (as x8::drive_x8):
// tiles of kTT tokens x G groups (tile(grp, t, groups)), the last 1-3 tokens of a block to the
// VNNI kernel `rest`.
template <int G, class Tile>
UMA_TARGET_ZMM void drive(const GemmArgs& g, GemmFn rest_fn, Tile tile) {
  const int64_t ng = g.nr / 8;
  for (int64_t tb = 0; tb < g.nt; tb += x8::kTokBlock) {
    const int64_t te = std::min(g.nt, tb + x8::kTokBlock);
    const int64_t t4 = tb + (te - tb) / kTT * kTT;
    int64_t grp = 0;
    if constexpr (G == 2)
      for (; grp + 2 <= ng; grp += 2)
        for (int64_t t = tb; t < t4; t += kTT) tile.template operator()<2>(grp, t);
    for (; grp < ng; ++grp)
      for (int64_t t = tb; t < t4; t += kTT) tile.template operator()<1>(grp, t);
    if (te > t4) {
      GemmArgs rest = g;
      rest.a = g.a + (size_t)t4 * g.a_stride;
      rest.nt = te - t4;
      rest.out = g.out + (size_t)t4 * g.ldo;
      rest_fn(rest);
    }
  }
}

// Q4_0 and Q8_0 weights both meet Q8_0 activations, with a Factor * sum(y) offset per block
// (Q4_0's -8: 8, Q8_0's +128: 128) and the block scales as floats.
template <int32_t Factor, class Tile>
UMA_TARGET_ZMM void gemm_q8_0_act(const GemmArgs& g, GemmFn vnni_fn, Tile tile) {
  static_assert(kQK4_0 == kQK8_0);
  if (g.nt < kTT) return vnni_fn(g);
  const int64_t nb = g.n / kQK8_0;
  thread_local x8::ActSums<int32_t> ysum;
  thread_local x8::ActSums<float> dy;
  const int32_t* ys = ysum.get(g, nb, [&](std::vector<int32_t>& v) { x8::q8_0_block_sums(g, nb, Factor, v); });
  const float* d = dy.get(g, nb, [&](std::vector<float>& v) { q8_0_scales(g, nb, v); });
  drive<2>(g, vnni_fn, [&]<int G>(int64_t grp, int64_t t) { tile.template operator()<G>(grp, t, nb, ys, d); });
}

void gemm_q4_0_x8(const GemmArgs& g) {
  gemm_q8_0_act<8>(g, vnni::gemm_q4_0_x8, [&]<int G>(int64_t grp, int64_t t, int64_t nb, const int32_t* ys, const float* dy) {
    q4_0_tile<kTT, G>(g, grp, t, nb, ys, dy);
  });
}

void gemm_q8_0_x8(const GemmArgs& g) {
  gemm_q8_0_act<128>(g, vnni::gemm_q8_0_x8, [&]<int G>(int64_t grp, int64_t t, int64_t nb, const int32_t* ys, const float* dy) {
    q8_0_tile<kTT, G>(g, grp, t, nb, ys, dy);
  });
}

void gemm_q4_k_x8(const GemmArgs& g) {
  if (g.nt < kTT) return vnni::gemm_q4_k_x8(g);
  const int64_t nb = g.n / kQK_K;
  thread_local x8::ActSums<int32_t> pairs;
  const int32_t* pp = pairs.get(g, nb, [&](std::vector<int32_t>& v) { x8::q8_k_min_pairs(g, nb, v); });
  drive<1>(g, vnni::gemm_q4_k_x8, [&]<int G>(int64_t grp, int64_t t) { q4_k_tile<kTT>(g, grp, t, nb, pp); });
}

void gemm_q6_k_x8(const GemmArgs& g) {
  if (g.nt < kTT) return vnni::gemm_q6_k_x8(g);
  const int64_t nb = g.n / kQK_K;
  thread_local x8::ActSums<int32_t> off;
  const int32_t* op = off.get(g, nb, [&](std::vector<int32_t>& v) { x8::q8_k_offsets32(g, nb, v); });
  drive<1>(g, vnni::gemm_q6_k_x8, [&]<int G>(int64_t grp, int64_t t) { q6_k_tile<kTT>(g, grp, t, nb, op); });
}

}  // namespace uma::quant::zmm

#else  // not x86: never called (cpu_supported() is false)

namespace uma::quant::zmm {
bool cpu_supported() { return false; }
bool cpu_prefers() { return false; }
void gemm_q4_0_x8(const GemmArgs&) {}
void gemm_q4_k_x8(const GemmArgs&) {}
void gemm_q8_0_x8(const GemmArgs&) {}
void gemm_q6_k_x8(const GemmArgs&) {}
}  // namespace uma::quant::zmm

#endif

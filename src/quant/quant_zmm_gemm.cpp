// One-token (decode) kernels for the x8 layouts on 512-bit vectors: each zmm holds two adjacent
// 32-byte chunks of one 8-row group, so a block takes half the loads, masks and vpdpbusd of the
// 256-bit VNNI kernels (quant_vnni_gemm.cpp). The activation dwords the two halves need differ;
// one broadcast of the block's activation bytes and one vpermd per chunk pair place them. The
// two halves of every integer sum are folded once per block (or sub-block, where the row scales
// apply), so the block sums, and from there the float results, are exactly the VNNI kernels'.
// Prefill (4 or more tokens) goes to the VNNI tiles unchanged.
//
// Why a separate variant rather than replacing the 256-bit decode: where a core streams memory
// faster than the 256-bit kernel consumes it (the 2026-12-02 AMD Zen 5 VM: 53 GB/s for 2 cores,
// decode at 0.72 of it with every type, adding a few instructions per block cost 13%), fewer
// instructions per byte is speed; on the Xeon of the same day 512-bit vpdpbusd had one port and
// a kernel like this one was slower (docs/decisions.md #9). repack.cpp picks the order per CPU.
#include "quant/quant_zmm_gemm.h"

#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)

#include "core/f16.h"
#include "quant/quant_vnni_gemm.h"
#include "quant/quant_x8_common.h"
#include "quant/repack.h"

// GCC 12 warns about the undefined upper lanes inside its own 512-bit intrinsic headers
// (_mm512_undefined_epi32); nothing here reads uninitialized data.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define UMA_TARGET_ZMM __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512dq,avx512vnni")))

namespace uma::quant::zmm {

namespace {

using x8::load128;
using x8::load256;
using x8::prefetch_ahead_part;

UMA_TARGET_ZMM inline __m512i load512(const void* p) { return _mm512_loadu_si512(p); }
UMA_TARGET_ZMM inline __m512i dp(__m512i acc, __m512i u8, __m512i s8) { return _mm512_dpbusd_epi32(acc, u8, s8); }
// 32 activation bytes in both halves.
UMA_TARGET_ZMM inline __m512i bcast32(const int8_t* p) { return _mm512_broadcast_i64x4(load256(p)); }
// Dword lo of v in the low half's 8 lanes, dword hi in the high half's.
template <int Lo, int Hi>
UMA_TARGET_ZMM inline __m512i pair(__m512i v) {
  const __m512i idx = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi32(Lo)), _mm256_set1_epi32(Hi), 1);
  return _mm512_permutexvar_epi32(idx, v);
}
// v's value in the low half only (a block offset that the fold must add once).
UMA_TARGET_ZMM inline __m512i low_half(int32_t v) { return _mm512_maskz_set1_epi32(0x00FF, v); }
// The 8 row lanes: low half + high half.
UMA_TARGET_ZMM inline __m256i fold(__m512i v) {
  return _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
}
// 8 bytes (one sub-block's row scales) as int32 in both halves.
UMA_TARGET_ZMM inline __m512i scales_u8(const uint8_t* p) {
  int64_t v;
  std::memcpy(&v, p, 8);
  return _mm512_cvtepu8_epi32(_mm_set1_epi64x(v));
}
UMA_TARGET_ZMM inline __m512i scales_s8(const int8_t* p) {
  int64_t v;
  std::memcpy(&v, p, 8);
  return _mm512_cvtepi8_epi32(_mm_set1_epi64x(v));
}

// Per call: each Q8_0 activation block's scale as a float (one broadcast per block in the kernel
// instead of a half-to-float conversion per group).
inline void q8_0_scales(const GemmArgs& g, int64_t nb, std::vector<float>& out) {
  out.resize((size_t)(g.nt * nb));
  for (int64_t t = 0; t < g.nt; ++t) {
    const auto* a = reinterpret_cast<const BlockQ8_0*>(g.a + (size_t)t * g.a_stride);
    for (int64_t b = 0; b < nb; ++b) out[(size_t)(t * nb + b)] = f16_to_f32(a[b].d);
  }
}

template <int G>
UMA_TARGET_ZMM inline void store_rows(const GemmArgs& g, int64_t grp, int64_t t, const __m256 (&acc)[G]) {
  for (int r = 0; r < G; ++r) _mm256_storeu_ps(g.out + (size_t)t * g.ldo + (size_t)(grp + r) * 8, acc[r]);
}

// Q4_0x8, token t against G groups: chunks 0-1 and 2-3 of a block per zmm, high nibbles in
// place (16x, shifted back per block) as in the VNNI kernel; the -8 offset (ysum8) starts the
// low chain's low half. The activation pairs serve all G groups.
template <int G>
UMA_TARGET_ZMM void q4_0_decode(const GemmArgs& g, int64_t grp, int64_t t, int64_t nb, const int32_t* ysum8,
                                const float* dy) {
  const BlockQ4_0x8* w[G];
  x8::group_ptrs(g, grp, w);
  const auto* a = reinterpret_cast<const BlockQ8_0*>(g.a + (size_t)t * g.a_stride);
  const __m512i m4 = _mm512_set1_epi8(0x0F), m4hi = _mm512_set1_epi8((char)0xF0);
  __m256 acc[G];
  for (int r = 0; r < G; ++r) acc[r] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const __m512i y = bcast32(a[b].qs);
    const __m512i y01 = pair<0, 1>(y), y23 = pair<2, 3>(y), y45 = pair<4, 5>(y), y67 = pair<6, 7>(y);
    const __m512i off = low_half(-ysum8[t * nb + b]);
    const __m256 dyv = _mm256_set1_ps(dy[t * nb + b]);
    for (int r = 0; r < G; ++r) {
      const BlockQ4_0x8& x = w[r][b];
      prefetch_ahead_part<1>(&x, 0);
      const __m512i raw0 = load512(x.qs), raw1 = load512(x.qs + 64);
      __m512i sl = dp(off, _mm512_and_si512(raw0, m4), y01);
      sl = dp(sl, _mm512_and_si512(raw1, m4), y23);
      __m512i sh = dp(_mm512_setzero_si512(), _mm512_and_si512(raw0, m4hi), y45);
      sh = dp(sh, _mm512_and_si512(raw1, m4hi), y67);
      const __m256i isum = fold(_mm512_add_epi32(sl, _mm512_srai_epi32(sh, 4)));
      const __m256 dw = _mm256_cvtph_ps(load128(x.d));
      acc[r] = _mm256_fmadd_ps(_mm256_mul_ps(dw, dyv), _mm256_cvtepi32_ps(isum), acc[r]);
    }
  }
  store_rows(g, grp, t, acc);
}

// Q8_0x8: the weights made unsigned (xor 0x80) and the 128 * sum(y) offset (ysum128) in the
// first chain's low half, as in the VNNI kernel; chunks 2p, 2p + 1 per zmm, two chains.
template <int G>
UMA_TARGET_ZMM void q8_0_decode(const GemmArgs& g, int64_t grp, int64_t t, int64_t nb, const int32_t* ysum128,
                                const float* dy) {
  const BlockQ8_0x8* w[G];
  x8::group_ptrs(g, grp, w);
  const auto* a = reinterpret_cast<const BlockQ8_0*>(g.a + (size_t)t * g.a_stride);
  const __m512i flip = _mm512_set1_epi8((char)0x80);
  __m256 acc[G];
  for (int r = 0; r < G; ++r) acc[r] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    const __m512i y = bcast32(a[b].qs);
    const __m512i y01 = pair<0, 1>(y), y23 = pair<2, 3>(y), y45 = pair<4, 5>(y), y67 = pair<6, 7>(y);
    const __m512i off = low_half(-ysum128[t * nb + b]);
    const __m256 dyv = _mm256_set1_ps(dy[t * nb + b]);
    for (int r = 0; r < G; ++r) {
      const BlockQ8_0x8& x = w[r][b];
      prefetch_ahead_part<1>(&x, 0);
      __m512i s0 = dp(off, _mm512_xor_si512(load512(x.qs), flip), y01);
      __m512i s1 = dp(_mm512_setzero_si512(), _mm512_xor_si512(load512(x.qs + 64), flip), y23);
      s0 = dp(s0, _mm512_xor_si512(load512(x.qs + 128), flip), y45);
      s1 = dp(s1, _mm512_xor_si512(load512(x.qs + 192), flip), y67);
      const __m256i isum = fold(_mm512_add_epi32(s0, s1));
      const __m256 dw = _mm256_cvtph_ps(load128(x.d));
      acc[r] = _mm256_fmadd_ps(_mm256_mul_ps(dw, dyv), _mm256_cvtepi32_ps(isum), acc[r]);
    }
  }
  store_rows(g, grp, t, acc);
}

// Q4_Kx8, one group: per 64-element chunk c, the low-nibble sub-block 2c and the high-nibble
// sub-block 2c + 1 in two chains, 4 zmm of weight each (chunk pairs gg, gg + 1); both halves of
// a chain belong to one sub-block, so its row scales (duplicated into both halves) apply before
// the fold. High nibbles in place (16x, every lane a multiple of 16: the shift is exact).
UMA_TARGET_ZMM void q4_k_decode(const GemmArgs& g, int64_t grp, int64_t t, int64_t nb, const int32_t* pairs) {
  const BlockQ4_Kx8* w[1];
  x8::group_ptrs(g, grp, w);
  const BlockQ8_K* a[1];
  x8::act_ptrs(g, t, a);
  const __m512i m4 = _mm512_set1_epi8(0x0F), m4hi = _mm512_set1_epi8((char)0xF0);
  __m256 acc[1] = {_mm256_setzero_ps()};
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ4_Kx8& x = w[0][b];
    __m512i isum = _mm512_setzero_si512(), isum16 = _mm512_setzero_si512();
    for (int c = 0; c < 4; ++c) {
      prefetch_ahead_part<4>(&x, c);
      const int8_t* y = a[0][b].qs + 64 * c;
      const __m512i ylo = bcast32(y), yhi = bcast32(y + 32);
      const uint8_t* q = x.qs + 256 * c;
      const __m512i r0 = load512(q), r1 = load512(q + 64), r2 = load512(q + 128), r3 = load512(q + 192);
      __m512i lo = dp(_mm512_setzero_si512(), _mm512_and_si512(r0, m4), pair<0, 1>(ylo));
      __m512i hi = dp(_mm512_setzero_si512(), _mm512_and_si512(r0, m4hi), pair<0, 1>(yhi));
      lo = dp(lo, _mm512_and_si512(r1, m4), pair<2, 3>(ylo));
      hi = dp(hi, _mm512_and_si512(r1, m4hi), pair<2, 3>(yhi));
      lo = dp(lo, _mm512_and_si512(r2, m4), pair<4, 5>(ylo));
      hi = dp(hi, _mm512_and_si512(r2, m4hi), pair<4, 5>(yhi));
      lo = dp(lo, _mm512_and_si512(r3, m4), pair<6, 7>(ylo));
      hi = dp(hi, _mm512_and_si512(r3, m4hi), pair<6, 7>(yhi));
      isum = _mm512_add_epi32(isum, _mm512_mullo_epi32(lo, scales_u8(x.scales[2 * c])));
      isum16 = _mm512_add_epi32(isum16, _mm512_mullo_epi32(hi, scales_u8(x.scales[2 * c + 1])));
    }
    const __m256i s[1] = {fold(_mm512_add_epi32(isum, _mm512_srai_epi32(isum16, 4)))};
    x8::q4k_x8_finish<1>(x, a, b, nb, t, pairs, s, acc);
  }
  store_rows(g, grp, t, acc);
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

// Q6_Kx8, one group: per quarter p and half hw, sub-block 4p + hw takes [v0 | v2] of chunk pairs
// 2hw and 2hw + 1 (activation dwords 0, 1 and 2, 3 of y = qs + 64p + 16hw), sub-block 4p + 2 + hw
// their [v1 | v3] (dwords 8, 9 and 10, 11); the -32·bsum offsets start the chains' low halves.
UMA_TARGET_ZMM void q6_k_decode(const GemmArgs& g, int64_t grp, int64_t t, int64_t nb, const int32_t* off) {
  const BlockQ6_Kx8* w[1];
  x8::group_ptrs(g, grp, w);
  const BlockQ8_K* a[1];
  x8::act_ptrs(g, t, a);
  __m256 acc[1] = {_mm256_setzero_ps()};
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ6_Kx8& x = w[0][b];
    const int32_t* o = off + (t * nb + b) * 16;
    __m512i isum = _mm512_setzero_si512();
    for (int p = 0; p < 4; ++p)
      for (int hw = 0; hw < 2; ++hw) {
        prefetch_ahead_part<8>(&x, 2 * p + hw);
        __m512i a02, a13, b02, b13;
        q6k_unpack_pair(x, p, 2 * hw, a02, a13);
        q6k_unpack_pair(x, p, 2 * hw + 1, b02, b13);
        // 64 activation bytes from y: dwords 0-3 and 8-11 are used (the read stays inside the
        // BlockQ8_K: qs is followed by bsums).
        const __m512i y = load512(a[0][b].qs + 64 * p + 16 * hw);
        const int slo = 4 * p + hw, shi = 4 * p + 2 + hw;
        __m512i lo = dp(low_half(o[slo]), a02, pair<0, 1>(y));
        __m512i hi = dp(low_half(o[shi]), a13, pair<8, 9>(y));
        lo = dp(lo, b02, pair<2, 3>(y));
        hi = dp(hi, b13, pair<10, 11>(y));
        isum = _mm512_add_epi32(isum, _mm512_add_epi32(_mm512_mullo_epi32(lo, scales_s8(x.scales[slo])),
                                                       _mm512_mullo_epi32(hi, scales_s8(x.scales[shi]))));
      }
    const __m256 d = _mm256_cvtph_ps(load128(x.d));
    acc[0] = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(a[0][b].d)), _mm256_cvtepi32_ps(fold(isum)), acc[0]);
  }
  store_rows(g, grp, t, acc);
}

// 4 or more tokens: the VNNI tiles. Fewer: each token against every group, G at a time.
template <class K>
UMA_TARGET_ZMM void decode_groups(const GemmArgs& g, int groups, K kernel) {
  const int64_t ng = g.nr / 8;
  for (int64_t t = 0; t < g.nt; ++t) {
    int64_t grp = 0;
    if (groups == 2)
      for (; grp + 2 <= ng; grp += 2) kernel.template operator()<2>(grp, t);
    for (; grp < ng; ++grp) kernel.template operator()<1>(grp, t);
  }
}

constexpr int64_t kMinPrefillTokens = 4;  // the VNNI drive's token tile
const int kQ4_0Groups = getenv("UMA_ZG") ? atoi(getenv("UMA_ZG")) : 2;
const int kQ8_0Groups = kQ4_0Groups;

}  // namespace

bool cpu_supported() {
  static const bool ok = vnni::cpu_supported() && __builtin_cpu_supports("avx512dq");
  return ok;
}

bool cpu_prefers() {
  // Measured faster on AMD Zen 5 (family 26), slower on the Intel Xeon with one 512-bit
  // vpdpbusd port (decisions.md #9). Other AMD families with AVX-512 (Zen 4) are unmeasured.
  static const bool amd = __builtin_cpu_is("amd");
  return cpu_supported() && amd;
}

void gemm_q4_0_x8(const GemmArgs& g) {
  if (g.nt >= kMinPrefillTokens) return vnni::gemm_q4_0_x8(g);
  const int64_t nb = g.n / kQK4_0;
  thread_local std::vector<int32_t> ysum8;
  thread_local std::vector<float> dy;
  x8::q8_0_block_sums(g, nb, 8, ysum8);
  q8_0_scales(g, nb, dy);
  decode_groups(g, kQ4_0Groups, [&]<int G>(int64_t grp, int64_t t) { q4_0_decode<G>(g, grp, t, nb, ysum8.data(), dy.data()); });
}

void gemm_q8_0_x8(const GemmArgs& g) {
  if (g.nt >= kMinPrefillTokens) return vnni::gemm_q8_0_x8(g);
  const int64_t nb = g.n / kQK8_0;
  thread_local std::vector<int32_t> ysum128;
  thread_local std::vector<float> dy;
  x8::q8_0_block_sums(g, nb, 128, ysum128);
  q8_0_scales(g, nb, dy);
  decode_groups(g, kQ8_0Groups, [&]<int G>(int64_t grp, int64_t t) { q8_0_decode<G>(g, grp, t, nb, ysum128.data(), dy.data()); });
}

void gemm_q4_k_x8(const GemmArgs& g) {
  if (g.nt >= kMinPrefillTokens) return vnni::gemm_q4_k_x8(g);
  const int64_t nb = g.n / kQK_K;
  thread_local std::vector<int32_t> pairs;
  x8::q8_k_min_pairs(g, nb, pairs);
  decode_groups(g, 1, [&]<int G>(int64_t grp, int64_t t) { q4_k_decode(g, grp, t, nb, pairs.data()); });
}

void gemm_q6_k_x8(const GemmArgs& g) {
  if (g.nt >= kMinPrefillTokens) return vnni::gemm_q6_k_x8(g);
  const int64_t nb = g.n / kQK_K;
  thread_local std::vector<int32_t> off;
  x8::q8_k_offsets32(g, nb, off);
  decode_groups(g, 1, [&]<int G>(int64_t grp, int64_t t) { q6_k_decode(g, grp, t, nb, off.data()); });
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

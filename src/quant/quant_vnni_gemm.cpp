// AVX-512 VNNI kernels for the x8 layouts (repack.h), on 256-bit vectors (AVX-512VL): vpdpbusd
// multiplies 8 rows x 4 unsigned weight bytes by a broadcast group of 4 signed activation bytes
// and adds the four products into each row's int32 lane, one instruction where AVX2 needs
// maddubs, int16 adds and a madd. The layouts and the integer block sums are the AVX2 kernels'
// (quant_avx2_gemm.cpp), so results are the same up to float summation order; what changes is
// the instruction count per weight byte. Prefill tiles are bound by it; decode only where a core,
// not memory, is the limit (docs/decisions.md #9: halving it again with 512-bit vectors did not
// speed decode up on the 2026-12-02 Xeon, so those kernels were not kept). Q6_K's 6-bit unpack,
// most of its work on AVX2, shrinks here too: vpternlogd merges the nibble and the 2-bit plane.
#include "quant/quant_vnni_gemm.h"

#if defined(__x86_64__) || defined(__i386__)

#include "quant/quant_avx2.h"
#include "quant/quant_x8_common.h"
#include "quant/repack.h"

#define UMA_TARGET_VNNI __attribute__((target("avx2,fma,f16c,avx512f,avx512vl,avx512bw,avx512vnni")))

namespace uma::quant::vnni {

namespace {

using x8::bcast4;
using x8::load128;
using x8::load256;
using x8::load256_reg;
using x8::prefetch_ahead_part;

UMA_TARGET_VNNI inline __m256i dp(__m256i acc, __m256i u8, __m256i s8) { return _mm256_dpbusd_epi32(acc, u8, s8); }

// Q4_0x8: nibbles unsigned, the -8 offset leaves as 8 * sum(y) per activation block (ysum8). One
// token: the high nibbles are taken in place (raw & 0xF0 = 16 x nibble, still a byte), so their
// sum comes out 16 times too large and is shifted back exactly once per block; token tiles shift
// the nibbles down instead (done once for T tokens).
template <int T, int G>
UMA_TARGET_VNNI inline void q4_0_x8_tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t* ysum8) {
  const BlockQ4_0x8* w[G];
  x8::group_ptrs(g, grp, w);
  const BlockQ8_0* a[T];
  x8::act_ptrs(g, t0, a);
  const __m256i m4 = _mm256_set1_epi8(0x0F), m4hi = _mm256_set1_epi8((char)0xF0);
  __m256 acc[G][T];
  x8::zero_acc(acc);
  for (int64_t b = 0; b < nb; ++b) {
    for (int r = 0; r < G; ++r) {
      const BlockQ4_0x8& x = w[r][b];
      if constexpr (T == 1) prefetch_ahead_part<1>(&x, 0);
      const __m256 dw = _mm256_cvtph_ps(load128(x.d));
      __m256i lo[4], hi[4];
      for (int k = 0; k < 4; ++k) {
        const __m256i raw = load256_reg(x.qs + 32 * k);
        lo[k] = _mm256_and_si256(raw, m4);
        hi[k] = T == 1 ? _mm256_and_si256(raw, m4hi) : _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
      }
      for (int j = 0; j < T; ++j) {
        const int8_t* y = a[j][b].qs;
        __m256i sl = _mm256_setzero_si256(), sh = _mm256_setzero_si256();
        for (int k = 0; k < 4; ++k) {
          sl = dp(sl, lo[k], bcast4(y + 4 * k));
          sh = dp(sh, hi[k], bcast4(y + 16 + 4 * k));
        }
        if constexpr (T == 1) sh = _mm256_srai_epi32(sh, 4);
        const __m256i isum = _mm256_sub_epi32(_mm256_add_epi32(sl, sh), _mm256_set1_epi32(ysum8[(t0 + j) * nb + b]));
        acc[r][j] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(_cvtsh_ss(a[j][b].d))),
                                    _mm256_cvtepi32_ps(isum), acc[r][j]);
      }
    }
  }
  x8::store_groups(g, grp, t0, acc);
}

// Q8_0x8: the signed weights become unsigned by flipping their top bit (w + 128), and the
// offset leaves as 128 * sum(y) per activation block (ysum128): one xor and one vpdpbusd per
// 32 weight bytes, shared by all tokens of a tile (AVX2: two signs, maddubs, madd, add per token).
template <int T, int G>
UMA_TARGET_VNNI inline void q8_0_x8_tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t* ysum128) {
  const BlockQ8_0x8* w[G];
  x8::group_ptrs(g, grp, w);
  const BlockQ8_0* a[T];
  x8::act_ptrs(g, t0, a);
  const __m256i flip = _mm256_set1_epi8((char)0x80);
  __m256 acc[G][T];
  x8::zero_acc(acc);
  for (int64_t b = 0; b < nb; ++b) {
    for (int r = 0; r < G; ++r) {
      const BlockQ8_0x8& x = w[r][b];
      if constexpr (T == 1) prefetch_ahead_part<1>(&x, 0);
      __m256i s0[T], s1[T];  // two chains per token
      for (int j = 0; j < T; ++j) s0[j] = s1[j] = _mm256_setzero_si256();
      for (int k = 0; k < 8; k += 2) {
        const __m256i u0 = _mm256_xor_si256(load256(x.qs + 32 * k), flip);
        const __m256i u1 = _mm256_xor_si256(load256(x.qs + 32 * k + 32), flip);
        for (int j = 0; j < T; ++j) {
          s0[j] = dp(s0[j], u0, bcast4(a[j][b].qs + 4 * k));
          s1[j] = dp(s1[j], u1, bcast4(a[j][b].qs + 4 * k + 4));
        }
      }
      const __m256 dw = _mm256_cvtph_ps(load128(x.d));
      for (int j = 0; j < T; ++j) {
        const __m256i isum = _mm256_sub_epi32(_mm256_add_epi32(s0[j], s1[j]), _mm256_set1_epi32(ysum128[(t0 + j) * nb + b]));
        acc[r][j] = _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(_cvtsh_ss(a[j][b].d))),
                                    _mm256_cvtepi32_ps(isum), acc[r][j]);
      }
    }
  }
  x8::store_groups(g, grp, t0, acc);
}

// Sub-block sb's 8 unsigned row scales as int32 lanes.
UMA_TARGET_VNNI inline __m256i q4k_scales32(const BlockQ4_Kx8& x, int sb) {
  return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(x.scales[sb])));
}

// Q4_Kx8: each 32-element sub-block's dot product comes out of vpdpbusd in int32 (it overflows
// int16 here, so the AVX2 trick of summing in int16 and meeting the scales in a madd does not
// apply) and meets the row scales in one vpmulld. One token: high nibbles in place (16x, as in
// Q4_0; |sum| <= 8 * 32 * 240 * 128 * 63 < 2^31), kept in their own accumulator and shifted back
// per block. Mins as in the AVX2 kernel (madd against the activation's sub-block pair sums).
template <int T, int G>
UMA_TARGET_VNNI inline void q4_k_x8_tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t* pairs) {
  const BlockQ4_Kx8* w[G];
  x8::group_ptrs(g, grp, w);
  const BlockQ8_K* a[T];
  x8::act_ptrs(g, t0, a);
  const __m256i m4 = _mm256_set1_epi8(0x0F), m4hi = _mm256_set1_epi8((char)0xF0);
  __m256 acc[G][T];
  x8::zero_acc(acc);
  for (int64_t b = 0; b < nb; ++b) {
    for (int r = 0; r < G; ++r) {
      const BlockQ4_Kx8& x = w[r][b];
      __m256i isum[T];
      for (int j = 0; j < T; ++j) isum[j] = _mm256_setzero_si256();
      if constexpr (T == 1) {
        __m256i isum16 = _mm256_setzero_si256();  // the high sub-blocks, 16x
        for (int c = 0; c < 4; ++c) {
          prefetch_ahead_part<4>(&x, c);
          __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
          const int8_t* y = a[0][b].qs + 64 * c;
          for (int gg = 0; gg < 8; ++gg) {
            const __m256i raw = load256_reg(x.qs + 32 * (8 * c + gg));
            lo = dp(lo, _mm256_and_si256(raw, m4), bcast4(y + 4 * gg));
            hi = dp(hi, _mm256_and_si256(raw, m4hi), bcast4(y + 32 + 4 * gg));
          }
          isum[0] = _mm256_add_epi32(isum[0], _mm256_mullo_epi32(lo, q4k_scales32(x, 2 * c)));
          isum16 = _mm256_add_epi32(isum16, _mm256_mullo_epi32(hi, q4k_scales32(x, 2 * c + 1)));
        }
        isum[0] = _mm256_add_epi32(isum[0], _mm256_srai_epi32(isum16, 4));
      } else {
        for (int sb = 0; sb < 8; ++sb) {
          const int c = sb / 2, hi = sb % 2;
          __m256i s32[T];
          for (int j = 0; j < T; ++j) s32[j] = _mm256_setzero_si256();
          for (int gg = 0; gg < 8; ++gg) {
            const __m256i raw = load256(x.qs + 32 * (8 * c + gg));
            const __m256i q = hi ? _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4) : _mm256_and_si256(raw, m4);
            for (int j = 0; j < T; ++j) s32[j] = dp(s32[j], q, bcast4(a[j][b].qs + 32 * sb + 4 * gg));
          }
          const __m256i sc = q4k_scales32(x, sb);
          for (int j = 0; j < T; ++j) isum[j] = _mm256_add_epi32(isum[j], _mm256_mullo_epi32(s32[j], sc));
        }
      }
      x8::q4k_x8_finish<T>(x, a, b, nb, t0, pairs, isum, acc[r]);
    }
  }
  x8::store_groups(g, grp, t0, acc);
}

// Q6_Kx8 (repack.h), unpacked in registers for every token count: the 8 rows x 4 quants of the
// four vectors of nibble chunks 8p + 2u, 8p + 2u + 1, as in the AVX2 q6k_unpack4, in 11 ops
// instead of 17. The 2-bit plane is split once into the fields that move left (bits 0-1 and 4-5
// of each byte, h & 0x33) and those that move right (h & 0xCC); after a 16-bit shift every byte
// then holds its 2 high bits at 4-5 and zeros at 6-7, and one ternlog selects the nibble (bits
// 0-3) from the low plane and bits 4-7 from the high one (what spills across bytes lands in the
// nibble half, which the select discards).
UMA_TARGET_VNNI inline __m256i nibble_select(__m256i lo_src, __m256i hi_src) {
  // bits 0-3 from lo_src, 4-7 from hi_src: (a & c) | (b & ~c), c = 0x0F (imm 0xE4)
  return _mm256_ternarylogic_epi32(lo_src, hi_src, _mm256_set1_epi8(0x0F), 0xE4);
}
UMA_TARGET_VNNI inline void q6k_unpack4(const BlockQ6_Kx8& x, int p, int u, __m256i (&v)[4]) {
  const __m256i h = load256(x.qh + 32 * (4 * p + u));
  const __m256i l0 = load256(x.ql + 32 * (8 * p + 2 * u)), l1 = load256(x.ql + 32 * (8 * p + 2 * u + 1));
  const __m256i ha = _mm256_and_si256(h, _mm256_set1_epi8(0x33)), hb = _mm256_and_si256(h, _mm256_set1_epi8((char)0xCC));
  v[0] = nibble_select(l0, _mm256_slli_epi16(ha, 4));                          // h bits 0-1
  v[1] = nibble_select(_mm256_srli_epi16(l0, 4), _mm256_slli_epi16(hb, 2));    // h bits 2-3
  v[2] = nibble_select(l1, ha);                                                // h bits 4-5
  v[3] = nibble_select(_mm256_srli_epi16(l1, 4), _mm256_srli_epi16(hb, 2));    // h bits 6-7
}

// Sub-block sb's 8 signed row scales as int32 lanes.
UMA_TARGET_VNNI inline __m256i q6k_scales32(const BlockQ6_Kx8& x, int sb) {
  return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(x.scales[sb])));
}

// T tokens against one group. Per quarter p and half hw of it, sub-block 4p + hw takes the
// low-nibble vectors of chunks u = 2hw, 2hw + 1 and sub-block 4p + 2 + hw the high ones (as in
// AVX2's q6_k_x8_decode); each sub-block's sum (|.| <= 16 * 63 * 128 + 32 * 2048) meets its row
// scales in one vpmulld, 16 of them per block stay below 2^31. Integer sums equal the AVX2 ones.
template <int T>
UMA_TARGET_VNNI inline void q6_k_x8_tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t* off) {
  const BlockQ6_Kx8* w[1];
  x8::group_ptrs(g, grp, w);
  const BlockQ8_K* a[T];
  x8::act_ptrs(g, t0, a);
  __m256 acc[1][T];
  x8::zero_acc(acc);
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ6_Kx8& x = w[0][b];
    __m256i isum[T];
    for (int j = 0; j < T; ++j) isum[j] = _mm256_setzero_si256();
    for (int p = 0; p < 4; ++p)
      for (int hw = 0; hw < 2; ++hw) {
        if constexpr (T == 1) prefetch_ahead_part<8>(&x, 2 * p + hw);
        __m256i v0[4], v1[4];
        q6k_unpack4(x, p, 2 * hw, v0);
        q6k_unpack4(x, p, 2 * hw + 1, v1);
        const int slo = 4 * p + hw, shi = 4 * p + 2 + hw;
        const __m256i sclo = q6k_scales32(x, slo), schi = q6k_scales32(x, shi);
        for (int j = 0; j < T; ++j) {
          const int8_t* y = a[j][b].qs + 64 * p + 16 * hw;
          const int32_t* o = off + ((t0 + j) * nb + b) * 16;
          __m256i lo = _mm256_set1_epi32(o[slo]), hi = _mm256_set1_epi32(o[shi]);
          lo = dp(lo, v0[0], bcast4(y));
          hi = dp(hi, v0[1], bcast4(y + 32));
          lo = dp(lo, v0[2], bcast4(y + 4));
          hi = dp(hi, v0[3], bcast4(y + 36));
          lo = dp(lo, v1[0], bcast4(y + 8));
          hi = dp(hi, v1[1], bcast4(y + 40));
          lo = dp(lo, v1[2], bcast4(y + 12));
          hi = dp(hi, v1[3], bcast4(y + 44));
          isum[j] = _mm256_add_epi32(isum[j], _mm256_add_epi32(_mm256_mullo_epi32(lo, sclo), _mm256_mullo_epi32(hi, schi)));
        }
      }
    const __m256 d = _mm256_cvtph_ps(load128(x.d));
    for (int j = 0; j < T; ++j)
      acc[0][j] = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(a[j][b].d)), _mm256_cvtepi32_ps(isum[j]), acc[0][j]);
  }
  x8::store_groups(g, grp, t0, acc);
}

struct Q4_0x8Tiles {
  template <int T, int G>
  UMA_TARGET_VNNI static void tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t* ys) {
    q4_0_x8_tile<T, G>(g, grp, t0, nb, ys);
  }
};
struct Q4_Kx8Tiles {
  template <int T, int G>
  UMA_TARGET_VNNI static void tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t* ys) {
    q4_k_x8_tile<T, G>(g, grp, t0, nb, ys);
  }
};
struct Q8_0x8Tiles {
  template <int T, int G>
  UMA_TARGET_VNNI static void tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t* ys) {
    q8_0_x8_tile<T, G>(g, grp, t0, nb, ys);
  }
};
struct Q6_Kx8Tiles {
  template <int T, int G>
  UMA_TARGET_VNNI static void tile(const GemmArgs& g, int64_t grp, int64_t t0, int64_t nb, const int32_t* off) {
    static_assert(G == 1);
    q6_k_x8_tile<T>(g, grp, t0, nb, off);
  }
};

}  // namespace

bool cpu_supported() {
  static const bool ok = avx2::cpu_supported() && __builtin_cpu_supports("avx512f") &&
                         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512vnni");
  return ok;
}

void gemm_q4_0_x8(const GemmArgs& g) {
  const int64_t nb = g.n / kQK4_0;
  thread_local x8::ActSums<int32_t> ysum8;
  const int32_t* ysum8_p = ysum8.get(g, nb, [&](std::vector<int32_t>& v) { x8::q8_0_block_sums(g, nb, 8, v); });
  x8::drive_x8<Q4_0x8Tiles>(g, nb, ysum8_p);
}

void gemm_q4_k_x8(const GemmArgs& g) {
  const int64_t nb = g.n / kQK_K;
  thread_local x8::ActSums<int32_t> pairs;
  const int32_t* pairs_p = pairs.get(g, nb, [&](std::vector<int32_t>& v) { x8::q8_k_min_pairs(g, nb, v); });
  x8::drive_x8<Q4_Kx8Tiles>(g, nb, pairs_p);
}

void gemm_q6_k_x8(const GemmArgs& g) {
  const int64_t nb = g.n / kQK_K;
  thread_local x8::ActSums<int32_t> off;
  const int32_t* off_p = off.get(g, nb, [&](std::vector<int32_t>& v) { x8::q8_k_offsets32(g, nb, v); });
  x8::drive_x8<Q6_Kx8Tiles>(g, nb, off_p);
}

void gemm_q8_0_x8(const GemmArgs& g) {
  const int64_t nb = g.n / kQK8_0;
  thread_local x8::ActSums<int32_t> ysum128;
  const int32_t* ysum128_p = ysum128.get(g, nb, [&](std::vector<int32_t>& v) { x8::q8_0_block_sums(g, nb, 128, v); });
  x8::drive_x8<Q8_0x8Tiles>(g, nb, ysum128_p);
}

}  // namespace uma::quant::vnni

#else  // not x86: never called (cpu_supported() is false)

namespace uma::quant::vnni {
bool cpu_supported() { return false; }
void gemm_q4_0_x8(const GemmArgs&) {}
void gemm_q4_k_x8(const GemmArgs&) {}
void gemm_q8_0_x8(const GemmArgs&) {}
void gemm_q6_k_x8(const GemmArgs&) {}
}  // namespace uma::quant::vnni

#endif

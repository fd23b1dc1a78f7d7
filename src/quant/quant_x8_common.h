// Internal to src/quant: what the kernels for the x8 layouts (repack.h) share across ISAs
// (quant_avx2_gemm.cpp: AVX2; quant_vnni_gemm.cpp: AVX-512 VNNI on 256-bit vectors): loads and
// broadcasts, the decode prefetch, per-call activation sums, the row-scale shuffles of the K-quant
// layouts, and the loop that walks groups x tokens. Everything here is AVX2; callers compiled
// for a superset ISA inline it.
#pragma once

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/prefetch.h"
#include "quant/blocks.h"
#include "quant/quant_gemm.h"
#include "quant/repack.h"

#define UMA_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace uma::quant::x8 {

constexpr int64_t kTokBlock = 64;  // tokens whose activations stay in L2 while rows stream by

// A tile's operands: the G weight groups from group grp, the T activation rows from token t0.
template <class WB, int G>
inline void group_ptrs(const GemmArgs& g, int64_t grp, const WB* (&w)[G]) {
  for (int r = 0; r < G; ++r) w[r] = reinterpret_cast<const WB*>(g.w + (size_t)(grp + r) * g.w_stride);
}
template <class AB, int T>
inline void act_ptrs(const GemmArgs& g, int64_t t0, const AB* (&a)[T]) {
  for (int j = 0; j < T; ++j) a[j] = reinterpret_cast<const AB*>(g.a + (size_t)(t0 + j) * g.a_stride);
}
template <int G, int T>
UMA_TARGET_AVX2 inline void zero_acc(__m256 (&acc)[G][T]) {
  for (int r = 0; r < G; ++r)
    for (int j = 0; j < T; ++j) acc[r][j] = _mm256_setzero_ps();
}
// Each accumulator holds 8 rows of one token: out[t0 + j][8 (grp + r) ..].
template <int G, int T>
UMA_TARGET_AVX2 inline void store_groups(const GemmArgs& g, int64_t grp, int64_t t0, __m256 (&acc)[G][T]) {
  for (int r = 0; r < G; ++r)
    for (int j = 0; j < T; ++j) _mm256_storeu_ps(g.out + (size_t)(t0 + j) * g.ldo + (size_t)(grp + r) * 8, acc[r][j]);
}

UMA_TARGET_AVX2 inline __m256i load256(const void* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// A weight vector loaded once and kept in a register: with plain loads GCC folds the load into
// each instruction that uses it (`vpand mem, m4` and `vpand mem, m4hi` for one Q4_0 chunk), so
// each 32 weight bytes took two load-port slots. The weights come from L1 the second time, but
// the one-token kernels are load-port bound (weights, broadcast activations, scales).
UMA_TARGET_AVX2 inline __m256i load256_reg(const void* p) {
  __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  asm("" : "+x"(v));
  return v;
}

UMA_TARGET_AVX2 inline __m128i load128(const void* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// Decode streams each weight group once and does little work per byte; the hardware prefetcher
// alone left one thread waiting on memory (bench_matmul: Q6_Kx8 one thread 9.9 GMAC/s streaming
// vs 21.8 in cache). So the one-token kernels fetch the block about kPrefetchBytes ahead in the
// same group, every line of it. Small blocks fetch the whole block as they start it
// (prefetch_ahead_part<1>(x, 0)); large ones spread it: step `part` of `Parts` fetches its share
// of the block's lines, one step per stretch of work, so the misses do not arrive as one burst.
// Each line is fetched once: a step takes the lines that start inside its share of the block's
// bytes (blocks of 144 or 272 bytes straddle lines, and fetching every line a block touches
// issued a third more prefetches than lines). The hint is T1 (into L2, not L1): on the 2-core
// Xeon of 2026-12-02, 1B Q4_K_M tg128 T0 30.10 / 24.39 / 29.88 vs T1 30.65 / 25.12 / 31.12 t/s in
// three alternating rounds (Q4_0 even: 30.73 / 29.86 / 31.07 vs 30.30 / 29.71 / 31.25); NTA lost
// a quarter (22.0 vs 29.9), distances of 1.5-9 KiB were within the noise, no prefetch 19.8.
// 8 KiB rather than 3 KiB since the 2026-12-03 Zen 5 VM: bench_stream at one thread, kernel /
// plain read, Q4_0 0.90-0.93 -> 0.97-0.98, Q4_K 0.90-0.95 -> 0.93-1.00, Q6_K 0.79-0.87 -> 0.91
// (two threads even); one core's share of the bandwidth is what decode needs when the machine's
// memory is fast. 12-24 KiB were no better, and Q8_0 with two streams lost as it grew.
// Page hints on top (2026-12-04): the step in which the stream reaches a 4 KiB page start also
// fetches the first two lines of the page 8 KiB ahead (core/prefetch.h), as the bandwidth probe's
// read does.
// `bench_stream`, two threads, kernel / read_pg, lines only → lines and page hints: Q4_0 0.77 →
// 0.96, Q4_K 0.71 → 0.95, Q6_K 0.50 / 0.62 → 0.85 / 0.80, Q8_0 0.63 → 0.88 (page hints alone: Q8_0
// 0.94, Q4_0 0.88, Q4_K 0.88, Q6_K 0.33: its ql and qh planes are two streams a block apart).
// docs/decisions.md #10, second addendum. UMA_PREFETCH=lines turns the page hints off.
constexpr size_t kPrefetchBytes = 8192;
static_assert(kPrefetchBytes == kPageHintAhead, "page hints and line prefetches run the same distance ahead");
// always_inline for the reason prefetch_page_head is (GCC 12 deleted the out-of-line calls).
template <int Parts, class B>
UMA_TARGET_AVX2 inline __attribute__((always_inline)) void prefetch_ahead_part(const B* x, int part) {
  constexpr size_t kAhead = (kPrefetchBytes + sizeof(B) - 1) / sizeof(B);
  // (Integer addresses: the block ahead may lie past the end of the matrix; prefetch never faults.)
  const uintptr_t s = reinterpret_cast<uintptr_t>(x) + sizeof(B) * part / Parts;
  const uintptr_t e = reinterpret_cast<uintptr_t>(x) + sizeof(B) * (part + 1) / Parts;
  if (const uintptr_t pg = (s + 4095) & ~uintptr_t{4095}; kPrefetchPageHints && pg < e)
    prefetch_page_head(reinterpret_cast<const void*>(pg));
  const uintptr_t beg = s + kAhead * sizeof(B), end = e + kAhead * sizeof(B);
  for (uintptr_t l = (beg + 63) & ~uintptr_t{63}; l < end; l += 64) _mm_prefetch(reinterpret_cast<const char*>(l), _MM_HINT_T1);
}

UMA_TARGET_AVX2 inline __m256i bcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

// factor * (sum of the 32 quants) of every activation block of tokens [0, nt): the offset of
// weights stored unsigned (Q4_0's nibbles: 8; Q8_0 shifted by 128 for VNNI: 128).
inline void q8_0_block_sums(const GemmArgs& g, int64_t nb, int32_t factor, std::vector<int32_t>& out) {
  out.resize((size_t)(g.nt * nb));
  for (int64_t t = 0; t < g.nt; ++t) {
    const auto* a = reinterpret_cast<const BlockQ8_0*>(g.a + (size_t)t * g.a_stride);
    for (int64_t b = 0; b < nb; ++b) {
      int32_t s = 0;
      for (int k = 0; k < kQK8_0; ++k) s += a[b].qs[k];
      out[(size_t)(t * nb + b)] = factor * s;
    }
  }
}

// Per-activation sums (the helpers above and below) of one thread's last call, kept while
// GemmArgs::act_id says A is unchanged: matmul calls a kernel once per chunk (a decode call has
// 10-30), and each call summed the whole activation again. Small: perf put the sums at ~0.5% of
// 1B Q4_0 decode; bench_stream's 64-row matmul (8 chunks) 7.1-7.5 -> 6.5-6.8 us (docs/decisions.md #11).
template <class V>
struct ActSums {
  uint64_t id = 0;
  const uint8_t* a = nullptr;
  int64_t nt = -1, nb = -1;
  std::vector<V> v;
  template <class F>
  const V* get(const GemmArgs& g, int64_t n_blocks, F&& compute) {
    if (g.act_id == 0 || g.act_id != id || g.a != a || g.nt != nt || n_blocks != nb) {
      compute(v);
      id = g.act_id, a = g.a, nt = g.nt, nb = n_blocks;
    }
    return v.data();
  }
};

// Q4_K's mins meet the activation's 32-element sums two sub-blocks at a time (madd of (m, m')
// pairs): per token, block and pair p < 4 the int16 pair (sum of sub-block 2p, of 2p + 1) as
// one int32, computed once per call instead of once per 8-row group.
inline void q8_k_min_pairs(const GemmArgs& g, int64_t nb, std::vector<int32_t>& out) {
  out.resize((size_t)(g.nt * nb * 4));
  for (int64_t t = 0; t < g.nt; ++t) {
    const auto* a = reinterpret_cast<const BlockQ8_K*>(g.a + (size_t)t * g.a_stride);
    for (int64_t b = 0; b < nb; ++b)
      for (int p = 0; p < 4; ++p) {
        const int16_t* bs = a[b].bsums + 4 * p;
        out[(size_t)((t * nb + b) * 4 + p)] = (int32_t)(uint16_t)(int16_t)(bs[0] + bs[1]) |
                                               (int32_t)((uint32_t)(uint16_t)(int16_t)(bs[2] + bs[3]) << 16);
      }
  }
}

// Per token, block and 16-element sub-block: -32 * the activation's sub-block sum, the offset of
// the unsigned quants (q + 32). Each sub-block's vpdpbusd chain starts from it, so the offset
// costs no instruction in the VNNI and 512-bit kernels (AVX2 spends 8 madds per block on it).
inline void q8_k_offsets32(const GemmArgs& g, int64_t nb, std::vector<int32_t>& out) {
  out.resize((size_t)(g.nt * nb * 16));
  for (int64_t t = 0; t < g.nt; ++t) {
    const auto* a = reinterpret_cast<const BlockQ8_K*>(g.a + (size_t)t * g.a_stride);
    for (int64_t b = 0; b < nb; ++b)
      for (int sb = 0; sb < 16; ++sb) out[(size_t)((t * nb + b) * 16 + sb)] = -32 * a[b].bsums[sb];
  }
}

// The interleaved K-quant layouts keep one byte per row and sub-block ([sub-block][row], repack.h);
// madd wants them as int16 in the 32-bit lane of their row. A 16-byte load broadcast to both
// 128-bit halves holds two sub-blocks, and one pshufb spreads rows 0-3 over the low half and 4-7
// over the high half. RowCtl<i0, i1, i2, i3> gives row r's 32-bit lane the bytes i0 + r ... i3 + r
// (negative: zero).
template <int I0, int I1, int I2, int I3>
struct RowCtl {
  static constexpr int8_t byte(int i, int r) { return i < 0 ? int8_t(-1) : int8_t(i + r); }
  alignas(32) static constexpr int8_t v[32] = {
      byte(I0, 0), byte(I1, 0), byte(I2, 0), byte(I3, 0), byte(I0, 1), byte(I1, 1), byte(I2, 1), byte(I3, 1),
      byte(I0, 2), byte(I1, 2), byte(I2, 2), byte(I3, 2), byte(I0, 3), byte(I1, 3), byte(I2, 3), byte(I3, 3),
      byte(I0, 4), byte(I1, 4), byte(I2, 4), byte(I3, 4), byte(I0, 5), byte(I1, 5), byte(I2, 5), byte(I3, 5),
      byte(I0, 6), byte(I1, 6), byte(I2, 6), byte(I3, 6), byte(I0, 7), byte(I1, 7), byte(I2, 7), byte(I3, 7)};
};
// Unsigned (s, s) of the sub-block at byte offset O, and (s of sub-block 0, s of 1).
template <int O> constexpr const int8_t* kCtlU16Pair = RowCtl<O, -1, O, -1>::v;
constexpr const int8_t* kCtlU16Pairs = RowCtl<0, -1, 8, -1>::v;
// The same in the high bytes, for a signed shift down by 8.
template <int O> constexpr const int8_t* kCtlS16Pair = RowCtl<-1, O, -1, O>::v;
constexpr const int8_t* kCtlS16Pairs = RowCtl<-1, 0, -1, 8>::v;

UMA_TARGET_AVX2 inline __m256i bcast_pair(const void* p) { return _mm256_broadcastsi128_si256(load128(p)); }
UMA_TARGET_AVX2 inline __m256i row_bytes(__m256i two, const int8_t* ctl) {
  return _mm256_shuffle_epi8(two, _mm256_load_si256(reinterpret_cast<const __m256i*>(ctl)));
}

// Q4_Kx8's block epilogue for one group, shared by every ISA's kernel: the mins meet the
// activation's sub-block pair sums (q8_k_min_pairs) in 4 madds of (m, m') pairs, then
// acc[j] += d·dy·isum[j] − dmin·dy·msum[j].
template <int T>
UMA_TARGET_AVX2 inline void q4k_x8_finish(const BlockQ4_Kx8& x, const BlockQ8_K* const (&a)[T], int64_t b, int64_t nb,
                                          int64_t t0, const int32_t* pairs, const __m256i (&isum)[T],
                                          __m256 (&acc)[T]) {
  __m256i msum[T];
  for (int j = 0; j < T; ++j) msum[j] = _mm256_setzero_si256();
  for (int p = 0; p < 4; ++p) {
    const __m256i mm = row_bytes(bcast_pair(x.mins[2 * p]), kCtlU16Pairs);
    for (int j = 0; j < T; ++j)
      msum[j] = _mm256_add_epi32(msum[j], _mm256_madd_epi16(mm, _mm256_set1_epi32(pairs[((t0 + j) * nb + b) * 4 + p])));
  }
  const __m256 d = _mm256_cvtph_ps(load128(x.d)), dmin = _mm256_cvtph_ps(load128(x.dmin));
  for (int j = 0; j < T; ++j) {
    const __m256 dy = _mm256_set1_ps(a[j][b].d);
    acc[j] = _mm256_fmadd_ps(_mm256_mul_ps(d, dy), _mm256_cvtepi32_ps(isum[j]), acc[j]);
    acc[j] = _mm256_fnmadd_ps(_mm256_mul_ps(dmin, dy), _mm256_cvtepi32_ps(msum[j]), acc[j]);
  }
}

// Loops an interleaved kernel over groups of 8 rows x tokens: tokens in blocks of kTokBlock (their
// activations stay cached), each group against tiles of 4 tokens (8 unpacked weight vectors and
// 4 accumulators fill the 16 registers); the last 1-3 tokens (all of decode) one at a time
// against one group at a time: one weight stream per thread. Pairs of groups (two streams 35 KB
// apart) were the Xeon's choice for Q4_0/Q8_0 and lost on Zen 5: bench_stream, kernel / plain
// read of the same bytes in one process, Q8_0 VNNI 1 thread 0.71-0.76 -> 0.90-0.94 and 2 threads
// 0.83-0.92 -> 0.96-1.01; AVX2 Q4_0 1 thread 0.35-0.40 -> 0.97, Q8_0 0.62 -> 0.97.
template <class K>
UMA_TARGET_AVX2 void drive_x8(const GemmArgs& g, int64_t nb, const int32_t* ys) {
  constexpr int kTT = 4;
  const int64_t ng = g.nr / 8;
  for (int64_t tb = 0; tb < g.nt; tb += kTokBlock) {
    const int64_t te = std::min(g.nt, tb + kTokBlock);
    const int64_t t4 = tb + (te - tb) / kTT * kTT;
    if (t4 > tb)
      for (int64_t grp = 0; grp < ng; ++grp) {
        if constexpr (requires { K::begin_group(g, grp, nb); }) K::begin_group(g, grp, nb);
        for (int64_t t = tb; t < t4; t += kTT) K::template tile<kTT, 1>(g, grp, t, nb, ys);
      }
    for (int64_t t = t4; t < te; ++t)
      for (int64_t grp = 0; grp < ng; ++grp) K::template tile<1, 1>(g, grp, t, nb, ys);
  }
}

}  // namespace uma::quant::x8

#endif

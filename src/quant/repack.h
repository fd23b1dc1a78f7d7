// Weights repacked at load into row-interleaved tiles, so one SIMD multiply covers several rows
// and the horizontal sum per row and block disappears (issue 3: "weights repacked at load into
// interleaved row tiles"). Q4_0x8: groups of 8 rows; for each 32-element block position, the 8
// rows' f16 scales, then their nibbles with 4 packed bytes of each row side by side:
//   qs[32 k + 4 r + j] = row r's packed byte 4 k + j   (k < 4, r < 8, j < 4)
// so a 32-byte load k holds, per row r (dword lane r), elements 4k..4k+3 in its low nibbles and
// 16+4k..16+4k+3 in its high ones. Same bytes as the 8 plain rows (8 x 18 = 16 + 128).
// Q4_Kx8: groups of 8 rows; per 256-element super-block the 8 rows' d and dmin, their 6-bit
// sub-block scales and mins unpacked to bytes ([sub-block][row]), and the nibbles interleaved as
// in Q4_0x8: qs[32 g + 4 r + j] = row r's qs[4 g + j] (g < 32), 1184 bytes vs 8 x 144.
// Q8_0x8: the 8 rows' scales, then qs[32 k + 4 r + j] = row r's qs[4 k + j] (k < 8); same bytes.
// Q6_Kx8: same bytes as the 8 plain rows (8 x 210), the 6-bit quants (q + 32, 0..63) split into
// a nibble plane and a 2-bit plane, both interleaved by 4 elements per row. Elements of a super-
// block go in quarters p < 4 of 64; in quarter p, nibble chunk k = 8p + c (c < 8) holds per row r
//   ql[32 k + 4 r + j] = lo4(e) | lo4(e + 32) << 4,   e = 64 p + 4 c + j
// and 2-bit chunk m = 4p + u (u < 4) the high bits of the four vectors of nibble chunks 2u, 2u+1:
//   qh[32 m + 4 r + j] bits 0-1: e = 64p + 8u + j,  2-3: e + 32,  4-5: e + 4,  6-7: e + 36
// so one 32-byte qh load and two ql loads rebuild four vectors of 8 rows x 4 quants with shifts,
// masks and ors (q6_k_x8_value below is the index map). Sub-block scales are int8 [sb][row].
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "quant/blocks.h"
#include "quant/quant_gemm.h"

namespace uma::quant {

struct BlockQ4_0x8 {
  f16_bits d[8];
  uint8_t qs[128];
};
static_assert(sizeof(BlockQ4_0x8) == 8 * sizeof(BlockQ4_0));

inline constexpr int kQ4_0x8Rows = 8;

struct BlockQ4_Kx8 {
  f16_bits d[8];
  f16_bits dmin[8];
  uint8_t scales[8][8];  // [sub-block][row]
  uint8_t mins[8][8];
  uint8_t qs[1024];
};
static_assert(sizeof(BlockQ4_Kx8) == 32 + 128 + 1024);

struct BlockQ8_0x8 {
  f16_bits d[8];
  int8_t qs[256];
};
static_assert(sizeof(BlockQ8_0x8) == 8 * sizeof(BlockQ8_0));

struct BlockQ6_Kx8 {
  f16_bits d[8];
  int8_t scales[16][8];  // [sub-block of 16][row]
  uint8_t ql[1024];
  uint8_t qh[512];
};
static_assert(sizeof(BlockQ6_Kx8) == 8 * sizeof(BlockQ6_K));

// Row r's quant e (0..255) of a Q6_Kx8 block as stored, q + 32 in 0..63 (the layout's definition;
// the repacking and the scalar reference both go through it).
inline int q6_k_x8_value(const BlockQ6_Kx8& x, int r, int e) {
  const int p = e / 64, hi = (e % 64) / 32, c = (e % 32) / 4, j = e % 4;
  const int nib = (x.ql[32 * (8 * p + c) + 4 * r + j] >> (4 * hi)) & 0x0F;
  const int top = (x.qh[32 * (4 * p + c / 2) + 4 * r + j] >> (2 * (2 * (c % 2) + hi))) & 3;
  return nib | top << 4;
}

// Rows per group of the interleaved form of t (8), or 0 when t has none on this CPU.
int interleave_rows(DType t);
// Bytes of one interleaved group of rows of n_in elements.
size_t interleaved_group_bytes(DType t, int64_t n_in);
// Repacks the 8 rows at src (row_bytes apart) into one group at dst; t is Q4_0, Q4_K, Q8_0 or Q6_K.
void repack_rows_x8(DType t, const uint8_t* src, size_t row_bytes, int64_t n_in, uint8_t* dst);


// GemmArgs over x8 weights: w is the group holding row 0 (nr a multiple of 8), w_stride the bytes
// of one 8-row group, activations of the weight type's vec_dot_type. The scalar references
// (integer block sums like vec_dot_ref, so results equal the plain kernels' up to float rounding):
void gemm_q4_0_x8_ref(const GemmArgs& g);  // Q8_0 activations
void gemm_q4_k_x8_ref(const GemmArgs& g);  // Q8_K activations
void gemm_q8_0_x8_ref(const GemmArgs& g);
void gemm_q6_k_x8_ref(const GemmArgs& g);  // Q8_K activations
// Every kernel for interleaved weights of type t that this CPU can run, fastest first, by ISA
// name ("vnni": AVX-512 VNNI on 256-bit vectors, "avx2"); empty when none.
std::vector<std::pair<const char*, GemmFn>> gemm_x8_fns(DType t);
// The first of them (null when none: callers then keep the plain layout); UMA_ISA=avx2 in the
// environment picks the AVX2 one instead, for A/B runs.
GemmFn gemm_x8_fn(DType t);

}  // namespace uma::quant

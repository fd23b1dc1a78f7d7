// GGUF/ggml block layouts, byte for byte: one struct per quantized type, static_assert'ed sizes.
// Reference: ggml/src/ggml-common.h (block_q4_0 ... block_iq4_nl). All multi-byte fields are
// little-endian in files; we only build for little-endian hosts. f16 scales are raw uint16 bits.
#pragma once

#include <cstddef>
#include <cstdint>

namespace uma::quant {

constexpr int kQK4_0 = 32;
constexpr int kQK4_1 = 32;
constexpr int kQK5_0 = 32;
constexpr int kQK5_1 = 32;
constexpr int kQK8_0 = 32;
constexpr int kQK8_1 = 32;
constexpr int kQK4_NL = 32;
constexpr int kQK_K = 256;   // super-block size of the K-quants
constexpr int kKScaleBytes = 12;  // packed 6-bit scales + mins of Q4_K/Q5_K

using f16_bits = uint16_t;   // IEEE half, raw bits
using bf16_bits = uint16_t;  // bfloat16, raw bits

// x[i] = d * (q[i] - 8); q packed two per byte: low nibbles are elements 0..15, high 16..31.
struct BlockQ4_0 {
  f16_bits d;
  uint8_t qs[kQK4_0 / 2];
};
static_assert(sizeof(BlockQ4_0) == 2 + kQK4_0 / 2);

// x[i] = d * q[i] + m; same nibble order as Q4_0.
struct BlockQ4_1 {
  f16_bits d;
  f16_bits m;
  uint8_t qs[kQK4_1 / 2];
};
static_assert(sizeof(BlockQ4_1) == 4 + kQK4_1 / 2);

// x[i] = d * (q[i] - 16); low 4 bits in qs (Q4_0 order), bit 4 of element j in bit j of qh.
struct BlockQ5_0 {
  f16_bits d;
  uint8_t qh[4];
  uint8_t qs[kQK5_0 / 2];
};
static_assert(sizeof(BlockQ5_0) == 2 + 4 + kQK5_0 / 2);

// x[i] = d * q[i] + m; bits as Q5_0.
struct BlockQ5_1 {
  f16_bits d;
  f16_bits m;
  uint8_t qh[4];
  uint8_t qs[kQK5_1 / 2];
};
static_assert(sizeof(BlockQ5_1) == 4 + 4 + kQK5_1 / 2);

// x[i] = d * q[i].
struct BlockQ8_0 {
  f16_bits d;
  int8_t qs[kQK8_0];
};
static_assert(sizeof(BlockQ8_0) == 2 + kQK8_0);

// Activation type for Q4_1/Q5_1: s = d * sum(q) lets the dot product fold in the weight's min.
struct BlockQ8_1 {
  f16_bits d;
  f16_bits s;
  int8_t qs[kQK8_1];
};
static_assert(sizeof(BlockQ8_1) == 4 + kQK8_1);

// 16 sub-blocks of 16: x = d * (scales[j] & 0xF) * q - dmin * (scales[j] >> 4), q in 0..3.
// qs: 2 halves of 128; in each, byte l holds elements l, l+32, l+64, l+96 at bits 0,2,4,6.
struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];
  uint8_t qs[kQK_K / 4];
  f16_bits d;
  f16_bits dmin;
};
static_assert(sizeof(BlockQ2_K) == 2 * 2 + kQK_K / 16 + kQK_K / 4);

// 16 sub-blocks of 16: x = d * (scale6[j] - 32) * (q - 4*!hbit), low 2 bits as Q2_K,
// high bit of element j in hmask[j % 32] bit j / 32. 16 6-bit scales packed in 12 bytes.
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];
  uint8_t qs[kQK_K / 4];
  uint8_t scales[12];
  f16_bits d;
};
static_assert(sizeof(BlockQ3_K) == 2 + kQK_K / 4 + kQK_K / 8 + 12);

// 8 sub-blocks of 32: x = d * sc[j] * q - dmin * m[j], q in 0..15, sc/m 6-bit packed in 12 bytes.
// qs: 4 chunks of 32 bytes; chunk c holds elements 64c..64c+31 (low) and 64c+32.. (high nibble).
struct BlockQ4_K {
  f16_bits d;
  f16_bits dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(BlockQ4_K) == 2 * 2 + kKScaleBytes + kQK_K / 2);

// Q4_K plus a 5th bit: element 64c + l (l < 32) has its high bit in qh[l] bit 2c, 64c+32+l bit 2c+1.
struct BlockQ5_K {
  f16_bits d;
  f16_bits dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(BlockQ5_K) == 2 * 2 + kKScaleBytes + kQK_K / 8 + kQK_K / 2);

// 16 sub-blocks of 16: x = d * scales[j] * (q - 32), q 6 bits: low 4 in ql, high 2 in qh.
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  f16_bits d;
};
static_assert(sizeof(BlockQ6_K) == 2 + kQK_K / 16 + 3 * kQK_K / 4);

// Activation type for the K-quants: float scale, and bsums[j] = sum of qs[16j .. 16j+15].
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};
static_assert(sizeof(BlockQ8_K) == 4 + kQK_K + kQK_K / 16 * 2);

// x[i] = d * kIQ4NLValues[q[i]]; nibble order as Q4_0.
struct BlockIQ4_NL {
  f16_bits d;
  uint8_t qs[kQK4_NL / 2];
};
static_assert(sizeof(BlockIQ4_NL) == 2 + kQK4_NL / 2);

// The non-linear 4-bit grid of IQ4_NL/IQ4_XS (ggml-common.h kvalues_iq4nl), sorted ascending.
inline constexpr int8_t kIQ4NLValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                            1,    13,   25,  38,  53,  69,  89,  113};

}  // namespace uma::quant

// K-quant dequantization and scalar dot products with Q8_K activations. Each super-block is first
// unpacked to integers (quants with their fixed offset applied, per-group scales and mins); then
// dequantize computes (d*sc)*q - dmin*m as ggml's dequantize_row_*, and the dot product computes
// one integer sum per super-block, scaled once, as ggml's scalar ggml_vec_dot_*_q8_K.
#include <cstring>

#include "quant/quant_impl.h"

namespace uma::quant::impl {

namespace {

// One super-block as integers: x[l] = d * sc[g] * q[l] - dmin * m[g] with g = l / group.
struct KUnpacked {
  int8_t q[kQK_K];
  int sc[16];
  int m[16];  // zero for the symmetric types (Q3_K, Q6_K)
  float d;
  float dmin;
};

void unpack_q2_k(const BlockQ2_K& b, KUnpacked* u) {
  for (int j = 0; j < 16; ++j) {
    u->sc[j] = b.scales[j] & 0xF;
    u->m[j] = b.scales[j] >> 4;
  }
  for (int half = 0; half < 2; ++half) {
    for (int shift = 0; shift < 4; ++shift) {
      for (int l = 0; l < 32; ++l) {
        u->q[128 * half + 32 * shift + l] = (int8_t)((b.qs[32 * half + l] >> (2 * shift)) & 3);
      }
    }
  }
  u->d = fp16(b.d);
  u->dmin = fp16(b.dmin);
}

void unpack_q3_k(const BlockQ3_K& b, KUnpacked* u) {
  int8_t sc[16];
  q3_k_scales(b.scales, sc);
  for (int j = 0; j < 16; ++j) {
    u->sc[j] = sc[j];
    u->m[j] = 0;
  }
  for (int half = 0; half < 2; ++half) {
    for (int shift = 0; shift < 4; ++shift) {
      const int e0 = 128 * half + 32 * shift;
      for (int l = 0; l < 32; ++l) {
        const int lo = (b.qs[32 * half + l] >> (2 * shift)) & 3;
        const int hi = (b.hmask[l] >> (e0 / 32)) & 1;
        u->q[e0 + l] = (int8_t)(lo - (hi ? 0 : 4));
      }
    }
  }
  u->d = fp16(b.d);
  u->dmin = 0;
}

// Q4_K and Q5_K share the 6-bit scale/min packing and the nibble layout; Q5_K adds qh.
void unpack_q45_k(const uint8_t* scales, const uint8_t* qs, const uint8_t* qh, f16_bits d,
                  f16_bits dmin, KUnpacked* u) {
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, m;
    k4_scale_min(j, scales, &sc, &m);
    u->sc[j] = sc;
    u->m[j] = m;
  }
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      int lo = qs[32 * c + l] & 0xF;
      int hi = qs[32 * c + l] >> 4;
      if (qh) {
        lo += ((qh[l] >> (2 * c)) & 1) << 4;
        hi += ((qh[l] >> (2 * c + 1)) & 1) << 4;
      }
      u->q[64 * c + l] = (int8_t)lo;
      u->q[64 * c + 32 + l] = (int8_t)hi;
    }
  }
  u->d = fp16(d);
  u->dmin = fp16(dmin);
}

void unpack_q6_k(const BlockQ6_K& b, KUnpacked* u) {
  for (int j = 0; j < 16; ++j) {
    u->sc[j] = b.scales[j];
    u->m[j] = 0;
  }
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = b.ql + 64 * half;
    const uint8_t* qh = b.qh + 32 * half;
    int8_t* q = u->q + 128 * half;
    for (int l = 0; l < 32; ++l) {
      q[l] = (int8_t)(((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
      q[l + 32] = (int8_t)(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
      q[l + 64] = (int8_t)(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
      q[l + 96] = (int8_t)(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
    }
  }
  u->d = fp16(b.d);
  u->dmin = 0;
}

void unpack(const BlockQ2_K& b, KUnpacked* u) { unpack_q2_k(b, u); }
void unpack(const BlockQ3_K& b, KUnpacked* u) { unpack_q3_k(b, u); }
void unpack(const BlockQ4_K& b, KUnpacked* u) {
  unpack_q45_k(b.scales, b.qs, nullptr, b.d, b.dmin, u);
}
void unpack(const BlockQ5_K& b, KUnpacked* u) {
  unpack_q45_k(b.scales, b.qs, b.qh, b.d, b.dmin, u);
}
void unpack(const BlockQ6_K& b, KUnpacked* u) { unpack_q6_k(b, u); }

// Group size (elements per scale) of each K type.
template <typename Block> constexpr int kGroup = 16;
template <> constexpr int kGroup<BlockQ4_K> = 32;
template <> constexpr int kGroup<BlockQ5_K> = 32;

template <typename Block>
void dequantize_k(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const Block*>(src);
  constexpr int G = kGroup<Block>;
  KUnpacked u;
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    unpack(b[i], &u);
    for (int g = 0; g < kQK_K / G; ++g) {
      const float dl = u.d * u.sc[g];
      const float ml = u.dmin * u.m[g];
      for (int l = 0; l < G; ++l) dst[G * g + l] = dl * u.q[G * g + l] - ml;
    }
  }
}

// sum_l x_l * y_l = d*dy * sum_g sc_g * sum_{l in g} q_l * p_l  -  dmin*dy * sum_g m_g * sum p,
// where the activation group sums come precomputed in Q8_K's bsums (per 16).
template <typename Block>
float vec_dot_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const Block*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  constexpr int G = kGroup<Block>;
  KUnpacked u;
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    unpack(x[i], &u);
    int isum = 0, msum = 0;
    for (int g = 0; g < kQK_K / G; ++g) {
      int gsum = 0;
      for (int l = G * g; l < G * (g + 1); ++l) gsum += u.q[l] * y[i].qs[l];
      isum += u.sc[g] * gsum;
      int bsum = 0;
      for (int k = g * G / 16; k < (g + 1) * G / 16; ++k) bsum += y[i].bsums[k];
      msum += u.m[g] * bsum;
    }
    sum += (u.d * y[i].d) * isum - (u.dmin * y[i].d) * msum;
  }
  return sum;
}

}  // namespace

void dequantize_q2_k(const void* src, float* dst, int64_t n) { dequantize_k<BlockQ2_K>(src, dst, n); }
void dequantize_q3_k(const void* src, float* dst, int64_t n) { dequantize_k<BlockQ3_K>(src, dst, n); }
void dequantize_q4_k(const void* src, float* dst, int64_t n) { dequantize_k<BlockQ4_K>(src, dst, n); }
void dequantize_q5_k(const void* src, float* dst, int64_t n) { dequantize_k<BlockQ5_K>(src, dst, n); }
void dequantize_q6_k(const void* src, float* dst, int64_t n) { dequantize_k<BlockQ6_K>(src, dst, n); }

void dequantize_q8_k(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ8_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    for (int j = 0; j < kQK_K; ++j) dst[j] = b[i].d * b[i].qs[j];
  }
}

float vec_dot_q2_k_q8_k(int64_t n, const void* w, const void* a) { return vec_dot_k<BlockQ2_K>(n, w, a); }
float vec_dot_q3_k_q8_k(int64_t n, const void* w, const void* a) { return vec_dot_k<BlockQ3_K>(n, w, a); }
float vec_dot_q4_k_q8_k(int64_t n, const void* w, const void* a) { return vec_dot_k<BlockQ4_K>(n, w, a); }
float vec_dot_q5_k_q8_k(int64_t n, const void* w, const void* a) { return vec_dot_k<BlockQ5_K>(n, w, a); }
float vec_dot_q6_k_q8_k(int64_t n, const void* w, const void* a) { return vec_dot_k<BlockQ6_K>(n, w, a); }

float vec_dot_q8_k_q8_k(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ8_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int isum = 0;
    for (int j = 0; j < kQK_K; ++j) isum += x[i].qs[j] * y[i].qs[j];
    sum += (x[i].d * y[i].d) * isum;
  }
  return sum;
}

}  // namespace uma::quant::impl

// ARM NEON dot products (quant_neon.h). The integer kernels are templates over how 16 int8 x int8
// products reach int32 lanes: `sdot` (Armv8.2 dotprod, compiled under a target attribute) or
// widening vmull + pairwise accumulate (plain Armv8); block sums are exact either way, so both
// match the scalar reference up to float rounding of the per-block scaling.
#include "quant/quant_neon.h"

#if defined(__aarch64__)

#include <arm_neon.h>
#include <sys/auxv.h>

#include <cstring>

#include "core/f16.h"
#include "quant/blocks.h"

#define UMA_TARGET_DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))

namespace uma::quant::neon {

namespace {

// acc + four int32 lanes, each a sum of 4 of the 16 products x[i] * y[i] (lane order differs
// between the two versions; only the total is used).
struct DotPlain {
  static inline int32x4_t dot(int32x4_t acc, int8x16_t x, int8x16_t y) {
    int16x8_t p = vmull_s8(vget_low_s8(x), vget_low_s8(y));
    p = vmlal_s8(p, vget_high_s8(x), vget_high_s8(y));  // |x*y| <= 128*127: two fit in int16
    return vpadalq_s16(acc, p);
  }
};
struct DotSdot {
  UMA_TARGET_DOTPROD static inline int32x4_t dot(int32x4_t acc, int8x16_t x, int8x16_t y) {
    return vdotq_s32(acc, x, y);
  }
};

inline float f16(uint16_t h) { return f16_to_f32(h); }

template <class D>
__attribute__((always_inline)) inline float q8_0_impl(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ8_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  float32x4_t acc = vdupq_n_f32(0);
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    int32x4_t s = D::dot(vdupq_n_s32(0), vld1q_s8(x[i].qs), vld1q_s8(y[i].qs));
    s = D::dot(s, vld1q_s8(x[i].qs + 16), vld1q_s8(y[i].qs + 16));
    acc = vmlaq_n_f32(acc, vcvtq_f32_s32(s), f16(x[i].d) * f16(y[i].d));
  }
  return vaddvq_f32(acc);
}

template <class D>
__attribute__((always_inline)) inline float q4_0_impl(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_0*>(w);
  const auto* y = static_cast<const BlockQ8_0*>(a);
  const uint8x16_t m4 = vdupq_n_u8(0x0F);
  const int8x16_t eight = vdupq_n_s8(8);
  float32x4_t acc = vdupq_n_f32(0);
  for (int64_t i = 0; i < n / kQK4_0; ++i) {
    const uint8x16_t q = vld1q_u8(x[i].qs);
    const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, m4)), eight);  // 0..15
    const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);  // 16..31
    int32x4_t s = D::dot(vdupq_n_s32(0), lo, vld1q_s8(y[i].qs));
    s = D::dot(s, hi, vld1q_s8(y[i].qs + 16));
    acc = vmlaq_n_f32(acc, vcvtq_f32_s32(s), f16(x[i].d) * f16(y[i].d));
  }
  return vaddvq_f32(acc);
}

// Q4_K: 6-bit scales/mins unpacked with 32-bit mask/shift expressions; mins meet pairwise bsums.
template <class D>
__attribute__((always_inline)) inline float q4_k_impl(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ4_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const uint8x16_t m4 = vdupq_n_u8(0x0F);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    uint32_t u[3];
    std::memcpy(u, x[i].scales, 12);
    const uint32_t sm[4] = {u[0] & 0x3f3f3f3f, (u[2] & 0x0f0f0f0f) | ((u[0] >> 2) & 0x30303030),
                            u[1] & 0x3f3f3f3f, ((u[2] >> 4) & 0x0f0f0f0f) | ((u[1] >> 2) & 0x30303030)};
    uint8_t sc[16];  // 8 scales, then 8 mins
    std::memcpy(sc, sm, 16);
    const int16x8_t bs = vpaddq_s16(vld1q_s16(y[i].bsums), vld1q_s16(y[i].bsums + 8));
    const int16x8_t mins = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(sc + 8)));
    const int32x4_t mp = vmlal_s16(vmull_s16(vget_low_s16(mins), vget_low_s16(bs)),
                                   vget_high_s16(mins), vget_high_s16(bs));
    const int32_t msum = vaddvq_s32(mp);
    int32_t isum = 0;
    const int8_t* q8 = y[i].qs;
    for (int c = 0; c < 4; ++c) {
      const uint8x16_t q0 = vld1q_u8(x[i].qs + 32 * c), q1 = vld1q_u8(x[i].qs + 32 * c + 16);
      int32x4_t lo = D::dot(vdupq_n_s32(0), vreinterpretq_s8_u8(vandq_u8(q0, m4)), vld1q_s8(q8));
      lo = D::dot(lo, vreinterpretq_s8_u8(vandq_u8(q1, m4)), vld1q_s8(q8 + 16));
      int32x4_t hi = D::dot(vdupq_n_s32(0), vreinterpretq_s8_u8(vshrq_n_u8(q0, 4)), vld1q_s8(q8 + 32));
      hi = D::dot(hi, vreinterpretq_s8_u8(vshrq_n_u8(q1, 4)), vld1q_s8(q8 + 48));
      isum += vaddvq_s32(lo) * sc[2 * c] + vaddvq_s32(hi) * sc[2 * c + 1];
      q8 += 64;
    }
    sum += f16(x[i].d) * y[i].d * (float)isum - f16(x[i].dmin) * y[i].d * (float)msum;
  }
  return sum;
}

// Q6_K: each 16-lane vector of rebuilt quants (minus 32) is exactly one 16-element scale group.
template <class D>
__attribute__((always_inline)) inline float q6_k_impl(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const BlockQ6_K*>(w);
  const auto* y = static_cast<const BlockQ8_K*>(a);
  const uint8x16_t m4 = vdupq_n_u8(0x0F), m3 = vdupq_n_u8(0x03);
  const int8x16_t off = vdupq_n_s8(32);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int32_t isum = 0;
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = x[i].ql + 64 * half;
      const uint8_t* qh = x[i].qh + 32 * half;
      const int8_t* sc = x[i].scales + 8 * half;
      const int8_t* q8 = y[i].qs + 128 * half;
      for (int l = 0; l < 2; ++l) {  // l-th 16 of the 32 positions
        const uint8x16_t a0 = vld1q_u8(ql + 16 * l), a1 = vld1q_u8(ql + 32 + 16 * l);
        const uint8x16_t h = vld1q_u8(qh + 16 * l);
        const uint8x16_t u[4] = {
            vorrq_u8(vandq_u8(a0, m4), vshlq_n_u8(vandq_u8(h, m3), 4)),
            vorrq_u8(vandq_u8(a1, m4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h, 2), m3), 4)),
            vorrq_u8(vshrq_n_u8(a0, 4), vshlq_n_u8(vandq_u8(vshrq_n_u8(h, 4), m3), 4)),
            vorrq_u8(vshrq_n_u8(a1, 4), vshlq_n_u8(vshrq_n_u8(h, 6), 4))};
        for (int k = 0; k < 4; ++k) {  // elements 32k + 16l .. +15: scale group 2k + l
          const int8x16_t q = vsubq_s8(vreinterpretq_s8_u8(u[k]), off);
          const int32x4_t s = D::dot(vdupq_n_s32(0), q, vld1q_s8(q8 + 32 * k + 16 * l));
          isum += vaddvq_s32(s) * sc[2 * k + l];
        }
      }
    }
    sum += f16(x[i].d) * y[i].d * (float)isum;
  }
  return sum;
}

}  // namespace

float vec_dot_f32(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const float*>(w);
  const auto* y = static_cast<const float*>(a);
  float32x4_t acc[4] = {vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0)};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 4; ++k) acc[k] = vfmaq_f32(acc[k], vld1q_f32(x + i + 4 * k), vld1q_f32(y + i + 4 * k));
  float sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])));
  for (; i < n; ++i) sum += x[i] * y[i];
  return sum;
}

float vec_dot_f16(int64_t n, const void* w, const void* a) {
  const auto* x = static_cast<const uint16_t*>(w);
  const auto* y = static_cast<const uint16_t*>(a);
  float32x4_t acc[4] = {vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0), vdupq_n_f32(0)};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int k = 0; k < 4; ++k) {
      const float32x4_t xv = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(x + i + 4 * k)));
      const float32x4_t yv = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(y + i + 4 * k)));
      acc[k] = vfmaq_f32(acc[k], xv, yv);
    }
  }
  float sum = vaddvq_f32(vaddq_f32(vaddq_f32(acc[0], acc[1]), vaddq_f32(acc[2], acc[3])));
  for (; i < n; ++i) sum += f16(x[i]) * f16(y[i]);
  return sum;
}

float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a) { return q4_0_impl<DotPlain>(n, w, a); }
float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a) { return q8_0_impl<DotPlain>(n, w, a); }
float vec_dot_q4_k_q8_k(int64_t n, const void* w, const void* a) { return q4_k_impl<DotPlain>(n, w, a); }
float vec_dot_q6_k_q8_k(int64_t n, const void* w, const void* a) { return q6_k_impl<DotPlain>(n, w, a); }

UMA_TARGET_DOTPROD float vec_dot_q4_0_q8_0_dot(int64_t n, const void* w, const void* a) {
  return q4_0_impl<DotSdot>(n, w, a);
}
UMA_TARGET_DOTPROD float vec_dot_q8_0_q8_0_dot(int64_t n, const void* w, const void* a) {
  return q8_0_impl<DotSdot>(n, w, a);
}
UMA_TARGET_DOTPROD float vec_dot_q4_k_q8_k_dot(int64_t n, const void* w, const void* a) {
  return q4_k_impl<DotSdot>(n, w, a);
}
UMA_TARGET_DOTPROD float vec_dot_q6_k_q8_k_dot(int64_t n, const void* w, const void* a) {
  return q6_k_impl<DotSdot>(n, w, a);
}

bool cpu_has_dotprod() {
#if defined(HWCAP_ASIMDDP)
  return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#else
  return false;
#endif
}

}  // namespace uma::quant::neon

#endif  // __aarch64__

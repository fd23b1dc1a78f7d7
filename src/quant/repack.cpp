// Q4_0x8 repacking and its scalar reference kernel (see repack.h).
#include "quant/repack.h"

#include <cstring>

#include "core/f16.h"
#include "quant/quant_avx2.h"
#include "quant/quant_avx2_gemm.h"

namespace uma::quant {

void repack_q4_0_x8(const uint8_t* src, size_t row_bytes, int64_t n_in, BlockQ4_0x8* dst) {
  const int64_t nb = n_in / kQK4_0;
  for (int64_t b = 0; b < nb; b++) {
    BlockQ4_0x8& out = dst[b];
    for (int r = 0; r < kQ4_0x8Rows; r++) {
      const BlockQ4_0& in = reinterpret_cast<const BlockQ4_0*>(src + (size_t)r * row_bytes)[b];
      out.d[r] = in.d;
      for (int k = 0; k < 4; k++) std::memcpy(out.qs + 32 * k + 4 * r, in.qs + 4 * k, 4);
    }
  }
}

void gemm_q4_0_x8_ref(const GemmArgs& g) {
  const int64_t nb = g.n / kQK4_0;
  for (int64_t r0 = 0; r0 < g.nr; r0 += kQ4_0x8Rows) {
    const auto* w = reinterpret_cast<const BlockQ4_0x8*>(g.w + (size_t)(r0 / kQ4_0x8Rows) * g.w_stride);
    for (int64_t t = 0; t < g.nt; t++) {
      const auto* a = reinterpret_cast<const BlockQ8_0*>(g.a + (size_t)t * g.a_stride);
      for (int r = 0; r < kQ4_0x8Rows; r++) {
        float sum = 0;
        for (int64_t b = 0; b < nb; b++) {
          int32_t isum = 0;
          for (int k = 0; k < 4; k++)
            for (int j = 0; j < 4; j++) {
              const uint8_t q = w[b].qs[32 * k + 4 * r + j];
              isum += ((q & 0x0F) - 8) * a[b].qs[4 * k + j] + ((q >> 4) - 8) * a[b].qs[16 + 4 * k + j];
            }
          sum += f16_to_f32(w[b].d[r]) * f16_to_f32(a[b].d) * (float)isum;
        }
        g.out[(size_t)t * g.ldo + (size_t)(r0 + r)] = sum;
      }
    }
  }
}

GemmFn gemm_q4_0_x8_fn() {
  static const bool has_avx2 = avx2::cpu_supported();
  return has_avx2 ? avx2::gemm_q4_0_x8 : nullptr;
}

}  // namespace uma::quant

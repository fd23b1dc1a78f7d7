// Internal to kernels/cpu: the constants of the vector exp that ops.cpp (exp8, AVX2) and
// attention_avx512.cpp (exp16) both evaluate, so the two widths cannot drift apart.
// exp(x) = 2^k · e^r with k = round(x · log2 e), r = x − k ln 2 (ln 2 in two parts, |r| <= 0.35),
// and e^r by its Taylor polynomial to r^7 (truncation below 6e-9 relative). Inputs are clamped
// to [kMin, kMax]: below kMin e^x is under FLT_MIN.
#pragma once

namespace uma::kernels::exp_poly {

constexpr float kMin = -87.3f, kMax = 88.7f;
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
// Horner: p = 1/7!, then p = p · r + c for each c in order.
constexpr float kTaylorTop = 1.0f / 5040;
constexpr float kTaylor[] = {1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f};

}  // namespace uma::kernels::exp_poly

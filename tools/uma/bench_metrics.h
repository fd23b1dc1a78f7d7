// uma bench's accounting, kept free of models and timers so unit tests can check it: summary
// statistics over repetitions, bytes read per decoded token (weights + KV cache) and the
// roofline fraction tg × bytes_per_token / bandwidth.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace uma::bench {

struct Summary {
  double median = 0, min = 0, max = 0;
};

// Median (mean of the two middle values for an even count), min and max; zeros when empty.
inline Summary summarize(std::vector<double> xs) {
  Summary s;
  if (xs.empty()) return s;
  std::sort(xs.begin(), xs.end());
  const size_t n = xs.size();
  s.median = n % 2 ? xs[n / 2] : 0.5 * (xs[n / 2 - 1] + xs[n / 2]);
  s.min = xs.front();
  s.max = xs.back();
  return s;
}

struct TensorBytes {
  std::string name;
  uint64_t nbytes = 0;
};

// Weight bytes one decode step reads: every tensor except token_embd.weight, from which only
// one row is gathered — unless the model has no output.weight, in which case the output matmul
// reads the whole (tied) embedding and it counts in full.
inline uint64_t weight_bytes_per_token(const std::vector<TensorBytes>& tensors) {
  bool has_output = false;
  for (const auto& t : tensors) has_output |= t.name == "output.weight";
  uint64_t sum = 0;
  for (const auto& t : tensors)
    if (t.name != "token_embd.weight" || !has_output) sum += t.nbytes;
  return sum;
}

struct KvShape {
  int64_t n_layer = 0;
  int64_t n_embd_k = 0;  // n_head_kv × head_dim_k
  int64_t n_embd_v = 0;  // n_head_kv × head_dim_v
  int64_t elem_bytes = 2;  // f16 cache
};

// KV bytes read to decode a token that attends to `positions` cached positions (itself
// included): K and V rows of every layer.
inline uint64_t kv_bytes_per_token(const KvShape& kv, double positions) {
  return (uint64_t)(positions * (double)kv.n_layer * (double)(kv.n_embd_k + kv.n_embd_v) *
                    (double)kv.elem_bytes);
}

// Positions attended on average by the n tokens of a tg test that starts at depth d: token i
// (0-based) sees d + i + 1 of them.
inline double tg_mean_positions(int64_t depth, int64_t n_gen) {
  return (double)depth + (double)(n_gen + 1) / 2.0;
}

// Fraction of the memory-bandwidth bound reached: tokens/s × bytes/token ÷ bytes/s.
inline double roofline_fraction(double tokens_per_s, double bytes_per_token, double bandwidth) {
  return bandwidth > 0 ? tokens_per_s * bytes_per_token / bandwidth : 0.0;
}

// A tg test measured against the bandwidth around each repetition (probes between them): the
// median of the repetitions' own fractions tps[i] × bytes_per_token ÷ bw[i]. 0 when the two
// lists differ in length or are empty.
inline double repetition_roofline(const std::vector<double>& tps, double bytes_per_token, const std::vector<double>& bw) {
  if (tps.empty() || tps.size() != bw.size()) return 0.0;
  std::vector<double> f;
  for (size_t i = 0; i < tps.size(); i++) f.push_back(roofline_fraction(tps[i], bytes_per_token, bw[i]));
  return summarize(f).median;
}

}  // namespace uma::bench

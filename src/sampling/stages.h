// The individual stages of the sampler chain (penalties, top-k, top-p, min-p, temperature) and
// the softmax they share. Chain::make_default composes them; tests and custom chains use them
// directly. Semantics follow llama.cpp's samplers (src/llama-sampling.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "sampling/sampler.h"

namespace uma::sampling {

struct PenaltyParams {
  int32_t last_n = 64;          // window of recently accepted tokens
  float repeat = 1.0f;          // positive logits are divided by it, negative ones multiplied
  float frequency = 0.0f;       // subtracted once per occurrence in the window
  float presence = 0.0f;        // subtracted once if the token occurs in the window at all
};

// Candidate order used by every truncating stage: higher logit first, lower id first on ties,
// so that which of several equal tokens survive is deterministic.
inline bool higher_logit(const Candidate& a, const Candidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

// Fill `p` with softmax(logit) over `cands`, in place, order unchanged. Robust to infinities:
// if some logits are +inf they share all the mass; if all are -inf the mass is uniform.
// NaN logits must have been replaced by -inf before (Chain::sample does this).
void softmax(std::span<Candidate> cands);

// Penalise tokens seen in the last `last_n` accepted tokens. Expects candidates in id order
// (the state straight from the logits) for O(window) work; any other order falls back to O(n).
std::unique_ptr<Stage> make_penalties(const PenaltyParams& p);
// Keep the k highest logits, sorted by higher_logit. k <= 0 or k >= n: no-op.
std::unique_ptr<Stage> make_top_k(int32_t k);
// Keep the smallest set of highest-probability tokens whose mass reaches p (at least one);
// leaves them sorted by higher_logit, `p` holding the probabilities before the cut (an O(n)
// bucket pass finds the cut, so only the nucleus is sorted). p >= 1: no-op.
std::unique_ptr<Stage> make_top_p(float p);
// Keep tokens whose probability is at least min_p times the largest one; order preserved.
// min_p <= 0: no-op.
std::unique_ptr<Stage> make_min_p(float min_p);
// Divide logits by temp. temp <= 0 keeps only the highest logit (lowest id on ties).
std::unique_ptr<Stage> make_temperature(float temp);

}  // namespace uma::sampling

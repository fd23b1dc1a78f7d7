// Chain: runs the stages over the logits, then takes the argmax (greedy) or a seeded draw from
// the softmax; plus validate() for user-supplied Params and the default chain.
#include "sampling/sampler.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "sampling/stages.h"

namespace uma::sampling {

namespace {

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// A uniform double in [0, 1) from the top 53 bits of one 64-bit draw. std::mt19937_64's output
// is fixed by the standard, whereas std::uniform_real_distribution's mapping is not, so this
// keeps draws bit-identical across standard libraries.
double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

// Highest logit, lowest id on ties; -1 when empty.
int32_t argmax(std::span<const Candidate> cands) {
  int32_t best = -1;
  float best_logit = 0.0f;
  for (const Candidate& c : cands) {
    if (best < 0 || c.logit > best_logit || (c.logit == best_logit && c.id < best)) {
      best = c.id;
      best_logit = c.logit;
    }
  }
  return best;
}

}  // namespace

Status validate(const Params& p) {
  if (!std::isfinite(p.temp) || p.temp < 0.0f)
    return error("sampling: temp must be a finite number >= 0 (got " + fmt(p.temp) + ")");
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f))
    return error("sampling: top_p must be in (0, 1] (got " + fmt(p.top_p) + ")");
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f))
    return error("sampling: min_p must be in [0, 1] (got " + fmt(p.min_p) + ")");
  if (!std::isfinite(p.repeat_penalty) || p.repeat_penalty <= 0.0f)
    return error("sampling: repeat_penalty must be a finite number > 0 (got " +
                 fmt(p.repeat_penalty) + ")");
  if (!std::isfinite(p.frequency_penalty))
    return error("sampling: frequency_penalty must be a finite number (got " +
                 fmt(p.frequency_penalty) + ")");
  if (!std::isfinite(p.presence_penalty))
    return error("sampling: presence_penalty must be a finite number (got " +
                 fmt(p.presence_penalty) + ")");
  if (p.penalty_last_n < 0)
    return error("sampling: penalty_last_n must be >= 0 (got " +
                 std::to_string(p.penalty_last_n) + ")");
  // top_k <= 0 means "off", so every value is valid.
  return Status::ok();
}

std::unique_ptr<Chain> Chain::make_default(const Params& p) {
  const bool greedy = !(p.temp > 0.0f);
  auto chain = std::make_unique<Chain>(p.seed, greedy);
  const bool penalties_on = p.penalty_last_n > 0 &&
                            (p.repeat_penalty != 1.0f || p.frequency_penalty != 0.0f ||
                             p.presence_penalty != 0.0f);
  if (penalties_on) {
    chain->add(make_penalties({.last_n = p.penalty_last_n,
                               .repeat = p.repeat_penalty,
                               .frequency = p.frequency_penalty,
                               .presence = p.presence_penalty}));
  }
  // Greedy takes the argmax of the penalised logits; truncation and temperature cannot change
  // it, so they are left out.
  if (greedy) return chain;
  if (p.top_k > 0) chain->add(make_top_k(p.top_k));
  if (p.top_p < 1.0f) chain->add(make_top_p(p.top_p));
  if (p.min_p > 0.0f) chain->add(make_min_p(p.min_p));
  if (p.temp != 1.0f) chain->add(make_temperature(p.temp));
  return chain;
}

Chain::Chain(uint64_t seed, bool greedy) : rng_(seed), seed_(seed), greedy_(greedy) {}

void Chain::add(std::unique_ptr<Stage> stage) { stages_.push_back(std::move(stage)); }

int32_t Chain::sample(std::span<const float> logits) {
  cands_.resize(logits.size());
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < logits.size(); i++) {
    // NaN would break the strict weak ordering the truncating stages sort by.
    const float l = logits[i];
    cands_[i] = Candidate{static_cast<int32_t>(i), std::isnan(l) ? kNegInf : l, 0.0f};
  }
  for (auto& stage : stages_) stage->apply(cands_);
  if (cands_.empty()) return -1;
  if (greedy_) return argmax(cands_);

  softmax(cands_);
  double total = 0.0;
  for (const Candidate& c : cands_) total += c.p;
  const double target = uniform01(rng_) * total;
  double cum = 0.0;
  int32_t last_possible = -1;
  for (const Candidate& c : cands_) {
    if (c.p <= 0.0f) continue;
    cum += c.p;
    last_possible = c.id;
    if (cum > target) return c.id;
  }
  // Only reachable through rounding in the running sum: the last token with mass.
  return last_possible >= 0 ? last_possible : argmax(cands_);
}

void Chain::accept(int32_t token) {
  for (auto& stage : stages_) stage->accept(token);
}

void Chain::reset() {
  for (auto& stage : stages_) stage->reset();
  rng_.seed(seed_);
}

}  // namespace uma::sampling

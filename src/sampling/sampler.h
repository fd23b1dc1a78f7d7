// Logits -> token: a composable chain of samplers (penalties, top-k, top-p, min-p, temperature,
// then a seeded draw, or greedy) in the accept/apply/reset style of llama.cpp's sampler chain.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <vector>

#include "core/status.h"

namespace uma::sampling {

struct Candidate {
  int32_t id;
  float logit;
  float p;  // filled by stages that normalise
};

// One stage of the chain: edits the candidate list (order, logits, or truncation).
class Stage {
 public:
  virtual ~Stage() = default;
  virtual const char* name() const = 0;
  virtual void apply(std::vector<Candidate>& cands) = 0;
  virtual void accept(int32_t token) {}  // a token was chosen (for history-based stages)
  virtual void reset() {}
};

struct Params {
  float temp = 0.8f;            // <= 0: greedy
  int32_t top_k = 40;           // <= 0: off
  float top_p = 0.95f;          // >= 1: off
  float min_p = 0.05f;          // <= 0: off
  float repeat_penalty = 1.0f;  // 1: off
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  int32_t penalty_last_n = 64;  // window of recent tokens the penalties look at
  uint64_t seed = 0xFFFFFFFFu;  // fixed seed -> reproducible text
};

// Flag values from users are validated here ("top_p must be in (0, 1]" ...).
Status validate(const Params& p);

class Chain {
 public:
  // The standard chain: penalties -> top-k -> top-p -> min-p -> temperature -> draw (or greedy).
  static std::unique_ptr<Chain> make_default(const Params& p);
  explicit Chain(uint64_t seed, bool greedy);

  void add(std::unique_ptr<Stage> stage);
  // Choose a token from raw logits (n_vocab floats). NaN logits count as -inf (never chosen
  // while any other token is possible). Returns -1 only when there is nothing to choose from
  // (empty logits, or a custom stage removed every candidate).
  int32_t sample(std::span<const float> logits);
  void accept(int32_t token);  // record the chosen/prompt token in the history
  void reset();                // clear stage histories and re-seed: the same seed replays

  // The candidates left after the last sample(): ids, final logits and (after a draw) the
  // probabilities the token was drawn from — for logprobs and for tests.
  std::span<const Candidate> candidates() const { return cands_; }
  size_t n_stages() const { return stages_.size(); }
  const Stage& stage(size_t i) const { return *stages_[i]; }

 private:
  std::vector<std::unique_ptr<Stage>> stages_;
  std::vector<Candidate> cands_;
  std::mt19937_64 rng_;
  uint64_t seed_;
  bool greedy_;
};

}  // namespace uma::sampling

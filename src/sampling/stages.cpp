// The sampler stages: penalties, top-k, top-p, min-p, temperature, and the shared softmax.
// Each works in place on the candidate list; none sorts the whole vocabulary unless it must.
#include "sampling/stages.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <limits>
#include <unordered_map>
#include <vector>

namespace uma::sampling {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Repetition, frequency and presence penalties over a sliding window of accepted tokens,
// as in llama.cpp's penalties sampler:
//   logit = logit <= 0 ? logit * repeat : logit / repeat
//   logit -= count * frequency + (count > 0) * presence
class Penalties final : public Stage {
 public:
  explicit Penalties(const PenaltyParams& p) : p_(p) {}
  const char* name() const override { return "penalties"; }

  void accept(int32_t token) override {
    if (p_.last_n <= 0) return;
    window_.push_back(token);
    counts_[token]++;
    if (window_.size() > static_cast<size_t>(p_.last_n)) {
      const int32_t old = window_.front();
      window_.pop_front();
      auto it = counts_.find(old);
      if (--it->second == 0) counts_.erase(it);
    }
  }

  void reset() override {
    window_.clear();
    counts_.clear();
  }

  void apply(std::vector<Candidate>& cands) override {
    if (counts_.empty()) return;
    const int64_t n = static_cast<int64_t>(cands.size());
    // Fast path: straight from the logits, candidate t sits at index t. Any token that is not
    // where the fast path expects it sends us to a full scan (a custom chain order).
    bool direct = true;
    for (const auto& [token, count] : counts_) {
      if (token < 0 || token >= n || cands[token].id != token) {
        direct = false;
        break;
      }
    }
    if (direct) {
      for (const auto& [token, count] : counts_) penalise(cands[token], count);
      return;
    }
    for (Candidate& c : cands) {
      auto it = counts_.find(c.id);
      if (it != counts_.end()) penalise(c, it->second);
    }
  }

 private:
  void penalise(Candidate& c, int32_t count) const {
    c.logit = c.logit <= 0.0f ? c.logit * p_.repeat : c.logit / p_.repeat;
    c.logit -= static_cast<float>(count) * p_.frequency + p_.presence;  // count > 0 here
  }

  PenaltyParams p_;
  std::deque<int32_t> window_;                   // oldest first, at most last_n tokens
  std::unordered_map<int32_t, int32_t> counts_;  // token -> occurrences in window_
};

class TopK final : public Stage {
 public:
  static constexpr int32_t kHeapSelectMaxK = 1024;

  explicit TopK(int32_t k) : k_(k) {}
  const char* name() const override { return "top-k"; }

  void apply(std::vector<Candidate>& cands) override {
    if (k_ <= 0 || static_cast<size_t>(k_) >= cands.size()) return;
    // A small k uses heap selection: one pass in which almost every candidate loses a single
    // comparison with the heap top (about 6x faster than nth_element on a 150k vocab). A large
    // k selects in O(n) and sorts only the survivors. Later stages want them in order.
    if (k_ <= kHeapSelectMaxK) {
      std::partial_sort(cands.begin(), cands.begin() + k_, cands.end(), higher_logit);
    } else {
      std::nth_element(cands.begin(), cands.begin() + (k_ - 1), cands.end(), higher_logit);
      std::sort(cands.begin(), cands.begin() + k_, higher_logit);
    }
    cands.resize(k_);
  }

 private:
  int32_t k_;
};

// Nucleus sampling (Holtzman et al. 2019, "The Curious Case of Neural Text Degeneration").
class TopP final : public Stage {
 public:
  explicit TopP(float p) : p_(p) {}
  const char* name() const override { return "top-p"; }

  void apply(std::vector<Candidate>& cands) override {
    if (!(p_ < 1.0f) || cands.empty()) return;
    softmax(cands);
    size_t lo = 0;  // [0, lo) is certainly kept; the cut lies in [lo, hi)
    size_t hi = cands.size();
    double need = p_;  // mass still missing at lo
    if (!std::is_sorted(cands.begin(), cands.end(), higher_logit) &&
        !bucket_select(cands, lo, hi, need)) {
      std::sort(cands.begin(), cands.end(), higher_logit);
    }
    std::sort(cands.begin() + lo, cands.begin() + hi, higher_logit);
    double cum = 0.0;
    size_t keep = hi;  // rounding can leave the mass a hair under `need`: keep the whole range
    for (size_t i = lo; i < hi; i++) {
      cum += cands[i].p;
      if (cum >= need) {
        keep = i + 1;
        break;
      }
    }
    cands.resize(keep);
    std::sort(cands.begin(), cands.begin() + lo, higher_logit);  // all above [lo, keep)
  }

 private:
  static constexpr int kBuckets = 1024;

  // Narrows the cut without sorting the vocabulary: one pass sums the mass in kBuckets equal
  // logit intervals below the max, a walk finds the bucket where the running mass reaches p,
  // and a partition moves the buckets above it to [0, lo) and that bucket to [lo, hi).
  // Returns false (nothing moved) when the logit range is not finite.
  bool bucket_select(std::vector<Candidate>& cands, size_t& lo, size_t& hi, double& need) {
    float max_logit = -kInf, min_logit = kInf;
    for (const Candidate& c : cands) {
      max_logit = std::max(max_logit, c.logit);
      if (c.logit > -kInf) min_logit = std::min(min_logit, c.logit);
    }
    if (!std::isfinite(max_logit) || !std::isfinite(min_logit)) return false;
    const float range = max_logit - min_logit;
    const float scale = range > 0.0f ? (kBuckets - 1) / range : 0.0f;
    // -inf and anything past the range land in the last bucket; the same expression is used
    // for summing and for partitioning, so both agree on every candidate.
    auto bucket = [&](const Candidate& c) {
      return static_cast<int>(std::min((max_logit - c.logit) * scale, float(kBuckets - 1)));
    };
    mass_.fill(0.0);
    for (const Candidate& c : cands) mass_[bucket(c)] += c.p;
    int cut = 0;
    double above = 0.0;
    while (cut < kBuckets - 1 && above + mass_[cut] < p_) above += mass_[cut++];
    auto mid = std::partition(cands.begin(), cands.end(),
                              [&](const Candidate& c) { return bucket(c) < cut; });
    auto end = std::partition(mid, cands.end(),
                              [&](const Candidate& c) { return bucket(c) == cut; });
    lo = static_cast<size_t>(mid - cands.begin());
    hi = static_cast<size_t>(end - cands.begin());
    need = p_ - above;
    return true;
  }

  float p_;
  std::array<double, kBuckets> mass_{};
};

class MinP final : public Stage {
 public:
  explicit MinP(float min_p) : min_p_(min_p) {}
  const char* name() const override { return "min-p"; }

  void apply(std::vector<Candidate>& cands) override {
    if (!(min_p_ > 0.0f) || cands.empty()) return;
    // p_i >= min_p * p_max  <=>  logit_i - logit_max >= log(min_p): no exponentials needed.
    float max_logit = -kInf;
    for (const Candidate& c : cands) max_logit = std::max(max_logit, c.logit);
    const float threshold = max_logit + std::log(std::min(min_p_, 1.0f));
    // The max always passes (log(min_p) <= 0), so at least one candidate survives.
    std::erase_if(cands, [threshold](const Candidate& c) { return !(c.logit >= threshold); });
  }

 private:
  float min_p_;
};

class Temperature final : public Stage {
 public:
  explicit Temperature(float temp) : temp_(temp) {}
  const char* name() const override { return "temperature"; }

  void apply(std::vector<Candidate>& cands) override {
    if (cands.empty()) return;
    if (!(temp_ > 0.0f)) {
      // The limit temp -> 0: all mass on the best token.
      auto best = std::min_element(cands.begin(), cands.end(), higher_logit);
      const Candidate keep = *best;
      cands.assign(1, keep);
      return;
    }
    if (temp_ == 1.0f) return;
    const float inv = 1.0f / temp_;
    for (Candidate& c : cands) c.logit *= inv;
  }

 private:
  float temp_;
};

}  // namespace

void softmax(std::span<Candidate> cands) {
  if (cands.empty()) return;
  float max_logit = -kInf;
  for (const Candidate& c : cands) max_logit = std::max(max_logit, c.logit);
  if (max_logit == kInf || max_logit == -kInf) {
    // exp(logit - max) is NaN here; take the limits instead.
    size_t n_top = 0;
    for (const Candidate& c : cands) n_top += c.logit == max_logit;
    const float share = 1.0f / static_cast<float>(n_top);
    for (Candidate& c : cands) c.p = c.logit == max_logit ? share : 0.0f;
    return;
  }
  double sum = 0.0;
  for (Candidate& c : cands) {
    c.p = std::exp(c.logit - max_logit);  // in (0, 1], exactly 1 at the max; 0 for -inf
    sum += c.p;
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (Candidate& c : cands) c.p *= inv;
}

std::unique_ptr<Stage> make_penalties(const PenaltyParams& p) {
  return std::make_unique<Penalties>(p);
}
std::unique_ptr<Stage> make_top_k(int32_t k) { return std::make_unique<TopK>(k); }
std::unique_ptr<Stage> make_top_p(float p) { return std::make_unique<TopP>(p); }
std::unique_ptr<Stage> make_min_p(float min_p) { return std::make_unique<MinP>(min_p); }
std::unique_ptr<Stage> make_temperature(float temp) {
  return std::make_unique<Temperature>(temp);
}

}  // namespace uma::sampling

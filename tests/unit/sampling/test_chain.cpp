// The whole chain: greedy, seeded draws that follow the softmax (chi-square on a tiny vocab),
// truncation seen through the draws, reproducibility, validate(), and hostile logits.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "sampling/sampler.h"
#include "sampling/stages.h"

using namespace uma::sampling;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Plain softmax sampling: no truncation, temperature 1, no penalties.
Params plain(uint64_t seed = 7) {
  Params p;
  p.temp = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = seed;
  return p;
}

std::vector<float> logits_for(const std::vector<double>& probs) {
  std::vector<float> l;
  for (double p : probs) l.push_back((float)std::log(p));
  return l;
}

std::vector<int> histogram(Chain& chain, const std::vector<float>& logits, int n_draws) {
  std::vector<int> counts(logits.size(), 0);
  for (int i = 0; i < n_draws; i++) {
    const int32_t t = chain.sample(logits);
    EXPECT_GE(t, 0);
    EXPECT_LT(t, (int32_t)logits.size());
    if (t >= 0 && t < (int32_t)logits.size()) counts[t]++;
  }
  return counts;
}

double chi_square(const std::vector<int>& counts, const std::vector<double>& probs, int n) {
  double chi2 = 0.0;
  for (size_t i = 0; i < counts.size(); i++) {
    const double expected = probs[i] * n;
    chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
  }
  return chi2;
}

std::vector<float> random_logits(std::mt19937& rng, size_t n, float scale = 4.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> l(n);
  for (auto& x : l) x = dist(rng);
  return l;
}

}  // namespace

TEST(Greedy, PicksTheArgmax) {
  Params p = plain();
  p.temp = 0.0f;
  auto chain = Chain::make_default(p);
  EXPECT_EQ(chain->sample(std::vector<float>{0.1f, 0.5f, 3.0f, -1.0f}), 2);
  EXPECT_EQ(chain->sample(std::vector<float>{9.0f, 0.5f, 3.0f, -1.0f}), 0);
  EXPECT_EQ(chain->sample(std::vector<float>{-9.0f, -0.5f, -3.0f, -1.0f}), 1);
}

TEST(Greedy, TiesGoToTheLowestId) {
  Params p = plain();
  p.temp = 0.0f;
  auto chain = Chain::make_default(p);
  EXPECT_EQ(chain->sample(std::vector<float>{1.0f, 3.0f, 2.0f, 3.0f}), 1);
}

TEST(Greedy, SeesThePenalisedLogits) {
  Params p = plain();
  p.temp = 0.0f;
  p.presence_penalty = 2.0f;
  auto chain = Chain::make_default(p);
  const std::vector<float> logits = {0.0f, 3.0f, 2.0f};
  EXPECT_EQ(chain->sample(logits), 1);
  chain->accept(1);
  EXPECT_EQ(chain->sample(logits), 2);  // 3 - 2 < 2
  chain->reset();
  EXPECT_EQ(chain->sample(logits), 1);
}

TEST(Greedy, TopK1EqualsGreedy) {
  std::mt19937 rng(3);
  Params g = plain();
  g.temp = 0.0f;
  auto greedy = Chain::make_default(g);
  for (uint64_t seed = 0; seed < 20; seed++) {
    Params k = plain(seed);
    k.top_k = 1;
    k.temp = 1.5f;
    auto topk1 = Chain::make_default(k);
    for (int i = 0; i < 20; i++) {
      const auto logits = random_logits(rng, 1000);
      EXPECT_EQ(topk1->sample(logits), greedy->sample(logits));
    }
  }
}

TEST(Draw, FollowsTheSoftmax) {
  const std::vector<double> probs = {0.4, 0.3, 0.15, 0.1, 0.05};
  auto chain = Chain::make_default(plain(12345));
  const int n = 200000;
  const auto counts = histogram(*chain, logits_for(probs), n);
  // 4 degrees of freedom: P(chi2 > 18.47) = 0.001. The seed is fixed, so this is deterministic.
  EXPECT_LT(chi_square(counts, probs, n), 18.47);
}

TEST(Draw, TemperatureSharpensAsExpected) {
  // temp 0.5 squares the probabilities (then renormalises).
  const std::vector<double> probs = {0.5, 0.3, 0.2};
  Params p = plain(99);
  p.temp = 0.5f;
  auto chain = Chain::make_default(p);
  double z = 0.0;
  for (double q : probs) z += q * q;
  std::vector<double> sharpened;
  for (double q : probs) sharpened.push_back(q * q / z);
  const int n = 100000;
  const auto counts = histogram(*chain, logits_for(probs), n);
  EXPECT_LT(chi_square(counts, sharpened, n), 13.82);  // 2 dof, p = 0.001
}

TEST(Draw, TemperatureTowardZeroConcentrates) {
  const auto logits = logits_for({0.3, 0.35, 0.2, 0.15});
  int prev_hits = 0;
  for (float temp : {2.0f, 1.0f, 0.5f, 0.1f, 0.01f}) {
    Params p = plain(5);
    p.temp = temp;
    auto chain = Chain::make_default(p);
    const auto counts = histogram(*chain, logits, 5000);
    EXPECT_GT(counts[1], prev_hits) << "temp " << temp;
    prev_hits = counts[1];
  }
  EXPECT_EQ(prev_hits, 5000);  // at 0.01 the 0.35 vs 0.3 gap is e^15: always the argmax
}

TEST(Draw, TopPDrawsOnlyFromTheNucleus) {
  const std::vector<double> probs = {0.5, 0.3, 0.15, 0.05};
  Params p = plain(21);
  p.top_p = 0.75f;  // not 0.8: 0.5f + 0.3f sums to a hair under 0.8f
  auto chain = Chain::make_default(p);
  const int n = 50000;
  const auto counts = histogram(*chain, logits_for(probs), n);
  EXPECT_EQ(counts[2], 0);
  EXPECT_EQ(counts[3], 0);
  EXPECT_LT(chi_square({counts[0], counts[1]}, {0.5 / 0.8, 0.3 / 0.8}, n), 10.83);  // 1 dof
}

TEST(Draw, MinPDrawsOnlyAboveTheThreshold) {
  const std::vector<double> probs = {0.1, 0.5, 0.04, 0.36};
  Params p = plain(22);
  p.min_p = 0.15f;  // keeps p >= 0.075: tokens 0, 1, 3
  auto chain = Chain::make_default(p);
  const int n = 50000;
  const auto counts = histogram(*chain, logits_for(probs), n);
  EXPECT_EQ(counts[2], 0);
  EXPECT_LT(chi_square({counts[0], counts[1], counts[3]}, {0.1 / 0.96, 0.5 / 0.96, 0.36 / 0.96}, n),
            13.82);
}

TEST(Draw, TopKDrawsOnlyFromTheTopK) {
  Params p = plain(23);
  p.top_k = 2;
  auto chain = Chain::make_default(p);
  const auto counts = histogram(*chain, logits_for({0.2, 0.1, 0.3, 0.4}), 20000);
  EXPECT_EQ(counts[0], 0);
  EXPECT_EQ(counts[1], 0);
  EXPECT_GT(counts[2], 0);
  EXPECT_GT(counts[3], counts[2]);
}

TEST(Draw, IsTheInverseCdfOfTheTop53BitsOfMt19937_64) {
  // The documented contract that makes draws bit-stable across standard libraries.
  const std::vector<double> probs = {0.25, 0.25, 0.25, 0.25};
  auto chain = Chain::make_default(plain(2024));
  std::mt19937_64 ref(2024);
  for (int i = 0; i < 1000; i++) {
    const double u = (double)(ref() >> 11) * 0x1.0p-53;
    EXPECT_EQ(chain->sample(logits_for(probs)), (int32_t)(u * 4.0)) << i;
  }
}

TEST(Seed, SameSeedReproducesDifferentSeedsDiffer) {
  auto run = [](uint64_t seed) {
    Params p;  // the defaults: top-k 40, top-p 0.95, min-p 0.05, temp 0.8
    p.seed = seed;
    p.temp = 1.5f;
    p.min_p = 0.0f;
    p.repeat_penalty = 1.1f;
    auto chain = Chain::make_default(p);
    std::mt19937 logits_rng(77);  // same logits sequence for every seed
    std::vector<int32_t> out;
    for (int i = 0; i < 200; i++) {
      const int32_t t = chain->sample(random_logits(logits_rng, 500, 1.0f));
      chain->accept(t);
      out.push_back(t);
    }
    return out;
  };
  const auto a = run(1);
  EXPECT_EQ(a, run(1));
  EXPECT_NE(a, run(2));
  EXPECT_NE(run(2), run(3));
}

TEST(Seed, ResetReplays) {
  auto chain = Chain::make_default(plain(8));
  const auto logits = logits_for({0.25, 0.25, 0.25, 0.25});
  std::vector<int32_t> first, second;
  for (int i = 0; i < 50; i++) first.push_back(chain->sample(logits));
  chain->reset();
  for (int i = 0; i < 50; i++) second.push_back(chain->sample(logits));
  EXPECT_EQ(first, second);
}

TEST(Chain, DefaultSkipsDisabledStages) {
  auto names = [](const Chain& c) {
    std::string s;
    for (size_t i = 0; i < c.n_stages(); i++) s += std::string(i ? "," : "") + c.stage(i).name();
    return s;
  };
  Params p;
  p.repeat_penalty = 1.1f;
  EXPECT_EQ(names(*Chain::make_default(p)), "penalties,top-k,top-p,min-p,temperature");
  p.repeat_penalty = 1.0f;
  EXPECT_EQ(names(*Chain::make_default(p)), "top-k,top-p,min-p,temperature");
  EXPECT_EQ(names(*Chain::make_default(plain())), "");
  p.frequency_penalty = 0.5f;
  p.penalty_last_n = 0;  // an empty window disables the penalties
  p.top_k = 0;
  EXPECT_EQ(names(*Chain::make_default(p)), "top-p,min-p,temperature");
  p.temp = 0.0f;
  p.penalty_last_n = 64;
  EXPECT_EQ(names(*Chain::make_default(p)), "penalties");
}

TEST(Chain, CandidatesExposeTheDrawDistribution) {
  Params p = plain();
  p.top_k = 2;
  auto chain = Chain::make_default(p);
  chain->sample(logits_for({0.1, 0.6, 0.3}));
  const auto c = chain->candidates();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].id, 1);
  EXPECT_EQ(c[1].id, 2);
  EXPECT_NEAR(c[0].p, 0.6 / 0.9, 1e-6);
  EXPECT_NEAR(c[1].p, 0.3 / 0.9, 1e-6);
}

TEST(Hostile, NaNAndInfLogitsDoNotCrash) {
  for (float temp : {0.0f, 0.8f}) {
    Params p;
    p.temp = temp;
    p.repeat_penalty = 1.3f;
    p.frequency_penalty = 0.5f;
    auto chain = Chain::make_default(p);
    chain->accept(0);
    chain->accept(2);
    // NaN is never chosen while a real token exists.
    for (int i = 0; i < 100; i++) {
      const int32_t t = chain->sample(std::vector<float>{kNaN, 1.0f, kNaN, 0.5f});
      EXPECT_TRUE(t == 1 || t == 3) << t;
    }
    // +inf takes all the mass, even through penalties and temperature.
    for (int i = 0; i < 100; i++)
      EXPECT_EQ(chain->sample(std::vector<float>{1.0f, kInf, kNaN, -kInf}), 1);
    // Nothing finite at all: still a valid id.
    for (const auto& l : {std::vector<float>{kNaN, kNaN, kNaN}, std::vector<float>{-kInf, -kInf},
                          std::vector<float>{kInf, kInf, kNaN}, std::vector<float>{kNaN}}) {
      const int32_t t = chain->sample(l);
      EXPECT_GE(t, 0);
      EXPECT_LT(t, (int32_t)l.size());
    }
    EXPECT_EQ(chain->sample(std::vector<float>{}), -1);
  }
}

TEST(Hostile, HugeLogitsDoNotOverflow) {
  Params p = plain(4);
  p.temp = 0.1f;
  auto chain = Chain::make_default(p);
  const std::vector<float> logits = {3e38f, -3e38f, 3e38f};
  for (int i = 0; i < 100; i++) {
    const int32_t t = chain->sample(logits);
    EXPECT_TRUE(t == 0 || t == 2) << t;
  }
}

TEST(Validate, AcceptsTheDefaultsAndEdges) {
  EXPECT_TRUE(validate(Params{}).is_ok());
  Params p;
  p.temp = 0.0f;
  p.top_p = 1.0f;
  p.min_p = 1.0f;
  p.top_k = -1;  // off
  p.penalty_last_n = 0;
  p.frequency_penalty = -2.0f;
  EXPECT_TRUE(validate(p).is_ok()) << validate(p).message();
}

TEST(Validate, RejectsBadValuesWithTheFieldName) {
  struct Case {
    const char* field;
    void (*set)(Params&);
  };
  const Case cases[] = {
      {"temp", [](Params& p) { p.temp = -0.1f; }},
      {"temp", [](Params& p) { p.temp = kNaN; }},
      {"temp", [](Params& p) { p.temp = kInf; }},
      {"top_p", [](Params& p) { p.top_p = 0.0f; }},
      {"top_p", [](Params& p) { p.top_p = 1.01f; }},
      {"top_p", [](Params& p) { p.top_p = kNaN; }},
      {"min_p", [](Params& p) { p.min_p = -0.01f; }},
      {"min_p", [](Params& p) { p.min_p = 1.5f; }},
      {"min_p", [](Params& p) { p.min_p = kNaN; }},
      {"repeat_penalty", [](Params& p) { p.repeat_penalty = 0.0f; }},
      {"repeat_penalty", [](Params& p) { p.repeat_penalty = -1.0f; }},
      {"repeat_penalty", [](Params& p) { p.repeat_penalty = kNaN; }},
      {"frequency_penalty", [](Params& p) { p.frequency_penalty = kNaN; }},
      {"presence_penalty", [](Params& p) { p.presence_penalty = -kInf; }},
      {"penalty_last_n", [](Params& p) { p.penalty_last_n = -1; }},
  };
  for (const Case& c : cases) {
    Params p;
    c.set(p);
    const auto st = validate(p);
    ASSERT_FALSE(st.is_ok()) << c.field;
    EXPECT_NE(st.message().find(c.field), std::string::npos) << st.message();
  }
}

TEST(Speed, A150kVocabSamplesQuickly) {
  // Not a benchmark, a guard: a full sort per token would be ~10x slower than the selection.
  std::mt19937 rng(1);
  const auto logits = random_logits(rng, 150000, 3.0f);
  struct Case {
    const char* what;
    int32_t top_k;
  };
  for (const Case& c : {Case{"top-k 40 + top-p + min-p", 40}, Case{"top-p + min-p only", 0}}) {
    Params p;
    p.top_k = c.top_k;
    p.repeat_penalty = 1.1f;
    auto chain = Chain::make_default(p);
    for (int i = 0; i < 64; i++) chain->accept(i * 37);
    const int n = 50;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; i++) chain->accept(chain->sample(logits));
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
        n;
    std::printf("  %s: %.3f ms/token over a 150k vocab\n", c.what, ms);
    EXPECT_LT(ms, 50.0);  // generous, so it also holds under sanitizers
  }
}

// Sampler stages on their own: softmax, penalties (exact logit changes), top-k, top-p and min-p
// (exact surviving sets, including the chunked partial sort over a large unsorted list),
// temperature.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include "sampling/stages.h"

using namespace uma::sampling;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::vector<Candidate> from_logits(const std::vector<float>& logits) {
  std::vector<Candidate> c;
  for (size_t i = 0; i < logits.size(); i++) c.push_back({(int32_t)i, logits[i], 0.0f});
  return c;
}

std::vector<int32_t> ids(const std::vector<Candidate>& c) {
  std::vector<int32_t> out;
  for (const auto& x : c) out.push_back(x.id);
  return out;
}

std::set<int32_t> id_set(const std::vector<Candidate>& c) {
  std::set<int32_t> out;
  for (const auto& x : c) out.insert(x.id);
  return out;
}

// Logits whose softmax is exactly proportional to `probs`.
std::vector<float> logits_for(const std::vector<float>& probs) {
  std::vector<float> l;
  for (float p : probs) l.push_back(std::log(p));
  return l;
}

}  // namespace

TEST(Softmax, MatchesDefinition) {
  auto c = from_logits({1.0f, 2.0f, 3.0f});
  softmax(c);
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(c[0].p, std::exp(1.0) / z, 1e-6);
  EXPECT_NEAR(c[1].p, std::exp(2.0) / z, 1e-6);
  EXPECT_NEAR(c[2].p, std::exp(3.0) / z, 1e-6);
}

TEST(Softmax, InfinitiesTakeTheLimit) {
  auto c = from_logits({kInf, 1.0f, kInf, -kInf});
  softmax(c);
  EXPECT_FLOAT_EQ(c[0].p, 0.5f);
  EXPECT_FLOAT_EQ(c[1].p, 0.0f);
  EXPECT_FLOAT_EQ(c[2].p, 0.5f);
  EXPECT_FLOAT_EQ(c[3].p, 0.0f);

  auto d = from_logits({-kInf, -kInf});
  softmax(d);
  EXPECT_FLOAT_EQ(d[0].p, 0.5f);
  EXPECT_FLOAT_EQ(d[1].p, 0.5f);

  auto e = from_logits({0.0f, -kInf});
  softmax(e);
  EXPECT_FLOAT_EQ(e[0].p, 1.0f);
  EXPECT_FLOAT_EQ(e[1].p, 0.0f);
}

TEST(Penalties, ChangeLogitsByExactlyTheExpectedAmounts) {
  const PenaltyParams pp{.last_n = 64, .repeat = 1.5f, .frequency = 0.25f, .presence = 0.5f};
  auto stage = make_penalties(pp);
  for (int32_t t : {0, 1, 0, 3, 0}) stage->accept(t);
  const std::vector<float> logits = {2.0f, -2.0f, 1.0f, 0.5f, 3.0f};
  auto c = from_logits(logits);
  stage->apply(c);
  // token 0: positive, count 3 -> divided, minus 3*f + p
  EXPECT_EQ(c[0].logit, 2.0f / 1.5f - (3.0f * 0.25f + 0.5f));
  // token 1: negative, count 1 -> multiplied
  EXPECT_EQ(c[1].logit, -2.0f * 1.5f - (1.0f * 0.25f + 0.5f));
  EXPECT_EQ(c[2].logit, 1.0f);  // never seen
  EXPECT_EQ(c[3].logit, 0.5f / 1.5f - (1.0f * 0.25f + 0.5f));
  EXPECT_EQ(c[4].logit, 3.0f);
}

TEST(Penalties, RepeatPenaltyAloneScalesTowardZero) {
  auto stage = make_penalties({.last_n = 8, .repeat = 2.0f});
  stage->accept(0);
  stage->accept(1);
  stage->accept(2);
  auto c = from_logits({4.0f, -4.0f, 0.0f});
  stage->apply(c);
  EXPECT_EQ(c[0].logit, 2.0f);
  EXPECT_EQ(c[1].logit, -8.0f);
  EXPECT_EQ(c[2].logit, 0.0f);
}

TEST(Penalties, OnlyTheLastNTokensCount) {
  auto stage = make_penalties({.last_n = 2, .frequency = 1.0f});
  for (int32_t t : {0, 0, 1, 2}) stage->accept(t);  // window is {1, 2}
  auto c = from_logits({5.0f, 5.0f, 5.0f, 5.0f});
  stage->apply(c);
  EXPECT_EQ(c[0].logit, 5.0f);
  EXPECT_EQ(c[1].logit, 4.0f);
  EXPECT_EQ(c[2].logit, 4.0f);
  EXPECT_EQ(c[3].logit, 5.0f);

  stage->reset();
  auto d = from_logits({5.0f, 5.0f, 5.0f, 5.0f});
  stage->apply(d);
  for (const auto& x : d) EXPECT_EQ(x.logit, 5.0f);
}

TEST(Penalties, AnyCandidateOrderGivesTheSameResult) {
  const PenaltyParams pp{.last_n = 16, .repeat = 1.3f, .frequency = 0.2f, .presence = 0.1f};
  auto a = make_penalties(pp);
  auto b = make_penalties(pp);
  for (int32_t t : {5, 7, 5, 9}) {
    a->accept(t);
    b->accept(t);
  }
  std::mt19937 rng(1);
  std::vector<float> logits(20);
  for (auto& l : logits) l = (float)(rng() % 100) / 10.0f - 5.0f;
  auto in_order = from_logits(logits);
  a->apply(in_order);
  auto shuffled = from_logits(logits);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  b->apply(shuffled);
  for (const auto& c : shuffled) EXPECT_EQ(c.logit, in_order[c.id].logit) << c.id;
}

TEST(Penalties, TokensOutsideTheVocabAreIgnored) {
  auto stage = make_penalties({.last_n = 8, .presence = 1.0f});
  for (int32_t t : {1, 100, -1}) stage->accept(t);
  auto c = from_logits({0.0f, 0.0f, 0.0f});
  stage->apply(c);
  EXPECT_EQ(c[0].logit, 0.0f);
  EXPECT_EQ(c[1].logit, -1.0f);
  EXPECT_EQ(c[2].logit, 0.0f);
}

TEST(TopK, KeepsTheKHighestSorted) {
  auto c = from_logits({0.1f, 3.0f, -1.0f, 2.0f, 2.5f, 0.0f});
  make_top_k(3)->apply(c);
  EXPECT_EQ(ids(c), (std::vector<int32_t>{1, 4, 3}));
}

TEST(TopK, TiesKeepTheLowestIds) {
  auto c = from_logits({1.0f, 2.0f, 2.0f, 2.0f, 2.0f});
  make_top_k(2)->apply(c);
  EXPECT_EQ(ids(c), (std::vector<int32_t>{1, 2}));
}

TEST(TopK, OffWhenZeroOrLargerThanVocab) {
  auto c = from_logits({1.0f, 2.0f, 3.0f});
  make_top_k(0)->apply(c);
  EXPECT_EQ(c.size(), 3u);
  make_top_k(10)->apply(c);
  EXPECT_EQ(c.size(), 3u);
}

TEST(TopP, KeepsTheSmallestNucleus) {
  const auto logits = logits_for({0.5f, 0.3f, 0.15f, 0.05f});
  struct Case {
    float top_p;
    std::set<int32_t> keep;
  };
  for (const Case& k : {Case{0.1f, {0}}, Case{0.45f, {0}}, Case{0.6f, {0, 1}},
                        Case{0.79f, {0, 1}}, Case{0.9f, {0, 1, 2}}, Case{0.99f, {0, 1, 2, 3}}}) {
    auto c = from_logits(logits);
    std::reverse(c.begin(), c.end());  // unsorted input
    make_top_p(k.top_p)->apply(c);
    EXPECT_EQ(id_set(c), k.keep) << "top_p " << k.top_p;
    EXPECT_TRUE(std::is_sorted(c.begin(), c.end(), higher_logit));
  }
}

TEST(TopP, OneIsOff) {
  auto c = from_logits({1.0f, 2.0f, 3.0f});
  make_top_p(1.0f)->apply(c);
  EXPECT_EQ(ids(c), (std::vector<int32_t>{0, 1, 2}));
}

// What top-p must keep, computed the slow obvious way: full sort, running sum.
std::vector<int32_t> nucleus_by_full_sort(const std::vector<float>& logits, float top_p) {
  auto ref = from_logits(logits);
  softmax(ref);
  std::sort(ref.begin(), ref.end(), higher_logit);
  double cum = 0.0;
  size_t n_keep = 0;
  while (n_keep < ref.size()) {
    cum += ref[n_keep++].p;
    if (cum >= top_p) break;
  }
  ref.resize(n_keep);
  return ids(ref);
}

TEST(TopP, LargeUnsortedListMatchesAFullSort) {
  // Flat-ish logits over 5000 tokens: large nuclei, found through the bucket selection.
  std::mt19937 rng(42);
  std::vector<float> logits(5000);
  for (auto& l : logits) l = (float)(rng() % 100000) / 20000.0f;
  for (float top_p : {0.05f, 0.5f, 0.9f, 0.999f}) {
    auto c = from_logits(logits);
    make_top_p(top_p)->apply(c);
    EXPECT_EQ(ids(c), nucleus_by_full_sort(logits, top_p)) << "top_p " << top_p;
  }
}

TEST(TopP, TiesAndInfinitiesInALargeListMatchAFullSort) {
  // Few distinct values (so the cut falls inside a run of ties), -inf tokens, and a list where
  // every logit is equal (zero logit range).
  std::mt19937 rng(7);
  std::vector<float> few(3000);
  for (auto& l : few) l = rng() % 10 == 0 ? -kInf : (float)(rng() % 3);
  std::vector<float> flat(3000, 1.5f);
  for (const std::vector<float>* logits : {&few, &flat}) {
    for (float top_p : {0.01f, 0.3f, 0.7f, 0.95f}) {
      auto c = from_logits(*logits);
      make_top_p(top_p)->apply(c);
      EXPECT_EQ(ids(c), nucleus_by_full_sort(*logits, top_p)) << "top_p " << top_p;
    }
  }
}

TEST(MinP, KeepsTokensAboveTheRelativeThreshold) {
  // probabilities proportional to 1, e^-1, e^-2, e^-3
  const std::vector<float> logits = {-3.0f, 0.0f, -1.0f, -2.0f};
  struct Case {
    float min_p;
    std::vector<int32_t> keep;  // input order preserved
  };
  for (const Case& k : {Case{std::exp(-0.5f), {1}}, Case{std::exp(-1.5f), {1, 2}},
                        Case{std::exp(-2.5f), {1, 2, 3}}, Case{1.0f, {1}},
                        Case{0.0f, {0, 1, 2, 3}}}) {
    auto c = from_logits(logits);
    make_min_p(k.min_p)->apply(c);
    EXPECT_EQ(ids(c), k.keep) << "min_p " << k.min_p;
  }
}

TEST(MinP, KeepsAllTiedMaxima) {
  auto c = from_logits({2.0f, 1.0f, 2.0f});
  make_min_p(1.0f)->apply(c);
  EXPECT_EQ(ids(c), (std::vector<int32_t>{0, 2}));
}

TEST(Temperature, DividesLogits) {
  auto c = from_logits({1.0f, -2.0f, 4.0f});
  make_temperature(0.5f)->apply(c);
  EXPECT_FLOAT_EQ(c[0].logit, 2.0f);
  EXPECT_FLOAT_EQ(c[1].logit, -4.0f);
  EXPECT_FLOAT_EQ(c[2].logit, 8.0f);
}

TEST(Temperature, ZeroKeepsOnlyTheBest) {
  auto c = from_logits({1.0f, 4.0f, 4.0f, 0.0f});
  make_temperature(0.0f)->apply(c);
  EXPECT_EQ(ids(c), (std::vector<int32_t>{1}));
}

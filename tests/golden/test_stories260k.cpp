// Golden tests on the real stories260K model against stories260K.reference.json (a float64 numpy
// forward pass cross-checked with llama.cpp): prompt ids, 64 greedy ids for F32/F16/BF16, and the
// top-5 logits at the last prompt position.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "greedy.h"

using nlohmann::json;

namespace {

const std::string kModels = std::string(UMA_SHARED_DIR) + "/models/";

json reference() {
  std::ifstream f(kModels + "stories260K.reference.json");
  return json::parse(f);
}

class Stories : public ::testing::TestWithParam<std::string> {};

TEST_P(Stories, GreedyIdsMatchFloat64Reference) {
  for (const auto& c : reference()["cases"]) {
    const auto r = uma::test::greedy(kModels + GetParam(), c["prompt"], 64);
    EXPECT_EQ(r.prompt_ids, c["prompt_ids_with_bos"].get<std::vector<int>>()) << c["prompt"];
    EXPECT_EQ(r.generated, c["greedy_ids_f64"].get<std::vector<int>>()) << c["prompt"];
  }
}

INSTANTIATE_TEST_SUITE_P(Files, Stories,
                         ::testing::Values("stories260K.gguf", "quant/stories260K.f16.gguf",
                                           "quant/stories260K.bf16.gguf"),
                         [](const auto& info) { return uma::test::param_name(info.param); });

TEST(Stories260K, Top5LogitsWithin1e4Relative) {
  for (const auto& c : reference()["cases"]) {
    const auto r = uma::test::greedy(kModels + "stories260K.gguf", c["prompt"], 1);
    for (const auto& pair : c["last_prompt_pos_top5"]) {
      const int id = pair[0];
      const double want = pair[1];
      const double got = r.last_prompt_logits.at(id);
      EXPECT_LE(std::fabs(got - want), 1e-4 * std::fabs(want)) << c["prompt"] << " token " << id;
    }
  }
}

TEST(Stories260K, F16KvCacheStillMatchesGreedy) {
  // The default cache type (f16) must not change greedy output on the real model.
  for (const auto& c : reference()["cases"]) {
    const auto r = uma::test::greedy(kModels + "stories260K.gguf", c["prompt"], 64, uma::DType::F16);
    EXPECT_EQ(r.generated, c["greedy_ids_f64"].get<std::vector<int>>()) << c["prompt"];
  }
}

}  // namespace

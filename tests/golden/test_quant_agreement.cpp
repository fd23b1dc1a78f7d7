// Every quantized file in shared/models/quant and shared/models/quant-ref loads and generates;
// greedy tokens are compared with llama.cpp's recorded output and the agreement is printed.
// Activations are quantized to Q8 before quantized dot products (as llama.cpp does), and the KV
// cache is f16 (llama.cpp's default), so agreement should be long. Floors are the measured
// agreement, lowered only where llama.cpp's own record shows a near tie (top-1 minus top-2 logit
// < 0.004 in quant-ref/reference.json) at the step where we diverge.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "greedy.h"

using nlohmann::json;

namespace {

const std::string kModels = std::string(UMA_SHARED_DIR) + "/models/";

struct Case {
  const char* file;
  int min_agree;  // floor asserted; the measured value is printed
  // SynthQuant only: where uma parts from llama-cli, its agreement with the float64 reference.
  int min_agree_f64 = 0;
};

// How many leading generated tokens reproduce llama.cpp's text.
int agreeing_prefix(const uma::Tokenizer& tok, const std::vector<uma::TokenId>& ids,
                    const std::string& expected) {
  std::string text;
  int k = 0;
  for (auto id : ids) {
    text += tok.token_to_piece(id);
    if (expected.compare(0, text.size(), text) != 0) break;
    k++;
  }
  return k;
}

// Readable test names: the file name with non-alphanumerics replaced.
std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return uma::test::param_name(info.param.file);
}

class StoriesQuant : public ::testing::TestWithParam<Case> {};

TEST_P(StoriesQuant, AgreesWithLlamaCpp) {
  std::ifstream f(kModels + "stories260K.reference.json");
  const json ref = json::parse(f);
  const std::string file = GetParam().file;
  auto model = uma::Model::load(kModels + file);
  ASSERT_TRUE(model.ok()) << model.status().message();
  int total = 0;
  for (const auto& c : ref["cases"]) {
    const std::string prompt = c["prompt"];
    const std::string out = c["llama_cpp_stdout"][file];
    const std::string expected = out.substr(1 + prompt.size());  // stdout echoes " " + prompt
    const auto r = uma::test::greedy(kModels + file, prompt, 64, uma::DType::F16);
    const int k = agreeing_prefix((*model)->tokenizer(), r.generated, expected);
    std::printf("[agreement] %-34s %-40s %2d/64 tokens\n", file.c_str(), prompt.c_str(), k);
    EXPECT_GE(k, GetParam().min_agree) << file << " / " << prompt;
    total += k;
  }
  RecordProperty("agreeing_tokens", total);
}

INSTANTIATE_TEST_SUITE_P(
    Files, StoriesQuant,
    ::testing::Values(Case{"quant/stories260K.f16.gguf", 64}, Case{"quant/stories260K.bf16.gguf", 64},
                      Case{"quant/stories260K.q8_0-mix.gguf", 64}, Case{"quant/stories260K.q5_1-mix.gguf", 64},
                      Case{"quant/stories260K.q5_0-mix.gguf", 64}, Case{"quant/stories260K.q4_0-mix.gguf", 64},
                      Case{"quant/stories260K.iq4_nl-mix.gguf", 2}),
    case_name);

class SynthQuant : public ::testing::TestWithParam<Case> {};

TEST_P(SynthQuant, AgreesWithLlamaCpp) {
  std::ifstream f(kModels + "quant-ref/reference.json");
  const json ref = json::parse(f);
  const std::string file = GetParam().file;
  const json& cli = ref["files"][file]["llama_cli"];
  const auto want = cli["generated_ids"].get<std::vector<int>>();
  const auto r = uma::test::greedy(kModels + "quant-ref/" + file, ref["prompt"], (int)want.size(),
                                   uma::DType::F16);
  EXPECT_EQ(r.prompt_ids, cli["prompt_ids_with_bos"].get<std::vector<int>>());
  int k = 0;
  while (k < (int)want.size() && r.generated[k] == want[k]) k++;
  // And with the float64 forward pass (float_dequant_reference), which parts from llama-cli at
  // its first near tie: where uma parts from llama-cli too, it should be on the float64 side.
  const auto f64 = ref["files"][file]["float_dequant_reference"]["generated_ids"].get<std::vector<int>>();
  int k64 = 0;
  while (k64 < (int)f64.size() && k64 < (int)r.generated.size() && r.generated[k64] == f64[k64]) k64++;
  std::printf("[agreement] %-34s %2d/%zu tokens (float64 reference: %d)\n", file.c_str(), k, want.size(), k64);
  EXPECT_GE(k, GetParam().min_agree) << file;
  if (k < (int)want.size()) EXPECT_GE(k64, GetParam().min_agree_f64) << file;
}

INSTANTIATE_TEST_SUITE_P(
    Files, SynthQuant,
    // Q8_0: 24, then the float64 side of a 0.0011 near tie (see test_quant_greedy.cpp floor_for).
    ::testing::Values(Case{"synth-tiny.f32.gguf", 32}, Case{"synth-tiny.Q8_0.pure.gguf", 24, 25},
                      Case{"synth-tiny.Q4_0.pure.gguf", 32}, Case{"synth-tiny.Q4_1.pure.gguf", 32},
                      Case{"synth-tiny.Q5_0.pure.gguf", 16}, Case{"synth-tiny.Q5_1.pure.gguf", 32},
                      Case{"synth-tiny.Q2_K.pure.gguf", 32}, Case{"synth-tiny.Q3_K_M.pure.gguf", 32},
                      Case{"synth-tiny.Q4_K_M.pure.gguf", 32}, Case{"synth-tiny.Q4_K_M.gguf", 32},
                      Case{"synth-tiny.Q5_K_M.pure.gguf", 12}, Case{"synth-tiny.Q6_K.pure.gguf", 32},
                      Case{"synth-tiny.IQ4_NL.pure.gguf", 32}),
    case_name);

}  // namespace

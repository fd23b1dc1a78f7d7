// uma synth's built-in shapes: tensor counts and shapes of the real GGUFs, and the Llama 3.1
// rope_freqs factors.
#include <gtest/gtest.h>

#include "synth/shapes.h"

namespace uma::synth {
namespace {

const TensorSpec* find(const std::vector<TensorSpec>& ts, const std::string& name) {
  for (const auto& t : ts)
    if (t.name == name) return &t;
  return nullptr;
}

TEST(SynthShapes, TensorCountsMatchTheRealFiles) {
  // Counts of the GGUFs llama.cpp makes from the Hugging Face checkpoints.
  const std::pair<const char*, size_t> kCounts[] = {
      {"llama3-1b", 147}, {"llama3-3b", 255}, {"llama3-8b", 292}, {"qwen2.5-0.5b", 290},
      {"qwen3-4b", 398},  {"mistral-7b", 291}, {"tiny", 21}};
  for (auto [name, n] : kCounts) {
    const Shape* s = find_shape(name);
    ASSERT_NE(s, nullptr) << name;
    EXPECT_EQ(shape_tensors(*s).size(), n) << name;
  }
  EXPECT_EQ(find_shape("llama9"), nullptr);
}

TEST(SynthShapes, Llama3_1bShapes) {
  const auto ts = shape_tensors(*find_shape("llama3-1b"));
  EXPECT_EQ(ts.front().name, "rope_freqs.weight");
  EXPECT_EQ(find(ts, "output.weight"), nullptr);  // tied
  EXPECT_EQ(find(ts, "token_embd.weight")->ne, (std::vector<int64_t>{2048, 128256}));
  EXPECT_EQ(find(ts, "blk.15.attn_k.weight")->ne, (std::vector<int64_t>{2048, 512}));
  EXPECT_EQ(find(ts, "blk.0.ffn_down.weight")->ne, (std::vector<int64_t>{8192, 2048}));
  EXPECT_EQ(find(ts, "rope_freqs.weight")->ne, (std::vector<int64_t>{32}));
}

TEST(SynthShapes, QwenExtras) {
  const auto q2 = shape_tensors(*find_shape("qwen2.5-0.5b"));
  EXPECT_EQ(find(q2, "blk.0.attn_k.bias")->ne, (std::vector<int64_t>{128}));
  const auto q3 = shape_tensors(*find_shape("qwen3-4b"));
  EXPECT_EQ(find(q3, "blk.35.attn_q_norm.weight")->ne, (std::vector<int64_t>{128}));
  EXPECT_EQ(find(q3, "blk.0.attn_q.weight")->ne, (std::vector<int64_t>{2560, 4096}));
  EXPECT_EQ(find(q3, "blk.0.attn_output.weight")->ne, (std::vector<int64_t>{4096, 2560}));
}

TEST(SynthShapes, Llama3RopeFactors) {
  // Wavelengths below 8192/4 keep factor 1, above 8192/1 get the full factor, smooth between.
  for (const char* name : {"llama3-1b", "llama3-8b"}) {
    const Shape& s = *find_shape(name);
    const auto f = llama3_rope_factors(s);
    ASSERT_EQ((int64_t)f.size(), s.head_dim / 2);
    EXPECT_FLOAT_EQ(f.front(), 1.f);
    EXPECT_FLOAT_EQ(f.back(), s.rope_llama3->factor);
    for (size_t i = 1; i < f.size(); i++) EXPECT_GE(f[i], f[i - 1]) << name << " " << i;
  }
  EXPECT_TRUE(llama3_rope_factors(*find_shape("mistral-7b")).empty());
}

}  // namespace
}  // namespace uma::synth

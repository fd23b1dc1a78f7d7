// llama / qwen2 / qwen3 on small random-weight GGUFs written with the GGUF writer, compared with
// an independent float64 reference forward (synth_model.h): all-position logits after a batched
// prefill, logits from token-by-token decode, and batch/decode consistency.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "model/context.h"
#include "model/model.h"
#include "synth_model.h"

namespace {

using uma::test::SynthSpec;

const std::string kVocab = std::string(UMA_SHARED_DIR) + "/models/stories260K.gguf";

double max_rel_err(const float* got, const std::vector<double>& want) {
  double max_abs = 0, err = 0;
  for (size_t i = 0; i < want.size(); i++) {
    max_abs = std::max(max_abs, std::fabs(want[i]));
    err = std::max(err, std::fabs(got[i] - want[i]));
  }
  return err / max_abs;
}

void check_arch(const SynthSpec& spec, const std::string& tag) {
  auto vocab = uma::gguf::GgufFile::open(kVocab);
  ASSERT_TRUE(vocab.ok()) << vocab.status().message();
  const auto w = uma::test::make_weights(spec, 512);
  const std::string path = std::string(UMA_BINARY_DIR) + "/synth-" + tag + ".gguf";
  ASSERT_TRUE(uma::test::write_synth(spec, *vocab, w, path).is_ok());

  auto model = uma::Model::load(path);
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_EQ((*model)->hparams().arch, spec.arch);
  const std::vector<int> tokens = {1, 403, 407, 261, 378, 17, 300, 511, 2, 42, 99};
  const auto want = uma::test::ref_forward(spec, w, tokens);
  const int64_t n_vocab = 512;

  // Whole prompt in one batch, logits for every position.
  auto ctx = uma::Context::create(**model, {.n_ctx = 64, .n_threads = 2, .kv_type = uma::DType::F32});
  ASSERT_TRUE(ctx.ok()) << ctx.status().message();
  auto all = (*ctx)->decode(std::vector<uma::TokenId>(tokens.begin(), tokens.end()), true);
  ASSERT_TRUE(all.ok()) << all.status().message();
  for (size_t t = 0; t < tokens.size(); t++)
    EXPECT_LT(max_rel_err(all->data() + t * n_vocab, want[t]), 2e-5) << tag << " pos " << t;

  // Token by token (decode path), with a batch size smaller than the prompt for the prefill part.
  auto ctx2 = uma::Context::create(**model, {.n_ctx = 64, .n_threads = 1, .n_batch = 3, .kv_type = uma::DType::F32});
  ASSERT_TRUE(ctx2.ok());
  auto pre = (*ctx2)->decode(std::vector<uma::TokenId>(tokens.begin(), tokens.begin() + 7));
  ASSERT_TRUE(pre.ok());
  EXPECT_LT(max_rel_err(pre->data(), want[6]), 2e-5) << tag << " chunked prefill";
  for (size_t t = 7; t < tokens.size(); t++) {
    const uma::TokenId one[1] = {tokens[t]};
    auto l = (*ctx2)->decode(one);
    ASSERT_TRUE(l.ok());
    EXPECT_LT(max_rel_err(l->data(), want[t]), 2e-5) << tag << " decode pos " << t;
  }

  // The f16 KV cache stays close to the reference too.
  auto ctx3 = uma::Context::create(**model, {.n_ctx = 64, .n_threads = 2, .kv_type = uma::DType::F16});
  ASSERT_TRUE(ctx3.ok());
  auto l3 = (*ctx3)->decode(std::vector<uma::TokenId>(tokens.begin(), tokens.end()));
  ASSERT_TRUE(l3.ok());
  EXPECT_LT(max_rel_err(l3->data(), want.back()), 5e-3) << tag << " f16 KV";
  std::remove(path.c_str());
}

TEST(ArchReference, Llama) { check_arch({.arch = "llama"}, "llama"); }
TEST(ArchReference, LlamaTiedLinearRope) {
  check_arch({.arch = "llama", .n_head_kv = 4, .tied_output = true, .linear_rope_factor = 2.0f}, "llama-tied");
}
TEST(ArchReference, Qwen2) { check_arch({.arch = "qwen2", .rope_base = 1000000.f}, "qwen2"); }
TEST(ArchReference, Qwen3) { check_arch({.arch = "qwen3", .n_head_kv = 1}, "qwen3"); }

// One decode token over a long context on two threads takes Context::attention's split path
// (fewer (token, KV head) items than 4 per thread: each head's positions in parts merged by their
// log normalizers); its logits must still match the float64 reference, and a one-thread context
// (no split) within the same bound.
TEST(ArchReference, LongContextDecodeSplitsAttention) {
  auto vocab = uma::gguf::GgufFile::open(kVocab);
  ASSERT_TRUE(vocab.ok()) << vocab.status().message();
  const SynthSpec spec{.arch = "llama", .n_ctx = 1024};
  const auto w = uma::test::make_weights(spec, 512);
  const std::string path = std::string(UMA_BINARY_DIR) + "/synth-long.gguf";
  ASSERT_TRUE(uma::test::write_synth(spec, *vocab, w, path).is_ok());
  auto model = uma::Model::load(path);
  ASSERT_TRUE(model.ok()) << model.status().message();
  std::vector<int> tokens;
  std::mt19937 rng(7);
  for (int i = 0; i < 700; i++) tokens.push_back(3 + (int)(rng() % 509));
  const auto want = uma::test::ref_forward(spec, w, tokens);
  for (int threads : {2, 1}) {
    for (uma::DType kv : {uma::DType::F32, uma::DType::F16}) {
      auto ctx = uma::Context::create(**model, {.n_ctx = 1024, .n_threads = threads, .kv_type = kv});
      ASSERT_TRUE(ctx.ok()) << ctx.status().message();
      ASSERT_TRUE((*ctx)->decode(std::vector<uma::TokenId>(tokens.begin(), tokens.end() - 1)).ok());
      const uma::TokenId last[1] = {tokens.back()};
      auto l = (*ctx)->decode(last);
      ASSERT_TRUE(l.ok());
      EXPECT_LT(max_rel_err(l->data(), want.back()), kv == uma::DType::F32 ? 2e-5 : 5e-3)
          << threads << " threads, " << uma::dtype_name(kv) << " KV";
    }
  }
  std::remove(path.c_str());
}

TEST(Context, Errors) {
  auto model = uma::Model::load(kVocab);
  ASSERT_TRUE(model.ok());
  auto ctx = uma::Context::create(**model, {.n_ctx = 4, .n_threads = 1});
  ASSERT_TRUE(ctx.ok());
  EXPECT_NE((*ctx)->decode(std::vector<uma::TokenId>{}).status().message().find("empty"), std::string::npos);
  EXPECT_NE((*ctx)->decode(std::vector<uma::TokenId>{600}).status().message().find("out of range"), std::string::npos);
  EXPECT_NE((*ctx)->decode(std::vector<uma::TokenId>{1, 2, 3, 4, 5}).status().message().find("context full"),
            std::string::npos);
  EXPECT_FALSE(uma::Context::create(**model, {.n_ctx = -5}).ok());
  EXPECT_FALSE(uma::Context::create(**model, {.n_ctx = (int64_t)1 << 40}).ok());
}

TEST(Model, LoadErrorsNameTheProblem) {
  auto missing = uma::Model::load("/nonexistent/model.gguf");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/model.gguf"), std::string::npos);
  // A vocab-only GGUF has no architecture.
  auto vocab_only = uma::Model::load(std::string(UMA_SHARED_DIR) + "/models/vocab/ggml-vocab-gpt-2.gguf");
  ASSERT_FALSE(vocab_only.ok());
  EXPECT_NE(vocab_only.status().message().find("architecture"), std::string::npos)
      << vocab_only.status().message();
}

}  // namespace

// Multi-sequence batching: tokens of several sequences in one decode_batch give the same logits
// as running each sequence alone; the paged KV pool reports exhaustion cleanly and truncation
// returns blocks.
#include <gtest/gtest.h>

#include <cmath>

#include "model/context.h"
#include "model/model.h"

namespace {

const std::string kModel = std::string(UMA_SHARED_DIR) + "/models/stories260K.gguf";

std::vector<float> solo_logits(const uma::Model& m, const std::vector<uma::TokenId>& prompt,
                               const std::vector<uma::TokenId>& then) {
  auto ctx = uma::Context::create(m, {.n_ctx = 128, .n_threads = 1, .kv_type = uma::DType::F32});
  EXPECT_TRUE(ctx.ok());
  auto l = (*ctx)->decode(prompt);
  for (auto t : then) {
    const uma::TokenId one[1] = {t};
    l = (*ctx)->decode(one);
  }
  return std::vector<float>(l->begin(), l->end());
}

float max_diff(std::span<const float> a, const std::vector<float>& b) {
  float d = 0;
  for (size_t i = 0; i < b.size(); i++) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

TEST(Batching, InterleavedSequencesMatchSoloRuns) {
  auto model = uma::Model::load(kModel);
  ASSERT_TRUE(model.ok());
  const uma::Model& m = **model;
  const std::vector<uma::TokenId> a = {1, 403, 407, 261, 378}, b = {1, 300, 301, 302};
  auto ctx = uma::Context::create(m, {.n_ctx = 128, .n_seq = 3, .n_threads = 2, .kv_type = uma::DType::F32});
  ASSERT_TRUE(ctx.ok());
  // Step 1: prefill a (seq 0) and b (seq 2) in one batch; logits of each last token.
  std::vector<uma::BatchToken> batch;
  for (size_t i = 0; i < a.size(); i++) batch.push_back({a[i], 0, i + 1 == a.size()});
  for (size_t i = 0; i < b.size(); i++) batch.push_back({b[i], 2, i + 1 == b.size()});
  auto l = (*ctx)->decode_batch(batch);
  ASSERT_TRUE(l.ok()) << l.status().message();
  const size_t nv = (size_t)m.hparams().n_vocab;
  ASSERT_EQ(l->size(), 2 * nv);
  EXPECT_LT(max_diff(l->subspan(0, nv), solo_logits(m, a, {})), 1e-4f);
  EXPECT_LT(max_diff(l->subspan(nv, nv), solo_logits(m, b, {})), 1e-4f);
  // Step 2: one decode token for each sequence together.
  std::vector<uma::BatchToken> step = {{42, 2, true}, {17, 0, true}};
  l = (*ctx)->decode_batch(step);
  ASSERT_TRUE(l.ok());
  EXPECT_LT(max_diff(l->subspan(0, nv), solo_logits(m, b, {42})), 1e-4f);
  EXPECT_LT(max_diff(l->subspan(nv, nv), solo_logits(m, a, {17})), 1e-4f);
  EXPECT_EQ((*ctx)->n_past(0), 6);
  EXPECT_EQ((*ctx)->n_past(1), 0);
  EXPECT_EQ((*ctx)->n_past(2), 5);
}

TEST(Batching, KvPoolExhaustionAndTruncate) {
  auto model = uma::Model::load(kModel);
  ASSERT_TRUE(model.ok());
  // Pool of 64 positions (2 blocks of 32) shared by 2 sequences with n_ctx 64 each.
  auto ctx = uma::Context::create(**model, {.n_ctx = 64, .n_seq = 2, .kv_tokens = 64, .n_threads = 1});
  ASSERT_TRUE(ctx.ok());
  std::vector<uma::BatchToken> forty;
  for (int i = 0; i < 40; i++) forty.push_back({(uma::TokenId)(10 + i), 0, i == 39});
  ASSERT_TRUE((*ctx)->decode_batch(forty).ok());
  EXPECT_EQ((*ctx)->kv().blocks_used(), 2);
  for (auto& t : forty) t.seq = 1;
  auto full = (*ctx)->decode_batch(forty);
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.status().message().find("KV cache full"), std::string::npos) << full.status().message();
  EXPECT_EQ((*ctx)->n_past(1), 0);  // nothing changed
  (*ctx)->truncate(0, 0);           // free sequence 0
  EXPECT_EQ((*ctx)->kv().blocks_used(), 0);
  EXPECT_TRUE((*ctx)->decode_batch(forty).ok());
  EXPECT_EQ((*ctx)->n_past(1), 40);
  // A bad sequence id is rejected.
  const uma::BatchToken bad[1] = {{5, 7, true}};
  EXPECT_FALSE((*ctx)->decode_batch(bad).ok());
}

}  // namespace

// uma bench's accounting: summary statistics, bytes per decoded token (tied vs separate output,
// KV cache at a depth) and the roofline fraction.
#include <gtest/gtest.h>

#include "bench_metrics.h"

namespace uma::bench {
namespace {

TEST(BenchMetrics, SummarizeOddEvenEmpty) {
  Summary s = summarize({3, 1, 2});
  EXPECT_DOUBLE_EQ(s.median, 2);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 3);
  s = summarize({4, 1, 3, 2});
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  s = summarize({});
  EXPECT_DOUBLE_EQ(s.median, 0);
}

TEST(BenchMetrics, SeparateOutputSkipsTheEmbeddingGather) {
  const std::vector<TensorBytes> t = {
      {"token_embd.weight", 1000}, {"blk.0.attn_q.weight", 100}, {"output_norm.weight", 4},
      {"output.weight", 500}};
  EXPECT_EQ(weight_bytes_per_token(t), 604u);
}

TEST(BenchMetrics, TiedOutputReadsTheWholeEmbedding) {
  const std::vector<TensorBytes> t = {
      {"rope_freqs.weight", 128}, {"token_embd.weight", 1000}, {"blk.0.attn_q.weight", 100},
      {"output_norm.weight", 4}};
  EXPECT_EQ(weight_bytes_per_token(t), 1232u);
}

TEST(BenchMetrics, KvBytesAtDepth) {
  // Llama 3.2 1B: 16 layers, 8 kv heads × 64, f16: 32 KiB per position.
  const KvShape kv{.n_layer = 16, .n_embd_k = 512, .n_embd_v = 512, .elem_bytes = 2};
  EXPECT_EQ(kv_bytes_per_token(kv, 1), 32768u);
  EXPECT_DOUBLE_EQ(tg_mean_positions(0, 128), 64.5);
  EXPECT_DOUBLE_EQ(tg_mean_positions(4096, 1), 4097);
  EXPECT_EQ(kv_bytes_per_token(kv, tg_mean_positions(4096, 128)), (uint64_t)(4160.5 * 32768));
}

TEST(BenchMetrics, Roofline) {
  EXPECT_DOUBLE_EQ(roofline_fraction(20, 1e9, 40e9), 0.5);
  EXPECT_DOUBLE_EQ(roofline_fraction(20, 1e9, 0), 0.0);
}

// Each repetition against its own bandwidth, then the median: neither the median speed against
// the median bandwidth nor the two lists sorted apart.
TEST(BenchMetrics, RepetitionRooflineIsTheMedianOfOwnFractions) {
  // Fractions 30/20 = 1.5, 10/40 = 0.25, 50/50 = 1.0: median 1.0 (sorted apart: 0.5, 0.75, 1.0 -> 0.75).
  EXPECT_DOUBLE_EQ(repetition_roofline({30, 10, 50}, 1e9, {20e9, 40e9, 50e9}), 1.0);
  // Fractions 0.5, 1.0, 0.9: median 0.9; median speed / median bandwidth would be 40 / 40 = 1.
  EXPECT_DOUBLE_EQ(repetition_roofline({10, 40, 45}, 1e9, {20e9, 40e9, 50e9}), 0.9);
  // Even count: mean of the two fractions 10*2/40 = 0.5 and 20*2/20 = 2.0.
  EXPECT_DOUBLE_EQ(repetition_roofline({10, 20}, 2e9, {40e9, 20e9}), 1.25);
  EXPECT_DOUBLE_EQ(repetition_roofline({10, 20}, 1e9, {40e9}), 0.0);  // lengths differ
  EXPECT_DOUBLE_EQ(repetition_roofline({}, 1e9, {}), 0.0);
}

}  // namespace
}  // namespace uma::bench

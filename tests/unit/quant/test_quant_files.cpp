// Real GGUF files made by llama.cpp's llama-quantize (shared/models/quant-ref, shared/models/quant):
// every quantized tensor dequantizes to its F32 source within the type's expected error, and our
// reference quantizers reproduce llama.cpp's bytes (all legacy types, F16/BF16 and IQ4_NL exactly;
// the K-quants are counted and their RMSE must be within 1% of llama.cpp's).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <string>

#include "gguf/gguf.h"
#include "quant_test_util.h"

namespace uma::quant {
namespace {

const std::string kModels = std::string(UMA_SHARED_DIR) + "/models/";

// NMSE ceilings per type for weights vs their F32 source: about 1.5x the worst tensor measured
// (printed as [dequant] lines). synth-tiny is N(0, 0.02) noise; stories260K holds trained weights.
double nmse_bound(DType t) {
  switch (t) {
    case DType::F16: return 1e-7;
    case DType::BF16: return 8e-6;
    case DType::Q8_0: return 6e-5;
    case DType::Q6_K: return 5e-4;
    case DType::Q5_1: return 2.6e-3;
    case DType::Q5_K: return 2e-3;
    case DType::Q5_0: return 3.7e-3;
    case DType::Q4_K: return 7.7e-3;
    case DType::Q4_1: return 9e-3;
    case DType::IQ4_NL: return 1.05e-2;
    case DType::Q4_0: return 1.4e-2;
    case DType::Q3_K: return 3.5e-2;
    case DType::Q2_K: return 1.3e-1;
    default: return 0;
  }
}

struct Files {
  gguf::GgufFile src;
  gguf::GgufFile quant;
};

// Opens a quantized file and its F32 source; fails the test if either does not load.
std::optional<Files> open_pair(const std::string& src_path, const std::string& quant_path) {
  auto src = gguf::GgufFile::open(src_path);
  EXPECT_TRUE(src.ok()) << src.status().message();
  auto quant = gguf::GgufFile::open(quant_path);
  EXPECT_TRUE(quant.ok()) << quant.status().message();
  if (!src.ok() || !quant.ok()) return std::nullopt;
  return Files{std::move(src).value(), std::move(quant).value()};
}

const float* source_floats(const gguf::GgufFile& src, const gguf::TensorInfo& q) {
  const gguf::TensorInfo* s = src.find_tensor(q.name);
  EXPECT_NE(s, nullptr) << q.name;
  if (s == nullptr) return nullptr;
  EXPECT_EQ(s->type, DType::F32) << q.name;
  EXPECT_EQ(s->n_elements(), q.n_elements()) << q.name;
  for (uint32_t d = 0; d < gguf::kMaxDims; ++d) EXPECT_EQ(s->ne[d], q.ne[d]) << q.name;
  if (s->type != DType::F32 || s->n_elements() != q.n_elements()) return nullptr;
  return reinterpret_cast<const float*>(s->data);
}

// ---- dequantization vs the F32 source ----------------------------------------------------------

void check_dequantize(const std::string& src_path, const std::string& quant_path) {
  auto files = open_pair(src_path, quant_path);
  ASSERT_TRUE(files);
  struct Worst {
    int tensors = 0;
    double nmse = 0, rmse = 0;
  };
  std::map<std::string, Worst> per_type;
  for (const auto& t : files->quant.tensors()) {
    if (t.type == DType::F32) continue;
    ASSERT_TRUE(can_dequantize(t.type)) << t.name << " " << dtype_name(t.type);
    const float* x = source_floats(files->src, t);
    ASSERT_NE(x, nullptr);
    const int64_t n = (int64_t)t.n_elements();
    const auto y = test::dequantize(t.type, t.data, n);
    const auto s = test::error_stats(x, y.data(), n);
    EXPECT_TRUE(s.finite) << t.name;
    EXPECT_LE(s.nmse, nmse_bound(t.type)) << t.name << " " << dtype_name(t.type);
    Worst& w = per_type[std::string(dtype_name(t.type))];
    w.tensors++;
    w.nmse = std::max(w.nmse, s.nmse);
    w.rmse = std::max(w.rmse, s.rmse);
  }
  EXPECT_FALSE(per_type.empty());
  for (const auto& [type, w] : per_type) {
    std::printf("[dequant] %-30s %-6s %2d tensors, worst nmse %.3e rmse %.3e\n",
                quant_path.substr(quant_path.rfind('/') + 1).c_str(), type.c_str(), w.tensors,
                w.nmse, w.rmse);
  }
}

class SynthDequant : public ::testing::TestWithParam<const char*> {};

TEST_P(SynthDequant, MatchesF32Source) {
  check_dequantize(kModels + "quant-ref/synth-tiny.f32.gguf", kModels + "quant-ref/" + GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    QuantRef, SynthDequant,
    ::testing::Values("synth-tiny.Q4_0.pure.gguf", "synth-tiny.Q4_1.pure.gguf",
                      "synth-tiny.Q5_0.pure.gguf", "synth-tiny.Q5_1.pure.gguf",
                      "synth-tiny.Q8_0.pure.gguf", "synth-tiny.Q2_K.pure.gguf",
                      "synth-tiny.Q3_K_M.pure.gguf", "synth-tiny.Q4_K_M.pure.gguf",
                      "synth-tiny.Q5_K_M.pure.gguf", "synth-tiny.Q6_K.pure.gguf",
                      "synth-tiny.IQ4_NL.pure.gguf", "synth-tiny.Q4_K_M.gguf"));

class StoriesDequant : public ::testing::TestWithParam<const char*> {};

TEST_P(StoriesDequant, MatchesF32Source) {
  check_dequantize(kModels + "stories260K.gguf", kModels + "quant/" + GetParam());
}

INSTANTIATE_TEST_SUITE_P(Stories260K, StoriesDequant,
                         ::testing::Values("stories260K.f16.gguf", "stories260K.bf16.gguf",
                                           "stories260K.q8_0-mix.gguf",
                                           "stories260K.q5_1-mix.gguf",
                                           "stories260K.q5_0-mix.gguf",
                                           "stories260K.q4_0-mix.gguf",
                                           "stories260K.iq4_nl-mix.gguf"));

// ---- bit-exactness of our quantizers vs llama-quantize -----------------------------------------

struct ExactCase {
  const char* src;    // F32 source, relative to models/
  const char* quant;  // llama-quantize output, relative to models/
  bool require_all;   // every tensor byte-identical (else only counted; RMSE within 1% always)
};

void PrintTo(const ExactCase& c, std::ostream* os) { *os << c.quant; }

class QuantizerBytes : public ::testing::TestWithParam<ExactCase> {};

TEST_P(QuantizerBytes, ReproduceLlamaQuantize) {
  const ExactCase& c = GetParam();
  auto files = open_pair(kModels + c.src, kModels + c.quant);
  ASSERT_TRUE(files);
  int tensors = 0, identical = 0;
  uint64_t blocks = 0, identical_blocks = 0;
  for (const auto& t : files->quant.tensors()) {
    if (t.type == DType::F32) continue;
    ASSERT_TRUE(can_quantize(t.type)) << t.name << " " << dtype_name(t.type);
    const float* x = source_floats(files->src, t);
    ASSERT_NE(x, nullptr);
    const int64_t n = (int64_t)t.n_elements();
    std::vector<uint8_t> ours(test::row_bytes(t.type, n));
    ASSERT_EQ(ours.size(), t.nbytes) << t.name;
    quantize_row(t.type, x, ours.data(), n);

    const size_t bb = dtype_info(t.type).block_bytes;
    uint64_t same_blocks = 0;
    for (size_t off = 0; off < ours.size(); off += bb)
      same_blocks += std::memcmp(ours.data() + off, t.data + off, bb) == 0;
    const uint64_t n_blocks = ours.size() / bb;
    blocks += n_blocks;
    identical_blocks += same_blocks;
    ++tensors;
    const bool same = same_blocks == n_blocks;
    identical += same;

    const auto mine = test::dequantize(t.type, ours.data(), n);
    const auto theirs = test::dequantize(t.type, t.data, n);
    const double rmse_mine = test::error_stats(x, mine.data(), n).rmse;
    const double rmse_theirs = test::error_stats(x, theirs.data(), n).rmse;
    if (c.require_all) {
      EXPECT_TRUE(same) << t.name << " " << dtype_name(t.type) << ": " << same_blocks << "/"
                        << n_blocks << " blocks identical";
    }
    EXPECT_LE(rmse_mine, rmse_theirs * 1.01) << t.name;
    EXPECT_GE(rmse_mine, rmse_theirs * 0.99) << t.name;
    if (!same) {
      std::printf("  %-26s %-6s %llu/%llu blocks identical, rmse ours %.6e llama.cpp %.6e\n",
                  t.name.c_str(), std::string(dtype_name(t.type)).c_str(),
                  (unsigned long long)same_blocks, (unsigned long long)n_blocks, rmse_mine,
                  rmse_theirs);
    }
  }
  std::printf("[bit-exact] %-34s %d/%d tensors, %llu/%llu blocks byte-identical\n", c.quant,
              identical, tensors, (unsigned long long)identical_blocks,
              (unsigned long long)blocks);
  RecordProperty("identical_tensors", identical);
  EXPECT_GT(tensors, 0);
}

INSTANTIATE_TEST_SUITE_P(
    QuantRef, QuantizerBytes,
    ::testing::Values(
        ExactCase{"quant-ref/synth-tiny.f32.gguf", "quant-ref/synth-tiny.Q4_0.pure.gguf", true},
        ExactCase{"quant-ref/synth-tiny.f32.gguf", "quant-ref/synth-tiny.Q4_1.pure.gguf", true},
        ExactCase{"quant-ref/synth-tiny.f32.gguf", "quant-ref/synth-tiny.Q5_0.pure.gguf", true},
        ExactCase{"quant-ref/synth-tiny.f32.gguf", "quant-ref/synth-tiny.Q5_1.pure.gguf", true},
        ExactCase{"quant-ref/synth-tiny.f32.gguf", "quant-ref/synth-tiny.Q8_0.pure.gguf", true},
        ExactCase{"quant-ref/synth-tiny.f32.gguf", "quant-ref/synth-tiny.IQ4_NL.pure.gguf", true},
        ExactCase{"quant-ref/synth-tiny.f32.gguf", "quant-ref/synth-tiny.Q2_K.pure.gguf", true},
        ExactCase{"quant-ref/synth-tiny.f32.gguf", "quant-ref/synth-tiny.Q3_K_M.pure.gguf", true},
        ExactCase{"quant-ref/synth-tiny.f32.gguf", "quant-ref/synth-tiny.Q4_K_M.pure.gguf", true},
        ExactCase{"quant-ref/synth-tiny.f32.gguf", "quant-ref/synth-tiny.Q5_K_M.pure.gguf", true},
        ExactCase{"quant-ref/synth-tiny.f32.gguf", "quant-ref/synth-tiny.Q6_K.pure.gguf", true},
        ExactCase{"quant-ref/synth-tiny.f32.gguf", "quant-ref/synth-tiny.Q4_K_M.gguf", true},
        ExactCase{"stories260K.gguf", "quant/stories260K.f16.gguf", true},
        ExactCase{"stories260K.gguf", "quant/stories260K.bf16.gguf", true},
        ExactCase{"stories260K.gguf", "quant/stories260K.q8_0-mix.gguf", true},
        ExactCase{"stories260K.gguf", "quant/stories260K.q5_1-mix.gguf", true},
        ExactCase{"stories260K.gguf", "quant/stories260K.q5_0-mix.gguf", true},
        ExactCase{"stories260K.gguf", "quant/stories260K.q4_0-mix.gguf", true},
        ExactCase{"stories260K.gguf", "quant/stories260K.iq4_nl-mix.gguf", true}));

}  // namespace
}  // namespace uma::quant

// quantize_gguf against llama.cpp's llama-quantize: every synth-tiny file in quant-ref/reference.json
// (30 mixes, shipped or not) must come out with the recorded sha256, i.e. byte-identical files;
// the stories260K fallback mixes must equal the files in models/quant; plus refusals.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "convert/quantize.h"
#include "gguf/gguf.h"
#include "gguf/gguf_writer.h"
#include "sha256.h"

using nlohmann::json;

namespace uma::convert {
namespace {

const std::string kModels = std::string(UMA_SHARED_DIR) + "/models/";

std::string tmp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("uma_test_quantize_" + std::to_string(getpid()) + "_" + name))
      .string();
}

Result<QuantizeSummary> run(const std::string& in, const std::string& out, const std::string& type,
                            bool pure = false, int threads = 2) {
  QuantizeOptions o;
  o.input = in;
  o.output = out;
  auto ft = quant::file_type_from_name(type);
  if (!ft) return error("bad type " + type);
  o.type = *ft;
  o.pure = pure;
  o.n_threads = threads;
  return quantize_gguf(o);
}

TEST(Quantize, EveryQuantRefFileIsByteIdentical) {
  std::ifstream in(kModels + "quant-ref/reference.json");
  ASSERT_TRUE(in);
  const json ref = json::parse(in);
  const std::string out = tmp_path("ref.gguf");
  int n = 0;
  for (const auto& [file, entry] : ref.at("files").items()) {
    if (file == "synth-tiny.f32.gguf") continue;
    std::string mid = file.substr(11, file.size() - 11 - 5);  // between "synth-tiny." and ".gguf"
    const bool pure = mid.size() > 5 && mid.substr(mid.size() - 5) == ".pure";
    if (pure) mid.resize(mid.size() - 5);
    auto sum = run(kModels + "quant-ref/synth-tiny.f32.gguf", out, mid, pure);
    ASSERT_TRUE(sum.ok()) << file << ": " << sum.status().message();
    EXPECT_EQ(test::sha256_file(out), entry.at("sha256").get<std::string>()) << file;
    EXPECT_EQ(sum->file_bytes_out, entry.at("bytes").get<uint64_t>()) << file;
    EXPECT_EQ(sum->n_fallback, 0) << file;
    n++;
  }
  EXPECT_EQ(n, 30);
  std::filesystem::remove(out);
}

// stories260K's 64/172-wide rows force llama.cpp's per-tensor fallbacks; the requested file types
// are the ones stored in each file's general.file_type (TQ2_0 and IQ4_XS included: every tensor
// falls back to a type uma writes).
TEST(Quantize, Stories260KFallbackMixesAreByteIdentical) {
  const std::string out = tmp_path("stories.gguf");
  for (auto [name, type] : {std::pair{"f16", "F16"}, {"bf16", "BF16"}, {"q8_0-mix", "Q6_K"},
                            {"q5_1-mix", "Q5_K_S"}, {"q5_0-mix", "Q4_K_M"},
                            {"q4_0-mix", "TQ2_0"}, {"iq4_nl-mix", "IQ4_XS"}}) {
    auto sum = run(kModels + "stories260K.gguf", out, type, false, 3);
    ASSERT_TRUE(sum.ok()) << name << ": " << sum.status().message();
    const std::string want = kModels + "quant/stories260K." + name + ".gguf";
    EXPECT_EQ(test::sha256_file(out), test::sha256_file(want)) << name;
  }
  std::filesystem::remove(out);
}

TEST(Quantize, SummaryAndProgress) {
  const std::string out = tmp_path("sum.gguf");
  QuantizeOptions o{.input = kModels + "quant-ref/synth-tiny.f32.gguf", .output = out,
                    .type = quant::FileType::Q4_K_M, .n_threads = 1, .progress = nullptr};
  uint64_t last = 0, total = 0;
  o.progress = [&](uint64_t d, uint64_t t) {
    EXPECT_GE(d, last);
    last = d;
    total = t;
  };
  auto sum = quantize_gguf(o);
  ASSERT_TRUE(sum.ok()) << sum.status().message();
  EXPECT_EQ(last, total);
  EXPECT_EQ(sum->n_params, 1836288u);
  EXPECT_EQ(sum->n_tensors, 21u);
  EXPECT_EQ(sum->tensor_bytes_in, sum->n_params * 4);
  EXPECT_EQ(sum->tensor_bytes_out, 1130240u);  // as uma info reports for llama.cpp's file
  EXPECT_EQ(sum->type_counts.at(DType::Q6_K), 3);
  EXPECT_EQ(sum->type_counts.at(DType::F32), 5);
  EXPECT_EQ(test::sha256_file(out), test::sha256_file(kModels + "quant-ref/synth-tiny.Q4_K_M.gguf"));
  std::filesystem::remove(out);
}

void expect_error(const Result<QuantizeSummary>& r, const std::string& part) {
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(part), std::string::npos) << r.status().message();
}

TEST(Quantize, Refusals) {
  const std::string out = tmp_path("bad.gguf");
  const std::string src = kModels + "quant-ref/synth-tiny.f32.gguf";
  expect_error(run(kModels + "stories260K.gguf", out, "Q4_0"),
               "tensor 'blk.0.ffn_down.weight': row length 172 is not a multiple of 32");
  expect_error(run(kModels + "stories260K.gguf", out, "Q4_K_M", true), "row length 64");
  expect_error(run(src, out, "IQ4_XS"), "uma cannot write type iq4_xs");
  expect_error(run(kModels + "quant-ref/synth-tiny.Q4_0.pure.gguf", out, "Q8_0"),
               "--allow-requantize");
  expect_error(run(tmp_path("missing.gguf"), out, "Q8_0"), "missing.gguf");
  expect_error(run(kModels + "vocab/ggml-vocab-gpt-2.gguf", out, "Q8_0"), "no tensors to quantize");
  EXPECT_FALSE(std::filesystem::exists(out));

  // The output may not replace the input (it is mapped while the output is written).
  std::filesystem::copy_file(src, out);
  expect_error(run(out, out, "Q8_0"), "overwrite the input");
  std::filesystem::remove(out);

  // A NaN in a weight is refused with the tensor and row named, and nothing is written.
  const std::string nan_in = tmp_path("nan_in.gguf");
  gguf::Writer w;
  w.set_string("general.architecture", "llama");
  w.set_u32("llama.block_count", 1);
  w.set_u32("llama.attention.head_count", 1);
  std::vector<float> data(64 * 4, 0.5f);
  data[2 * 64 + 7] = std::numeric_limits<float>::quiet_NaN();
  w.add_tensor("blk.0.attn_q.weight", DType::F32, {64, 4}, data.data());
  ASSERT_TRUE(w.write(nan_in).is_ok());
  expect_error(run(nan_in, out, "Q8_0"), "tensor 'blk.0.attn_q.weight': row 2 holds NaN at column 7");
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out + ".tmp"));
  std::filesystem::remove(nan_in);
}

TEST(Quantize, RequantizeWhenAllowed) {
  const std::string out = tmp_path("req.gguf");
  QuantizeOptions o{.input = kModels + "quant-ref/synth-tiny.Q8_0.pure.gguf", .output = out,
                    .type = quant::FileType::Q4_0, .pure = true, .allow_requantize = true,
                    .n_threads = 2, .progress = nullptr};
  auto sum = quantize_gguf(o);
  ASSERT_TRUE(sum.ok()) << sum.status().message();
  auto f = gguf::GgufFile::open(out);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->find_tensor("blk.0.attn_q.weight")->type, DType::Q4_0);
  EXPECT_EQ(f->get_uint("general.file_type").value(), 2u);
  std::filesystem::remove(out);
}

TEST(Quantize, LlamaTensorOrder) {
  EXPECT_TRUE(llama_tensor_order_less("token_embd.weight", "blk.0.attn_q.weight"));
  EXPECT_TRUE(llama_tensor_order_less("output.weight", "token_embd.weight"));
  EXPECT_TRUE(llama_tensor_order_less("blk.2.ffn_up.weight", "blk.10.attn_k.weight"));
  EXPECT_TRUE(llama_tensor_order_less("blk.2.attn_v.weight", "blk.2.ffn_down.weight"));
}

}  // namespace
}  // namespace uma::convert

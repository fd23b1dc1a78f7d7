// Reader on the real files in the shared test data: every .gguf parses, known counts and shapes
// match, tensor data points into the mapping, values print as `uma info` shows them.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "gguf/gguf.h"

namespace uma::gguf {
namespace {

const std::string kModels = std::string(UMA_SHARED_DIR) + "/models";

std::vector<std::string> all_gguf_files() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(kModels, ec))
    if (e.is_regular_file() && e.path().extension() == ".gguf") out.push_back(e.path().string());
  return out;
}

TEST(GgufRead, EverySharedFileParses) {
  const auto files = all_gguf_files();
  ASSERT_GE(files.size(), 10u) << "no models under " << kModels;
  for (const auto& path : files) {
    auto f = GgufFile::open(path);
    ASSERT_TRUE(f.ok()) << f.status().message();
    EXPECT_TRUE(f->version() == 2 || f->version() == 3) << path;
    EXPECT_FALSE(f->metadata().empty()) << path;
    for (const auto& t : f->tensors()) {
      EXPECT_GE(t.data, f->base() + f->data_offset()) << path << " " << t.name;
      EXPECT_LE(t.data + t.nbytes, f->base() + f->file_size()) << path << " " << t.name;
    }
    for (const auto& [key, value] : f->metadata()) EXPECT_FALSE(value.to_string().empty()) << key;
  }
}

TEST(GgufRead, Stories260K) {
  auto f = GgufFile::open(kModels + "/stories260K.gguf");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->alignment(), 32u);
  EXPECT_EQ(f->tensors().size(), 48u);
  EXPECT_EQ(f->get_string("general.architecture").value(), "llama");
  EXPECT_EQ(f->get_uint("llama.block_count").value(), 5u);
  EXPECT_EQ(f->get_uint("llama.embedding_length").value(), 64u);
  EXPECT_NEAR(f->get_float("llama.attention.layer_norm_rms_epsilon").value(), 1e-5, 1e-12);

  const Value* tokens = f->find("tokenizer.ggml.tokens");
  ASSERT_NE(tokens, nullptr);
  ASSERT_TRUE(tokens->is_array());
  EXPECT_EQ(tokens->elem_type(), ValueType::STRING);
  EXPECT_EQ(tokens->array_size(), 512u);
  EXPECT_EQ(tokens->array_string(0), "<unk>");
  EXPECT_EQ(tokens->array_string(1), "<s>");
  EXPECT_EQ(tokens->array_string(512), "");  // out of range: empty, not a crash
  EXPECT_EQ(tokens->to_string(3), "[512 × string] \"<unk>\", \"<s>\", \"</s>\", …");

  const Value* types = f->find("tokenizer.ggml.token_type");
  ASSERT_NE(types, nullptr);
  EXPECT_EQ(types->elem_type(), ValueType::INT32);
  EXPECT_EQ(*types->array_int(0), 2);
  EXPECT_EQ(*types->array_number(1), 3.0);
  EXPECT_FALSE(types->array_int(512).has_value());

  const TensorInfo* emb = f->find_tensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->type, DType::F32);
  EXPECT_EQ(emb->shape_string(), "[64, 512]");
  EXPECT_EQ(emb->n_elements(), 64u * 512u);
  EXPECT_EQ(emb->nbytes, 64u * 512u * 4u);
  EXPECT_EQ(f->find_tensor("nope"), nullptr);
}

TEST(GgufRead, VocabFilesHaveNoTensors) {
  auto f = GgufFile::open(kModels + "/vocab/ggml-vocab-llama-spm.gguf");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->tensors().size(), 0u);
  EXPECT_GT(f->find("tokenizer.ggml.tokens")->array_size(), 1000u);
}

TEST(GgufRead, QuantizedTensorsHaveBlockSizes) {
  auto f = GgufFile::open(kModels + "/quant/stories260K.q8_0-mix.gguf");
  ASSERT_TRUE(f.ok()) << f.status().message();
  bool saw_q8 = false;
  for (const auto& t : f->tensors()) {
    if (t.type != DType::Q8_0) continue;
    saw_q8 = true;
    EXPECT_EQ(t.nbytes, t.n_rows() * (uint64_t)t.ne[0] / 32 * 34) << t.name;
  }
  EXPECT_TRUE(saw_q8);
}

TEST(GgufRead, MissingFileIsAnError) {
  auto f = GgufFile::open("/nonexistent/m.gguf");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("/nonexistent/m.gguf"), std::string::npos);
}

TEST(GgufRead, NonGgufFileIsAnError) {
  auto f = GgufFile::open(kModels + "/SOURCES.md");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("SOURCES.md: gguf: not a GGUF file"), std::string::npos)
      << f.status().message();
}

TEST(GgufRead, MovedFileKeepsViewsValid) {
  auto r = GgufFile::open(kModels + "/stories260K.gguf");
  ASSERT_TRUE(r.ok());
  const uint8_t* data = r->find_tensor("output_norm.weight")->data;
  GgufFile moved = std::move(r).value();
  EXPECT_EQ(moved.find_tensor("output_norm.weight")->data, data);
  EXPECT_EQ(moved.find("tokenizer.ggml.tokens")->array_string(2), "</s>");
}

}  // namespace
}  // namespace uma::gguf

// Per-tensor type choice (quant/ftype_mix.h) against files made by llama.cpp's llama-quantize:
// every tensor type of all 31 synth-tiny files in quant-ref/reference.json (shipped or not) and
// of the stories260K fallback mixes in models/quant, plus rules that need real model shapes.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "gguf/gguf.h"
#include "quant/ftype_mix.h"

using nlohmann::json;

namespace uma::quant {
namespace {

const std::string kModels = std::string(UMA_SHARED_DIR) + "/models/";

// Model-level fields of TensorShapeInfo from a llama-family GGUF.
TensorShapeInfo model_info(const gguf::GgufFile& f) {
  TensorShapeInfo m;
  m.arch = f.get_string("general.architecture").value();
  m.n_layer = (int64_t)f.get_uint(m.arch + ".block_count").value();
  m.n_head = (int64_t)f.get_uint(m.arch + ".attention.head_count").value();
  m.n_head_kv = (int64_t)f.get_uint_or(m.arch + ".attention.head_count_kv", m.n_head).value();
  m.has_output = f.find_tensor("output.weight") != nullptr;
  return m;
}

TensorShapeInfo tensor_info(TensorShapeInfo m, const gguf::TensorInfo& t) {
  m.ne.assign(t.ne, t.ne + t.n_dims);
  m.type = t.type;
  return m;
}

// The chosen type, or I8 (never chosen) after recording the error.
DType pick(FileType ft, const std::string& name, const TensorShapeInfo& m, bool pure) {
  auto r = choose_tensor_type(ft, name, m, pure);
  if (!r.ok()) ADD_FAILURE() << name << ": " << r.status().message();
  return r.ok() ? r.value() : DType::I8;
}

// "synth-tiny.Q4_K_M.pure.gguf" -> ("Q4_K_M", true).
std::pair<std::string, bool> parse_synth_name(const std::string& file) {
  std::string mid = file.substr(std::string("synth-tiny.").size());
  mid = mid.substr(0, mid.size() - std::string(".gguf").size());
  const bool pure = mid.size() > 5 && mid.substr(mid.size() - 5) == ".pure";
  if (pure) mid = mid.substr(0, mid.size() - 5);
  return {mid, pure};
}

TEST(FtypeMix, ReproducesEveryQuantRefFile) {
  std::ifstream in(kModels + "quant-ref/reference.json");
  ASSERT_TRUE(in) << "missing reference.json";
  const json ref = json::parse(in);
  auto src = gguf::GgufFile::open(kModels + "quant-ref/synth-tiny.f32.gguf");
  ASSERT_TRUE(src.ok()) << src.status().message();
  const TensorShapeInfo m = model_info(*src);

  int files = 0;
  for (const auto& [file, entry] : ref.at("files").items()) {
    auto [type_name, pure] = parse_synth_name(file);
    if (type_name == "f32") type_name = "F32";
    auto ft = file_type_from_name(type_name);
    ASSERT_TRUE(ft.has_value()) << file;
    EXPECT_EQ((uint64_t)*ft, entry.at("general.file_type").get<uint64_t>()) << file;
    const auto& types = entry.at("tensor_types");
    ASSERT_EQ(types.size(), src->tensors().size()) << file;
    for (const auto& t : src->tensors()) {
      auto got = choose_tensor_type(*ft, t.name, tensor_info(m, t), pure);
      ASSERT_TRUE(got.ok()) << file << ": " << got.status().message();
      auto want = dtype_from_name(types.at(t.name).get<std::string>());
      ASSERT_TRUE(want.has_value());
      EXPECT_EQ(dtype_name(*got), dtype_name(*want)) << file << ": " << t.name;
    }
    files++;
  }
  EXPECT_EQ(files, 31);
}

// stories260K rows are 64 and 172 wide: no K-quant block fits, so every tensor takes
// llama.cpp's fallback, and the 172-wide ffn_down ends as F16. general.file_type holds the
// requested file type; each tensor's type is compared with what llama-quantize wrote.
TEST(FtypeMix, ReproducesStories260KFallbackMixes) {
  auto src = gguf::GgufFile::open(kModels + "stories260K.gguf");
  ASSERT_TRUE(src.ok()) << src.status().message();
  const TensorShapeInfo m = model_info(*src);
  for (const char* name : {"f16", "bf16", "q8_0-mix", "q5_1-mix", "q5_0-mix", "q4_0-mix",
                           "iq4_nl-mix"}) {
    auto q = gguf::GgufFile::open(kModels + "quant/stories260K." + name + ".gguf");
    ASSERT_TRUE(q.ok()) << q.status().message();
    auto ft = file_type_from_id(q->get_uint("general.file_type").value());
    ASSERT_TRUE(ft.has_value()) << name;
    for (const auto& t : src->tensors()) {
      auto got = choose_tensor_type(*ft, t.name, tensor_info(m, t), false);
      ASSERT_TRUE(got.ok()) << name << ": " << got.status().message();
      const gguf::TensorInfo* qt = q->find_tensor(t.name);
      ASSERT_NE(qt, nullptr) << t.name;
      EXPECT_EQ(dtype_name(*got), dtype_name(qt->type)) << name << ": " << t.name;
    }
  }
}

// A legacy type has no fallback: llama.cpp refuses Q4_0/Q8_0 for stories260K (ffn_down is 172
// wide), and --pure never falls back.
TEST(FtypeMix, RefusesRowsTheBlockDoesNotDivide) {
  TensorShapeInfo m{.ne = {172, 64}, .n_layer = 5, .n_head = 8, .n_head_kv = 4};
  for (FileType ft : {FileType::Q4_0, FileType::Q8_0, FileType::Q5_1}) {
    auto r = choose_tensor_type(ft, "blk.0.ffn_down.weight", m, false);
    ASSERT_FALSE(r.ok()) << file_type_name(ft);
    EXPECT_NE(r.status().message().find("blk.0.ffn_down.weight"), std::string::npos);
    EXPECT_NE(r.status().message().find("172"), std::string::npos);
  }
  EXPECT_FALSE(choose_tensor_type(FileType::Q4_K_M, "blk.0.ffn_down.weight", m, true).ok());
  EXPECT_EQ(pick(FileType::Q4_K_M, "blk.0.ffn_down.weight", m, false), DType::F16);
  m.ne = {64, 172};
  EXPECT_EQ(pick(FileType::Q4_K_M, "blk.0.ffn_up.weight", m, false), DType::Q5_0);
  EXPECT_EQ(pick(FileType::F16, "blk.0.ffn_up.weight", m, true), DType::F16);
}

// Shapes of real models. Llama-2-7B (32 layers, no GQA), Q4_K_M: attn_v and ffn_down get Q6_K
// in layers 0-3, 28-31 and every third layer from 6 (use_more_bits); Q3_K_M: attn_v Q5_K in
// layers 0-1, ffn_down Q5_K in layers 0-1 (n_layer/16 = 2); Q4_K_S: attn_v Q5_K in layers 0-3.
TEST(FtypeMix, LayerRulesOnA32LayerModel) {
  TensorShapeInfo m{.ne = {4096, 4096}, .n_layer = 32, .n_head = 32, .n_head_kv = 32};
  auto type_of = [&](FileType ft, const std::string& name) {
    auto r = choose_tensor_type(ft, name, m, false);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : DType::F32;
  };
  for (int il = 0; il < 32; il++) {
    const std::string blk = "blk." + std::to_string(il) + ".";
    const bool more = il < 4 || il >= 28 || (il - 4) % 3 == 2;
    EXPECT_EQ(type_of(FileType::Q4_K_M, blk + "attn_v.weight"), more ? DType::Q6_K : DType::Q4_K)
        << il;
    EXPECT_EQ(type_of(FileType::Q5_K_M, blk + "ffn_down.weight"), more ? DType::Q6_K : DType::Q5_K)
        << il;
    EXPECT_EQ(type_of(FileType::Q3_K_M, blk + "attn_v.weight"), il < 2 ? DType::Q5_K : DType::Q4_K);
    EXPECT_EQ(type_of(FileType::Q3_K_M, blk + "ffn_down.weight"), il < 2 ? DType::Q5_K : DType::Q4_K);
    EXPECT_EQ(type_of(FileType::Q4_K_S, blk + "attn_v.weight"), il < 4 ? DType::Q5_K : DType::Q4_K);
    EXPECT_EQ(type_of(FileType::Q4_K_S, blk + "ffn_down.weight"), il < 4 ? DType::Q5_K : DType::Q4_K);
    EXPECT_EQ(type_of(FileType::Q4_K_M, blk + "attn_q.weight"), DType::Q4_K);
    EXPECT_EQ(type_of(FileType::Q3_K_L, blk + "attn_output.weight"), DType::Q5_K);
  }
  m.ne = {4096, 32000};
  EXPECT_EQ(type_of(FileType::Q4_0, "output.weight"), DType::Q6_K);
  EXPECT_EQ(type_of(FileType::Q8_0, "output.weight"), DType::Q8_0);
  EXPECT_EQ(type_of(FileType::Q4_0, "token_embd.weight"), DType::Q4_0);
  m.has_output = false;  // tied embeddings: token_embd is quantized as the output
  EXPECT_EQ(type_of(FileType::Q4_0, "token_embd.weight"), DType::Q6_K);
  m.ne = {4096};
  EXPECT_EQ(type_of(FileType::Q4_0, "blk.0.attn_norm.weight"), DType::F32);
}

// GQA and size rules: Q2_K attn_v is Q4_K from 4 q heads per kv head; 70B llama (80 layers, GQA)
// bumps Q3_K/Q4_K attn_v to Q5_K; 8-expert models put attn_v/attn_k in Q8_0.
TEST(FtypeMix, GqaSeventyBAndExpertRules) {
  TensorShapeInfo m{.ne = {8192, 1024}, .n_layer = 80, .n_head = 64, .n_head_kv = 8};
  EXPECT_EQ(pick(FileType::Q2_K, "blk.40.attn_v.weight", m, false), DType::Q5_K);
  EXPECT_EQ(pick(FileType::Q4_K_S, "blk.40.attn_v.weight", m, false), DType::Q5_K);
  EXPECT_EQ(pick(FileType::IQ4_NL, "blk.40.attn_v.weight", m, false), DType::Q5_K);
  m.n_layer = 32;
  EXPECT_EQ(pick(FileType::Q2_K, "blk.10.attn_v.weight", m, false), DType::Q4_K);
  EXPECT_EQ(pick(FileType::Q4_K_S, "blk.10.attn_v.weight", m, false), DType::Q4_K);
  m.n_expert = 8;
  EXPECT_EQ(pick(FileType::Q4_K_M, "blk.10.attn_v.weight", m, false), DType::Q8_0);
  EXPECT_EQ(pick(FileType::Q4_K_M, "blk.10.attn_k.weight", m, false), DType::Q8_0);
  EXPECT_EQ(pick(FileType::Q4_K_M, "blk.10.attn_output.weight", m, false),
            DType::Q5_K);
  EXPECT_EQ(pick(FileType::Q4_K_M, "blk.10.ffn_gate_inp.weight", m, false),
            DType::F32);
  EXPECT_FALSE(choose_tensor_type(FileType::Q4_K_M, "blk.99.ffn_down.weight", m, false).ok());
  EXPECT_FALSE(choose_tensor_type(FileType::Q4_K_M, "ffn_down.weight", m, false).ok());
}

TEST(FtypeMix, Names) {
  EXPECT_EQ(file_type_from_name("q4_k_m"), FileType::Q4_K_M);
  EXPECT_EQ(file_type_from_name("Q4_K"), FileType::Q4_K_M);
  EXPECT_EQ(file_type_from_name("Q3_K"), FileType::Q3_K_M);
  EXPECT_EQ(file_type_from_name("15"), FileType::Q4_K_M);
  EXPECT_EQ(file_type_from_name("bf16"), FileType::BF16);
  EXPECT_EQ(file_type_from_name("f32"), FileType::ALL_F32);
  EXPECT_FALSE(file_type_from_name("Q4_K_X").has_value());
  EXPECT_FALSE(file_type_from_name("").has_value());
  EXPECT_FALSE(file_type_from_name("4").has_value());  // removed Q4_1_SOME_F16
  EXPECT_FALSE(file_type_from_name("15x").has_value());
  EXPECT_EQ(file_type_from_id(25), FileType::IQ4_NL);
  for (FileType ft : all_file_types()) {
    EXPECT_EQ(file_type_from_name(file_type_name(ft)), ft);
    EXPECT_EQ(file_type_from_id((uint32_t)ft), ft);
  }
  EXPECT_EQ(file_type_base_type(FileType::Q5_K_S), DType::Q5_K);
  EXPECT_FALSE(file_type_can_write(FileType::IQ4_XS));
  EXPECT_TRUE(file_type_can_write(FileType::IQ4_NL));
}

}  // namespace
}  // namespace uma::quant

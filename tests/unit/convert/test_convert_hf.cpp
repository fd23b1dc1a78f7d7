// convert_hf against llama.cpp's convert_hf_to_gguf.py: stories260K's HF folder must give the file
// llama.cpp wrote (tensors, vocabulary, metadata); the Llama 3 and Qwen3 tokenizer.json files must
// give tokenizer metadata that passes llama.cpp's llama-bpe and qwen2 vectors; bad folders fail
// with one clear message.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "convert/convert.h"
#include "convert/safetensors.h"
#include "gguf/gguf.h"
#include "quant/quant.h"
#include "sha256.h"
#include "tokenizer/tokenizer.h"

namespace uma::convert {
namespace {

namespace fs = std::filesystem;
const std::string kModels = std::string(UMA_SHARED_DIR) + "/models/";
const std::string kStories = kModels + "hf/stories260K";

std::string tmp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("uma_test_convert_" + std::to_string(getpid()) + "_" + name))
      .string();
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Result<ConvertSummary> run(const std::string& dir, const std::string& out, const std::string& type,
                           bool vocab_only = false) {
  ConvertOptions o;
  o.dir = dir;
  o.output = out;
  o.type = type;
  o.vocab_only = vocab_only;
  o.n_threads = 2;
  return convert_hf(o);
}

TEST(ConvertHf, Stories260KIsByteIdenticalToLlamaCpp) {
  const std::string out = tmp_path("stories.f32.gguf");
  auto sum = run(kStories, out, "f32");
  ASSERT_TRUE(sum.ok()) << sum.status().message();
  EXPECT_EQ(sum->arch, "llama");
  EXPECT_EQ(sum->n_tensors, 47u);
  EXPECT_EQ(sum->n_params, 260032u);
  EXPECT_EQ(sum->n_vocab, 512u);
  const std::string ref = kModels + "hf/stories260K.llamacpp-convert.f32.gguf";
  EXPECT_EQ(test::sha256_file(out), test::sha256_file(ref));

  // Field by field too, so that a difference says where it is.
  auto a = gguf::GgufFile::open(out);
  auto b = gguf::GgufFile::open(ref);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->metadata().size(), b->metadata().size());
  for (size_t i = 0; i < b->metadata().size(); i++) {
    EXPECT_EQ(a->metadata()[i].first, b->metadata()[i].first) << i;
    EXPECT_EQ(a->metadata()[i].second.to_string(1000), b->metadata()[i].second.to_string(1000))
        << b->metadata()[i].first;
  }
  ASSERT_EQ(a->tensors().size(), b->tensors().size());
  for (size_t i = 0; i < b->tensors().size(); i++) {
    const auto &x = a->tensors()[i], &y = b->tensors()[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.shape_string(), y.shape_string()) << y.name;
    EXPECT_EQ(x.type, y.type) << y.name;
    EXPECT_TRUE(x.nbytes == y.nbytes && std::memcmp(x.data, y.data, y.nbytes) == 0) << y.name;
  }
  fs::remove(out);
}

// f16 / bf16 / q8_0: the matrices in that type (q8_0 falls back to f16 for the 172-wide ffn_down,
// as gguf-py does), norms f32; each tensor equals the reference quantizer applied to the f32 data.
TEST(ConvertHf, OutputTypes) {
  auto ref = gguf::GgufFile::open(kModels + "hf/stories260K.llamacpp-convert.f32.gguf");
  ASSERT_TRUE(ref.ok());
  for (auto [type, dt, ft] : {std::tuple{"f16", DType::F16, 1u}, {"bf16", DType::BF16, 32u},
                              {"q8_0", DType::Q8_0, 7u}}) {
    const std::string out = tmp_path(std::string("stories.") + type + ".gguf");
    auto sum = run(kStories, out, type);
    ASSERT_TRUE(sum.ok()) << sum.status().message();
    auto f = gguf::GgufFile::open(out);
    ASSERT_TRUE(f.ok()) << f.status().message();
    EXPECT_EQ(f->get_uint("general.file_type").value(), ft);
    for (const auto& t : ref->tensors()) {
      const gguf::TensorInfo* g = f->find_tensor(t.name);
      ASSERT_NE(g, nullptr) << t.name;
      DType want = t.n_dims == 1 ? DType::F32 : dt;
      if (want == DType::Q8_0 && t.ne[0] % 32 != 0) want = DType::F16;
      ASSERT_EQ(dtype_name(g->type), dtype_name(want)) << type << " " << t.name;
      std::vector<uint8_t> q(g->nbytes);
      if (want == DType::F32) std::memcpy(q.data(), t.data, t.nbytes);
      else quant::quantize_row(want, reinterpret_cast<const float*>(t.data), q.data(), t.n_elements());
      EXPECT_EQ(std::memcmp(q.data(), g->data, g->nbytes), 0) << type << " " << t.name;
    }
    fs::remove(out);
  }
}

// Runs llama.cpp's tokenizer test vectors (models/vocab/NAME.gguf.inp/.out) through a tokenizer.
void expect_vectors(const Tokenizer& tok, const std::string& name) {
  const std::string base = kModels + "vocab/" + name;
  const std::string inp = read_file(base + ".inp");
  std::istringstream out(read_file(base + ".out"));
  const std::string sep = "\n__ggml_vocab_test__\n";
  size_t n = 0;
  for (size_t pos = 0, e; pos < inp.size(); pos = e + sep.size(), n++) {
    e = inp.find(sep, pos);
    ASSERT_NE(e, std::string::npos);
    const std::string s = inp.substr(pos, e - pos);
    std::string line;
    ASSERT_TRUE(std::getline(out, line));
    std::string got;
    for (auto id : tok.encode(s, false, false)) got += (got.empty() ? "" : " ") + std::to_string(id);
    // The .out lines put a space before each id.
    while (!line.empty() && line.back() == ' ') line.pop_back();
    while (!line.empty() && line.front() == ' ') line.erase(0, 1);
    EXPECT_EQ(got, line) << name << " string " << n;
  }
  EXPECT_EQ(n, 46u);
}

TEST(ConvertHf, Llama3TokenizerJsonPassesLlamaBpeVectors) {
  const std::string out = tmp_path("llama3.vocab.gguf");
  auto sum = run(kModels + "tokenizers/llama3", out, "f16", /*vocab_only=*/true);
  ASSERT_TRUE(sum.ok()) << sum.status().message();
  auto f = gguf::GgufFile::open(out);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->get_string("tokenizer.ggml.model").value(), "gpt2");
  EXPECT_EQ(f->get_string("tokenizer.ggml.pre").value(), "llama-bpe");
  EXPECT_EQ(f->find("tokenizer.ggml.tokens")->array_size(), 128256u);
  EXPECT_EQ(f->find("tokenizer.ggml.merges")->array_size(), 280147u);
  EXPECT_EQ(f->get_uint("tokenizer.ggml.bos_token_id").value(), 128000u);
  EXPECT_EQ(f->get_uint("tokenizer.ggml.eos_token_id").value(), 128001u);
  EXPECT_NE(f->find("tokenizer.chat_template"), nullptr);
  EXPECT_EQ(f->find("tokenizer.ggml.token_type")->array_int(128000), 3);  // control
  EXPECT_EQ(f->find("tokenizer.ggml.token_type")->array_int(1000), 1);
  auto tok = Tokenizer::from_gguf(*f);
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  expect_vectors(*tok, "ggml-vocab-llama-bpe.gguf");
  EXPECT_EQ(tok->encode("hi", true, false).front(), 128000);  // llama-bpe adds BOS
  fs::remove(out);
}

TEST(ConvertHf, Qwen3TokenizerJsonPassesQwen2Vectors) {
  const std::string out = tmp_path("qwen3.vocab.gguf");
  auto sum = run(kModels + "tokenizers/qwen3", out, "f16", /*vocab_only=*/true);
  ASSERT_TRUE(sum.ok()) << sum.status().message();
  auto f = gguf::GgufFile::open(out);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->get_string("tokenizer.ggml.pre").value(), "qwen2");
  EXPECT_EQ(f->get_uint("tokenizer.ggml.eos_token_id").value(), 151645u);
  EXPECT_EQ(f->get_uint("tokenizer.ggml.padding_token_id").value(), 151643u);
  EXPECT_FALSE(f->get_bool("tokenizer.ggml.add_bos_token").value());
  auto tok = Tokenizer::from_gguf(*f);
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  expect_vectors(*tok, "ggml-vocab-qwen2.gguf");
  EXPECT_EQ(tok->encode("<|im_start|>user", false, true).front(), 151644);
  EXPECT_TRUE(tok->is_eog(151645));
  fs::remove(out);
}

TEST(ConvertHf, SizeLabelsAndNames) {
  EXPECT_EQ(size_label(260032), "260K");
  EXPECT_EQ(size_label(494032768), "494M");
  EXPECT_EQ(size_label(8030261248ull), "8.0B");
  EXPECT_EQ(size_label(1235814400), "1.2B");
  EXPECT_EQ(size_label(70553706496ull), "71B");
  int64_t layer;
  EXPECT_EQ(gguf_tensor_name("model.layers.12.self_attn.k_proj.bias", &layer).value(), "blk.12.attn_k.bias");
  EXPECT_EQ(layer, 12);
  EXPECT_EQ(gguf_tensor_name("model.layers.3.self_attn.rotary_emb.inv_freq", &layer).value(), "");
  EXPECT_FALSE(gguf_tensor_name("model.layers.x.mlp.up_proj.weight", &layer).ok());
  EXPECT_FALSE(gguf_tensor_name("transformer.h.0.attn.weight", &layer).ok());
}

// A copy of stories260K's folder that a test may break.
class BadFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_path("hf");
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    for (const auto& e : fs::directory_iterator(kStories))
      fs::copy_file(e.path(), fs::path(dir_) / e.path().filename());
    for (const auto& e : fs::directory_iterator(dir_))
      fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(fs::path(dir_) / name, std::ios::binary) << text;
  }
  void expect_error(const std::string& part, const std::string& type = "f32") {
    const std::string out = tmp_path("bad.gguf");
    auto r = run(dir_, out, type);
    ASSERT_FALSE(r.ok()) << "expected an error containing: " << part;
    EXPECT_NE(r.status().message().find(part), std::string::npos) << r.status().message();
    EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
    EXPECT_FALSE(fs::exists(out));
  }
  std::string dir_;
};

TEST_F(BadFolder, MissingOrNotADirectory) {
  auto r = run(dir_ + "/nope", tmp_path("x.gguf"), "f32");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no such directory"), std::string::npos);
  r = run(dir_ + "/config.json", tmp_path("x.gguf"), "f32");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not a directory"), std::string::npos);
}

TEST_F(BadFolder, ConfigProblems) {
  fs::remove(fs::path(dir_) / "config.json");
  expect_error("config.json: cannot open");
  write("config.json", "{\"architectures\": [\"LlamaForCausalLM\"], ");
  expect_error("config.json: not valid JSON");
  write("config.json", "{\"architectures\": [\"GPT2LMHeadModel\"]}");
  expect_error("architecture 'GPT2LMHeadModel' is not supported (supported: LlamaForCausalLM");
  write("config.json", "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 64}");
  expect_error("missing 'num_hidden_layers'");
  std::string cfg = read_file(kStories + "/config.json");
  cfg.replace(cfg.find("\"num_key_value_heads\": 4"), 24, "\"num_key_value_heads\": 3");
  write("config.json", cfg);
  expect_error("not a multiple of num_key_value_heads");
  cfg = read_file(kStories + "/config.json");
  cfg.replace(cfg.find("\"hidden_size\": 64"), 17, "\"hidden_size\": 72");
  write("config.json", cfg);
  expect_error("shape [512, 64], expected [512, 72] from config.json");
}

TEST_F(BadFolder, SafetensorsProblems) {
  const std::string st = read_file(kStories + "/model.safetensors");
  write("model.safetensors", st.substr(0, st.size() - 1000));
  expect_error("the file is truncated");
  write("model.safetensors", st.substr(0, 100));
  expect_error("header size");
  write("model.safetensors", "");
  expect_error("file too short");
  fs::remove(fs::path(dir_) / "model.safetensors");
  expect_error("no model*.safetensors files");
  write("model.safetensors.index.json", "{\"weight_map\": {\"x\": \"model-00001-of-00002.safetensors\"}}");
  expect_error("lists model-00001-of-00002.safetensors, which is missing");
}

TEST_F(BadFolder, TokenizerAndTypeProblems) {
  fs::remove(fs::path(dir_) / "tokenizer.model");
  expect_error("no tokenizer.model or tokenizer.json");
  write("tokenizer.model", "\xff\xff\xff");
  expect_error("tokenizer.model: sentencepiece: malformed protobuf");
  fs::copy_file(kStories + "/tokenizer.model", fs::path(dir_) / "tokenizer.model",
                fs::copy_options::overwrite_existing);
  expect_error("unknown output type 'q4_0'", "q4_0");
}

// Multi-file checkpoints: the same tensors split over two files with an index give the same GGUF.
TEST_F(BadFolder, ShardedCheckpointWithIndex) {
  auto one = SafetensorsFile::open(kStories + "/model.safetensors");
  ASSERT_TRUE(one.ok());
  // Split by writing two safetensors files by hand: first half of the names, then the rest.
  const auto& ts = one->tensors();
  std::string index = "{\"metadata\": {}, \"weight_map\": {";
  for (int part = 0; part < 2; part++) {
    const std::string fname = "model-0000" + std::to_string(part + 1) + "-of-00002.safetensors";
    std::string header = "{";
    std::string data;
    for (size_t i = part * ts.size() / 2; i < (part + 1) * ts.size() / 2; i++) {
      const auto& t = ts[i];
      std::string shape;
      for (int64_t d : t.shape) shape += (shape.empty() ? "" : ",") + std::to_string(d);
      header += (header.size() > 1 ? "," : "") + std::string("\"") + t.name +
                "\":{\"dtype\":\"F32\",\"shape\":[" + shape + "],\"data_offsets\":[" +
                std::to_string(data.size()) + "," + std::to_string(data.size() + t.nbytes) + "]}";
      data.append(reinterpret_cast<const char*>(t.data), t.nbytes);
      index += (index.back() == '{' ? "" : ",") + std::string("\"") + t.name + "\":\"" + fname + "\"";
    }
    header += "}";
    std::string bytes(8, '\0');
    for (int b = 0; b < 8; b++) bytes[b] = (char)((uint64_t)header.size() >> (8 * b));
    write(fname, bytes + header + data);
  }
  write("model.safetensors.index.json", index + "}}");
  fs::remove(fs::path(dir_) / "model.safetensors");
  const std::string out = tmp_path("sharded.gguf");
  auto sum = run(dir_, out, "f32");
  ASSERT_TRUE(sum.ok()) << sum.status().message();
  auto a = gguf::GgufFile::open(out);
  auto b = gguf::GgufFile::open(kModels + "hf/stories260K.llamacpp-convert.f32.gguf");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->tensors().size(), b->tensors().size());
  for (const auto& y : b->tensors()) {
    const gguf::TensorInfo* x = a->find_tensor(y.name);
    ASSERT_NE(x, nullptr) << y.name;
    EXPECT_EQ(std::memcmp(x->data, y.data, y.nbytes), 0) << y.name;
  }
  fs::remove(out);
}

}  // namespace
}  // namespace uma::convert

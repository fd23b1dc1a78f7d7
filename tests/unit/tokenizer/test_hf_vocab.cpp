// Qwen2's pre-tokenizer on the real Qwen vocabulary: the llama.cpp vocab GGUF is not in the shared
// data, so one is built in memory from Qwen3's tokenizer.json (same BPE vocab, merges and split
// regex, the way convert_hf_to_gguf.py writes it) and run through ggml-vocab-qwen2.gguf's vectors.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "gguf/gguf_writer.h"
#include "test_util.h"

namespace uma {
namespace {

using test::shared_path;

TEST(HfVocab, Qwen2Vectors) {
  const std::string json_path = shared_path("models/tokenizers/qwen3/tokenizer.json");
  const std::string vec = shared_path("models/vocab/ggml-vocab-qwen2.gguf");
  if (!std::filesystem::exists(json_path) || !std::filesystem::exists(vec + ".out"))
    GTEST_SKIP() << "qwen3 tokenizer.json or qwen2 vectors not present";
  const auto j = nlohmann::json::parse(test::read_file(json_path));
  const auto& model = j.at("model");

  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  auto put = [&](size_t id, const std::string& text, int32_t type) {
    if (tokens.size() <= id) {
      tokens.resize(id + 1);
      types.resize(id + 1, 1);
    }
    tokens[id] = text;
    types[id] = type;
  };
  for (const auto& [text, id] : model.at("vocab").items()) put(id.get<size_t>(), text, 1);
  for (const auto& a : j.at("added_tokens"))
    put(a.at("id").get<size_t>(), a.at("content").get<std::string>(),
        a.at("special").get<bool>() ? 3 : 4);
  std::vector<std::string> merges;
  for (const auto& m : model.at("merges"))
    merges.push_back(m.is_string() ? m.get<std::string>()
                                   : m.at(0).get<std::string>() + " " + m.at(1).get<std::string>());

  gguf::Writer w;
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", "qwen2");
  w.set_array_string("tokenizer.ggml.tokens", tokens);
  w.set_array_i32("tokenizer.ggml.token_type", types);
  w.set_array_string("tokenizer.ggml.merges", merges);
  w.set_u32("tokenizer.ggml.eos_token_id", 151645);
  w.set_bool("tokenizer.ggml.add_bos_token", false);
  auto bytes = w.write_to_memory();
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto f = gguf::GgufFile::parse(bytes->data(), bytes->size(), "qwen.gguf");
  ASSERT_TRUE(f.ok()) << f.status().message();
  auto tok = Tokenizer::from_gguf(*f);
  ASSERT_TRUE(tok.ok()) << tok.status().message();

  const std::string inp = test::read_file(vec + ".inp");
  std::istringstream out(test::read_file(vec + ".out"));
  const std::string sep = "\n__ggml_vocab_test__\n";
  size_t n = 0;
  for (size_t pos = 0, e; pos < inp.size(); pos = e + sep.size(), n++) {
    e = inp.find(sep, pos);
    ASSERT_NE(e, std::string::npos);
    const std::string s = inp.substr(pos, e - pos);
    std::string line;
    ASSERT_TRUE(std::getline(out, line));
    const auto ids = tok->encode(s, false, false);
    EXPECT_EQ(test::ids_to_string(ids), line) << "string " << n << ": '" << s << "'";
    EXPECT_EQ(tok->decode(ids), s);
  }
  EXPECT_EQ(n, 46u);
  EXPECT_TRUE(tok->is_eog(151645));
  EXPECT_EQ(tok->encode("<|im_start|>user", false, true).front(), 151644);
}

}  // namespace
}  // namespace uma

// llama.cpp's tokenizer test vectors (models/ggml-vocab-*.gguf.inp/.out): every string must
// tokenize to exactly the expected ids (no BOS, no special parsing), and round-trip where the
// tokenizer is lossless.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"

namespace uma {
namespace {

using test::shared_path;

struct Vectors {
  std::vector<std::string> inputs;
  std::vector<std::vector<TokenId>> expected;
};

// .inp: strings separated by "\n__ggml_vocab_test__\n", the file also ending with one.
// .out: one line of space-separated ids per string.
Vectors read_vectors(const std::string& base) {
  Vectors v;
  const std::string inp = test::read_file(base + ".inp");
  const std::string sep = "\n__ggml_vocab_test__\n";
  size_t pos = 0;
  while (pos < inp.size()) {
    size_t e = inp.find(sep, pos);
    if (e == std::string::npos) e = inp.size();
    v.inputs.push_back(inp.substr(pos, e - pos));
    pos = e == inp.size() ? e : e + sep.size();
  }
  std::istringstream out(test::read_file(base + ".out"));
  std::string line;
  while (std::getline(out, line)) {
    std::istringstream ls(line);
    std::vector<TokenId> ids;
    long id;
    while (ls >> id) ids.push_back((TokenId)id);
    v.expected.push_back(ids);
  }
  return v;
}

class VocabVectors : public ::testing::TestWithParam<const char*> {};

TEST_P(VocabVectors, MatchLlamaCpp) {
  const std::string base =
      shared_path(std::string("models/vocab/ggml-vocab-") + GetParam() + ".gguf");
  if (!std::filesystem::exists(base)) GTEST_SKIP() << base << " not present";
  auto loaded = test::load_tokenizer(base);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const Tokenizer& tok = *loaded->tok;
  const Vectors v = read_vectors(base);
  ASSERT_EQ(v.inputs.size(), 46u);
  ASSERT_EQ(v.inputs.size(), v.expected.size());
  int failures = 0;
  for (size_t i = 0; i < v.inputs.size(); i++) {
    const auto got = tok.encode(v.inputs[i], /*add_special=*/false, /*parse_special=*/false);
    EXPECT_EQ(test::ids_to_string(got), test::ids_to_string(v.expected[i]))
        << "string " << i << ": '" << v.inputs[i] << "'";
    failures += got != v.expected[i];
    // All vector strings are valid UTF-8 without U+2581, which every vocab here round-trips.
    EXPECT_EQ(tok.decode(got), v.inputs[i]) << "round trip of string " << i;
  }
  EXPECT_EQ(failures, 0);
}

INSTANTIATE_TEST_SUITE_P(Vocabs, VocabVectors,
                         ::testing::Values("llama-spm", "phi-3", "gpt-2", "deepseek-coder",
                                           "deepseek-llm", "falcon", "mpt", "refact", "starcoder",
                                           "llama-bpe"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace uma

// Tokenizer metadata read from hand-made GGUFs: tiny valid vocabs work, and every kind of broken
// tokenizer.ggml.* metadata gives an error naming the key instead of a crash.
#include <gtest/gtest.h>

#include <functional>

#include "gguf/gguf_writer.h"
#include "test_util.h"

namespace uma {
namespace {

const std::string kSp = "\xE2\x96\x81";  // U+2581

// A tiny SPM vocab: <unk> <s> </s> ▁ a b ▁a ab ▁ab, scores favouring longer pieces.
gguf::Writer spm_writer() {
  gguf::Writer w;
  w.set_string("general.architecture", "llama");
  w.set_string("tokenizer.ggml.model", "llama");
  w.set_array_string("tokenizer.ggml.tokens",
                     {"<unk>", "<s>", "</s>", kSp, "a", "b", kSp + "a", "ab", kSp + "ab"});
  w.set_array_f32("tokenizer.ggml.scores", {0, 0, 0, -1, -2, -3, -0.5f, -0.6f, -0.1f});
  w.set_array_i32("tokenizer.ggml.token_type", {2, 3, 3, 1, 1, 1, 1, 1, 1});
  w.set_u32("tokenizer.ggml.bos_token_id", 1);
  w.set_u32("tokenizer.ggml.eos_token_id", 2);
  return w;
}

// A tiny byte-level BPE vocab: a b Ġ ab Ġab <|endoftext|>.
gguf::Writer bpe_writer() {
  gguf::Writer w;
  w.set_string("general.architecture", "gpt2");
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string("tokenizer.ggml.pre", "gpt-2");
  w.set_array_string("tokenizer.ggml.tokens", {"a", "b", "\xC4\xA0", "ab",
                                               "\xC4\xA0"
                                               "ab",
                                               "<|endoftext|>"});
  w.set_array_i32("tokenizer.ggml.token_type", {1, 1, 1, 1, 1, 3});
  w.set_array_string("tokenizer.ggml.merges", {"a b", "\xC4\xA0 ab"});
  w.set_u32("tokenizer.ggml.bos_token_id", 5);
  w.set_u32("tokenizer.ggml.eos_token_id", 5);
  return w;
}

struct Built {
  std::vector<uint8_t> bytes;
  std::unique_ptr<gguf::GgufFile> file;
};

Built build(const gguf::Writer& w) {
  Built b;
  auto bytes = w.write_to_memory();
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  b.bytes = std::move(bytes).value();
  auto f = gguf::GgufFile::parse(b.bytes.data(), b.bytes.size(), "test.gguf");
  EXPECT_TRUE(f.ok()) << f.status().message();
  b.file = std::make_unique<gguf::GgufFile>(std::move(f).value());
  return b;
}

TEST(TokenizerMetadata, TinySpmWorks) {
  Built b = build(spm_writer());
  auto t = Tokenizer::from_gguf(*b.file);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->encode("ab", true, false), (std::vector<TokenId>{1, 8}));
  EXPECT_EQ(t->encode("ab a", false, false), (std::vector<TokenId>{8, 6}));
  // No byte tokens: unknown characters become <unk>, and the vocab is not lossless.
  EXPECT_EQ(t->encode("c", false, false), (std::vector<TokenId>{3, 0}));
  EXPECT_FALSE(t->lossless());
}

TEST(TokenizerMetadata, TinyBpeWorks) {
  Built b = build(bpe_writer());
  auto t = Tokenizer::from_gguf(*b.file);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->encode("ab ab", false, false), (std::vector<TokenId>{3, 4}));
  EXPECT_EQ(t->decode({3, 4}), "ab ab");
  EXPECT_TRUE(t->is_eog(5));
  // Bytes with no token are dropped, as in llama.cpp.
  EXPECT_EQ(t->encode("ac", false, false), (std::vector<TokenId>{0}));
}

TEST(TokenizerMetadata, NoneSentinelIdsKeepDefaults) {
  gguf::Writer w = spm_writer();
  w.set_u32("tokenizer.ggml.bos_token_id", 0xFFFFFFFFu);
  w.set_u32("tokenizer.ggml.padding_token_id", 0xFFFFFFFFu);
  Built b = build(w);
  auto t = Tokenizer::from_gguf(*b.file);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->bos(), 1);
}

struct BadCase {
  const char* name;
  bool bpe;
  std::function<void(gguf::Writer&)> edit;
  const char* expect;  // substring of the error
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadMetadata : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadMetadata, ClearError) {
  const BadCase& c = GetParam();
  gguf::Writer w = c.bpe ? bpe_writer() : spm_writer();
  c.edit(w);
  Built b = build(w);
  auto t = Tokenizer::from_gguf(*b.file);
  ASSERT_FALSE(t.ok()) << c.name << " loaded";
  EXPECT_NE(t.status().message().find(c.expect), std::string::npos)
      << c.name << ": " << t.status().message();
  EXPECT_EQ(t.status().message().find('\n'), std::string::npos);
}

const BadCase kBadCases[] = {
    {"no model", false, [](gguf::Writer& w) { w.remove("tokenizer.ggml.model"); },
     "tokenizer.ggml.model: missing"},
    {"model not a string", false, [](gguf::Writer& w) { w.set_u32("tokenizer.ggml.model", 1); },
     "tokenizer.ggml.model: expected a string"},
    {"unsupported model", false,
     [](gguf::Writer& w) { w.set_string("tokenizer.ggml.model", "t5"); },
     "unsupported tokenizer 't5'"},
    {"unknown pre", true, [](gguf::Writer& w) { w.set_string("tokenizer.ggml.pre", "foo"); },
     "unknown pre-tokenizer 'foo'"},
    {"no tokens", false, [](gguf::Writer& w) { w.remove("tokenizer.ggml.tokens"); },
     "tokenizer.ggml.tokens: missing"},
    {"tokens not strings", false,
     [](gguf::Writer& w) {
       w.set_array_i32("tokenizer.ggml.tokens", {1, 2, 3});
     },
     "tokenizer.ggml.tokens: expected an array of strings"},
    {"empty tokens", false,
     [](gguf::Writer& w) { w.set_array_string("tokenizer.ggml.tokens", {}); },
     "tokenizer.ggml.tokens: empty"},
    {"duplicate token", false,
     [](gguf::Writer& w) {
       w.set_array_string("tokenizer.ggml.tokens",
                          {"<unk>", "<s>", "</s>", "a", "b", "a", "x", "y", "z"});
     },
     "duplicate token 'a'"},
    {"token_type too short", false,
     [](gguf::Writer& w) {
       w.set_array_i32("tokenizer.ggml.token_type", {2, 3, 3});
     },
     "tokenizer.ggml.token_type: 3 entries for 9 tokens"},
    {"token_type not integers", false,
     [](gguf::Writer& w) { w.set_array_string("tokenizer.ggml.token_type", {"a"}); },
     "tokenizer.ggml.token_type: unexpected element type"},
    {"scores too short", false,
     [](gguf::Writer& w) { w.set_array_f32("tokenizer.ggml.scores", {0.5f}); },
     "tokenizer.ggml.scores: 1 entries for 9 tokens"},
    {"scores not an array", false,
     [](gguf::Writer& w) { w.set_f32("tokenizer.ggml.scores", 1.0f); },
     "tokenizer.ggml.scores: expected an array"},
    {"bos out of range", false,
     [](gguf::Writer& w) { w.set_u32("tokenizer.ggml.bos_token_id", 70000); },
     "tokenizer.ggml.bos_token_id: id 70000 out of range (n_vocab 9)"},
    {"eos out of range", true, [](gguf::Writer& w) { w.set_i32("tokenizer.ggml.eos_token_id", 6); },
     "tokenizer.ggml.eos_token_id: id 6 out of range"},
    {"bos not an integer", false,
     [](gguf::Writer& w) { w.set_string("tokenizer.ggml.bos_token_id", "1"); },
     "tokenizer.ggml.bos_token_id: expected an integer"},
    {"add_bos not a bool", false,
     [](gguf::Writer& w) { w.set_u32("tokenizer.ggml.add_bos_token", 1); },
     "tokenizer.ggml.add_bos_token: expected a bool"},
    {"add_bos without bos", true,
     [](gguf::Writer& w) {
       w.remove("tokenizer.ggml.bos_token_id");
       w.set_bool("tokenizer.ggml.add_bos_token", true);
     },
     "add_bos_token: true, but the vocab has no BOS token"},
    {"merges missing", true, [](gguf::Writer& w) { w.remove("tokenizer.ggml.merges"); },
     "tokenizer.ggml.merges: missing"},
    {"merge without space", true,
     [](gguf::Writer& w) {
       w.set_array_string("tokenizer.ggml.merges", {"a b", "ab"});
     },
     "tokenizer.ggml.merges[1]: no space in 'ab'"},
    {"merge with leading space only", true,
     [](gguf::Writer& w) { w.set_array_string("tokenizer.ggml.merges", {" ab"}); },
     "tokenizer.ggml.merges[0]: no space"},
    {"merges not strings", true,
     [](gguf::Writer& w) { w.set_array_i32("tokenizer.ggml.merges", {1}); },
     "tokenizer.ggml.merges: expected an array of strings"},
};

INSTANTIATE_TEST_SUITE_P(Cases, BadMetadata, ::testing::ValuesIn(kBadCases), [](const auto& info) {
  std::string n = info.param.name;
  for (char& ch : n)
    if (!isalnum((unsigned char)ch)) ch = '_';
  return n;
});

}  // namespace
}  // namespace uma

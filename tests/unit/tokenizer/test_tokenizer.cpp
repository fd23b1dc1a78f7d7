// Tokenizer behaviour beyond the vectors: real model vocabs, unsupported models, special-token
// parsing, EOG detection, lossless round trips and invalid UTF-8 input.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "test_util.h"

namespace uma {
namespace {

using test::shared_path;

Tokenizer& vocab(const char* name) {
  static std::map<std::string, test::Loaded> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    auto l =
        test::load_tokenizer(shared_path(std::string("models/vocab/ggml-vocab-") + name + ".gguf"));
    EXPECT_TRUE(l.ok()) << l.status().message();
    if (!l.ok()) std::abort();
    it = cache.emplace(name, std::move(l).value()).first;
  }
  return *it->second.tok;
}

TEST(Tokenizer, Stories260K) {
  auto l = test::load_tokenizer(shared_path("models/stories260K.gguf"));
  ASSERT_TRUE(l.ok()) << l.status().message();
  const Tokenizer& tok = *l->tok;
  EXPECT_EQ(tok.n_vocab(), 512);
  EXPECT_EQ(tok.model_name(), "llama");
  EXPECT_EQ(tok.bos(), 1);
  EXPECT_EQ(tok.eos(), 2);
  EXPECT_TRUE(tok.add_bos());
  EXPECT_TRUE(tok.is_eog(2));
  EXPECT_FALSE(tok.is_eog(1));
  const auto ids = tok.encode("Once upon a time", true, false);
  EXPECT_EQ(ids, (std::vector<TokenId>{1, 403, 407, 261, 378}));
  EXPECT_EQ(tok.decode(ids), "Once upon a time");
  EXPECT_EQ(tok.decode(ids, /*special=*/true), "<s> Once upon a time");
  EXPECT_EQ(tok.token_to_piece(403), " Once");
  EXPECT_EQ(tok.token_to_piece(1), "");
  EXPECT_EQ(tok.token_to_piece(1, true), "<s>");
  EXPECT_EQ(tok.token_to_piece(-1), "");
  EXPECT_EQ(tok.token_to_piece(512), "");
  EXPECT_TRUE(tok.encode("", true, false) == std::vector<TokenId>{1});
  EXPECT_TRUE(tok.encode("", false, false).empty());
}

TEST(Tokenizer, TinyRandomLlama2Vocab) {
  auto l = test::load_tokenizer(shared_path("models/random/llama-2-tiny-random.gguf"));
  ASSERT_TRUE(l.ok()) << l.status().message();
  EXPECT_EQ(l->tok->n_vocab(), 32000);
  EXPECT_EQ(l->tok->encode("Hello world", true, false), (std::vector<TokenId>{1, 15043, 3186}));
}

TEST(Tokenizer, BertIsUnsupported) {
  auto f = gguf::GgufFile::open(shared_path("models/vocab/ggml-vocab-bert-bge.gguf"));
  ASSERT_TRUE(f.ok()) << f.status().message();
  auto t = Tokenizer::from_gguf(*f);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("unsupported tokenizer 'bert'"), std::string::npos)
      << t.status().message();
}

// Vocabs without upstream vectors: they load and round-trip the vector strings.
class NoVectors : public ::testing::TestWithParam<const char*> {};
TEST_P(NoVectors, LoadAndRoundTrip) {
  const Tokenizer& tok = vocab(GetParam());
  // (lossless() may be false: NeoX has no tokens for bytes that never occur in UTF-8.)
  const std::string inp =
      test::read_file(shared_path("models/vocab/ggml-vocab-llama-spm.gguf.inp"));
  const std::string sep = "\n__ggml_vocab_test__\n";
  for (size_t pos = 0, e; pos < inp.size(); pos = e + sep.size()) {
    e = inp.find(sep, pos);
    if (e == std::string::npos) break;
    const std::string s = inp.substr(pos, e - pos);
    EXPECT_EQ(tok.decode(tok.encode(s, false, false)), s);
    EXPECT_EQ(tok.decode(tok.encode(s, true, false)), s);
  }
}
INSTANTIATE_TEST_SUITE_P(Vocabs, NoVectors, ::testing::Values("baichuan", "gpt-neox"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(Tokenizer, Gpt2Defaults) {
  const Tokenizer& tok = vocab("gpt-2");
  EXPECT_EQ(tok.model_name(), "gpt2");
  EXPECT_EQ(tok.pre_name(), "gpt-2");
  EXPECT_FALSE(tok.add_bos());
  EXPECT_FALSE(tok.add_space_prefix());
  EXPECT_TRUE(tok.lossless());
  EXPECT_TRUE(tok.is_eog(50256));
  EXPECT_EQ(tok.decode(tok.encode("Hello world", false, false)), "Hello world");
  // No BOS for GPT-2 even with add_special.
  EXPECT_EQ(tok.encode("Hello world", true, false), tok.encode("Hello world", false, false));
}

TEST(Tokenizer, NeoxDefaultPreTokenizer) {
  const Tokenizer& tok = vocab("gpt-neox");
  EXPECT_EQ(tok.pre_name(), "default");
}

TEST(Tokenizer, Llama3SpecialTokens) {
  const Tokenizer& tok = vocab("llama-bpe");
  EXPECT_EQ(tok.bos(), 128000);
  EXPECT_TRUE(tok.add_bos());
  const std::string text = "<|begin_of_text|>Hello<|eot_id|>";
  const auto parsed = tok.encode(text, false, true);
  ASSERT_GE(parsed.size(), 3u);
  EXPECT_EQ(parsed.front(), 128000);
  EXPECT_EQ(parsed.back(), 128009);
  EXPECT_TRUE(tok.is_eog(128009));
  EXPECT_TRUE(tok.is_control(128009));
  const auto plain = tok.encode(text, false, false);
  for (TokenId id : plain) EXPECT_LT(id, 128000) << "special matched without parse_special";
  EXPECT_EQ(tok.decode(plain), text);
  EXPECT_EQ(tok.decode(parsed), "Hello");
  EXPECT_EQ(tok.decode(parsed, true), text);
  // BOS is added once, at the front.
  const auto with_bos = tok.encode("Hello", true, false);
  EXPECT_EQ(with_bos.front(), 128000);
  EXPECT_EQ(with_bos.size(), 2u);
}

TEST(Tokenizer, SpmSpecialTokensAndPrefix) {
  const Tokenizer& tok = vocab("llama-spm");
  // With parse_special, "<s>" is BOS and the text after it gets the dummy prefix again.
  EXPECT_EQ(tok.encode("<s>Hello", false, true), (std::vector<TokenId>{1, 15043}));
  const auto plain = tok.encode("<s>Hello", false, false);
  EXPECT_NE(plain.front(), 1);
  EXPECT_EQ(tok.decode(plain), "<s>Hello");
}

TEST(Tokenizer, Phi3UserDefinedTokenAlwaysMatched) {
  const Tokenizer& tok = vocab("phi-3");
  // "</s>" is USER_DEFINED in the Phi-3 vocab: matched even without parse_special, and (Phi-3
  // rule) whitespace after it is stripped.
  const auto ids = tok.encode("a</s>  b", false, false);
  ASSERT_EQ(ids.size(), 3u) << test::ids_to_string(ids);
  EXPECT_EQ(ids[1], 2);
  // Control tokens only with parse_special.
  const auto user = tok.encode("<|user|>", false, true);
  EXPECT_EQ(user, (std::vector<TokenId>{32010}));
  EXPECT_NE(tok.encode("<|user|>", false, false), user);
}

TEST(Tokenizer, NeoxUserDefinedSpaceRuns) {
  const Tokenizer& tok = vocab("mpt");
  const std::string text = "a" + std::string(30, ' ') + "b";
  const auto ids = tok.encode(text, false, false);
  EXPECT_EQ(tok.decode(ids), text);
  bool has_run = false;
  for (TokenId id : ids) has_run = has_run || (id >= 50254 && id <= 50276);
  EXPECT_TRUE(has_run) << test::ids_to_string(ids);
}

TEST(Tokenizer, InvalidUtf8NeverCrashesAndRoundTrips) {
  const std::vector<std::string> bad = {
      "\xFF",
      "\xC3",
      "abc\xE2\x82",
      "\xF0\x9F\x98",
      "\x80\x80 x \xBF",
      "a\xC3(b",
      "\xED\xA0\x80",
      std::string("nul\0byte", 8),
      "\xF8\x88\x80\x80\x80",
      "  \xFE\xFE  \n\n\xC0\xAF",
  };
  for (const char* name :
       {"llama-spm", "gpt-2", "llama-bpe", "deepseek-llm", "deepseek-coder", "falcon", "starcoder",
        "mpt", "phi-3", "refact", "baichuan", "gpt-neox"}) {
    const Tokenizer& tok = vocab(name);
    for (const auto& s : bad) {
      for (bool special : {false, true}) {
        const auto ids = tok.encode(s, true, special);
        for (TokenId id : ids) ASSERT_TRUE(id >= 0 && id < tok.n_vocab());
        if (tok.lossless()) {
          EXPECT_EQ(tok.decode(ids), s) << name;
        }
      }
    }
  }
}

TEST(Tokenizer, RandomBytesRoundTrip) {
  std::mt19937 rng(42);
  for (const char* name : {"llama-spm", "gpt-2", "llama-bpe", "falcon", "mpt"}) {
    const Tokenizer& tok = vocab(name);
    if (!tok.lossless()) continue;  // falcon has no tokens for bytes C0/C1 (never in UTF-8)
    for (int iter = 0; iter < 200; iter++) {
      std::string s(rng() % 40, '\0');
      for (char& c : s) {
        // Mostly ASCII and spaces, some high bytes; never U+2581 (SPM treats it as a space).
        const uint32_t r = rng() % 100;
        c = r < 60   ? (char)(' ' + rng() % 95)
            : r < 75 ? ' '
            : r < 80 ? '\n'
                     : (char)(0x80 + rng() % 0x60);
      }
      EXPECT_EQ(tok.decode(tok.encode(s, false, false)), s) << name;
    }
  }
}

}  // namespace
}  // namespace uma

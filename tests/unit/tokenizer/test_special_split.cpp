// The one-pass special-token splitter against a direct transcription of llama.cpp's algorithm
// (one scan of every raw fragment per special token, longest token first), on random texts built
// from pieces of special tokens, for vocabs with many user-defined tokens and with RSTRIP rules.
#include <gtest/gtest.h>

#include <list>
#include <random>

#include "test_util.h"
#include "tokenizer/special_split.h"
#include "tokenizer/vocab.h"

namespace uma {
namespace {

using tok::Fragment;

std::vector<Fragment> reference_split(const tok::Vocab& v, std::string_view text,
                                      bool parse_special) {
  std::list<Fragment> frags;
  if (!text.empty()) frags.push_back({-1, 0, (uint32_t)text.size()});
  auto space = [&](uint32_t i) { return std::isspace((unsigned char)text[i]) != 0; };
  for (TokenId id : v.special) {
    if (!parse_special && (v.attr[id] & (tok::kAttrControl | tok::kAttrUnknown))) continue;
    const std::string& t = v.text[id];
    for (auto it = frags.begin(); it != frags.end(); ++it) {
      if (it->token >= 0) continue;
      uint32_t b = it->begin, e = it->end;
      auto pos = it;
      bool replaced = false;
      while (b < e) {
        const size_t m = text.substr(0, e).find(t, b);
        if (m == std::string_view::npos) break;
        uint32_t lb = b, le = (uint32_t)m;
        if (v.attr[id] & tok::kAttrLstrip)
          while (le > lb && space(le - 1)) le--;
        if (le > lb) frags.insert(pos, {-1, lb, le});
        frags.insert(pos, {id, (uint32_t)m, (uint32_t)(m + t.size())});
        replaced = true;
        b = (uint32_t)(m + t.size());
        if (v.attr[id] & tok::kAttrRstrip)
          while (b < e && space(b)) b++;
      }
      if (replaced) {
        if (b < e) frags.insert(pos, {-1, b, e});
        it = std::prev(frags.erase(pos));
      }
    }
  }
  return {frags.begin(), frags.end()};
}

class SpecialSplit : public ::testing::TestWithParam<const char*> {};

TEST_P(SpecialSplit, MatchesLlamaCppAlgorithm) {
  auto f = gguf::GgufFile::open(
      test::shared_path(std::string("models/vocab/ggml-vocab-") + GetParam() + ".gguf"));
  ASSERT_TRUE(f.ok()) << f.status().message();
  auto v = tok::load_vocab(*f);
  ASSERT_TRUE(v.ok()) << v.status().message();
  tok::SpecialSplitter splitter;
  splitter.build(*v);
  std::mt19937 rng(7);
  const std::vector<std::string> noise = {" ", "  ", "\n", "a", "x y", "é", "<", ">", "|", "\t "};
  std::vector<Fragment> got;
  for (int iter = 0; iter < 3000; iter++) {
    std::string text;
    const int parts = 1 + rng() % 8;
    for (int p = 0; p < parts; p++) {
      if (rng() % 2) {
        const std::string& t = v->text[v->special[rng() % v->special.size()]];
        // A whole special token, or a cut piece of one.
        const size_t a = rng() % 3 == 0 ? rng() % t.size() : 0;
        const size_t n = rng() % 3 == 0 ? rng() % (t.size() - a + 1) : t.size() - a;
        text += t.substr(a, n);
      } else {
        text += noise[rng() % noise.size()];
      }
    }
    for (bool parse_special : {false, true}) {
      splitter.split(*v, text, parse_special, got);
      const auto want = reference_split(*v, text, parse_special);
      ASSERT_EQ(got.size(), want.size()) << "'" << text << "' parse_special=" << parse_special;
      for (size_t i = 0; i < got.size(); i++) {
        EXPECT_EQ(got[i].token, want[i].token) << "'" << text << "' fragment " << i;
        EXPECT_EQ(got[i].begin, want[i].begin) << "'" << text << "' fragment " << i;
        EXPECT_EQ(got[i].end, want[i].end) << "'" << text << "' fragment " << i;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Vocabs, SpecialSplit,
                         ::testing::Values("phi-3", "deepseek-llm", "mpt", "starcoder",
                                           "llama-spm"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace uma

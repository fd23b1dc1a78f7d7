// StreamDecoder: whole UTF-8 characters only, SPM dummy-prefix handling after BOS.
#include <gtest/gtest.h>

#include "test_util.h"

namespace uma {
namespace {

using test::shared_path;

const Tokenizer& spm() {
  static test::Loaded l = [] {
    auto r = test::load_tokenizer(shared_path("models/vocab/ggml-vocab-llama-spm.gguf"));
    if (!r.ok()) {
      ADD_FAILURE() << r.status().message();
      std::abort();
    }
    return std::move(r).value();
  }();
  return *l.tok;
}

// llama-spm: "<0x00>" is id 3, so byte b is token 3 + b.
TokenId byte_token(uint8_t b) { return 3 + b; }

TEST(StreamDecoder, ThreeByteCharacterSplitOverByteTokens) {
  const Tokenizer& tok = spm();
  ASSERT_EQ(tok.token_to_piece(byte_token(0xE2)), "\xE2");
  StreamDecoder d(tok, /*after_bos=*/false);
  EXPECT_EQ(d.push(byte_token(0xE2)), "");
  EXPECT_EQ(d.push(byte_token(0x82)), "");
  EXPECT_EQ(d.push(byte_token(0xAC)), "\xE2\x82\xAC");  // €
  EXPECT_EQ(d.flush(), "");
}

TEST(StreamDecoder, FourByteCharacterAfterText) {
  const Tokenizer& tok = spm();
  const auto ids = tok.encode("hi \xF0\x9F\x98\x80!", true, false);  // 😀 falls back to bytes
  StreamDecoder d(tok);
  std::string out;
  for (TokenId id : ids) {
    const std::string piece = d.push(id);
    // Every chunk is whole UTF-8.
    for (size_t i = 0; i < piece.size(); i++) {
      const uint8_t c = (uint8_t)piece[i];
      if (c >= 0xF0) EXPECT_LE(i + 4, piece.size());
    }
    out += piece;
  }
  out += d.flush();
  EXPECT_EQ(out, "hi \xF0\x9F\x98\x80!");
}

TEST(StreamDecoder, DropsDummyPrefixAfterBos) {
  auto l = test::load_tokenizer(shared_path("models/stories260K.gguf"));
  ASSERT_TRUE(l.ok());
  StreamDecoder d(*l->tok);
  std::string out;
  for (TokenId id : {1, 403, 407, 261, 378}) out += d.push(id);
  EXPECT_EQ(out + d.flush(), "Once upon a time");
  StreamDecoder mid(*l->tok, /*after_bos=*/false);
  EXPECT_EQ(mid.push(403), " Once");
}

TEST(StreamDecoder, InvalidBytesAreNotHeldForever) {
  const Tokenizer& tok = spm();
  StreamDecoder d(tok, false);
  EXPECT_EQ(d.push(byte_token(0xFF)), "\xFF");  // can never start a character
  EXPECT_EQ(d.push(byte_token(0xE2)), "");
  EXPECT_EQ(d.push(byte_token('A')),
            "\xE2"
            "A");  // broken sequence: emitted as-is
  EXPECT_EQ(d.push(byte_token(0xF0)), "");
  EXPECT_EQ(d.flush(), "\xF0");
  EXPECT_EQ(d.push(-5), "");
  EXPECT_EQ(d.push(1 << 30), "");
}

TEST(StreamDecoder, ControlTokensAreSilent) {
  const Tokenizer& tok = spm();
  StreamDecoder d(tok, false);
  EXPECT_EQ(d.push(2), "");  // </s>
  EXPECT_EQ(d.push(15043), " Hello");
}

}  // namespace
}  // namespace uma

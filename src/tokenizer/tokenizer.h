// Tokenizer built from a GGUF's tokenizer.* metadata: SentencePiece-style BPE with byte fallback
// (tokenizer.ggml.model = "llama") and byte-level BPE with merges ("gpt2") plus the
// pre-tokenizer named by tokenizer.ggml.pre. Special/control tokens are matched in text only when
// asked (parse_special), as in llama.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "gguf/gguf.h"

namespace uma {

using TokenId = int32_t;

enum class TokenType : int32_t {  // tokenizer.ggml.token_type values
  kUndefined = 0, kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6,
};

class Tokenizer {
 public:
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;

  // Errors name the key and the problem ("tokenizer.ggml.tokens: missing", "unknown pre-tokenizer
  // 'foo'", "tokenizer.ggml.merges[12]: no space"...).
  static Result<Tokenizer> from_gguf(const gguf::GgufFile& file);

  // add_special: prepend BOS / append EOS as the vocab's add_bos/add_eos flags say.
  // parse_special: match control token texts (e.g. "<|im_start|>") inside `text`; user-defined
  // tokens are always matched, as in llama.cpp. Any bytes are accepted (invalid UTF-8 included).
  // Thread-safe: one Tokenizer may encode from many threads at once.
  std::vector<TokenId> encode(std::string_view text, bool add_special, bool parse_special) const;

  // Raw bytes of one token's piece: byte tokens (<0x0A>) become the byte, SPM "▁" becomes a space,
  // gpt2 byte-level characters map back to bytes; control tokens give "" unless `special`.
  std::string token_to_piece(TokenId id, bool special = false) const;
  // Concatenated pieces. For SPM vocabs with the dummy prefix, the first piece that renders
  // (leading BOS/control tokens render as nothing) loses one leading space, so
  // decode(encode(x)) == x. No clean-up of spaces before punctuation (llama.cpp's clean_spaces).
  std::string decode(const std::vector<TokenId>& ids, bool special = false) const;

  int32_t n_vocab() const;
  TokenId bos() const;  // -1 when the vocab has none
  TokenId eos() const;
  bool add_bos() const;
  bool add_eos() const;
  bool is_eog(TokenId id) const;    // end of generation: EOS, EOT, <|im_end|>, <|eot_id|>, ...
  bool is_control(TokenId id) const;
  // True when decode(encode(x)) == x for all byte strings x, invalid UTF-8 included: every byte
  // has a token that renders as exactly that byte (SPM byte fallback; byte-level BPE whose byte
  // symbols are normal tokens). One exception: SPM reads U+2581 in the text as a space.
  // Vocabs where this is false (falcon, NeoX, DeepSeek) still round-trip valid UTF-8.
  bool lossless() const;
  std::string_view model_name() const;  // "llama" | "gpt2"
  std::string_view pre_name() const;    // tokenizer.ggml.pre or "default"
  bool add_space_prefix() const;        // SPM dummy prefix

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  // encode() without BOS/EOS, for a text of at most 1 GiB.
  void encode_slice(std::string_view text, bool parse_special, std::vector<TokenId>& out) const;
  std::unique_ptr<Impl> impl_;
};

// Streaming detokenizer: feed generated ids one by one, get text that is always whole UTF-8
// characters (a multi-byte character split across tokens is held back until it completes).
// Drops the SPM dummy-prefix space of the first piece after BOS (llama2.c / llama.cpp behaviour).
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tok, bool after_bos = true);
  std::string push(TokenId id);
  std::string flush();  // whatever is pending (invalid/incomplete bytes, emitted as-is)

 private:
  const Tokenizer& tok_;
  bool first_ = true;
  bool after_bos_;
  std::string pending_;
};

}  // namespace uma

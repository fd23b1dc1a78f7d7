// Pre-tokenizers for byte-level BPE: the split regexes llama.cpp uses for each
// tokenizer.ggml.pre value, run with PCRE2 (UTF + UCP). Each regex splits every piece left by the
// previous one into matches and the unmatched text between them, as unicode_regex_split does.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace uma::tok {

struct PreTokenizerSpec {
  std::vector<const char*> regexes;
  bool ignore_merges = false;  // emit a pre-token found whole in the vocab without merging
  bool add_bos = false;        // default for tokenizer.ggml.add_bos_token
};

// The spec for a tokenizer.ggml.pre name ("" and "default" give the default); nullptr if unknown.
const PreTokenizerSpec* find_pre_tokenizer(std::string_view name);

struct Span {
  uint32_t begin;
  uint32_t end;
};

class PreTokenizer {
 public:
  PreTokenizer();
  ~PreTokenizer();
  PreTokenizer(PreTokenizer&&) noexcept;
  PreTokenizer& operator=(PreTokenizer&&) noexcept;

  // Compiles the spec's regexes (JIT when available). `name` is used in errors.
  static Result<PreTokenizer> create(const PreTokenizerSpec& spec, std::string_view name);

  // Splits `text` into consecutive non-empty byte ranges covering all of it. Invalid UTF-8 never
  // matches a regex; such bytes end up in the unmatched pieces, so every byte is kept.
  void split(std::string_view text, std::vector<Span>& out) const;

 private:
  struct Compiled;
  std::vector<std::unique_ptr<Compiled>> regexes_;
};

}  // namespace uma::tok

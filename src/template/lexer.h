// Template source -> tokens, following Jinja2's lexer with trim_blocks and lstrip_blocks on (as
// Hugging Face configures it): whitespace control ({%- -%} {{- -}} {#- -#} and '+'), comments,
// raw blocks, newline normalisation and the dropped final newline (keep_trailing_newline=False).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace uma::jinja {

enum class Tok : uint8_t {
  kData,
  kVarBegin,
  kVarEnd,
  kBlockBegin,
  kBlockEnd,
  kName,
  kString,
  kInt,
  kFloat,
  kOp,
  kEof,
};

struct Token {
  Tok type = Tok::kEof;
  std::string text;  // data, name, decoded string literal, or operator spelling
  int64_t int_value = 0;
  double float_value = 0;
  int line = 1;
};

// Errors read "line N: <what>" ("line 3: unterminated string literal").
Result<std::vector<Token>> tokenize(std::string_view source);

}  // namespace uma::jinja

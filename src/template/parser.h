// Tokens -> syntax tree, following Jinja2's grammar (statements for / if / set / macro / call /
// filter / with / break / continue / generation, expressions with Jinja's precedence).
#pragma once

#include <memory>
#include <string_view>

#include "core/status.h"
#include "template/ast.h"

namespace uma::jinja {

// Nesting limit for blocks and expressions (Jinja2 itself fails near 80 levels of parentheses).
inline constexpr int kMaxNesting = 100;

// Errors read "line N: <what>", e.g. "line 4: unknown tag 'endfor' (no open 'for')".
Result<std::unique_ptr<Program>> parse_program(std::string_view source);

}  // namespace uma::jinja

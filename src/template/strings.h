// Python string algorithms on UTF-8 (split, splitlines, replace, title, padding, str.format) and
// Jinja's own string helpers (the title filter's word rule), shared by methods and filters.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "template/value.h"

namespace uma::jinja {

class Interp;

std::vector<std::string> split_sep(std::string_view s, std::string_view sep, int64_t maxsplit,
                                   bool from_right);
std::vector<std::string> split_whitespace(std::string_view s, int64_t maxsplit, bool from_right);
std::vector<std::string> splitlines(std::string_view s, bool keepends);
// str.replace (an empty `old` inserts `repl` around every character); bounded by the size limit.
Result<std::string> replace_str(Interp& interp, std::string_view s, std::string_view old,
                                std::string_view repl, int64_t count);
std::string py_title(std::string_view s);       // str.title()
std::string py_capitalize(std::string_view s);  // str.capitalize()
std::string jinja_title(std::string_view s);    // Jinja's |title filter
bool py_isupper(std::string_view s);
bool py_islower(std::string_view s);
// mode -1: ljust, 0: center, 1: rjust (Python's centering rule).
std::string pad(std::string_view s, int64_t width, std::string_view fill, int mode);
// str.format(*args, **kwargs) with Jinja's sandboxed field lookup.
Result<std::string> str_format(std::string_view fmt, const CallArgs& args);

}  // namespace uma::jinja

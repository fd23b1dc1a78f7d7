// UTF-8 helpers with Python str semantics: code-point indexing, isspace / isprintable,
// upper/lower case mapping (a documented subset of Unicode), splitlines' line breaks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace uma::jinja::utf8 {

// True when `s` is well-formed UTF-8 (no surrogates, no overlongs, <= U+10FFFF).
bool valid(std::string_view s);
// Decode the code point starting at s[i] (s must be valid UTF-8) and advance i past it.
char32_t next(std::string_view s, size_t& i);
// Decode the code point ending just before s[i] and move i back to its first byte.
char32_t prev(std::string_view s, size_t& i);
void append(std::string& out, char32_t cp);
bool is_ascii(std::string_view s);
// Number of code points (Python len()).
size_t length(std::string_view s);
// Byte offset of code point `index` (index <= length); s must be valid UTF-8.
size_t offset_of(std::string_view s, size_t index);
std::vector<char32_t> decode(std::string_view s);
std::string encode(const std::vector<char32_t>& cps);

// Python str.isspace() for one code point (also what the re module's \s matches).
bool is_space(char32_t cp);
// Python str.splitlines() separators (\r\n counts as one; the caller handles that pair).
bool is_line_break(char32_t cp);
// Python str.isprintable() (repr escapes the rest). Unassigned code points count as printable.
bool is_printable(char32_t cp);
// Simple case mapping for ASCII, Latin-1, Latin Extended-A/Additional, Greek, Cyrillic,
// Armenian and fullwidth Latin; other scripts map to themselves.
char32_t to_upper(char32_t cp);
char32_t to_lower(char32_t cp);
bool is_cased(char32_t cp);  // has a case mapping in the table above (approximates Python's)
bool is_alpha(char32_t cp);  // ASCII letters, plus any non-ASCII cased letter
bool is_digit(char32_t cp);  // ASCII digits

// Python str.upper() / str.lower() (upper maps U+00DF to "SS" as Python does).
std::string upper(std::string_view s);
std::string lower(std::string_view s);

// Python str.strip()/lstrip()/rstrip(): with chars == nullptr whitespace, else the code points
// of *chars.
std::string_view strip(std::string_view s, const std::string_view* chars, bool left, bool right);

}  // namespace uma::jinja::utf8

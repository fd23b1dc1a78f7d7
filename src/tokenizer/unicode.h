// UTF-8 helpers and the GPT-2 byte<->unicode table used by byte-level BPE
// (https://github.com/openai/gpt-2/blob/master/src/encoder.py, bytes_to_unicode).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace uma::tok {

// Length of the UTF-8 sequence announced by a lead byte (1 for ASCII and for stray continuation
// bytes, as llama.cpp does, so text is always split into non-empty pieces).
inline size_t utf8_len(uint8_t lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

// Appends the UTF-8 encoding of a code point (callers pass code points <= 0x10FFFF).
void append_utf8(std::string& out, uint32_t cp);

// Number of bytes at the end of `s` that start a valid but unfinished UTF-8 character
// (0 when `s` ends on a character boundary or with bytes that can never complete).
size_t utf8_incomplete_tail(std::string_view s);

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool utf8_valid(std::string_view s);

// GPT-2 byte-level alphabet: every byte maps to one printable code point, stored as UTF-8.
std::string_view byte_to_unicode(uint8_t b);
// Inverse of byte_to_unicode for one code point; -1 when the code point is not in the alphabet.
int unicode_to_byte(uint32_t cp);

// Appends the byte-level encoding of raw bytes (each byte becomes its 1-2 byte UTF-8 symbol).
void byte_encode(std::string_view raw, std::string& out);
// Decodes byte-level text back to raw bytes; characters outside the alphabet are copied as-is.
void byte_decode(std::string_view encoded, std::string& out);

}  // namespace uma::tok

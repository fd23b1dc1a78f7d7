// UTF-8 helpers and the GPT-2 byte-level alphabet (bytes_to_unicode from OpenAI's encoder.py):
// printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100.. in byte order.
#include "tokenizer/unicode.h"

#include <array>

namespace uma::tok {

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back((char)cp);
  } else if (cp < 0x800) {
    out.push_back((char)(0xC0 | (cp >> 6)));
    out.push_back((char)(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back((char)(0xE0 | (cp >> 12)));
    out.push_back((char)(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back((char)(0x80 | (cp & 0x3F)));
  } else {
    out.push_back((char)(0xF0 | (cp >> 18)));
    out.push_back((char)(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back((char)(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back((char)(0x80 | (cp & 0x3F)));
  }
}

namespace {

// Decodes one well-formed character at s[i]; returns its length or 0 when malformed/truncated.
size_t decode_one(std::string_view s, size_t i, uint32_t* cp_out) {
  const uint8_t b0 = (uint8_t)s[i];
  if (b0 < 0x80) {
    *cp_out = b0;
    return 1;
  }
  size_t n;
  uint32_t cp, min;
  if ((b0 & 0xE0) == 0xC0) {
    n = 2;
    cp = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3;
    cp = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else
    return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; k++) {
    const uint8_t b = (uint8_t)s[i + k];
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *cp_out = cp;
  return n;
}

struct ByteTables {
  std::array<std::string, 256> to_unicode;
  std::array<int16_t, 0x144> to_byte;  // the alphabet's highest code point is U+0143
  ByteTables() {
    to_byte.fill(-1);
    auto printable = [](int b) {
      return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    int next = 0;
    for (int b = 0; b < 256; b++) {
      const uint32_t cp = printable(b) ? (uint32_t)b : 256u + (uint32_t)next++;
      append_utf8(to_unicode[b], cp);
      to_byte[cp] = (int16_t)b;
    }
  }
};

const ByteTables& tables() {
  static const ByteTables t;
  return t;
}

}  // namespace

size_t utf8_incomplete_tail(std::string_view s) {
  // A character is at most 4 bytes, so only the last 3 can be an unfinished prefix.
  const size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; back++) {
    const uint8_t b = (uint8_t)s[n - back];
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    size_t need = 0;
    if ((b & 0xE0) == 0xC0)
      need = 2;
    else if ((b & 0xF0) == 0xE0)
      need = 3;
    else if ((b & 0xF8) == 0xF0)
      need = 4;
    return need > back ? back : 0;
  }
  return 0;
}

bool utf8_valid(std::string_view s) {
  uint32_t cp;
  for (size_t i = 0; i < s.size();) {
    const size_t n = decode_one(s, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string_view byte_to_unicode(uint8_t b) { return tables().to_unicode[b]; }

int unicode_to_byte(uint32_t cp) { return cp < 0x144 ? tables().to_byte[cp] : -1; }

void byte_encode(std::string_view raw, std::string& out) {
  const auto& t = tables().to_unicode;
  for (char c : raw) out.append(t[(uint8_t)c]);
}

void byte_decode(std::string_view encoded, std::string& out) {
  uint32_t cp;
  for (size_t i = 0; i < encoded.size();) {
    const size_t n = decode_one(encoded, i, &cp);
    if (n == 0) {  // not UTF-8: keep the byte
      out.push_back(encoded[i++]);
      continue;
    }
    const int b = unicode_to_byte(cp);
    if (b >= 0)
      out.push_back((char)b);
    else
      out.append(encoded.substr(i, n));
    i += n;
  }
}

}  // namespace uma::tok

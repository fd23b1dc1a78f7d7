// UTF-8 decoding and the Unicode character properties Jinja/Python string methods need.
// Case mapping is a range table covering the scripts chat templates meet in practice.
#include "template/unicode.h"

namespace uma::jinja::utf8 {

bool valid(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    char32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; k++) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr char32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

char32_t next(std::string_view s, size_t& i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    i++;
    return c;
  }
  size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
  char32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
  for (size_t k = 1; k < len && i + k < s.size(); k++) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  }
  i += len;
  return cp;
}

char32_t prev(std::string_view s, size_t& i) {
  size_t j = i;
  do {
    j--;
  } while (j > 0 && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80);
  size_t k = j;
  const char32_t cp = next(s, k);
  i = j;
  return cp;
}

void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

size_t length(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

size_t offset_of(std::string_view s, size_t index) {
  size_t i = 0;
  for (size_t k = 0; k < index && i < s.size(); k++) next(s, i);
  return i;
}

std::vector<char32_t> decode(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) out.push_back(next(s, i));
  return out;
}

std::string encode(const std::vector<char32_t>& cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t cp : cps) append(out, cp);
  return out;
}

bool is_space(char32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20);
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool is_line_break(char32_t cp) {
  return cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || cp == 0x1C || cp == 0x1D ||
         cp == 0x1E || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

bool is_printable(char32_t cp) {
  if (cp < 0x20 || cp == 0x7F) return false;  // Cc
  if (cp < 0x7F) return true;
  if (cp <= 0xA0) return false;  // Cc 0x80-0x9F, Zs U+00A0
  if (cp == 0xAD) return false;  // Cf soft hyphen
  if ((cp >= 0x600 && cp <= 0x605) || cp == 0x61C || cp == 0x6DD || cp == 0x70F) return false;
  if (cp == 0x890 || cp == 0x891 || cp == 0x8E2 || cp == 0x180E || cp == 0x1680) return false;
  if (cp >= 0x2000 && cp <= 0x200F) return false;  // Zs + ZW* + LRM/RLM
  if (cp >= 0x2028 && cp <= 0x202F) return false;  // Zl, Zp, bidi embeddings, NNBSP
  if (cp >= 0x205F && cp <= 0x206F) return false;  // MMSP, word joiner, invisibles
  if (cp == 0x3000 || cp == 0xFEFF) return false;
  if (cp >= 0xD800 && cp <= 0xF8FF) return false;  // surrogates, private use
  if (cp >= 0xFFF9 && cp <= 0xFFFB) return false;
  if (cp == 0x110BD || cp == 0x110CD || (cp >= 0x13430 && cp <= 0x1343F)) return false;
  if ((cp >= 0x1BCA0 && cp <= 0x1BCA3) || (cp >= 0x1D173 && cp <= 0x1D17A)) return false;
  if (cp == 0xE0001 || (cp >= 0xE0020 && cp <= 0xE007F)) return false;
  if (cp >= 0xF0000) return false;  // supplementary private use
  return true;
}

namespace {

// Pairs laid out as (upper, lower) alternating from an even or odd start.
bool in_pair_block(char32_t cp, char32_t first, char32_t last) { return cp >= first && cp <= last; }

char32_t upper_nonascii(char32_t cp) {
  if (cp == 0xB5) return 0x39C;
  if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) return cp - 0x20;
  if (cp == 0xFF) return 0x178;
  if (cp == 0x131) return 'I';
  if (cp == 0x17F) return 'S';
  // Latin Extended-A: upper even / lower odd, except 0x139-0x148 and 0x179-0x17E (upper odd).
  if ((in_pair_block(cp, 0x100, 0x12F) || in_pair_block(cp, 0x132, 0x137) ||
       in_pair_block(cp, 0x14A, 0x177)) &&
      (cp & 1)) {
    return cp - 1;
  }
  if ((in_pair_block(cp, 0x139, 0x148) || in_pair_block(cp, 0x179, 0x17E)) && !(cp & 1)) {
    return cp - 1;
  }
  if (cp >= 0x1C4 && cp <= 0x1CC) return cp - (cp - 0x1C4) % 3;  // DŽ Dž dž, LJ Lj lj, NJ Nj nj
  if (cp >= 0x1F1 && cp <= 0x1F3) return 0x1F1;                  // DZ Dz dz
  if (in_pair_block(cp, 0x1CD, 0x1DC) && !(cp & 1)) return cp - 1;
  if ((in_pair_block(cp, 0x1DE, 0x1EF) || in_pair_block(cp, 0x1F8, 0x21F) ||
       in_pair_block(cp, 0x222, 0x233) || in_pair_block(cp, 0x246, 0x24F)) &&
      (cp & 1)) {
    return cp - 1;
  }
  if (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2) return cp - 0x20;
  if (cp == 0x3C2) return 0x3A3;
  if (cp == 0x3AC) return 0x386;
  if (cp >= 0x3AD && cp <= 0x3AF) return cp - 0x25;
  if (cp == 0x3CC) return 0x38C;
  if (cp == 0x3CD || cp == 0x3CE) return cp - 0x3F;
  if (cp >= 0x430 && cp <= 0x44F) return cp - 0x20;
  if (cp >= 0x450 && cp <= 0x45F) return cp - 0x50;
  if ((in_pair_block(cp, 0x460, 0x481) || in_pair_block(cp, 0x48A, 0x4BF) ||
       in_pair_block(cp, 0x4D0, 0x52F)) &&
      (cp & 1)) {
    return cp - 1;
  }
  if (in_pair_block(cp, 0x4C1, 0x4CE) && !(cp & 1)) return cp - 1;
  if (cp == 0x4CF) return 0x4C0;
  if (cp >= 0x561 && cp <= 0x586) return cp - 0x30;
  if ((in_pair_block(cp, 0x1E00, 0x1E95) || in_pair_block(cp, 0x1EA0, 0x1EFF)) && (cp & 1)) {
    return cp - 1;
  }
  if (cp >= 0xFF41 && cp <= 0xFF5A) return cp - 0x20;
  return cp;
}

char32_t lower_nonascii(char32_t cp) {
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 0x20;
  if (cp == 0x178) return 0xFF;
  if ((in_pair_block(cp, 0x100, 0x12F) || in_pair_block(cp, 0x132, 0x137) ||
       in_pair_block(cp, 0x14A, 0x177)) &&
      !(cp & 1)) {
    return cp + 1;
  }
  if ((in_pair_block(cp, 0x139, 0x148) || in_pair_block(cp, 0x179, 0x17E)) && (cp & 1)) {
    return cp + 1;
  }
  if (cp >= 0x1C4 && cp <= 0x1CC) return cp + 2 - (cp - 0x1C4) % 3;
  if (cp >= 0x1F1 && cp <= 0x1F3) return 0x1F3;
  if (in_pair_block(cp, 0x1CD, 0x1DC) && (cp & 1)) return cp + 1;
  if ((in_pair_block(cp, 0x1DE, 0x1EF) || in_pair_block(cp, 0x1F8, 0x21F) ||
       in_pair_block(cp, 0x222, 0x233) || in_pair_block(cp, 0x246, 0x24F)) &&
      !(cp & 1)) {
    return cp + 1;
  }
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 0x20;
  if (cp == 0x386) return 0x3AC;
  if (cp >= 0x388 && cp <= 0x38A) return cp + 0x25;
  if (cp == 0x38C) return 0x3CC;
  if (cp == 0x38E || cp == 0x38F) return cp + 0x3F;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  if ((in_pair_block(cp, 0x460, 0x481) || in_pair_block(cp, 0x48A, 0x4BF) ||
       in_pair_block(cp, 0x4D0, 0x52F)) &&
      !(cp & 1)) {
    return cp + 1;
  }
  if (in_pair_block(cp, 0x4C1, 0x4CE) && (cp & 1)) return cp + 1;
  if (cp == 0x4C0) return 0x4CF;
  if (cp >= 0x531 && cp <= 0x556) return cp + 0x30;
  if ((in_pair_block(cp, 0x1E00, 0x1E95) || in_pair_block(cp, 0x1EA0, 0x1EFF)) && !(cp & 1)) {
    return cp + 1;
  }
  if (cp >= 0xFF21 && cp <= 0xFF3A) return cp + 0x20;
  return cp;
}

}  // namespace

char32_t to_upper(char32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') ? cp - 32 : cp;
  return upper_nonascii(cp);
}

char32_t to_lower(char32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  if (cp == 0x130) return 'i';  // Python gives "i\u0307"; the combining dot is dropped here
  return lower_nonascii(cp);
}

bool is_cased(char32_t cp) { return cp == 0xDF || to_upper(cp) != cp || to_lower(cp) != cp; }

bool is_alpha(char32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
  return is_cased(cp) || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3040 && cp <= 0x30FF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x5D0 && cp <= 0x5EA) ||
         (cp >= 0x620 && cp <= 0x64A);
}

bool is_digit(char32_t cp) { return cp >= '0' && cp <= '9'; }

std::string upper(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const char32_t cp = next(s, i);
    if (cp == 0xDF) {
      out += "SS";
    } else {
      append(out, to_upper(cp));
    }
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool prev_cased = false;
  for (size_t i = 0; i < s.size();) {
    const char32_t cp = next(s, i);
    char32_t low = to_lower(cp);
    if (cp == 0x3A3 && prev_cased) {
      // Python's Final_Sigma rule: a capital sigma ending a word lowers to U+03C2.
      size_t j = i;
      if (j >= s.size() || !is_cased(next(s, j))) low = 0x3C2;
    }
    append(out, low);
    prev_cased = is_cased(cp);
  }
  return out;
}

std::string_view strip(std::string_view s, const std::string_view* chars, bool left, bool right) {
  auto strippable = [&](char32_t cp) {
    if (!chars) return is_space(cp);
    for (size_t k = 0; k < chars->size();) {
      if (next(*chars, k) == cp) return true;
    }
    return false;
  };
  size_t b = 0, e = s.size();
  if (left) {
    while (b < e) {
      size_t j = b;
      if (!strippable(next(s, j))) break;
      b = j;
    }
  }
  if (right) {
    while (e > b) {
      size_t j = e;
      if (!strippable(prev(s, j))) break;
      e = j;
    }
  }
  return s.substr(b, e - b);
}

}  // namespace uma::jinja::utf8

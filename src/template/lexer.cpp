// Jinja2-compatible tokenizer. The root state scans text for {{ {% {# (and {% raw %}); inside a
// tag it produces names, numbers, strings and operators until the matching end delimiter, which
// is only recognised while brackets are balanced (so "{{ {'a': {}} }}" works as in Jinja2).
#include "template/lexer.h"

#include <cmath>
#include <cstdlib>

#include "template/unicode.h"

namespace uma::jinja {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

// Python's "\n".join(newline_re.split(source)[::2]) minus one trailing empty line.
std::string normalize_newlines(std::string_view src) {
  std::string out;
  out.reserve(src.size());
  for (size_t i = 0; i < src.size(); i++) {
    if (src[i] == '\r') {
      out += '\n';
      if (i + 1 < src.size() && src[i + 1] == '\n') i++;
    } else {
      out += src[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Length of the Unicode whitespace run starting at s[i] (the re module's \s*).
size_t space_run(std::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size()) {
    size_t k = j;
    if (!utf8::is_space(utf8::next(s, k))) break;
    j = k;
  }
  return j - i;
}

bool all_space(std::string_view s) { return !s.empty() && space_run(s, 0) == s.size(); }

size_t count_newlines(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

class Lexer {
 public:
  explicit Lexer(std::string src) : src_(std::move(src)) {}

  Result<std::vector<Token>> run() {
    while (pos_ < src_.size()) UMA_TRY(root_step());
    push(Tok::kEof, "");
    return std::move(tokens_);
  }

 private:
  Status fail(const std::string& what) const {
    return error("line " + std::to_string(line_) + ": " + what);
  }

  void push(Tok t, std::string text) {
    Token tok;
    tok.type = t;
    tok.text = std::move(text);
    tok.line = line_;
    tokens_.push_back(std::move(tok));
  }

  // Text before a tag, with '-' stripping or lstrip_blocks applied (Jinja's OptionalLStrip).
  void emit_text(std::string_view text, char sign, bool lstrip_allowed) {
    const size_t newlines = count_newlines(text);
    if (sign == '-') {
      text = utf8::strip(text, nullptr, false, true);
    } else if (sign != '+' && lstrip_allowed) {
      const size_t nl = text.rfind('\n');
      const size_t l_pos = nl == std::string_view::npos ? 0 : nl + 1;
      if ((l_pos > 0 || line_starting_) && all_space(text.substr(l_pos))) {
        text = text.substr(0, l_pos);
      }
    }
    if (!text.empty()) push(Tok::kData, std::string(text));
    line_ += static_cast<int>(newlines);
  }

  // {% raw %} / {%- raw -%}: returns the position after it, or npos.
  size_t match_raw_begin(size_t p, char* sign) const {
    size_t i = p + 2;
    *sign = 0;
    if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) *sign = src_[i++];
    i += space_run(src_, i);
    if (src_.compare(i, 3, "raw") != 0) return std::string::npos;
    i += 3;
    i += space_run(src_, i);
    if (src_.compare(i, 3, "-%}") == 0) return i + 3 + space_run(src_, i + 3);
    if (src_.compare(i, 2, "%}") == 0) return i + 2;
    return std::string::npos;
  }

  Status root_step() {
    size_t p = pos_;
    while (true) {
      p = src_.find('{', p);
      if (p == std::string::npos || p + 1 >= src_.size()) {
        push(Tok::kData, src_.substr(pos_));
        line_ += static_cast<int>(count_newlines(std::string_view(src_).substr(pos_)));
        pos_ = src_.size();
        return Status::ok();
      }
      const char c = src_[p + 1];
      if (c == '{' || c == '%' || c == '#') break;
      p++;
    }
    const std::string_view text = std::string_view(src_).substr(pos_, p - pos_);
    const char kind = src_[p + 1];
    if (kind == '%') {
      char sign;
      const size_t after = match_raw_begin(p, &sign);
      if (after != std::string::npos) {
        emit_text(text, sign, true);
        const std::string_view tag = std::string_view(src_).substr(p, after - p);
        line_ += static_cast<int>(count_newlines(tag));
        line_starting_ = tag.back() == '\n';
        pos_ = after;
        return raw_body();
      }
    }
    size_t i = p + 2;
    char sign = 0;
    if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) sign = src_[i++];
    emit_text(text, sign, kind != '{');
    line_starting_ = false;
    pos_ = i;
    if (kind == '#') return comment_body();
    const int open_line = line_;
    push(kind == '{' ? Tok::kVarBegin : Tok::kBlockBegin, "");
    return tag_body(kind == '{', open_line);
  }

  Status comment_body() {
    const int open_line = line_;
    const size_t start = pos_;
    const size_t r = src_.find("#}", start);
    if (r == std::string::npos) {
      line_ = open_line;
      return fail("missing end of comment tag");
    }
    size_t end = r + 2;
    const char sign = r > start ? src_[r - 1] : 0;
    if (sign == '-') {
      end += space_run(src_, end);
    } else if (sign != '+' && end < src_.size() && src_[end] == '\n') {
      end++;  // trim_blocks
    }
    line_ += static_cast<int>(count_newlines(std::string_view(src_).substr(start, end - start)));
    line_starting_ = src_[end - 1] == '\n';
    pos_ = end;
    return Status::ok();
  }

  // Body of {% raw %}: everything up to {% endraw %} is data.
  Status raw_body() {
    const int open_line = line_;
    for (size_t q = src_.find("{%", pos_); q != std::string::npos; q = src_.find("{%", q + 1)) {
      size_t i = q + 2;
      char sign = 0;
      if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) sign = src_[i++];
      i += space_run(src_, i);
      if (src_.compare(i, 6, "endraw") != 0) continue;
      i += 6;
      i += space_run(src_, i);
      size_t end;
      if (src_.compare(i, 3, "+%}") == 0) {
        end = i + 3;
      } else if (src_.compare(i, 3, "-%}") == 0) {
        end = i + 3 + space_run(src_, i + 3);
      } else if (src_.compare(i, 2, "%}") == 0) {
        end = i + 2;
        if (end < src_.size() && src_[end] == '\n') end++;
      } else {
        continue;
      }
      emit_text(std::string_view(src_).substr(pos_, q - pos_), sign, true);
      const std::string_view tag = std::string_view(src_).substr(q, end - q);
      line_ += static_cast<int>(count_newlines(tag));
      line_starting_ = tag.back() == '\n';
      pos_ = end;
      return Status::ok();
    }
    line_ = open_line;
    return fail("missing end of raw directive");
  }

  // Tokens of a {{ ... }} or {% ... %} tag up to and including its end delimiter.
  Status tag_body(bool variable, int open_line) {
    std::string brackets;  // expected closers
    while (true) {
      if (pos_ >= src_.size()) {
        line_ = open_line;
        return fail(std::string("unexpected end of template: '") + (variable ? "{{" : "{%") +
                    "' is never closed");
      }
      if (brackets.empty()) {
        size_t end = std::string::npos;
        if (variable) {
          if (src_.compare(pos_, 3, "-}}") == 0) {
            end = pos_ + 3 + space_run(src_, pos_ + 3);
          } else if (src_.compare(pos_, 2, "}}") == 0) {
            end = pos_ + 2;
          }
        } else {
          if (src_.compare(pos_, 3, "+%}") == 0) {
            end = pos_ + 3;
          } else if (src_.compare(pos_, 3, "-%}") == 0) {
            end = pos_ + 3 + space_run(src_, pos_ + 3);
          } else if (src_.compare(pos_, 2, "%}") == 0) {
            end = pos_ + 2;
            if (end < src_.size() && src_[end] == '\n') end++;  // trim_blocks
          }
        }
        if (end != std::string::npos) {
          push(variable ? Tok::kVarEnd : Tok::kBlockEnd, "");
          const std::string_view tag = std::string_view(src_).substr(pos_, end - pos_);
          line_ += static_cast<int>(count_newlines(tag));
          line_starting_ = tag.back() == '\n';
          pos_ = end;
          return Status::ok();
        }
      }
      const size_t ws = space_run(src_, pos_);
      if (ws) {
        line_ += static_cast<int>(count_newlines(std::string_view(src_).substr(pos_, ws)));
        pos_ += ws;
        continue;
      }
      UMA_TRY(one_token(brackets));
    }
  }

  // (\d+_)*\d+ : digits with single underscores between them. Returns the end, or `i` if none.
  size_t digit_run(size_t i) const {
    size_t j = i;
    if (j >= src_.size() || !is_digit(src_[j])) return i;
    while (j < src_.size()) {
      if (is_digit(src_[j])) {
        j++;
      } else if (src_[j] == '_' && j + 1 < src_.size() && is_digit(src_[j + 1])) {
        j++;
      } else {
        break;
      }
    }
    return j;
  }

  // Jinja's float_re at pos_: returns its end or npos.
  size_t match_float() const {
    if (pos_ > 0 && src_[pos_ - 1] == '.') return std::string::npos;
    size_t i = digit_run(pos_);
    if (i == pos_) return std::string::npos;
    size_t frac_end = std::string::npos;
    if (i < src_.size() && src_[i] == '.') {
      const size_t f = digit_run(i + 1);
      if (f != i + 1) frac_end = f;
    }
    const size_t mant_end = frac_end != std::string::npos ? frac_end : i;
    if (mant_end < src_.size() && (src_[mant_end] == 'e' || src_[mant_end] == 'E')) {
      size_t e = mant_end + 1;
      if (e < src_.size() && (src_[e] == '+' || src_[e] == '-')) e++;
      const size_t ee = digit_run(e);
      if (ee != e) return ee;
    }
    return frac_end;
  }

  Status number_token() {
    const size_t fend = match_float();
    if (fend != std::string::npos) {
      std::string digits;
      for (size_t k = pos_; k < fend; k++) {
        if (src_[k] != '_') digits += src_[k];
      }
      Token tok;
      tok.type = Tok::kFloat;
      tok.float_value = std::strtod(digits.c_str(), nullptr);
      tok.text = src_.substr(pos_, fend - pos_);
      tok.line = line_;
      tokens_.push_back(std::move(tok));
      pos_ = fend;
      return Status::ok();
    }
    int base = 10;
    size_t i = pos_;
    if (src_[i] == '0' && i + 1 < src_.size()) {
      const char b = static_cast<char>(src_[i + 1] | 0x20);
      if (b == 'b' || b == 'o' || b == 'x') {
        base = b == 'b' ? 2 : b == 'o' ? 8 : 16;
        i += 2;
      }
    }
    auto valid_digit = [&](char c) {
      if (base == 2) return c == '0' || c == '1';
      if (base == 8) return c >= '0' && c <= '7';
      if (base == 16) return is_hex(c);
      return is_digit(c);
    };
    const size_t digits_start = i;
    unsigned __int128 value = 0;
    std::string spelled;
    while (i < src_.size()) {
      char c = src_[i];
      if (c == '_' && i + 1 < src_.size() && valid_digit(src_[i + 1]) &&
          (i > digits_start || base != 10)) {
        i++;
        continue;
      }
      if (!valid_digit(c)) break;
      // A decimal literal starting with 0 may only continue with zeros (Jinja's "0(_?0)*").
      if (base == 10 && src_[digits_start] == '0' && c != '0') break;
      const int d = is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
      value = value * base + d;
      if (value > static_cast<unsigned __int128>(INT64_MAX)) {
        return fail("integer literal too large");
      }
      i++;
    }
    if (i == digits_start) return fail("invalid integer literal");
    Token tok;
    tok.type = Tok::kInt;
    tok.int_value = static_cast<int64_t>(value);
    tok.text = src_.substr(pos_, i - pos_);
    tok.line = line_;
    tokens_.push_back(std::move(tok));
    pos_ = i;
    return Status::ok();
  }

  Status one_token(std::string& brackets) {
    const char c = src_[pos_];
    if (is_digit(c)) return number_token();
    if (is_name_start(c)) {
      size_t i = pos_;
      while (i < src_.size() && is_name_char(src_[i])) {
        if (static_cast<unsigned char>(src_[i]) >= 0x80) {
          size_t k = i;
          if (utf8::is_space(utf8::next(src_, k))) break;
          i = k;
        } else {
          i++;
        }
      }
      push(Tok::kName, src_.substr(pos_, i - pos_));
      pos_ = i;
      return Status::ok();
    }
    if (c == '\'' || c == '"') return string_token();
    static constexpr std::string_view kTwo[] = {"//", "**", "==", "!=", ">=", "<="};
    for (std::string_view op : kTwo) {
      if (src_.compare(pos_, 2, op) == 0) {
        push(Tok::kOp, std::string(op));
        pos_ += 2;
        return Status::ok();
      }
    }
    static constexpr std::string_view kOne = "+-/*%~[](){}><=.:|,;";
    if (kOne.find(c) == std::string_view::npos) {
      size_t k = pos_;
      std::string ch;
      utf8::append(ch, utf8::next(src_, k));
      return fail("unexpected character '" + ch + "'");
    }
    if (c == '(' || c == '[' || c == '{') {
      brackets += c == '(' ? ')' : c == '[' ? ']' : '}';
    } else if (c == ')' || c == ']' || c == '}') {
      if (brackets.empty()) return fail(std::string("unexpected '") + c + "'");
      if (brackets.back() != c) {
        return fail(std::string("unexpected '") + c + "', expected '" + brackets.back() + "'");
      }
      brackets.pop_back();
    }
    push(Tok::kOp, std::string(1, c));
    pos_++;
    return Status::ok();
  }

  Status string_token() {
    const char quote = src_[pos_];
    size_t i = pos_ + 1;
    while (i < src_.size() && src_[i] != quote) i += src_[i] == '\\' ? 2 : 1;
    if (i >= src_.size()) return fail("unterminated string literal");
    const std::string_view body = std::string_view(src_).substr(pos_ + 1, i - pos_ - 1);
    std::string value;
    UMA_TRY(unescape(body, value));
    push(Tok::kString, std::move(value));
    line_ += static_cast<int>(count_newlines(body));
    pos_ = i + 1;
    return Status::ok();
  }

  // Python's unicode-escape decoding of the literal (after backslashreplace, as Jinja does).
  Status unescape(std::string_view s, std::string& out) {
    for (size_t i = 0; i < s.size();) {
      if (s[i] != '\\' || i + 1 >= s.size()) {
        out += s[i++];
        continue;
      }
      const char c = s[i + 1];
      i += 2;
      switch (c) {
        case '\n':
          break;
        case '\\':
          out += '\\';
          break;
        case '\'':
          out += '\'';
          break;
        case '"':
          out += '"';
          break;
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'v':
          out += '\v';
          break;
        case 'x':
        case 'u':
        case 'U': {
          const size_t n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
          char32_t cp = 0;
          for (size_t k = 0; k < n; k++) {
            if (i + k >= s.size() || !is_hex(s[i + k])) {
              return fail(std::string("truncated \\") + c + " escape in string literal");
            }
            const char h = s[i + k];
            cp = cp * 16 + (is_digit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
          }
          i += n;
          if (cp > 0x10FFFF) return fail("illegal Unicode character in string literal");
          if (cp >= 0xD800 && cp <= 0xDFFF) return fail("lone surrogate in string literal");
          utf8::append(out, cp);
          break;
        }
        case 'N':
          return fail("\\N{...} escapes are not supported");
        default:
          if (c >= '0' && c <= '7') {
            char32_t cp = c - '0';
            for (int k = 0; k < 2 && i < s.size() && s[i] >= '0' && s[i] <= '7'; k++) {
              cp = cp * 8 + (s[i++] - '0');
            }
            utf8::append(out, cp);
          } else if (static_cast<unsigned char>(c) >= 0x80) {
            // backslashreplace turned the character into \xNN / \uNNNN / \UNNNNNNNN first, and
            // the backslash before it escaped the new backslash: "\é" reads as "\xe9".
            size_t k = i - 1;
            const char32_t cp = utf8::next(s, k);
            char buf[16];
            if (cp < 0x100) {
              std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
            } else if (cp < 0x10000) {
              std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
            } else {
              std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(cp));
            }
            out += buf;
            i = k;
          } else {
            out += '\\';
            out += c;
          }
      }
    }
    return Status::ok();
  }

  std::string src_;
  size_t pos_ = 0;
  int line_ = 1;
  bool line_starting_ = true;
  std::vector<Token> tokens_;
};

}  // namespace

Result<std::vector<Token>> tokenize(std::string_view source) {
  if (!utf8::valid(source)) return error("template is not valid UTF-8");
  Lexer lexer(normalize_newlines(source));
  return lexer.run();
}

}  // namespace uma::jinja

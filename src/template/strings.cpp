// Python str algorithms over UTF-8 code points, plus str.format's mini-language.
#include "template/strings.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "template/interp.h"
#include "template/ops.h"
#include "template/unicode.h"

namespace uma::jinja {

std::vector<std::string> split_sep(std::string_view s, std::string_view sep, int64_t maxsplit,
                                   bool from_right) {
  std::vector<std::string> out;
  if (!from_right) {
    size_t start = 0;
    while (maxsplit != 0) {
      const size_t p = s.find(sep, start);
      if (p == std::string_view::npos) break;
      out.emplace_back(s.substr(start, p - start));
      start = p + sep.size();
      maxsplit--;
    }
    out.emplace_back(s.substr(start));
    return out;
  }
  size_t end = s.size();
  while (maxsplit != 0 && end >= sep.size()) {
    const size_t p = s.substr(0, end).rfind(sep);
    if (p == std::string_view::npos) break;
    out.emplace_back(s.substr(p + sep.size(), end - p - sep.size()));
    end = p;
    maxsplit--;
  }
  out.emplace_back(s.substr(0, end));
  return std::vector<std::string>(out.rbegin(), out.rend());
}

std::vector<std::string> split_whitespace(std::string_view s, int64_t maxsplit, bool from_right) {
  const std::vector<char32_t> cps = utf8::decode(s);
  const size_t n = cps.size();
  std::vector<std::string> out;
  auto piece = [&](size_t b, size_t e) {
    return utf8::encode(std::vector<char32_t>(cps.begin() + b, cps.begin() + e));
  };
  if (!from_right) {
    size_t i = 0;
    while (true) {
      while (i < n && utf8::is_space(cps[i])) i++;
      if (i >= n) break;
      if (maxsplit == 0) {
        out.push_back(piece(i, n));  // the remainder keeps its trailing whitespace
        break;
      }
      size_t j = i;
      while (j < n && !utf8::is_space(cps[j])) j++;
      out.push_back(piece(i, j));
      maxsplit--;
      i = j;
    }
    return out;
  }
  size_t i = n;
  while (true) {
    while (i > 0 && utf8::is_space(cps[i - 1])) i--;
    if (i == 0) break;
    if (maxsplit == 0) {
      out.push_back(piece(0, i));  // the remainder keeps its leading whitespace
      break;
    }
    size_t j = i;
    while (j > 0 && !utf8::is_space(cps[j - 1])) j--;
    out.push_back(piece(j, i));
    maxsplit--;
    i = j;
  }
  return std::vector<std::string>(out.rbegin(), out.rend());
}

std::vector<std::string> splitlines(std::string_view s, bool keepends) {
  std::vector<std::string> out;
  size_t start = 0, i = 0;
  while (i < s.size()) {
    const size_t at = i;
    const char32_t cp = utf8::next(s, i);
    if (!utf8::is_line_break(cp)) continue;
    size_t end_of_break = i;
    if (cp == '\r' && i < s.size() && s[i] == '\n') end_of_break = ++i;
    out.emplace_back(s.substr(start, (keepends ? end_of_break : at) - start));
    start = end_of_break;
  }
  if (start < s.size()) out.emplace_back(s.substr(start));
  return out;
}

Result<std::string> replace_str(Interp& interp, std::string_view s, std::string_view old,
                                std::string_view repl, int64_t count) {
  std::string out;
  if (old.empty()) {
    // Python inserts `repl` before every character and at the end.
    int64_t done = 0;
    for (size_t i = 0; i <= s.size();) {
      if (count < 0 || done < count) {
        out += repl;
        done++;
      }
      if (i == s.size()) break;
      const size_t b = i;
      utf8::next(s, i);
      out.append(s.substr(b, i - b));
      UMA_TRY(interp.check_size(out.size()));
    }
    UMA_TRY(interp.charge_bytes(out.size()));
    return out;
  }
  size_t start = 0;
  int64_t done = 0;
  while (count < 0 || done < count) {
    const size_t p = s.find(old, start);
    if (p == std::string_view::npos) break;
    out.append(s.substr(start, p - start));
    out.append(repl);
    UMA_TRY(interp.check_size(out.size()));
    start = p + old.size();
    done++;
  }
  out.append(s.substr(start));
  UMA_TRY(interp.check_size(out.size()));
  UMA_TRY(interp.charge_bytes(out.size()));
  return out;
}

std::string py_title(std::string_view s) {
  std::string out;
  bool prev_cased = false;
  for (size_t i = 0; i < s.size();) {
    const char32_t cp = utf8::next(s, i);
    if (prev_cased) {
      utf8::append(out, utf8::to_lower(cp));
    } else if (cp == 0xDF) {
      out += "Ss";
    } else {
      utf8::append(out, utf8::to_upper(cp));
    }
    prev_cased = utf8::is_cased(cp);
  }
  return out;
}

std::string py_capitalize(std::string_view s) {
  std::string out;
  bool first = true;
  for (size_t i = 0; i < s.size();) {
    const char32_t cp = utf8::next(s, i);
    if (first && cp == 0xDF) {
      out += "Ss";
    } else {
      utf8::append(out, first ? utf8::to_upper(cp) : utf8::to_lower(cp));
    }
    first = false;
  }
  return out;
}

std::string jinja_title(std::string_view s) {
  // Jinja splits on runs of ([-\s({[<]+) and capitalises each piece: first character upper,
  // the rest lower.
  auto is_sep = [](char32_t c) {
    return c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || utf8::is_space(c);
  };
  std::string out;
  bool have_prev = false, prev_sep = false;
  for (size_t i = 0; i < s.size();) {
    const char32_t cp = utf8::next(s, i);
    const bool sep = is_sep(cp);
    const bool run_start = !have_prev || sep != prev_sep;
    if (run_start && cp == 0xDF) {
      out += "SS";
    } else {
      utf8::append(out, run_start ? utf8::to_upper(cp) : utf8::to_lower(cp));
    }
    have_prev = true;
    prev_sep = sep;
  }
  return out;
}

namespace {

bool is_upper_cp(char32_t c) { return utf8::is_cased(c) && utf8::to_lower(c) != c; }
bool is_lower_cp(char32_t c) { return utf8::is_cased(c) && utf8::to_upper(c) != c; }

}  // namespace

bool py_isupper(std::string_view s) {
  bool any = false;
  for (size_t i = 0; i < s.size();) {
    const char32_t cp = utf8::next(s, i);
    if (is_lower_cp(cp)) return false;
    any = any || is_upper_cp(cp);
  }
  return any;
}

bool py_islower(std::string_view s) {
  bool any = false;
  for (size_t i = 0; i < s.size();) {
    const char32_t cp = utf8::next(s, i);
    if (is_upper_cp(cp)) return false;
    any = any || is_lower_cp(cp);
  }
  return any;
}

std::string pad(std::string_view s, int64_t width, std::string_view fill, int mode) {
  const int64_t len = static_cast<int64_t>(utf8::length(s));
  if (width <= len) return std::string(s);
  const int64_t marg = width - len;
  int64_t left = 0;
  if (mode == 1) {
    left = marg;
  } else if (mode == 0) {
    left = marg / 2 + (marg & width & 1);
  }
  std::string out;
  for (int64_t i = 0; i < left; i++) out += fill;
  out += s;
  for (int64_t i = 0; i < marg - left; i++) out += fill;
  return out;
}

// ---- str.format ---------------------------------------------------------------------------

namespace {

struct Spec {
  std::string fill = " ";
  char align = 0, sign = '-', type = 0, grouping = 0;
  bool alt = false;
  int64_t width = -1, precision = -1;
};

Result<Spec> parse_spec(std::string_view spec) {
  Spec sp;
  size_t i = 0;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (!spec.empty()) {
    size_t k = 0;
    utf8::next(spec, k);
    if (k < spec.size() && is_align(spec[k])) {
      sp.fill = std::string(spec.substr(0, k));
      sp.align = spec[k];
      i = k + 1;
    } else if (is_align(spec[0])) {
      sp.align = spec[0];
      i = 1;
    }
  }
  if (i < spec.size() && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' ')) sp.sign = spec[i++];
  if (i < spec.size() && spec[i] == '#') {
    sp.alt = true;
    i++;
  }
  if (i < spec.size() && spec[i] == '0') {
    if (!sp.align) {
      sp.fill = "0";
      sp.align = '=';
    }
    i++;
  }
  if (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') {
    sp.width = 0;
    while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') {
      sp.width = std::min<int64_t>(sp.width * 10 + (spec[i++] - '0'), 1 << 20);
    }
  }
  if (i < spec.size() && (spec[i] == ',' || spec[i] == '_')) sp.grouping = spec[i++];
  if (i < spec.size() && spec[i] == '.') {
    i++;
    sp.precision = 0;
    if (i >= spec.size() || spec[i] < '0' || spec[i] > '9')
      return error("Format specifier missing precision");
    while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') {
      sp.precision = std::min<int64_t>(sp.precision * 10 + (spec[i++] - '0'), 1 << 20);
    }
  }
  if (i < spec.size()) sp.type = spec[i++];
  if (i < spec.size()) return error("Invalid format specifier");
  return sp;
}

std::string group_digits(const std::string& digits, char sep) {
  std::string out;
  const size_t n = digits.size();
  for (size_t i = 0; i < n; i++) {
    if (i && (n - i) % 3 == 0) out += sep;
    out += digits[i];
  }
  return out;
}

Result<std::string> format_value(const Value& v, std::string_view spec_text) {
  if (spec_text.empty()) return to_str(v);
  UMA_ASSIGN_OR_RETURN(Spec sp, parse_spec(spec_text));
  std::string body, sign_str;
  bool numeric = false;
  if (v.is_string() || (v.is_undefined() && !sp.type)) {
    if (sp.type && sp.type != 's') {
      return error(std::string("Unknown format code '") + sp.type + "' for object of type 'str'");
    }
    body = to_str(v);
    if (sp.precision >= 0 && static_cast<size_t>(sp.precision) < utf8::length(body)) {
      body = body.substr(0, utf8::offset_of(body, sp.precision));
    }
  } else if (v.is_number()) {
    numeric = true;
    char t = sp.type;
    const bool as_int = v.is_integral() && (t == 0 || t == 'd' || t == 'x' || t == 'X' ||
                                            t == 'o' || t == 'b' || t == 'n' || t == 'c');
    if (as_int) {
      const int64_t x = v.as_int();
      const unsigned long long mag =
          x < 0 ? 0ULL - static_cast<unsigned long long>(x) : static_cast<unsigned long long>(x);
      if (t == 'c') {
        utf8::append(body, static_cast<char32_t>(mag & 0x1FFFFF));
        numeric = false;
      } else if (t == 'x' || t == 'X' || t == 'o' || t == 'b') {
        std::string digits;
        const unsigned base = t == 'o' ? 8 : t == 'b' ? 2 : 16;
        unsigned long long m = mag;
        do {
          const int d = static_cast<int>(m % base);
          digits.insert(digits.begin(),
                        static_cast<char>(d < 10 ? '0' + d : (t == 'X' ? 'A' : 'a') + d - 10));
          m /= base;
        } while (m);
        if (sp.alt) digits.insert(0, t == 'o' ? "0o" : t == 'b' ? "0b" : t == 'X' ? "0X" : "0x");
        body = digits;
      } else {
        body = std::to_string(mag);
        if (sp.grouping) body = group_digits(body, sp.grouping);
      }
      if (x < 0) sign_str = "-";
    } else {
      if (v.is_integral() && t && t != 'e' && t != 'E' && t != 'f' && t != 'F' && t != 'g' &&
          t != 'G' && t != '%') {
        return error(std::string("Unknown format code '") + t + "' for object of type 'int'");
      }
      if (v.is_float() && t && t != 'e' && t != 'E' && t != 'f' && t != 'F' && t != 'g' &&
          t != 'G' && t != '%') {
        return error(std::string("Unknown format code '") + t + "' for object of type 'float'");
      }
      double d = v.as_double();
      if (std::signbit(d)) sign_str = "-";
      d = std::fabs(d);
      if (t == 0 && sp.precision < 0) {
        body = format_float(d);
      } else {
        const int prec = static_cast<int>(sp.precision < 0 ? 6 : sp.precision);
        char conv = t == 0 ? 'g' : t == '%' ? 'f' : t;
        if (t == '%') d *= 100;
        char fmt[16];
        std::snprintf(fmt, sizeof fmt, "%%%s.%d%c", sp.alt ? "#" : "", prec, conv);
        char buf[512];
        std::snprintf(buf, sizeof buf, fmt, d);
        body = buf;
        if (t == '%') body += '%';
      }
      if (sp.grouping) {
        const size_t dot = body.find_first_not_of("0123456789");
        body = group_digits(body.substr(0, dot), sp.grouping) +
               (dot == std::string::npos ? "" : body.substr(dot));
      }
    }
    if (sign_str.empty() && sp.sign != '-') sign_str = std::string(1, sp.sign);
  } else {
    return error("unsupported format string passed to " + type_name(v) + ".__format__");
  }
  const int64_t len = static_cast<int64_t>(utf8::length(sign_str) + utf8::length(body));
  const char align = sp.align ? sp.align : (numeric ? '>' : '<');
  if (sp.width <= len) return sign_str + body;
  const int64_t marg = sp.width - len;
  std::string fill;
  auto repeat_fill = [&](int64_t n) {
    std::string f;
    for (int64_t i = 0; i < n; i++) f += sp.fill;
    return f;
  };
  if (align == '=') return sign_str + repeat_fill(marg) + body;
  if (align == '>') return repeat_fill(marg) + sign_str + body;
  if (align == '^') return repeat_fill(marg / 2) + sign_str + body + repeat_fill(marg - marg / 2);
  return sign_str + body + repeat_fill(marg);
}

}  // namespace

Result<std::string> str_format(std::string_view fmt, const CallArgs& args) {
  std::string out;
  int64_t auto_index = 0;
  int numbering = 0;  // 0 unknown, 1 automatic, 2 manual
  for (size_t i = 0; i < fmt.size();) {
    const char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') {
        out += '}';
        i += 2;
        continue;
      }
      return error("Single '}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      i++;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out += '{';
      i += 2;
      continue;
    }
    const size_t close = fmt.find('}', i + 1);
    if (close == std::string_view::npos) return error("expected '}' before end of string");
    const std::string_view field = fmt.substr(i + 1, close - i - 1);
    i = close + 1;
    size_t name_end = field.find_first_of("!:");
    const std::string_view name = field.substr(0, name_end);
    char conversion = 0;
    std::string_view spec;
    if (name_end != std::string_view::npos) {
      if (field[name_end] == '!') {
        if (name_end + 1 >= field.size()) {
          return error("end of string while looking for conversion specifier");
        }
        conversion = field[name_end + 1];
        if (name_end + 2 < field.size()) {
          if (field[name_end + 2] != ':') return error("expected ':' after conversion specifier");
          spec = field.substr(name_end + 3);
        }
      } else {
        spec = field.substr(name_end + 1);
      }
    }
    const size_t first_end = std::min(name.find_first_of(".["), name.size());
    const std::string_view arg_name = name.substr(0, first_end);
    Value v;
    if (arg_name.empty() || std::all_of(arg_name.begin(), arg_name.end(),
                                        [](char ch) { return ch >= '0' && ch <= '9'; })) {
      int64_t idx;
      if (arg_name.empty()) {
        if (numbering == 2) {
          return error(
              "cannot switch from manual field specification to automatic field "
              "numbering");
        }
        numbering = 1;
        idx = auto_index++;
      } else {
        if (numbering == 1) {
          return error(
              "cannot switch from automatic field numbering to manual field "
              "specification");
        }
        numbering = 2;
        idx = std::stoll(std::string(arg_name.substr(0, 15)));
      }
      if (idx < 0 || idx >= static_cast<int64_t>(args.args.size())) {
        return error("Replacement index " + std::to_string(idx) +
                     " out of range for positional args tuple");
      }
      v = args.args[idx];
    } else {
      bool found = false;
      for (const auto& [k, val] : args.kwargs) {
        if (k == arg_name) {
          v = val;
          found = true;
        }
      }
      if (!found) return error(repr_string(arg_name));
    }
    // .attr and [key] accessors, resolved as Jinja's sandboxed formatter does.
    for (size_t p = first_end; p < name.size();) {
      if (name[p] == '.') {
        const size_t e = std::min(name.find_first_of(".[", p + 1), name.size());
        UMA_ASSIGN_OR_RETURN(v, get_attr(v, name.substr(p + 1, e - p - 1)));
        p = e;
      } else {
        const size_t e = name.find(']', p);
        if (e == std::string_view::npos) return error("Missing ']' in format string");
        const std::string_view key = name.substr(p + 1, e - p - 1);
        const bool digits = !key.empty() && std::all_of(key.begin(), key.end(), [](char ch) {
          return ch >= '0' && ch <= '9';
        });
        UMA_ASSIGN_OR_RETURN(
            v, get_item(v, digits ? Value::integer(std::stoll(std::string(key.substr(0, 15))))
                                  : Value::string(std::string(key))));
        p = e + 1;
      }
    }
    if (conversion == 'r' || conversion == 'a') {
      v = Value::string(to_repr(v));
    } else if (conversion == 's') {
      v = Value::string(to_str(v));
    } else if (conversion) {
      return error(std::string("Unknown conversion specifier ") + conversion);
    }
    UMA_ASSIGN_OR_RETURN(std::string piece, format_value(v, spec));
    out += piece;
  }
  return out;
}

}  // namespace uma::jinja

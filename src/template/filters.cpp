// Jinja2's built-in filters (plus Hugging Face's tojson), with Jinja2 3.1's semantics: which
// inputs they accept, how they treat Undefined, and what they return.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "template/builtins.h"
#include "template/callable.h"
#include "template/interp.h"
#include "template/json.h"
#include "template/ops.h"
#include "template/strings.h"
#include "template/unicode.h"

namespace uma::jinja {

namespace {

using Args = std::vector<std::optional<Value>>;

Value str_value(const Value& v) { return v.is_string() ? v : Value::string(to_str(v)); }

Result<int64_t> int_arg(const std::optional<Value>& v, int64_t dflt, std::string_view what) {
  if (!v) return dflt;
  if (!v->is_integral()) {
    return error(std::string(what) + ": '" + type_name(*v) +
                 "' object cannot be interpreted as an integer");
  }
  return v->as_int();
}

// Jinja's make_attrgetter: "a.b.0" looks up a, then b, then index 0 (getitem semantics).
Result<Value> get_path(const Value& item, const Value& attribute) {
  if (!attribute.is_string()) return get_item(item, attribute);
  Value cur = item;
  for (const std::string& part : split_sep(attribute.str(), ".", -1, false)) {
    const bool digits = !part.empty() && std::all_of(part.begin(), part.end(),
                                                     [](char c) { return c >= '0' && c <= '9'; });
    Value key = digits && part.size() < 18 ? Value::integer(std::stoll(part)) : Value::string(part);
    UMA_ASSIGN_OR_RETURN(cur, get_item(cur, key));
  }
  return cur;
}

Value ignore_case(const Value& v) {
  return v.is_string() ? Value::string(utf8::lower(v.str())) : v;
}

// Stable sort with Python's < (errors surface instead of being swallowed).
Status sort_values(std::vector<std::pair<Value, Value>>& keyed, bool reverse) {
  Status st;
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    if (!st.is_ok()) return false;
    Result<bool> lt = reverse ? less_op(b.first, a.first, "<") : less_op(a.first, b.first, "<");
    if (!lt.ok()) {
      st = lt.status();
      return false;
    }
    return *lt;
  });
  return st;
}

// ---- string filters ----

Result<Value> f_trim(Interp&, const Value& v, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(Args a, bind_args("filter 'trim'", {"chars"}, args));
  const std::string s = to_str(v);
  if (a[0] && !a[0]->is_none()) {
    if (!a[0]->is_string()) return error("strip arg must be None or str");
    const std::string_view chars = a[0]->str();
    return Value::string(std::string(utf8::strip(s, &chars, true, true)));
  }
  return Value::string(std::string(utf8::strip(s, nullptr, true, true)));
}

Result<Value> f_upper(Interp&, const Value& v, CallArgs& args) {
  UMA_TRY(bind_args("filter 'upper'", {}, args).status());
  return Value::string(utf8::upper(to_str(v)));
}

Result<Value> f_lower(Interp&, const Value& v, CallArgs& args) {
  UMA_TRY(bind_args("filter 'lower'", {}, args).status());
  return Value::string(utf8::lower(to_str(v)));
}

Result<Value> f_capitalize(Interp&, const Value& v, CallArgs& args) {
  UMA_TRY(bind_args("filter 'capitalize'", {}, args).status());
  return Value::string(py_capitalize(to_str(v)));
}

Result<Value> f_title(Interp&, const Value& v, CallArgs& args) {
  UMA_TRY(bind_args("filter 'title'", {}, args).status());
  return Value::string(jinja_title(to_str(v)));
}

Result<Value> f_string(Interp&, const Value& v, CallArgs& args) {
  UMA_TRY(bind_args("filter 'string'", {}, args).status());
  return str_value(v);
}

Result<Value> f_safe(Interp&, const Value& v, CallArgs& args) {
  UMA_TRY(bind_args("filter 'safe'", {}, args).status());
  return str_value(v);  // autoescape is off, so marking safe only makes it a string
}

Result<Value> f_escape(Interp&, const Value& v, CallArgs& args) {
  UMA_TRY(bind_args("filter 'escape'", {}, args).status());
  std::string out;
  for (char c : to_str(v)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return Value::string(std::move(out));
}

Result<Value> f_replace(Interp& interp, const Value& v, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(Args a, bind_args("filter 'replace'", {"old", "new", "count"}, args, 2));
  int64_t count = -1;
  if (a[2] && !a[2]->is_none()) {
    UMA_ASSIGN_OR_RETURN(count, int_arg(a[2], -1, "replace"));
  }
  UMA_ASSIGN_OR_RETURN(std::string out,
                       replace_str(interp, to_str(v), to_str(*a[0]), to_str(*a[1]), count));
  return Value::string(std::move(out));
}

Result<Value> f_center(Interp& interp, const Value& v, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(Args a, bind_args("filter 'center'", {"width"}, args));
  UMA_ASSIGN_OR_RETURN(int64_t width, int_arg(a[0], 80, "center"));
  UMA_TRY(interp.check_size(static_cast<size_t>(std::max<int64_t>(width, 0))));
  return Value::string(pad(to_str(v), width, " ", 0));
}

Result<Value> f_indent(Interp& interp, const Value& v, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(Args a, bind_args("filter 'indent'", {"width", "first", "blank"}, args));
  std::string indention;
  if (a[0] && a[0]->is_string()) {
    indention = a[0]->str();
  } else {
    UMA_ASSIGN_OR_RETURN(int64_t w, int_arg(a[0], 4, "indent"));
    UMA_TRY(interp.check_size(static_cast<size_t>(std::max<int64_t>(w, 0))));
    indention.assign(static_cast<size_t>(std::max<int64_t>(w, 0)), ' ');
  }
  if (v.is_undefined()) return error(v.undefined_message());
  if (!v.is_string()) {
    return error("unsupported operand type(s) for +=: '" + type_name(v) + "' and 'str'");
  }
  const bool first = a[1] && truthy(*a[1]);
  const bool blank = a[2] && truthy(*a[2]);
  // Jinja appends "\n" first so splitlines() keeps a trailing empty line.
  const std::vector<std::string> lines = splitlines(v.str() + "\n", false);
  std::string rv;
  if (blank) {
    for (size_t i = 0; i < lines.size(); i++) {
      if (i) rv += "\n" + indention;
      rv += lines[i];
      UMA_TRY(interp.check_size(rv.size()));
    }
  } else {
    rv = lines.empty() ? "" : lines[0];
    for (size_t i = 1; i < lines.size(); i++) {
      rv += "\n";
      if (!lines[i].empty()) rv += indention;
      rv += lines[i];
      UMA_TRY(interp.check_size(rv.size()));
    }
  }
  if (first) rv = indention + rv;
  UMA_TRY(interp.charge_bytes(rv.size()));
  return Value::string(std::move(rv));
}

Result<Value> f_truncate(Interp&, const Value& v, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(
      Args a, bind_args("filter 'truncate'", {"length", "killwords", "end", "leeway"}, args));
  UMA_ASSIGN_OR_RETURN(int64_t length, int_arg(a[0], 255, "truncate"));
  const bool killwords = a[1] && truthy(*a[1]);
  const std::string end = a[2] ? to_str(*a[2]) : "...";
  UMA_ASSIGN_OR_RETURN(int64_t leeway,
                       int_arg(a[3] && !a[3]->is_none() ? a[3] : std::nullopt, 5, "truncate"));
  const int64_t end_len = static_cast<int64_t>(utf8::length(end));
  if (length < end_len) {
    return error("expected length >= " + std::to_string(end_len) + ", got " +
                 std::to_string(length));
  }
  if (leeway < 0) return error("expected leeway >= 0, got " + std::to_string(leeway));
  const std::string s = to_str(v);
  if (static_cast<int64_t>(utf8::length(s)) <= length + leeway) return Value::string(s);
  const std::string head = s.substr(0, utf8::offset_of(s, length - end_len));
  if (killwords) return Value::string(head + end);
  return Value::string(split_sep(head, " ", 1, true)[0] + end);
}

Result<Value> f_wordcount(Interp&, const Value& v, CallArgs& args) {
  UMA_TRY(bind_args("filter 'wordcount'", {}, args).status());
  const std::string s = to_str(v);
  int64_t n = 0;
  bool in_word = false;
  for (size_t i = 0; i < s.size();) {
    const char32_t cp = utf8::next(s, i);
    const bool word = utf8::is_alpha(cp) || utf8::is_digit(cp) || cp == '_' ||
                      (cp >= 0x80 && !utf8::is_space(cp) && utf8::is_printable(cp) &&
                       !(cp >= 0x2000 && cp <= 0x206F) && !(cp >= 0x3000 && cp <= 0x303F));
    if (word && !in_word) n++;
    in_word = word;
  }
  return Value::integer(n);
}

Result<Value> f_format(Interp&, const Value& v, CallArgs& args) {
  if (!args.args.empty() && !args.kwargs.empty()) {
    return error("can't handle positional and keyword arguments at the same time");
  }
  Value fmt_args;
  if (!args.kwargs.empty()) {
    Dict d;
    for (const auto& [k, val] : args.kwargs) d.set(std::string_view(k), val);
    UMA_ASSIGN_OR_RETURN(fmt_args, Value::dict(std::move(d)));
  } else {
    UMA_ASSIGN_OR_RETURN(fmt_args, Value::tuple(args.args));
  }
  UMA_ASSIGN_OR_RETURN(std::string out, percent_format(to_str(v), fmt_args));
  return Value::string(std::move(out));
}

// ---- conversions ----

// Python int(str, base): optional whitespace, sign, underscores between digits, base prefixes.
std::optional<int64_t> parse_py_int(std::string_view s, int base) {
  s = utf8::strip(s, nullptr, true, true);
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.size() > 1 && s[0] == '0') {
    const char p = static_cast<char>(s[1] | 0x20);
    const int pb = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (pb && (base == 0 || base == pb)) {
      base = pb;
      s.remove_prefix(2);
      if (!s.empty() && s[0] == '_') s.remove_prefix(1);
    }
  }
  if (base == 0) base = 10;
  if (s.empty()) return std::nullopt;
  __int128 v = 0;
  bool prev_underscore = true;
  for (char c : s) {
    if (c == '_') {
      if (prev_underscore) return std::nullopt;
      prev_underscore = true;
      continue;
    }
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
      d = (c | 0x20) - 'a' + 10;
    } else {
      return std::nullopt;
    }
    if (d >= base) return std::nullopt;
    v = v * base + d;
    if (v > static_cast<__int128>(INT64_MAX) + 1) return std::nullopt;
    prev_underscore = false;
  }
  if (prev_underscore) return std::nullopt;
  v = neg ? -v : v;
  if (v > INT64_MAX || v < INT64_MIN) return std::nullopt;
  return static_cast<int64_t>(v);
}

// Python float(str).
std::optional<double> parse_py_float(std::string_view s) {
  s = utf8::strip(s, nullptr, true, true);
  std::string t;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '_') {
      if (i == 0 || i + 1 == s.size() || !std::isdigit(static_cast<unsigned char>(s[i - 1])) ||
          !std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
        return std::nullopt;
      }
      continue;
    }
    t += s[i];
  }
  if (t.empty()) return std::nullopt;
  std::string lower = utf8::lower(t);
  std::string_view body = lower;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) body.remove_prefix(1);
  if (body == "inf" || body == "infinity" || body == "nan") {
    const double x = body == "nan" ? NAN : INFINITY;
    return lower[0] == '-' ? -x : x;
  }
  for (char c : body) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == '+' ||
          c == '-')) {
      return std::nullopt;
    }
  }
  char* end = nullptr;
  const double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return std::nullopt;
  return d;
}

Result<Value> f_int(Interp&, const Value& v, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(Args a, bind_args("filter 'int'", {"default", "base"}, args));
  const Value dflt = a[0] ? *a[0] : Value::integer(0);
  UMA_ASSIGN_OR_RETURN(int64_t base, int_arg(a[1], 10, "int"));
  if (v.is_undefined()) return error(v.undefined_message());
  if (v.is_integral()) return Value::integer(v.as_int());
  if (v.is_float()) {
    const double d = v.as_double();
    if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return dflt;
    return Value::integer(static_cast<int64_t>(std::trunc(d)));
  }
  if (v.is_string()) {
    if (auto i = parse_py_int(v.str(), static_cast<int>(base))) return Value::integer(*i);
    if (auto f = parse_py_float(v.str())) {
      if (std::isfinite(*f) && std::fabs(*f) < 9.2e18) {
        return Value::integer(static_cast<int64_t>(std::trunc(*f)));
      }
    }
  }
  return dflt;
}

Result<Value> f_float(Interp&, const Value& v, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(Args a, bind_args("filter 'float'", {"default"}, args));
  const Value dflt = a[0] ? *a[0] : Value::number(0.0);
  if (v.is_undefined()) return error(v.undefined_message());
  if (v.is_number()) return Value::number(v.as_double());
  if (v.is_string()) {
    if (auto f = parse_py_float(v.str())) return Value::number(*f);
  }
  return dflt;
}

Result<Value> f_abs(Interp&, const Value& v, CallArgs& args) {
  UMA_TRY(bind_args("filter 'abs'", {}, args).status());
  if (v.is_integral()) {
    if (v.as_int() == INT64_MIN) return error("integer overflow");
    return Value::integer(std::llabs(v.as_int()));
  }
  if (v.is_float()) return Value::number(std::fabs(v.as_double()));
  if (v.is_undefined()) return error(v.undefined_message());
  return error("bad operand type for abs(): '" + type_name(v) + "'");
}

Result<Value> f_round(Interp&, const Value& v, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(Args a, bind_args("filter 'round'", {"precision", "method"}, args));
  UMA_ASSIGN_OR_RETURN(int64_t precision, int_arg(a[0], 0, "round"));
  const std::string method = a[1] ? to_str(*a[1]) : "common";
  if (method != "common" && method != "ceil" && method != "floor") {
    return error("method must be common, ceil or floor");
  }
  if (v.is_undefined()) return error(v.undefined_message());
  if (!v.is_number()) {
    return error("type " + type_name(v) + " doesn't define __round__ method");
  }
  precision = std::clamp<int64_t>(precision, -308, 308);
  if (method != "common") {
    const double scale = std::pow(10.0, static_cast<double>(precision));
    const double x = v.as_double() * scale;
    return Value::number((method == "ceil" ? std::ceil(x) : std::floor(x)) / scale);
  }
  if (v.is_integral()) {
    if (precision >= 0) return Value::integer(v.as_int());
    const double scale = std::pow(10.0, static_cast<double>(-precision));
    return Value::integer(static_cast<int64_t>(std::nearbyint(v.as_int() / scale) * scale));
  }
  const double d = v.as_double();
  if (!std::isfinite(d)) return v;
  if (precision >= 0) {
    // printf rounds the exact binary value half-to-even, as Python's round() does.
    char buf[512];
    std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(std::min<int64_t>(precision, 300)), d);
    return Value::number(std::strtod(buf, nullptr));
  }
  const double scale = std::pow(10.0, static_cast<double>(-precision));
  return Value::number(std::nearbyint(d / scale) * scale);
}

Result<Value> f_tojson(Interp& interp, const Value& v, CallArgs& args) {
  // Hugging Face: tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
  UMA_ASSIGN_OR_RETURN(
      Args a,
      bind_args("filter 'tojson'", {"ensure_ascii", "indent", "separators", "sort_keys"}, args));
  JsonDumpOptions o;
  o.ensure_ascii = a[0] && truthy(*a[0]);
  if (a[1] && !a[1]->is_none()) {
    if (a[1]->is_string()) {
      o.indent = a[1]->str();
    } else if (a[1]->is_integral()) {
      o.indent = std::string(static_cast<size_t>(std::clamp<int64_t>(a[1]->as_int(), 0, 64)), ' ');
    } else {
      return error("indent must be an int or a str, not " + type_name(*a[1]));
    }
  }
  if (a[2] && !a[2]->is_none()) {
    UMA_ASSIGN_OR_RETURN(std::vector<Value> seps, iterate(*a[2]));
    if (seps.size() != 2 || !seps[0].is_string() || !seps[1].is_string()) {
      return error("separators must be an (item_separator, key_separator) pair of strings");
    }
    o.item_separator = seps[0].str();
    o.key_separator = seps[1].str();
  }
  o.sort_keys = a[3] && truthy(*a[3]);
  UMA_ASSIGN_OR_RETURN(std::string out, json_dumps(v, o));
  UMA_TRY(interp.check_size(out.size()));
  UMA_TRY(interp.charge_bytes(out.size()));
  return Value::string(std::move(out));
}

// ---- sequences ----

Result<Value> f_length(Interp&, const Value& v, CallArgs& args) {
  UMA_TRY(bind_args("filter 'length'", {}, args).status());
  switch (v.kind()) {
    case Kind::kString:
      return Value::integer(static_cast<int64_t>(utf8::length(v.str())));
    case Kind::kList:
    case Kind::kTuple:
      return Value::integer(static_cast<int64_t>(v.items().size()));
    case Kind::kDict:
      return Value::integer(static_cast<int64_t>(v.dict().size()));
    case Kind::kUndefined:
      return Value::integer(0);
    default:
      return error("object of type '" + type_name(v) + "' has no len()");
  }
}

Result<Value> f_list(Interp&, const Value& v, CallArgs& args) {
  UMA_TRY(bind_args("filter 'list'", {}, args).status());
  UMA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  return Value::list(std::move(items));
}

Result<Value> f_first(Interp&, const Value& v, CallArgs& args) {
  UMA_TRY(bind_args("filter 'first'", {}, args).status());
  UMA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  if (items.empty()) return Value::undefined("No first item, sequence was empty.");
  return items.front();
}

Result<Value> f_last(Interp&, const Value& v, CallArgs& args) {
  UMA_TRY(bind_args("filter 'last'", {}, args).status());
  if (!(v.is_string() || v.is_sequence() || v.is_dict() || v.is_undefined())) {
    return error("'" + type_name(v) + "' object is not reversible");
  }
  UMA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  if (items.empty()) return Value::undefined("No last item, sequence was empty.");
  return items.back();
}

Result<Value> f_reverse(Interp&, const Value& v, CallArgs& args) {
  UMA_TRY(bind_args("filter 'reverse'", {}, args).status());
  if (v.is_string()) {
    std::vector<char32_t> cps = utf8::decode(v.str());
    std::reverse(cps.begin(), cps.end());
    return Value::string(utf8::encode(cps));
  }
  auto items = iterate(v);
  if (!items.ok()) return error("argument must be iterable");
  std::vector<Value> out = std::move(*items);
  std::reverse(out.begin(), out.end());
  return Value::list(std::move(out));
}

Result<Value> f_join(Interp& interp, const Value& v, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(Args a, bind_args("filter 'join'", {"d", "attribute"}, args));
  const std::string sep = a[0] ? to_str(*a[0]) : "";
  UMA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  std::string out;
  for (size_t i = 0; i < items.size(); i++) {
    if (i) out += sep;
    if (a[1] && !a[1]->is_none()) {
      UMA_ASSIGN_OR_RETURN(Value x, get_path(items[i], *a[1]));
      append_str(out, x);
    } else {
      append_str(out, items[i]);
    }
    UMA_TRY(interp.check_size(out.size()));
  }
  UMA_TRY(interp.charge_bytes(out.size()));
  return Value::string(std::move(out));
}

Result<Value> f_default(Interp&, const Value& v, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(Args a, bind_args("filter 'default'", {"default_value", "boolean"}, args));
  const bool boolean = a[1] && truthy(*a[1]);
  if (v.is_undefined() || (boolean && !truthy(v))) {
    return a[0] ? *a[0] : Value::string("");
  }
  return v;
}

Result<Value> f_items(Interp&, const Value& v, CallArgs& args) {
  UMA_TRY(bind_args("filter 'items'", {}, args).status());
  if (v.is_undefined()) return Value::list({});
  if (!v.is_dict()) return error("Can only get item pairs from a mapping.");
  std::vector<Value> out;
  for (const auto& [k, val] : v.dict().items()) {
    UMA_ASSIGN_OR_RETURN(Value t, Value::tuple({k, val}));
    out.push_back(std::move(t));
  }
  return Value::list(std::move(out));
}

Result<Value> f_dictsort(Interp&, const Value& v, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(Args a,
                       bind_args("filter 'dictsort'", {"case_sensitive", "by", "reverse"}, args));
  const bool case_sensitive = a[0] && truthy(*a[0]);
  const std::string by = a[1] ? to_str(*a[1]) : "key";
  if (by != "key" && by != "value") {
    return error("You can only sort by either \"key\" or \"value\"");
  }
  if (!v.is_dict()) return error("'" + type_name(v) + "' object has no attribute 'items'");
  std::vector<std::pair<Value, Value>> keyed;
  for (const auto& [k, val] : v.dict().items()) {
    const Value& key = by == "key" ? k : val;
    UMA_ASSIGN_OR_RETURN(Value t, Value::tuple({k, val}));
    keyed.emplace_back(case_sensitive ? key : ignore_case(key), std::move(t));
  }
  UMA_TRY(sort_values(keyed, a[2] && truthy(*a[2])));
  std::vector<Value> out;
  for (auto& kv : keyed) out.push_back(std::move(kv.second));
  return Value::list(std::move(out));
}

// Keys for sort/unique/min/max: the item itself or its attribute path(s), lower-cased unless
// case_sensitive.
Result<Value> sort_key(const Value& item, const std::optional<Value>& attribute,
                       bool case_sensitive, bool multi) {
  if (!attribute || attribute->is_none()) return case_sensitive ? item : ignore_case(item);
  if (multi && attribute->is_string() && attribute->str().find(',') != std::string::npos) {
    std::vector<Value> parts;
    for (const std::string& p : split_sep(attribute->str(), ",", -1, false)) {
      UMA_ASSIGN_OR_RETURN(Value x, get_path(item, Value::string(p)));
      parts.push_back(case_sensitive ? x : ignore_case(x));
    }
    return Value::list(std::move(parts));
  }
  UMA_ASSIGN_OR_RETURN(Value x, get_path(item, *attribute));
  return case_sensitive ? x : ignore_case(x);
}

Result<Value> f_sort(Interp& interp, const Value& v, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(
      Args a, bind_args("filter 'sort'", {"reverse", "case_sensitive", "attribute"}, args));
  UMA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  UMA_TRY(interp.charge(items.size() * 8));
  std::vector<std::pair<Value, Value>> keyed;
  for (Value& item : items) {
    UMA_ASSIGN_OR_RETURN(Value k, sort_key(item, a[2], a[1] && truthy(*a[1]), true));
    keyed.emplace_back(std::move(k), std::move(item));
  }
  UMA_TRY(sort_values(keyed, a[0] && truthy(*a[0])));
  std::vector<Value> out;
  for (auto& kv : keyed) out.push_back(std::move(kv.second));
  return Value::list(std::move(out));
}

Result<Value> f_unique(Interp& interp, const Value& v, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(Args a, bind_args("filter 'unique'", {"case_sensitive", "attribute"}, args));
  UMA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  std::vector<Value> seen, out;
  for (Value& item : items) {
    UMA_ASSIGN_OR_RETURN(Value k, sort_key(item, a[1], a[0] && truthy(*a[0]), false));
    if (!hashable(k)) return error("unhashable type: '" + type_name(k) + "'");
    UMA_TRY(interp.charge(seen.size()));
    bool dup = false;
    for (const Value& s : seen) dup = dup || equal(s, k);
    if (!dup) {
      seen.push_back(std::move(k));
      out.push_back(std::move(item));
    }
  }
  return Value::list(std::move(out));
}

Result<Value> min_max(const Value& v, CallArgs& args, bool want_max) {
  UMA_ASSIGN_OR_RETURN(Args a, bind_args(want_max ? "filter 'max'" : "filter 'min'",
                                         {"case_sensitive", "attribute"}, args));
  UMA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  size_t best = 0;
  UMA_ASSIGN_OR_RETURN(Value best_key, sort_key(items[0], a[1], a[0] && truthy(*a[0]), false));
  for (size_t i = 1; i < items.size(); i++) {
    UMA_ASSIGN_OR_RETURN(Value k, sort_key(items[i], a[1], a[0] && truthy(*a[0]), false));
    UMA_ASSIGN_OR_RETURN(bool better,
                         less_op(want_max ? best_key : k, want_max ? k : best_key, "<"));
    if (better) {
      best = i;
      best_key = std::move(k);
    }
  }
  return items[best];
}

Result<Value> f_max(Interp&, const Value& v, CallArgs& a) { return min_max(v, a, true); }
Result<Value> f_min(Interp&, const Value& v, CallArgs& a) { return min_max(v, a, false); }

Result<Value> f_sum(Interp& interp, const Value& v, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(Args a, bind_args("filter 'sum'", {"attribute", "start"}, args));
  Value total = a[1] ? *a[1] : Value::integer(0);
  if (total.is_string()) return error("sum() can't sum strings [use ''.join(seq) instead]");
  UMA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  for (const Value& item : items) {
    Value x = item;
    if (a[0] && !a[0]->is_none()) {
      UMA_ASSIGN_OR_RETURN(x, get_path(item, *a[0]));
    }
    UMA_ASSIGN_OR_RETURN(total, binary_op(interp, "+", total, x));
  }
  return total;
}

Result<Value> f_batch(Interp&, const Value& v, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(Args a, bind_args("filter 'batch'", {"linecount", "fill_with"}, args, 1));
  UMA_ASSIGN_OR_RETURN(int64_t n, int_arg(a[0], 1, "batch"));
  if (n <= 0) return error("batch size must be positive");
  UMA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  std::vector<Value> out, cur;
  for (Value& item : items) {
    if (static_cast<int64_t>(cur.size()) == n) {
      UMA_ASSIGN_OR_RETURN(Value l, Value::list(std::move(cur)));
      out.push_back(std::move(l));
      cur.clear();
    }
    cur.push_back(std::move(item));
  }
  if (!cur.empty()) {
    if (a[1] && !a[1]->is_none()) {
      while (static_cast<int64_t>(cur.size()) < n) cur.push_back(*a[1]);
    }
    UMA_ASSIGN_OR_RETURN(Value l, Value::list(std::move(cur)));
    out.push_back(std::move(l));
  }
  return Value::list(std::move(out));
}

Result<Value> f_attr(Interp&, const Value& v, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(Args a, bind_args("filter 'attr'", {"name"}, args, 1));
  const std::string name = to_str(*a[0]);
  if (v.is_undefined()) return error(v.undefined_message());
  if (v.is_object()) {
    if (auto x = v.obj()->attr(name)) return *x;
  } else if (auto m = find_method(v, name)) {
    return *m;
  }
  return undefined_attr(v, name);
}

Result<Value> f_map(Interp& interp, const Value& v, CallArgs& args) {
  if (!truthy(v)) return Value::list({});
  UMA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  std::vector<Value> out;
  out.reserve(items.size());
  const bool by_attribute =
      args.args.empty() && std::any_of(args.kwargs.begin(), args.kwargs.end(),
                                       [](const auto& kv) { return kv.first == "attribute"; });
  if (by_attribute) {
    Value attribute, dflt;
    bool has_default = false;
    for (const auto& [k, val] : args.kwargs) {
      if (k == "attribute") {
        attribute = val;
      } else if (k == "default") {
        dflt = val;
        has_default = !val.is_none();
      } else {
        return error("Unexpected keyword argument " + repr_string(k));
      }
    }
    for (const Value& item : items) {
      UMA_ASSIGN_OR_RETURN(Value x, get_path(item, attribute));
      out.push_back(has_default && x.is_undefined() ? dflt : std::move(x));
    }
    return Value::list(std::move(out));
  }
  if (args.args.empty()) return error("map requires a filter argument");
  const std::string name = to_str(args.args[0]);
  const FilterDef* f = find_filter(name);
  if (!f) return error("No filter named " + repr_string(name) + ".");
  CallArgs rest;
  rest.args.assign(args.args.begin() + 1, args.args.end());
  rest.kwargs = args.kwargs;
  for (const Value& item : items) {
    CallArgs call_args = rest;
    UMA_ASSIGN_OR_RETURN(Value x, f->fn(interp, item, call_args));
    out.push_back(std::move(x));
  }
  return Value::list(std::move(out));
}

Result<Value> select_or_reject(Interp& interp, const Value& v, CallArgs& args, bool select,
                               bool by_attr) {
  if (!truthy(v)) return Value::list({});
  UMA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(v));
  size_t off = 0;
  Value attribute;
  if (by_attr) {
    if (args.args.empty()) return error("Missing parameter for attribute name");
    attribute = args.args[0];
    off = 1;
  }
  const TestDef* test = nullptr;
  CallArgs rest;
  if (args.args.size() > off) {
    const std::string name = to_str(args.args[off]);
    test = find_test(name);
    if (!test) return error("No test named " + repr_string(name) + ".");
    rest.args.assign(args.args.begin() + off + 1, args.args.end());
    rest.kwargs = args.kwargs;
  }
  std::vector<Value> out;
  for (const Value& item : items) {
    Value x = item;
    if (by_attr) {
      UMA_ASSIGN_OR_RETURN(x, get_path(item, attribute));
    }
    bool pass;
    if (test) {
      CallArgs call_args = rest;
      UMA_ASSIGN_OR_RETURN(pass, test->fn(interp, x, call_args));
    } else {
      pass = truthy(x);
    }
    if (pass == select) out.push_back(item);
  }
  return Value::list(std::move(out));
}

Result<Value> f_select(Interp& i, const Value& v, CallArgs& a) {
  return select_or_reject(i, v, a, true, false);
}
Result<Value> f_reject(Interp& i, const Value& v, CallArgs& a) {
  return select_or_reject(i, v, a, false, false);
}
Result<Value> f_selectattr(Interp& i, const Value& v, CallArgs& a) {
  return select_or_reject(i, v, a, true, true);
}
Result<Value> f_rejectattr(Interp& i, const Value& v, CallArgs& a) {
  return select_or_reject(i, v, a, false, true);
}

constexpr FilterDef kFilters[] = {
    {"abs", f_abs},           {"attr", f_attr},
    {"batch", f_batch},       {"capitalize", f_capitalize},
    {"center", f_center},     {"count", f_length},
    {"d", f_default},         {"default", f_default},
    {"dictsort", f_dictsort}, {"e", f_escape},
    {"escape", f_escape},     {"first", f_first},
    {"float", f_float},       {"forceescape", f_escape},
    {"format", f_format},     {"indent", f_indent},
    {"int", f_int},           {"items", f_items},
    {"join", f_join},         {"last", f_last},
    {"length", f_length},     {"list", f_list},
    {"lower", f_lower},       {"map", f_map},
    {"max", f_max},           {"min", f_min},
    {"reject", f_reject},     {"rejectattr", f_rejectattr},
    {"replace", f_replace},   {"reverse", f_reverse},
    {"round", f_round},       {"safe", f_safe},
    {"select", f_select},     {"selectattr", f_selectattr},
    {"sort", f_sort},         {"string", f_string},
    {"sum", f_sum},           {"title", f_title},
    {"tojson", f_tojson},     {"trim", f_trim},
    {"truncate", f_truncate}, {"unique", f_unique},
    {"upper", f_upper},       {"wordcount", f_wordcount},
};

}  // namespace

const FilterDef* find_filter(std::string_view name) {
  for (const FilterDef& f : kFilters) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace uma::jinja

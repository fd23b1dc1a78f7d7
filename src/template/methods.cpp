// Python methods of str, dict, list and tuple values callable from templates ('a b'.split(),
// d.items(), ...). Mutating methods are refused as Hugging Face's immutable sandbox does.
#include <algorithm>
#include <cstdio>

#include "template/builtins.h"
#include "template/callable.h"
#include "template/interp.h"
#include "template/ops.h"
#include "template/strings.h"
#include "template/unicode.h"

namespace uma::jinja {

namespace {

using MethodFn = Result<Value> (*)(Interp&, const Value& self, CallArgs& args);

struct MethodDef {
  std::string_view name;
  MethodFn fn;
};

Result<std::string> str_arg(const std::optional<Value>& v, std::string_view what) {
  if (!v->is_string()) {
    return error(std::string(what) + " must be str, not " + type_name(*v));
  }
  return v->str();
}

// ---- str ----

Result<Value> m_strip_impl(const Value& self, CallArgs& args, bool left, bool right,
                           const char* name) {
  UMA_ASSIGN_OR_RETURN(auto a, bind_args(std::string("str.") + name, {"chars"}, args));
  if (a[0] && !a[0]->is_none()) {
    if (!a[0]->is_string()) {
      return error(std::string(name) + " arg must be None or str");
    }
    const std::string_view chars = a[0]->str();
    return Value::string(std::string(utf8::strip(self.str(), &chars, left, right)));
  }
  return Value::string(std::string(utf8::strip(self.str(), nullptr, left, right)));
}

Result<Value> m_strip(Interp&, const Value& s, CallArgs& a) {
  return m_strip_impl(s, a, true, true, "strip");
}
Result<Value> m_lstrip(Interp&, const Value& s, CallArgs& a) {
  return m_strip_impl(s, a, true, false, "lstrip");
}
Result<Value> m_rstrip(Interp&, const Value& s, CallArgs& a) {
  return m_strip_impl(s, a, false, true, "rstrip");
}

Result<Value> m_split_impl(const Value& self, CallArgs& args, bool from_right) {
  UMA_ASSIGN_OR_RETURN(
      auto a, bind_args(from_right ? "str.rsplit" : "str.split", {"sep", "maxsplit"}, args));
  int64_t maxsplit = -1;
  if (a[1]) {
    if (!a[1]->is_integral())
      return error("'" + type_name(*a[1]) + "' object cannot be interpreted as an integer");
    maxsplit = a[1]->as_int();
  }
  std::vector<std::string> parts;
  if (a[0] && !a[0]->is_none()) {
    UMA_ASSIGN_OR_RETURN(std::string sep, str_arg(a[0], "sep"));
    if (sep.empty()) return error("empty separator");
    parts = split_sep(self.str(), sep, maxsplit, from_right);
  } else {
    parts = split_whitespace(self.str(), maxsplit, from_right);
  }
  std::vector<Value> out;
  out.reserve(parts.size());
  for (auto& p : parts) out.push_back(Value::string(std::move(p)));
  return Value::list(std::move(out));
}

Result<Value> m_split(Interp&, const Value& s, CallArgs& a) { return m_split_impl(s, a, false); }
Result<Value> m_rsplit(Interp&, const Value& s, CallArgs& a) { return m_split_impl(s, a, true); }

Result<Value> m_splitlines(Interp&, const Value& self, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(auto a, bind_args("str.splitlines", {"keepends"}, args));
  std::vector<Value> out;
  for (auto& line : splitlines(self.str(), a[0] && truthy(*a[0]))) {
    out.push_back(Value::string(std::move(line)));
  }
  return Value::list(std::move(out));
}

Result<Value> affix_test(const Value& self, CallArgs& args, bool prefix) {
  const char* name = prefix ? "startswith" : "endswith";
  UMA_ASSIGN_OR_RETURN(auto a,
                       bind_args(std::string("str.") + name, {"affix", "start", "end"}, args, 1));
  std::string_view s = self.str();
  if (a[1] || a[2]) {
    const int64_t len = static_cast<int64_t>(utf8::length(s));
    auto clamp = [&](const std::optional<Value>& v, int64_t dflt) {
      if (!v || v->is_none()) return dflt;
      int64_t x = v->as_int();
      if (x < 0) x = std::max<int64_t>(0, x + len);
      return std::min(x, len);
    };
    const int64_t b = clamp(a[1], 0), e = clamp(a[2], len);
    if (b > e) return Value::boolean(false);
    const size_t bo = utf8::offset_of(s, b), eo = utf8::offset_of(s, e);
    s = s.substr(bo, eo - bo);
  }
  auto check = [&](std::string_view x) {
    if (x.size() > s.size()) return false;
    return prefix ? s.substr(0, x.size()) == x : s.substr(s.size() - x.size()) == x;
  };
  if (a[0]->is_string()) return Value::boolean(check(a[0]->str()));
  if (a[0]->is_tuple()) {
    for (const Value& x : a[0]->items()) {
      if (!x.is_string()) {
        return error("tuple for " + std::string(name) + " must only contain str, not " +
                     type_name(x));
      }
      if (check(x.str())) return Value::boolean(true);
    }
    return Value::boolean(false);
  }
  return error(std::string(name) + " first arg must be str or a tuple of str, not " +
               type_name(*a[0]));
}

Result<Value> m_startswith(Interp&, const Value& s, CallArgs& a) { return affix_test(s, a, true); }
Result<Value> m_endswith(Interp&, const Value& s, CallArgs& a) { return affix_test(s, a, false); }

Result<Value> m_replace(Interp& interp, const Value& self, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(auto a, bind_args("str.replace", {"old", "new", "count"}, args, 2));
  UMA_ASSIGN_OR_RETURN(std::string old_s, str_arg(a[0], "replace() argument 1"));
  UMA_ASSIGN_OR_RETURN(std::string new_s, str_arg(a[1], "replace() argument 2"));
  const int64_t count = a[2] ? a[2]->as_int() : -1;
  UMA_ASSIGN_OR_RETURN(std::string out, replace_str(interp, self.str(), old_s, new_s, count));
  return Value::string(std::move(out));
}

Result<Value> m_upper(Interp&, const Value& self, CallArgs& args) {
  UMA_TRY(bind_args("str.upper", {}, args).status());
  return Value::string(utf8::upper(self.str()));
}
Result<Value> m_lower(Interp&, const Value& self, CallArgs& args) {
  UMA_TRY(bind_args("str.lower", {}, args).status());
  return Value::string(utf8::lower(self.str()));
}
Result<Value> m_title(Interp&, const Value& self, CallArgs& args) {
  UMA_TRY(bind_args("str.title", {}, args).status());
  return Value::string(py_title(self.str()));
}
Result<Value> m_capitalize(Interp&, const Value& self, CallArgs& args) {
  UMA_TRY(bind_args("str.capitalize", {}, args).status());
  return Value::string(py_capitalize(self.str()));
}
Result<Value> m_swapcase(Interp&, const Value& self, CallArgs& args) {
  UMA_TRY(bind_args("str.swapcase", {}, args).status());
  std::string out;
  const std::string& s = self.str();
  for (size_t i = 0; i < s.size();) {
    const char32_t cp = utf8::next(s, i);
    const char32_t up = utf8::to_upper(cp);
    utf8::append(out, up != cp ? up : utf8::to_lower(cp));
  }
  return Value::string(std::move(out));
}

// find / rfind / index / rindex / count
Result<Value> search_impl(const Value& self, CallArgs& args, const char* name, bool reverse,
                          bool raise, bool count) {
  UMA_ASSIGN_OR_RETURN(auto a,
                       bind_args(std::string("str.") + name, {"sub", "start", "end"}, args, 1));
  UMA_ASSIGN_OR_RETURN(std::string sub, str_arg(a[0], "must be str, not"));
  const std::string& s = self.str();
  const int64_t len = static_cast<int64_t>(utf8::length(s));
  auto clamp = [&](const std::optional<Value>& v, int64_t dflt) {
    if (!v || v->is_none()) return dflt;
    int64_t x = v->as_int();
    if (x < 0) x = std::max<int64_t>(0, x + len);
    return std::min(x, len);
  };
  const int64_t b = clamp(a[1], 0), e = clamp(a[2], len);
  if (b > e) {
    if (count) return Value::integer(0);
    if (raise) return error("substring not found");
    return Value::integer(-1);
  }
  const size_t bo = utf8::offset_of(s, b), eo = utf8::offset_of(s, e);
  const std::string_view window = std::string_view(s).substr(bo, eo - bo);
  if (count) {
    if (sub.empty()) return Value::integer(e - b + 1);
    int64_t n = 0;
    for (size_t p = window.find(sub); p != std::string_view::npos;
         p = window.find(sub, p + sub.size())) {
      n++;
    }
    return Value::integer(n);
  }
  const size_t p = reverse ? window.rfind(sub) : window.find(sub);
  if (p == std::string_view::npos) {
    if (raise) return error("substring not found");
    return Value::integer(-1);
  }
  return Value::integer(b + static_cast<int64_t>(utf8::length(window.substr(0, p))));
}

Result<Value> m_find(Interp&, const Value& s, CallArgs& a) {
  return search_impl(s, a, "find", false, false, false);
}
Result<Value> m_rfind(Interp&, const Value& s, CallArgs& a) {
  return search_impl(s, a, "rfind", true, false, false);
}
Result<Value> m_index(Interp&, const Value& s, CallArgs& a) {
  return search_impl(s, a, "index", false, true, false);
}
Result<Value> m_rindex(Interp&, const Value& s, CallArgs& a) {
  return search_impl(s, a, "rindex", true, true, false);
}
Result<Value> m_count(Interp&, const Value& s, CallArgs& a) {
  return search_impl(s, a, "count", false, false, true);
}

Result<Value> m_join(Interp& interp, const Value& self, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(auto a, bind_args("str.join", {"iterable"}, args, 1));
  UMA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(*a[0]));
  std::string out;
  for (size_t i = 0; i < items.size(); i++) {
    if (!items[i].is_string()) {
      return error("sequence item " + std::to_string(i) + ": expected str instance, " +
                   type_name(items[i]) + " found");
    }
    if (i) out += self.str();
    out += items[i].str();
    UMA_TRY(interp.check_size(out.size()));
  }
  UMA_TRY(interp.charge_bytes(out.size()));
  return Value::string(std::move(out));
}

Result<Value> justify(Interp& interp, const Value& self, CallArgs& args, const char* name,
                      int mode) {
  UMA_ASSIGN_OR_RETURN(auto a,
                       bind_args(std::string("str.") + name, {"width", "fillchar"}, args, 1));
  if (!a[0]->is_integral()) {
    return error("'" + type_name(*a[0]) + "' object cannot be interpreted as an integer");
  }
  std::string fill = " ";
  if (a[1]) {
    if (!a[1]->is_string() || utf8::length(a[1]->str()) != 1) {
      return error("The fill character must be exactly one character long");
    }
    fill = a[1]->str();
  }
  UMA_TRY(interp.check_size(static_cast<size_t>(std::max<int64_t>(0, a[0]->as_int()))));
  return Value::string(pad(self.str(), a[0]->as_int(), fill, mode));
}

Result<Value> m_center(Interp& i, const Value& s, CallArgs& a) {
  return justify(i, s, a, "center", 0);
}
Result<Value> m_ljust(Interp& i, const Value& s, CallArgs& a) {
  return justify(i, s, a, "ljust", -1);
}
Result<Value> m_rjust(Interp& i, const Value& s, CallArgs& a) {
  return justify(i, s, a, "rjust", 1);
}

Result<Value> m_zfill(Interp& interp, const Value& self, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(auto a, bind_args("str.zfill", {"width"}, args, 1));
  if (!a[0]->is_integral()) {
    return error("'" + type_name(*a[0]) + "' object cannot be interpreted as an integer");
  }
  const std::string& s = self.str();
  const int64_t len = static_cast<int64_t>(utf8::length(s));
  const int64_t width = a[0]->as_int();
  if (width <= len) return self;
  UMA_TRY(interp.check_size(static_cast<size_t>(width)));
  const size_t sign = !s.empty() && (s[0] == '-' || s[0] == '+');
  std::string out = s;
  out.insert(sign, static_cast<size_t>(width - len), '0');
  return Value::string(std::move(out));
}

Result<Value> partition_impl(const Value& self, CallArgs& args, bool reverse) {
  UMA_ASSIGN_OR_RETURN(auto a,
                       bind_args(reverse ? "str.rpartition" : "str.partition", {"sep"}, args, 1));
  UMA_ASSIGN_OR_RETURN(std::string sep, str_arg(a[0], "sep"));
  if (sep.empty()) return error("empty separator");
  const std::string& s = self.str();
  const size_t p = reverse ? s.rfind(sep) : s.find(sep);
  if (p == std::string::npos) {
    if (reverse) {
      return Value::tuple({Value::string(""), Value::string(""), self});
    }
    return Value::tuple({self, Value::string(""), Value::string("")});
  }
  return Value::tuple(
      {Value::string(s.substr(0, p)), Value::string(sep), Value::string(s.substr(p + sep.size()))});
}

Result<Value> m_partition(Interp&, const Value& s, CallArgs& a) {
  return partition_impl(s, a, false);
}
Result<Value> m_rpartition(Interp&, const Value& s, CallArgs& a) {
  return partition_impl(s, a, true);
}

Result<Value> affix_remove(const Value& self, CallArgs& args, bool prefix) {
  UMA_ASSIGN_OR_RETURN(
      auto a, bind_args(prefix ? "str.removeprefix" : "str.removesuffix", {"affix"}, args, 1));
  UMA_ASSIGN_OR_RETURN(std::string x, str_arg(a[0], "argument"));
  const std::string& s = self.str();
  if (x.size() <= s.size()) {
    if (prefix && s.compare(0, x.size(), x) == 0) return Value::string(s.substr(x.size()));
    if (!prefix && s.compare(s.size() - x.size(), x.size(), x) == 0) {
      return Value::string(s.substr(0, s.size() - x.size()));
    }
  }
  return self;
}

Result<Value> m_removeprefix(Interp&, const Value& s, CallArgs& a) {
  return affix_remove(s, a, true);
}
Result<Value> m_removesuffix(Interp&, const Value& s, CallArgs& a) {
  return affix_remove(s, a, false);
}

// is* predicates (true only for non-empty strings whose every character passes).
template <bool (*Pred)(char32_t)>
Result<Value> m_is(Interp&, const Value& self, CallArgs& args) {
  UMA_TRY(bind_args("str predicate", {}, args).status());
  const std::string& s = self.str();
  if (s.empty()) return Value::boolean(false);
  for (size_t i = 0; i < s.size();) {
    if (!Pred(utf8::next(s, i))) return Value::boolean(false);
  }
  return Value::boolean(true);
}

bool is_alnum(char32_t c) { return utf8::is_alpha(c) || utf8::is_digit(c); }
bool is_ascii_cp(char32_t c) { return c < 0x80; }

Result<Value> case_test(const Value& self, CallArgs& args, bool want_upper) {
  UMA_TRY(bind_args("str predicate", {}, args).status());
  return Value::boolean(want_upper ? py_isupper(self.str()) : py_islower(self.str()));
}
Result<Value> m_isupper(Interp&, const Value& s, CallArgs& a) { return case_test(s, a, true); }
Result<Value> m_islower(Interp&, const Value& s, CallArgs& a) { return case_test(s, a, false); }

Result<Value> m_format(Interp& interp, const Value& self, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(std::string out, str_format(self.str(), args));
  UMA_TRY(interp.check_size(out.size()));
  return Value::string(std::move(out));
}

constexpr MethodDef kStrMethods[] = {
    {"capitalize", m_capitalize},
    {"center", m_center},
    {"count", m_count},
    {"endswith", m_endswith},
    {"find", m_find},
    {"format", m_format},
    {"index", m_index},
    {"isalnum", m_is<is_alnum>},
    {"isalpha", m_is<utf8::is_alpha>},
    {"isascii", m_is<is_ascii_cp>},
    {"isdecimal", m_is<utf8::is_digit>},
    {"isdigit", m_is<utf8::is_digit>},
    {"islower", m_islower},
    {"isnumeric", m_is<utf8::is_digit>},
    {"isspace", m_is<utf8::is_space>},
    {"isupper", m_isupper},
    {"join", m_join},
    {"ljust", m_ljust},
    {"lower", m_lower},
    {"lstrip", m_lstrip},
    {"partition", m_partition},
    {"removeprefix", m_removeprefix},
    {"removesuffix", m_removesuffix},
    {"replace", m_replace},
    {"rfind", m_rfind},
    {"rindex", m_rindex},
    {"rjust", m_rjust},
    {"rpartition", m_rpartition},
    {"rsplit", m_rsplit},
    {"rstrip", m_rstrip},
    {"split", m_split},
    {"splitlines", m_splitlines},
    {"startswith", m_startswith},
    {"strip", m_strip},
    {"swapcase", m_swapcase},
    {"title", m_title},
    {"upper", m_upper},
    {"zfill", m_zfill},
};

// ---- dict ----

Result<Value> m_dict_get(Interp&, const Value& self, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(auto a, bind_args("dict.get", {"key", "default"}, args, 1));
  if (!hashable(*a[0])) return error("unhashable type: '" + type_name(*a[0]) + "'");
  if (const Value* v = self.dict().find(*a[0])) return *v;
  return a[1] ? *a[1] : Value::none();
}

Result<Value> m_dict_items(Interp&, const Value& self, CallArgs& args) {
  UMA_TRY(bind_args("dict.items", {}, args).status());
  std::vector<Value> out;
  out.reserve(self.dict().size());
  for (const auto& [k, v] : self.dict().items()) {
    UMA_ASSIGN_OR_RETURN(Value t, Value::tuple({k, v}));
    out.push_back(std::move(t));
  }
  return Value::list(std::move(out));
}

Result<Value> m_dict_keys(Interp&, const Value& self, CallArgs& args) {
  UMA_TRY(bind_args("dict.keys", {}, args).status());
  std::vector<Value> out;
  for (const auto& kv : self.dict().items()) out.push_back(kv.first);
  return Value::list(std::move(out));
}

Result<Value> m_dict_values(Interp&, const Value& self, CallArgs& args) {
  UMA_TRY(bind_args("dict.values", {}, args).status());
  std::vector<Value> out;
  for (const auto& kv : self.dict().items()) out.push_back(kv.second);
  return Value::list(std::move(out));
}

Result<Value> m_copy(Interp&, const Value& self, CallArgs& args) {
  UMA_TRY(bind_args("copy", {}, args).status());
  return self;  // values are immutable, so a copy is the same value
}

constexpr MethodDef kDictMethods[] = {
    {"copy", m_copy},      {"get", m_dict_get},       {"items", m_dict_items},
    {"keys", m_dict_keys}, {"values", m_dict_values},
};
constexpr std::string_view kDictUnsafe[] = {"clear", "pop", "popitem", "setdefault", "update"};

// ---- list / tuple ----

Result<Value> m_seq_index(Interp&, const Value& self, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(auto a, bind_args("index", {"value"}, args, 1));
  const auto& items = self.items();
  for (size_t i = 0; i < items.size(); i++) {
    if (equal(items[i], *a[0])) return Value::integer(static_cast<int64_t>(i));
  }
  return error(self.is_tuple() ? "tuple.index(x): x not in tuple"
                               : to_repr(*a[0]) + " is not in list");
}

Result<Value> m_seq_count(Interp&, const Value& self, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(auto a, bind_args("count", {"value"}, args, 1));
  int64_t n = 0;
  for (const Value& v : self.items()) n += equal(v, *a[0]);
  return Value::integer(n);
}

constexpr MethodDef kListMethods[] = {
    {"copy", m_copy},
    {"count", m_seq_count},
    {"index", m_seq_index},
};
constexpr std::string_view kListUnsafe[] = {"append", "clear",  "extend",  "insert",
                                            "pop",    "remove", "reverse", "sort"};

template <size_t N>
const MethodDef* lookup(const MethodDef (&table)[N], std::string_view name) {
  for (const MethodDef& m : table) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

Value bind(const MethodDef* m, const Value& self) {
  return Value::object(
      std::make_shared<NativeFunction>(std::string(m->name), m->fn, self, type_name(self)));
}

Value unsafe(std::string_view name, const Value& self) {
  return Value::undefined("access to attribute '" + std::string(name) + "' of '" + type_name(self) +
                          "' object is unsafe.");
}

}  // namespace

std::optional<Value> find_method(const Value& obj, std::string_view name) {
  switch (obj.kind()) {
    case Kind::kString:
      if (const MethodDef* m = lookup(kStrMethods, name)) return bind(m, obj);
      return std::nullopt;
    case Kind::kDict:
      if (const MethodDef* m = lookup(kDictMethods, name)) return bind(m, obj);
      for (std::string_view u : kDictUnsafe) {
        if (u == name) return unsafe(name, obj);
      }
      return std::nullopt;
    case Kind::kList:
      if (const MethodDef* m = lookup(kListMethods, name)) return bind(m, obj);
      for (std::string_view u : kListUnsafe) {
        if (u == name) return unsafe(name, obj);
      }
      return std::nullopt;
    case Kind::kTuple:
      if (name == "count" || name == "index") return bind(lookup(kListMethods, name), obj);
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace uma::jinja

// Python operator semantics for template values, and Jinja's sandboxed getattr / getitem: a
// missing key, index or attribute gives an Undefined that carries the message Jinja2 would
// raise if it is later used.
#include "template/ops.h"

#include <cmath>
#include <cstdio>

#include "template/builtins.h"
#include "template/interp.h"
#include "template/unicode.h"

namespace uma::jinja {

namespace {

Status unsupported(std::string_view op, const Value& a, const Value& b) {
  return error("unsupported operand type(s) for " + std::string(op) + ": '" + type_name(a) +
               "' and '" + type_name(b) + "'");
}

Result<Value> int_result(__int128 r) {
  if (r > INT64_MAX || r < INT64_MIN) return error("integer overflow");
  return Value::integer(static_cast<int64_t>(r));
}

// Python's float divmod (Objects/floatobject.c): the remainder has the divisor's sign.
void float_divmod(double a, double b, double* div_out, double* mod_out) {
  double mod = std::fmod(a, b);
  double div = (a - mod) / b;
  if (mod != 0) {
    if ((b < 0) != (mod < 0)) {
      mod += b;
      div -= 1.0;
    }
  } else {
    mod = std::copysign(0.0, b);
  }
  double floordiv;
  if (div != 0) {
    floordiv = std::floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
  } else {
    floordiv = std::copysign(0.0, a / b);
  }
  *div_out = floordiv;
  *mod_out = mod;
}

Result<Value> repeat(Interp& interp, const Value& seq, int64_t n) {
  if (n < 0) n = 0;
  if (seq.is_string()) {
    const size_t len = seq.str().size();
    if (len && static_cast<uint64_t>(n) > interp.options().max_output_bytes / len + 1) {
      return error("string too long (over " + std::to_string(interp.options().max_output_bytes) +
                   " bytes)");
    }
    UMA_TRY(interp.check_size(len * n));
    UMA_TRY(interp.charge_bytes(len * n));
    std::string out;
    out.reserve(len * n);
    for (int64_t i = 0; i < n; i++) out += seq.str();
    return Value::string(std::move(out));
  }
  const auto& items = seq.items();
  if (!items.empty() &&
      static_cast<uint64_t>(n) > interp.options().max_output_bytes / items.size()) {
    return error("list too long");
  }
  UMA_TRY(interp.charge(items.size() * n));
  std::vector<Value> out;
  out.reserve(items.size() * n);
  for (int64_t i = 0; i < n; i++) out.insert(out.end(), items.begin(), items.end());
  return seq.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
}

Result<Value> add(Interp& interp, const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_integral() && b.is_integral()) {
      return int_result(static_cast<__int128>(a.as_int()) + b.as_int());
    }
    return Value::number(a.as_double() + b.as_double());
  }
  if (a.is_string()) {
    if (!b.is_string()) {
      return error("can only concatenate str (not \"" + type_name(b) + "\") to str");
    }
    UMA_TRY(interp.check_size(a.str().size() + b.str().size()));
    UMA_TRY(interp.charge_bytes(a.str().size() + b.str().size()));
    return Value::string(a.str() + b.str());
  }
  if (a.is_list() || a.is_tuple()) {
    const char* kind = a.is_list() ? "list" : "tuple";
    if (b.kind() != a.kind()) {
      return error(std::string("can only concatenate ") + kind + " (not \"" + type_name(b) +
                   "\") to " + kind);
    }
    std::vector<Value> items = a.items();
    items.insert(items.end(), b.items().begin(), b.items().end());
    UMA_TRY(interp.charge(items.size()));
    return a.is_list() ? Value::list(std::move(items)) : Value::tuple(std::move(items));
  }
  return unsupported("+", a, b);
}

Result<Value> mul(Interp& interp, const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_integral() && b.is_integral()) {
      return int_result(static_cast<__int128>(a.as_int()) * b.as_int());
    }
    return Value::number(a.as_double() * b.as_double());
  }
  const bool a_seq = a.is_string() || a.is_sequence();
  const bool b_seq = b.is_string() || b.is_sequence();
  if (a_seq && b.is_integral()) return repeat(interp, a, b.as_int());
  if (b_seq && a.is_integral()) return repeat(interp, b, a.as_int());
  if (a_seq && !b.is_object()) {
    return error("can't multiply sequence by non-int of type '" + type_name(b) + "'");
  }
  if (b_seq && !a.is_object()) {
    return error("can't multiply sequence by non-int of type '" + type_name(a) + "'");
  }
  return unsupported("*", a, b);
}

Result<Value> mod(Interp& interp, const Value& a, const Value& b) {
  if (a.is_string()) {
    UMA_ASSIGN_OR_RETURN(std::string s, percent_format(a.str(), b));
    UMA_TRY(interp.check_size(s.size()));
    return Value::string(std::move(s));
  }
  if (!a.is_number() || !b.is_number()) return unsupported("%", a, b);
  if (a.is_integral() && b.is_integral()) {
    const int64_t x = a.as_int(), y = b.as_int();
    if (y == 0) return error("integer modulo by zero");
    if (y == -1) return Value::integer(0);
    int64_t r = x % y;
    if (r != 0 && ((r < 0) != (y < 0))) r += y;
    return Value::integer(r);
  }
  if (b.as_double() == 0) return error("float modulo");
  double d, m;
  float_divmod(a.as_double(), b.as_double(), &d, &m);
  return Value::number(m);
}

Result<Value> floordiv(const Value& a, const Value& b) {
  if (!a.is_number() || !b.is_number()) return unsupported("//", a, b);
  if (a.is_integral() && b.is_integral()) {
    const int64_t x = a.as_int(), y = b.as_int();
    if (y == 0) return error("integer division or modulo by zero");
    if (x == INT64_MIN && y == -1) return error("integer overflow");
    int64_t q = x / y;
    if ((x % y != 0) && ((x < 0) != (y < 0))) q--;
    return Value::integer(q);
  }
  if (b.as_double() == 0) return error("float floor division by zero");
  double d, m;
  float_divmod(a.as_double(), b.as_double(), &d, &m);
  return Value::number(d);
}

Result<Value> power(const Value& a, const Value& b) {
  if (!a.is_number() || !b.is_number()) return unsupported("** or pow()", a, b);
  if (a.is_integral() && b.is_integral() && b.as_int() >= 0) {
    __int128 result = 1, base = a.as_int();
    int64_t e = b.as_int();
    while (e > 0) {
      if (e & 1) {
        result *= base;
        if (result > INT64_MAX || result < INT64_MIN) return error("integer overflow");
      }
      e >>= 1;
      if (e > 0) {
        base *= base;
        if (base > INT64_MAX || base < INT64_MIN) {
          if (result == 0 || a.as_int() == 1 || a.as_int() == -1) break;
          return error("integer overflow");
        }
      }
    }
    return int_result(result);
  }
  if (a.as_double() == 0 && b.as_double() < 0) {
    return error("0.0 cannot be raised to a negative power");
  }
  return Value::number(std::pow(a.as_double(), b.as_double()));
}

}  // namespace

Result<Value> binary_op(Interp& interp, std::string_view op, const Value& a, const Value& b) {
  if (a.is_undefined()) return error(a.undefined_message());
  if (b.is_undefined() && !(op == "%" && a.is_string())) return error(b.undefined_message());
  if (op == "+") return add(interp, a, b);
  if (op == "*") return mul(interp, a, b);
  if (op == "%") return mod(interp, a, b);
  if (op == "//") return floordiv(a, b);
  if (op == "**") return power(a, b);
  if (op == "-") {
    if (!a.is_number() || !b.is_number()) return unsupported("-", a, b);
    if (a.is_integral() && b.is_integral()) {
      return int_result(static_cast<__int128>(a.as_int()) - b.as_int());
    }
    return Value::number(a.as_double() - b.as_double());
  }
  if (op == "/") {
    if (!a.is_number() || !b.is_number()) return unsupported("/", a, b);
    if (b.as_double() == 0) return error("division by zero");
    return Value::number(a.as_double() / b.as_double());
  }
  return error("unknown operator '" + std::string(op) + "'");
}

Result<Value> negate(const Value& a) {
  if (a.is_undefined()) return error(a.undefined_message());
  if (a.is_integral()) {
    if (a.as_int() == INT64_MIN) return error("integer overflow");
    return Value::integer(-a.as_int());
  }
  if (a.is_float()) return Value::number(-a.as_double());
  return error("bad operand type for unary -: '" + type_name(a) + "'");
}

Result<Value> unary_plus(const Value& a) {
  if (a.is_undefined()) return error(a.undefined_message());
  if (a.is_integral()) return Value::integer(a.as_int());
  if (a.is_float()) return a;
  return error("bad operand type for unary +: '" + type_name(a) + "'");
}

Result<bool> contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Kind::kString:
      if (!item.is_string()) {
        return error("'in <string>' requires string as left operand, not " + type_name(item));
      }
      return container.str().find(item.str()) != std::string::npos;
    case Kind::kList:
    case Kind::kTuple:
      for (const Value& v : container.items()) {
        if (equal(v, item)) return true;
      }
      return false;
    case Kind::kDict:
      if (!hashable(item)) return error("unhashable type: '" + type_name(item) + "'");
      return container.dict().find(item) != nullptr;
    case Kind::kUndefined:
      return false;
    default:
      return error("argument of type '" + type_name(container) + "' is not iterable");
  }
}

Result<std::vector<Value>> iterate(const Value& v) {
  switch (v.kind()) {
    case Kind::kList:
    case Kind::kTuple:
      return v.items();
    case Kind::kDict: {
      std::vector<Value> keys;
      keys.reserve(v.dict().size());
      for (const auto& kv : v.dict().items()) keys.push_back(kv.first);
      return keys;
    }
    case Kind::kString: {
      std::vector<Value> chars;
      const std::string& s = v.str();
      for (size_t i = 0; i < s.size();) {
        const size_t start = i;
        utf8::next(s, i);
        chars.push_back(Value::string(s.substr(start, i - start)));
      }
      return chars;
    }
    case Kind::kUndefined:
      return std::vector<Value>{};
    default:
      return error("'" + type_name(v) + "' object is not iterable");
  }
}

Result<Value> get_attr(const Value& obj, std::string_view name) {
  switch (obj.kind()) {
    case Kind::kUndefined:
      return error(obj.undefined_message());
    case Kind::kDict: {
      if (auto m = find_method(obj, name)) return *m;
      if (const Value* v = obj.dict().find(name)) return *v;
      return undefined_attr(obj, name);
    }
    case Kind::kString:
    case Kind::kList:
    case Kind::kTuple:
      if (auto m = find_method(obj, name)) return *m;
      return undefined_attr(obj, name);
    case Kind::kObject:
      if (auto v = obj.obj()->attr(name)) return *v;
      return undefined_attr(obj, name);
    default:
      return undefined_attr(obj, name);
  }
}

namespace {

// Python's PySlice_AdjustIndices for a sequence of `len` elements.
struct SliceIndices {
  int64_t start, stop, step, count;
};

Result<SliceIndices> slice_indices(const Value& start, const Value& stop, const Value& step,
                                   int64_t len) {
  auto is_absent = [](const Value& v) { return v.is_none(); };
  int64_t st = 1;
  if (!is_absent(step)) {
    st = step.as_int();
    if (st == 0) return error("slice step cannot be zero");
  }
  auto adjust = [&](const Value& v, int64_t dflt) {
    if (is_absent(v)) return dflt;
    int64_t x = v.as_int();
    if (x < 0) {
      x += len;
      if (x < 0) x = st < 0 ? -1 : 0;
    } else if (x >= len) {
      x = st < 0 ? len - 1 : len;
    }
    return x;
  };
  SliceIndices s;
  s.step = st;
  s.start = adjust(start, st < 0 ? len - 1 : 0);
  s.stop = adjust(stop, st < 0 ? -1 : len);
  if (st < 0) {
    s.count = s.stop < s.start ? (s.start - s.stop - 1) / (-st) + 1 : 0;
  } else {
    s.count = s.start < s.stop ? (s.stop - s.start - 1) / st + 1 : 0;
  }
  return s;
}

}  // namespace

Result<Value> get_item(const Value& obj, const Value& key) {
  switch (obj.kind()) {
    case Kind::kUndefined:
      return error(obj.undefined_message());
    case Kind::kDict:
      if (const Value* v = obj.dict().find(key)) return *v;
      if (key.is_string()) {
        if (auto m = find_method(obj, key.str())) return *m;
      }
      return undefined_item(obj, key);
    case Kind::kList:
    case Kind::kTuple:
    case Kind::kString: {
      if (key.is_integral()) {
        const bool str = obj.is_string();
        const int64_t len = str ? static_cast<int64_t>(utf8::length(obj.str()))
                                : static_cast<int64_t>(obj.items().size());
        int64_t i = key.as_int();
        if (i < 0) i += len;
        if (i < 0 || i >= len) return undefined_item(obj, key);
        if (!str) return obj.items()[i];
        const std::string& s = obj.str();
        size_t b = utf8::offset_of(s, i), e = b;
        utf8::next(s, e);
        return Value::string(s.substr(b, e - b));
      }
      if (key.is_string()) {
        if (auto m = find_method(obj, key.str())) return *m;
      }
      return undefined_item(obj, key);
    }
    case Kind::kObject:
      if (key.is_string()) {
        if (auto v = obj.obj()->attr(key.str())) return *v;
      }
      return undefined_item(obj, key);
    default:
      return undefined_item(obj, key);
  }
}

Result<Value> get_slice(const Value& obj, const Value& start, const Value& stop,
                        const Value& step) {
  if (obj.is_undefined()) return error(obj.undefined_message());
  for (const Value* part : {&start, &stop, &step}) {
    if (!part->is_none() && !part->is_integral()) {
      // Python raises TypeError, which Jinja's getitem turns into an Undefined.
      return Value::undefined(object_type_repr(obj) + " has no element slice(" + to_repr(start) +
                              ", " + to_repr(stop) + ", " + to_repr(step) + ")");
    }
  }
  if (obj.is_string()) {
    const std::string& s = obj.str();
    const bool ascii = utf8::is_ascii(s);
    std::vector<char32_t> cps;
    if (!ascii) cps = utf8::decode(s);
    const int64_t len = ascii ? static_cast<int64_t>(s.size()) : static_cast<int64_t>(cps.size());
    UMA_ASSIGN_OR_RETURN(SliceIndices si, slice_indices(start, stop, step, len));
    if (si.step == 1) {
      if (ascii) return Value::string(s.substr(si.start, si.count));
      std::vector<char32_t> part(cps.begin() + si.start, cps.begin() + si.start + si.count);
      return Value::string(utf8::encode(part));
    }
    std::string out;
    for (int64_t k = 0, i = si.start; k < si.count; k++, i += si.step) {
      if (ascii) {
        out += s[i];
      } else {
        utf8::append(out, cps[i]);
      }
    }
    return Value::string(std::move(out));
  }
  if (obj.is_sequence()) {
    const auto& items = obj.items();
    UMA_ASSIGN_OR_RETURN(SliceIndices si,
                         slice_indices(start, stop, step, static_cast<int64_t>(items.size())));
    std::vector<Value> out;
    out.reserve(si.count);
    for (int64_t k = 0, i = si.start; k < si.count; k++, i += si.step) out.push_back(items[i]);
    return obj.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
  }
  return Value::undefined(object_type_repr(obj) + " has no element slice(" + to_repr(start) + ", " +
                          to_repr(stop) + ", " + to_repr(step) + ")");
}

// ---- printf-style formatting ----------------------------------------------------------------

Result<std::string> percent_format(std::string_view fmt, const Value& args) {
  std::vector<Value> positional;
  const Dict* mapping = nullptr;
  if (args.is_tuple()) {
    positional = args.items();
  } else {
    positional.push_back(args);
    if (args.is_dict()) mapping = &args.dict();
  }
  size_t next_arg = 0;
  bool used_mapping = false;
  auto take = [&]() -> Result<Value> {
    if (next_arg >= positional.size()) return error("not enough arguments for format string");
    return positional[next_arg++];
  };
  std::string out;
  for (size_t i = 0; i < fmt.size();) {
    if (fmt[i] != '%') {
      out += fmt[i++];
      continue;
    }
    i++;
    if (i >= fmt.size()) return error("incomplete format");
    Value arg;
    bool have_arg = false;
    if (fmt[i] == '(') {
      if (!mapping) return error("format requires a mapping");
      const size_t close = fmt.find(')', i);
      if (close == std::string_view::npos) return error("incomplete format key");
      const Value* v = mapping->find(fmt.substr(i + 1, close - i - 1));
      if (!v) return error(repr_string(fmt.substr(i + 1, close - i - 1)));
      arg = *v;
      have_arg = true;
      used_mapping = true;
      i = close + 1;
    }
    bool left = false, plus = false, space = false, zero = false, alt = false;
    for (; i < fmt.size(); i++) {
      const char f = fmt[i];
      if (f == '-')
        left = true;
      else if (f == '+')
        plus = true;
      else if (f == ' ')
        space = true;
      else if (f == '0')
        zero = true;
      else if (f == '#')
        alt = true;
      else
        break;
    }
    int width = 0, precision = -1;
    if (i < fmt.size() && fmt[i] == '*') {
      UMA_ASSIGN_OR_RETURN(Value w, take());
      if (!w.is_integral()) return error("* wants int");
      width = static_cast<int>(std::min<int64_t>(w.as_int(), 1 << 20));
      i++;
    } else {
      while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') {
        width = std::min(width * 10 + (fmt[i++] - '0'), 1 << 20);
      }
    }
    if (i < fmt.size() && fmt[i] == '.') {
      i++;
      precision = 0;
      if (i < fmt.size() && fmt[i] == '*') {
        UMA_ASSIGN_OR_RETURN(Value p, take());
        if (!p.is_integral()) return error("* wants int");
        precision = static_cast<int>(std::min<int64_t>(p.as_int(), 1 << 20));
        i++;
      } else {
        while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') {
          precision = std::min(precision * 10 + (fmt[i++] - '0'), 1 << 20);
        }
      }
    }
    while (i < fmt.size() && (fmt[i] == 'l' || fmt[i] == 'h' || fmt[i] == 'L')) i++;
    if (i >= fmt.size()) return error("incomplete format");
    const char conv = fmt[i++];
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (!have_arg) {
      UMA_ASSIGN_OR_RETURN(arg, take());
    }
    std::string body;
    bool numeric = false;
    switch (conv) {
      case 's':
      case 'r':
      case 'a': {
        body = conv == 's' ? to_str(arg) : to_repr(arg);
        if (precision >= 0 && static_cast<size_t>(precision) < utf8::length(body)) {
          body = body.substr(0, utf8::offset_of(body, precision));
        }
        break;
      }
      case 'd':
      case 'i':
      case 'u':
      case 'x':
      case 'X':
      case 'o':
      case 'c': {
        if (conv == 'c') {
          if (arg.is_string() && utf8::length(arg.str()) == 1) {
            body = arg.str();
          } else if (arg.is_integral() && arg.as_int() >= 0 && arg.as_int() <= 0x10FFFF) {
            utf8::append(body, static_cast<char32_t>(arg.as_int()));
          } else {
            return error("%c requires an int or a unicode character");
          }
          break;
        }
        const bool int_only = conv == 'x' || conv == 'X' || conv == 'o';
        if (!arg.is_number() || (int_only && arg.is_float())) {
          return error(std::string("%") + conv +
                       " format: " + (int_only ? "an integer" : "a real number") +
                       " is required, not " + type_name(arg));
        }
        numeric = true;
        const int64_t v =
            arg.is_float() ? static_cast<int64_t>(std::trunc(arg.as_double())) : arg.as_int();
        char buf[80];
        const unsigned long long mag =
            v < 0 ? 0ULL - static_cast<unsigned long long>(v) : static_cast<unsigned long long>(v);
        if (conv == 'x' || conv == 'X') {
          std::snprintf(buf, sizeof buf, conv == 'x' ? "%llx" : "%llX", mag);
        } else if (conv == 'o') {
          std::snprintf(buf, sizeof buf, "%llo", mag);
        } else {
          std::snprintf(buf, sizeof buf, "%llu", mag);
        }
        std::string digits = buf;
        if (precision > 0 && digits.size() < static_cast<size_t>(precision)) {
          digits.insert(0, precision - digits.size(), '0');
        }
        if (alt && conv != 'd' && conv != 'i' && conv != 'u') {
          digits.insert(0, conv == 'o' ? "0o" : conv == 'x' ? "0x" : "0X");
        }
        body = (v < 0 ? "-" : plus ? "+" : space ? " " : "") + digits;
        break;
      }
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G': {
        if (!arg.is_number()) return error("must be real number, not " + type_name(arg));
        numeric = true;
        char spec[32];
        std::snprintf(spec, sizeof spec, "%%%s%s%s.%d%c", plus ? "+" : "", space ? " " : "",
                      alt ? "#" : "", precision < 0 ? 6 : precision, conv);
        const int n = std::snprintf(nullptr, 0, spec, arg.as_double());
        body.resize(n + 1);
        std::snprintf(body.data(), body.size(), spec, arg.as_double());
        body.resize(n);
        break;
      }
      default:
        return error(std::string("unsupported format character '") + conv + "'");
    }
    const size_t len = utf8::length(body);
    if (static_cast<size_t>(width) > len) {
      const size_t pad = width - len;
      if (left) {
        body.append(pad, ' ');
      } else if (zero && numeric) {
        const size_t sign = (!body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' '));
        body.insert(sign, pad, '0');
      } else {
        body.insert(0, pad, ' ');
      }
    }
    out += body;
  }
  if (!used_mapping && !mapping && next_arg < positional.size()) {
    return error("not all arguments converted during string formatting");
  }
  return out;
}

}  // namespace uma::jinja

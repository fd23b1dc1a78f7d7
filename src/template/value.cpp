// Python semantics of template values: str()/repr(), truthiness, ==, ordering, dict lookup, and
// the Undefined messages Jinja2 produces.
#include "template/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "template/unicode.h"

namespace uma::jinja {

namespace {

struct ListData {
  std::vector<Value> items;
  uint32_t depth = 1;
  bool has_objects = false;
};

Result<uint32_t> checked_depth(uint32_t child_depth) {
  if (child_depth + 1 > kMaxDepth) {
    return error("value nested too deeply (more than " + std::to_string(kMaxDepth) + " levels)");
  }
  return child_depth + 1;
}

}  // namespace

Result<Value> Object::call(Interp&, CallArgs&) {
  return error("'" + type_name() + "' object is not callable");
}

std::optional<Value> Object::attr(std::string_view) const { return std::nullopt; }

Value Value::undefined(std::string message) {
  Value v(Kind::kUndefined);
  v.p_ = std::make_shared<std::string>(std::move(message));
  return v;
}

Value Value::string(std::string s) {
  Value v(Kind::kString);
  v.p_ = std::make_shared<std::string>(std::move(s));
  return v;
}

Result<Value> Value::list(std::vector<Value> items) {
  uint32_t d = 0;
  bool objects = false;
  for (const Value& it : items) {
    d = std::max(d, it.depth());
    objects = objects || it.has_objects();
  }
  UMA_ASSIGN_OR_RETURN(uint32_t depth, checked_depth(d));
  Value v(Kind::kList);
  v.p_ = std::make_shared<ListData>(ListData{std::move(items), depth, objects});
  return v;
}

Result<Value> Value::tuple(std::vector<Value> items) {
  UMA_ASSIGN_OR_RETURN(Value v, list(std::move(items)));
  v.kind_ = Kind::kTuple;
  return v;
}

Result<Value> Value::dict(Dict d) {
  uint32_t m = 0;
  for (const auto& [k, val] : d.items_) m = std::max({m, k.depth(), val.depth()});
  UMA_ASSIGN_OR_RETURN(d.depth_, checked_depth(m));
  Value v(Kind::kDict);
  v.p_ = std::make_shared<Dict>(std::move(d));
  return v;
}

Value Value::object(std::shared_ptr<Object> o) {
  Value v(Kind::kObject);
  v.p_ = std::move(o);
  return v;
}

const std::string& Value::str() const { return *static_cast<const std::string*>(p_.get()); }

const std::vector<Value>& Value::items() const {
  return static_cast<const ListData*>(p_.get())->items;
}

const Dict& Value::dict() const { return *static_cast<const Dict*>(p_.get()); }

std::string Value::undefined_message() const {
  if (p_) return *static_cast<const std::string*>(p_.get());
  return "undefined value";
}

bool Value::has_objects() const {
  switch (kind_) {
    case Kind::kList:
    case Kind::kTuple:
      return static_cast<const ListData*>(p_.get())->has_objects;
    case Kind::kDict:
      return dict().has_objects();
    case Kind::kObject:
      return true;
    default:
      return false;
  }
}

uint32_t Value::depth() const {
  switch (kind_) {
    case Kind::kList:
    case Kind::kTuple:
      return static_cast<const ListData*>(p_.get())->depth;
    case Kind::kDict:
      return dict().depth();
    case Kind::kObject:
      return obj()->depth(kMaxDepth + 1);
    default:
      return 0;
  }
}

// ---- Dict -------------------------------------------------------------------------------------

bool hashable(const Value& v) {
  switch (v.kind()) {
    case Kind::kList:
    case Kind::kDict:
      return false;
    case Kind::kTuple:
      for (const Value& it : v.items()) {
        if (!hashable(it)) return false;
      }
      return true;
    default:
      return true;
  }
}

Status Dict::set(Value key, Value value) {
  has_objects_ = has_objects_ || key.has_objects() || value.has_objects();
  if (key.is_string()) {
    set(std::string_view(key.str()), std::move(value));
    return Status::ok();
  }
  if (!hashable(key)) return error("unhashable type: '" + type_name(key) + "'");
  for (auto& [k, v] : items_) {
    if (!k.is_string() && equal(k, key)) {
      v = std::move(value);
      return Status::ok();
    }
  }
  items_.emplace_back(std::move(key), std::move(value));
  return Status::ok();
}

void Dict::set(std::string_view key, Value value) {
  has_objects_ = has_objects_ || value.has_objects();
  auto it = str_index_.find(std::string(key));
  if (it != str_index_.end()) {
    items_[it->second].second = std::move(value);
    return;
  }
  str_index_.emplace(std::string(key), items_.size());
  items_.emplace_back(Value::string(std::string(key)), std::move(value));
}

const Value* Dict::find(std::string_view key) const {
  auto it = str_index_.find(std::string(key));
  return it == str_index_.end() ? nullptr : &items_[it->second].second;
}

const Value* Dict::find(const Value& key) const {
  if (key.is_string()) return find(std::string_view(key.str()));
  if (!hashable(key)) return nullptr;
  for (const auto& [k, v] : items_) {
    if (!k.is_string() && equal(k, key)) return &v;
  }
  return nullptr;
}

// ---- names and messages -------------------------------------------------------------------

std::string type_name(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return "Undefined";
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kList:
      return "list";
    case Kind::kTuple:
      return "tuple";
    case Kind::kDict:
      return "dict";
    case Kind::kObject:
      return v.obj()->type_name();
  }
  return "object";
}

std::string object_type_repr(const Value& v) {
  if (v.is_none()) return "None";
  if (v.is_undefined()) return "jinja2.runtime.Undefined object";
  if (v.is_object()) return v.obj()->qualified_name();
  return type_name(v) + " object";
}

Value undefined_name(std::string_view name) {
  return Value::undefined(repr_string(name) + " is undefined");
}

Value undefined_attr(const Value& obj, std::string_view name) {
  return Value::undefined(repr_string(object_type_repr(obj)) + " has no attribute " +
                          repr_string(name));
}

Value undefined_item(const Value& obj, const Value& key) {
  if (key.is_string()) return undefined_attr(obj, key.str());
  return Value::undefined(object_type_repr(obj) + " has no element " + to_repr(key));
}

// ---- truthiness, str, repr ----------------------------------------------------------------

bool truthy(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return v.as_bool();
    case Kind::kInt:
      return v.as_int() != 0;
    case Kind::kFloat:
      return v.as_double() != 0.0;
    case Kind::kString:
      return !v.str().empty();
    case Kind::kList:
    case Kind::kTuple:
      return !v.items().empty();
    case Kind::kDict:
      return v.dict().size() != 0;
    case Kind::kObject:
      return true;
  }
  return false;
}

std::string format_float(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  // Shortest round-trip digits, then Python's layout: scientific when exp < -4 or exp >= 16.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  std::string out;
  size_t pos = 0;
  if (sci[0] == '-') {
    out += '-';
    pos = 1;
  }
  const size_t epos = sci.find('e');
  std::string digits;
  for (size_t i = pos; i < epos; i++) {
    if (sci[i] != '.') digits += sci[i];
  }
  const int exp = std::atoi(sci.c_str() + epos + 1);
  const int n = static_cast<int>(digits.size());
  if (exp >= -4 && exp < 16) {
    if (exp >= n - 1) {
      out += digits + std::string(exp - (n - 1), '0') + ".0";
    } else if (exp >= 0) {
      out += digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
    } else {
      out += "0." + std::string(-exp - 1, '0') + digits;
    }
  } else {
    out += digits.substr(0, 1);
    if (n > 1) out += "." + digits.substr(1);
    char e[16];
    std::snprintf(e, sizeof e, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    out += e;
  }
  return out;
}

std::string repr_string(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out;
  out.reserve(s.size() + 2);
  out += quote;
  for (size_t i = 0; i < s.size();) {
    const size_t start = i;
    const char32_t cp = utf8::next(s, i);
    if (cp == static_cast<char32_t>(quote) || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (!utf8::is_printable(cp)) {
      char buf[16];
      if (cp < 0x100) {
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      } else if (cp < 0x10000) {
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      } else {
        std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(cp));
      }
      out += buf;
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  out += quote;
  return out;
}

namespace {

void append_repr_depth(std::string& out, const Value& v, uint32_t depth);

void append_scalar(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Kind::kNone:
      out += "None";
      break;
    case Kind::kBool:
      out += v.as_bool() ? "True" : "False";
      break;
    case Kind::kInt:
      out += std::to_string(v.as_int());
      break;
    case Kind::kFloat:
      out += format_float(v.as_double());
      break;
    default:
      break;
  }
}

void append_container(std::string& out, const Value& v, uint32_t depth) {
  if (depth > kMaxDepth + 2) {  // only reachable through namespace cycles
    out += "...";
    return;
  }
  if (v.is_dict()) {
    out += '{';
    bool first = true;
    for (const auto& [k, val] : v.dict().items()) {
      if (!first) out += ", ";
      first = false;
      append_repr_depth(out, k, depth + 1);
      out += ": ";
      append_repr_depth(out, val, depth + 1);
    }
    out += '}';
    return;
  }
  const bool tuple = v.is_tuple();
  out += tuple ? '(' : '[';
  const auto& items = v.items();
  for (size_t i = 0; i < items.size(); i++) {
    if (i) out += ", ";
    append_repr_depth(out, items[i], depth + 1);
  }
  if (tuple && items.size() == 1) out += ',';
  out += tuple ? ')' : ']';
}

void append_repr_depth(std::string& out, const Value& v, uint32_t depth) {
  switch (v.kind()) {
    case Kind::kUndefined:
      out += "Undefined";
      break;
    case Kind::kString:
      out += repr_string(v.str());
      break;
    case Kind::kList:
    case Kind::kTuple:
    case Kind::kDict:
      append_container(out, v, depth);
      break;
    case Kind::kObject:
      out += v.obj()->repr(depth);
      break;
    default:
      append_scalar(out, v);
      break;
  }
}

}  // namespace

void append_repr(std::string& out, const Value& v) { append_repr_depth(out, v, 0); }

void append_repr(std::string& out, const Value& v, uint32_t depth) {
  append_repr_depth(out, v, depth);
}

void append_str(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      break;
    case Kind::kString:
      out += v.str();
      break;
    default:
      append_repr(out, v);
      break;
  }
}

std::string to_str(const Value& v) {
  if (v.is_string()) return v.str();
  std::string out;
  append_str(out, v);
  return out;
}

std::string to_repr(const Value& v) {
  std::string out;
  append_repr(out, v);
  return out;
}

// ---- comparisons ----------------------------------------------------------------------------

namespace {

bool equal_depth(const Value& a, const Value& b, uint32_t depth) {
  if (a.is_number() && b.is_number()) {
    if (a.is_integral() && b.is_integral()) return a.as_int() == b.as_int();
    return a.as_double() == b.as_double();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return true;
    case Kind::kString:
      return a.str() == b.str();
    case Kind::kList:
    case Kind::kTuple: {
      const auto& x = a.items();
      const auto& y = b.items();
      if (x.size() != y.size()) return false;
      if (depth > kMaxDepth + 2) return false;
      for (size_t i = 0; i < x.size(); i++) {
        if (!equal_depth(x[i], y[i], depth + 1)) return false;
      }
      return true;
    }
    case Kind::kDict: {
      const Dict& x = a.dict();
      const Dict& y = b.dict();
      if (x.size() != y.size()) return false;
      if (depth > kMaxDepth + 2) return false;
      for (const auto& [k, v] : x.items()) {
        const Value* other = y.find(k);
        if (!other || !equal_depth(v, *other, depth + 1)) return false;
      }
      return true;
    }
    case Kind::kObject:
      return a.obj() == b.obj();
    default:
      return false;
  }
}

}  // namespace

bool equal(const Value& a, const Value& b) { return equal_depth(a, b, 0); }

Result<bool> less_op(const Value& a, const Value& b, std::string_view op) {
  if (a.is_undefined()) return error(a.undefined_message());
  if (b.is_undefined()) return error(b.undefined_message());
  auto cmp_result = [&](int c) {
    if (op == "<") return c < 0;
    if (op == "<=") return c <= 0;
    if (op == ">") return c > 0;
    return c >= 0;
  };
  if (a.is_number() && b.is_number()) {
    if (a.is_integral() && b.is_integral()) {
      const int64_t x = a.as_int(), y = b.as_int();
      return cmp_result(x < y ? -1 : x > y ? 1 : 0);
    }
    const double x = a.as_double(), y = b.as_double();
    if (std::isnan(x) || std::isnan(y)) return false;
    return cmp_result(x < y ? -1 : x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) return cmp_result(a.str().compare(b.str()));
  if ((a.is_list() && b.is_list()) || (a.is_tuple() && b.is_tuple())) {
    const auto& x = a.items();
    const auto& y = b.items();
    for (size_t i = 0; i < x.size() && i < y.size(); i++) {
      if (equal(x[i], y[i])) continue;
      return less_op(x[i], y[i], op);
    }
    const size_t nx = x.size(), ny = y.size();
    return cmp_result(nx < ny ? -1 : nx > ny ? 1 : 0);
  }
  return error("'" + std::string(op) + "' not supported between instances of '" + type_name(a) +
               "' and '" + type_name(b) + "'");
}

}  // namespace uma::jinja

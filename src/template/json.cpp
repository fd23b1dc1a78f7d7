// Python json.dumps for template values, and nlohmann JSON -> template values.
#include "template/json.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "template/unicode.h"

namespace uma::jinja {

namespace {

void append_escaped(std::string& out, const std::string& s, bool ensure_ascii) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t start = i;
      const char32_t cp = utf8::next(s, i);
      if (!ensure_ascii) {
        out.append(s, start, i - start);
        continue;
      }
      char buf[16];
      if (cp >= 0x10000) {
        const char32_t v = cp - 0x10000;
        std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 + (v >> 10)),
                      static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
      } else {
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      }
      out += buf;
      continue;
    }
    i++;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || (ensure_ascii && c == 0x7F)) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

std::string float_json(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return format_float(d);
}

class Dumper {
 public:
  explicit Dumper(const JsonDumpOptions& o) : o_(o) {
    item_sep_ = o.item_separator ? *o.item_separator : (o.indent ? "," : ", ");
  }

  Status dump(const Value& v, int level, std::string& out) {
    if (level > static_cast<int>(kMaxDepth) + 2) return error("Circular reference detected");
    switch (v.kind()) {
      case Kind::kNone:
        out += "null";
        return Status::ok();
      case Kind::kBool:
        out += v.as_bool() ? "true" : "false";
        return Status::ok();
      case Kind::kInt:
        out += std::to_string(v.as_int());
        return Status::ok();
      case Kind::kFloat:
        out += float_json(v.as_double());
        return Status::ok();
      case Kind::kString:
        append_escaped(out, v.str(), o_.ensure_ascii);
        return Status::ok();
      case Kind::kList:
      case Kind::kTuple: {
        const auto& items = v.items();
        if (items.empty()) {
          out += "[]";
          return Status::ok();
        }
        out += '[';
        for (size_t i = 0; i < items.size(); i++) {
          if (i) out += item_sep_;
          newline(level + 1, out);
          UMA_TRY(dump(items[i], level + 1, out));
        }
        newline(level, out);
        out += ']';
        return Status::ok();
      }
      case Kind::kDict:
        return dump_dict(v.dict(), level, out);
      default:
        return error("Object of type " + type_name(v) + " is not JSON serializable");
    }
  }

 private:
  void newline(int level, std::string& out) const {
    if (!o_.indent) return;
    out += '\n';
    for (int i = 0; i < level; i++) out += *o_.indent;
  }

  static Result<std::string> key_string(const Value& k) {
    switch (k.kind()) {
      case Kind::kString:
        return k.str();
      case Kind::kNone:
        return std::string("null");
      case Kind::kBool:
        return std::string(k.as_bool() ? "true" : "false");
      case Kind::kInt:
        return std::to_string(k.as_int());
      case Kind::kFloat:
        return float_json(k.as_double());
      default:
        return error("keys must be str, int, float, bool or None, not " + type_name(k));
    }
  }

  Status dump_dict(const Dict& d, int level, std::string& out) {
    if (d.size() == 0) {
      out += "{}";
      return Status::ok();
    }
    std::vector<const std::pair<Value, Value>*> entries;
    for (const auto& kv : d.items()) entries.push_back(&kv);
    if (o_.sort_keys) {
      Status st;
      std::stable_sort(entries.begin(), entries.end(), [&](auto* a, auto* b) {
        if (!st.is_ok()) return false;
        Result<bool> lt = less_op(a->first, b->first, "<");
        if (!lt.ok()) {
          st = lt.status();
          return false;
        }
        return *lt;
      });
      UMA_TRY(st);
    }
    out += '{';
    bool first = true;
    for (const auto* kv : entries) {
      if (!first) out += item_sep_;
      first = false;
      newline(level + 1, out);
      UMA_ASSIGN_OR_RETURN(std::string key, key_string(kv->first));
      append_escaped(out, key, o_.ensure_ascii);
      out += o_.key_separator;
      UMA_TRY(dump(kv->second, level + 1, out));
    }
    newline(level, out);
    out += '}';
    return Status::ok();
  }

  const JsonDumpOptions& o_;
  std::string item_sep_;
};

template <typename J>
Result<Value> convert(const J& j, uint32_t depth) {
  if (depth > kMaxDepth) {
    return error("JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return Value::none();
    case nlohmann::json::value_t::boolean:
      return Value::boolean(j.template get<bool>());
    case nlohmann::json::value_t::number_integer:
      return Value::integer(j.template get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      const uint64_t u = j.template get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX))
        return error("JSON integer " + std::to_string(u) + " is out of range (int64)");
      return Value::integer(static_cast<int64_t>(u));
    }
    case nlohmann::json::value_t::number_float:
      return Value::number(j.template get<double>());
    case nlohmann::json::value_t::string: {
      const auto& s = j.template get_ref<const std::string&>();
      if (!utf8::valid(s)) return error("JSON string is not valid UTF-8");
      return Value::string(s);
    }
    case nlohmann::json::value_t::array: {
      std::vector<Value> items;
      items.reserve(j.size());
      for (const auto& x : j) {
        UMA_ASSIGN_OR_RETURN(Value v, convert(x, depth + 1));
        items.push_back(std::move(v));
      }
      return Value::list(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      Dict d;
      for (auto it = j.begin(); it != j.end(); ++it) {
        UMA_ASSIGN_OR_RETURN(Value v, convert(it.value(), depth + 1));
        d.set(std::string_view(it.key()), std::move(v));
      }
      return Value::dict(std::move(d));
    }
    default:
      return error("unsupported JSON value (binary or discarded)");
  }
}

}  // namespace

Result<std::string> json_dumps(const Value& v, const JsonDumpOptions& opts) {
  Dumper d(opts);
  std::string out;
  UMA_TRY(d.dump(v, 0, out));
  return out;
}

Result<Value> from_json(const nlohmann::ordered_json& j) { return convert(j, 0); }
Result<Value> from_json(const nlohmann::json& j) { return convert(j, 0); }

}  // namespace uma::jinja

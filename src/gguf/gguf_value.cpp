// gguf::Value accessors and printing, plus the value-type name/size table. Values point into the
// file's bytes, which may be unaligned, so every multi-byte read goes through memcpy.
#include <charconv>
#include <cstring>
#include <limits>

#include "gguf/gguf.h"

namespace uma::gguf {

std::string_view value_type_name(ValueType t) {
  switch (t) {
    case ValueType::UINT8: return "u8";
    case ValueType::INT8: return "i8";
    case ValueType::UINT16: return "u16";
    case ValueType::INT16: return "i16";
    case ValueType::UINT32: return "u32";
    case ValueType::INT32: return "i32";
    case ValueType::FLOAT32: return "f32";
    case ValueType::BOOL: return "bool";
    case ValueType::STRING: return "string";
    case ValueType::ARRAY: return "array";
    case ValueType::UINT64: return "u64";
    case ValueType::INT64: return "i64";
    case ValueType::FLOAT64: return "f64";
  }
  return "unknown";
}

uint32_t value_type_size(ValueType t) {
  switch (t) {
    case ValueType::UINT8: case ValueType::INT8: case ValueType::BOOL: return 1;
    case ValueType::UINT16: case ValueType::INT16: return 2;
    case ValueType::UINT32: case ValueType::INT32: case ValueType::FLOAT32: return 4;
    case ValueType::UINT64: case ValueType::INT64: case ValueType::FLOAT64: return 8;
    case ValueType::STRING: case ValueType::ARRAY: return 0;
  }
  return 0;
}

namespace {

template <typename T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

bool is_integer(ValueType t) {
  switch (t) {
    case ValueType::UINT8: case ValueType::INT8: case ValueType::UINT16: case ValueType::INT16:
    case ValueType::UINT32: case ValueType::INT32: case ValueType::UINT64: case ValueType::INT64:
      return true;
    default: return false;
  }
}

// One numeric element as (is_negative, magnitude-as-u64 or i64) — kept simple by returning the
// two possible exact representations; callers pick the one they need.
struct IntVal {
  bool is_signed_neg;  // value < 0
  uint64_t u;          // valid when !is_signed_neg
  int64_t i;           // valid when the value fits int64
  bool fits_i64;
};

std::optional<IntVal> load_int(ValueType t, const uint8_t* p) {
  auto from_signed = [](int64_t v) { return IntVal{v < 0, (uint64_t)v, v, true}; };
  auto from_unsigned = [](uint64_t v) {
    return IntVal{false, v, (int64_t)v, v <= (uint64_t)std::numeric_limits<int64_t>::max()};
  };
  switch (t) {
    case ValueType::UINT8: return from_unsigned(load<uint8_t>(p));
    case ValueType::INT8: return from_signed(load<int8_t>(p));
    case ValueType::UINT16: return from_unsigned(load<uint16_t>(p));
    case ValueType::INT16: return from_signed(load<int16_t>(p));
    case ValueType::UINT32: return from_unsigned(load<uint32_t>(p));
    case ValueType::INT32: return from_signed(load<int32_t>(p));
    case ValueType::UINT64: return from_unsigned(load<uint64_t>(p));
    case ValueType::INT64: return from_signed(load<int64_t>(p));
    case ValueType::BOOL: return from_unsigned(load<uint8_t>(p) != 0);
    default: return std::nullopt;
  }
}

std::optional<double> load_number(ValueType t, const uint8_t* p) {
  if (t == ValueType::FLOAT32) return (double)load<float>(p);
  if (t == ValueType::FLOAT64) return load<double>(p);
  auto iv = load_int(t, p);
  if (!iv) return std::nullopt;
  return iv->is_signed_neg ? (double)iv->i : (double)iv->u;
}

template <typename F>
void append_shortest(std::string* out, F v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

void append_number(std::string* out, ValueType t, const uint8_t* p) {
  if (t == ValueType::FLOAT32) return append_shortest(out, load<float>(p));
  if (t == ValueType::FLOAT64) return append_shortest(out, load<double>(p));
  if (t == ValueType::BOOL) {
    out->append(load<uint8_t>(p) ? "true" : "false");
    return;
  }
  auto iv = load_int(t, p);
  if (!iv) return;
  if (iv->is_signed_neg) append_shortest(out, iv->i);
  else append_shortest(out, iv->u);
}

// Quoted, with control characters escaped so that one value stays on one line; long strings are
// cut (chat templates run to kilobytes) with the full length noted.
void append_quoted(std::string* out, std::string_view s, size_t max_chars) {
  out->push_back('"');
  const size_t n = s.size() > max_chars ? max_chars : s.size();
  for (size_t i = 0; i < n; i++) {
    const unsigned char c = (unsigned char)s[i];
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          static const char kHex[] = "0123456789abcdef";
          out->append("\\x");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back((char)c);
        }
    }
  }
  out->push_back('"');
  if (n < s.size()) out->append("… (" + std::to_string(s.size()) + " bytes)");
}

constexpr size_t kMaxScalarChars = 160;
constexpr size_t kMaxItemChars = 40;

}  // namespace

std::optional<uint64_t> Value::as_uint() const {
  if (!is_integer(type_) || !data_) return std::nullopt;
  auto iv = load_int(type_, data_);
  if (!iv || iv->is_signed_neg) return std::nullopt;
  return iv->u;
}

std::optional<int64_t> Value::as_int() const {
  if (!is_integer(type_) || !data_) return std::nullopt;
  auto iv = load_int(type_, data_);
  if (!iv || !iv->fits_i64) return std::nullopt;
  return iv->i;
}

std::optional<double> Value::as_float() const {
  if ((type_ != ValueType::FLOAT32 && type_ != ValueType::FLOAT64 && !is_integer(type_)) || !data_)
    return std::nullopt;
  return load_number(type_, data_);
}

std::optional<bool> Value::as_bool() const {
  if (type_ != ValueType::BOOL || !data_) return std::nullopt;
  return load<uint8_t>(data_) != 0;
}

std::optional<std::string_view> Value::as_string() const {
  if (type_ != ValueType::STRING) return std::nullopt;
  if (!data_) return std::string_view();
  return std::string_view(reinterpret_cast<const char*>(data_), len_);
}

std::string_view Value::array_string(uint64_t i) const {
  if (type_ != ValueType::ARRAY || elem_type_ != ValueType::STRING || i >= strings_.size())
    return {};
  return strings_[i];
}

std::optional<double> Value::array_number(uint64_t i) const {
  if (type_ != ValueType::ARRAY || i >= count_) return std::nullopt;
  const uint32_t sz = value_type_size(elem_type_);
  if (sz == 0) return std::nullopt;
  return load_number(elem_type_, data_ + i * sz);
}

std::optional<int64_t> Value::array_int(uint64_t i) const {
  if (type_ != ValueType::ARRAY || i >= count_) return std::nullopt;
  if (!is_integer(elem_type_) && elem_type_ != ValueType::BOOL) return std::nullopt;
  auto iv = load_int(elem_type_, data_ + i * value_type_size(elem_type_));
  if (!iv || !iv->fits_i64) return std::nullopt;
  return iv->i;
}

std::string Value::to_string(size_t max_items) const {
  std::string out;
  if (type_ == ValueType::STRING) {
    append_quoted(&out, *as_string(), kMaxScalarChars);
    return out;
  }
  if (type_ != ValueType::ARRAY) {
    if (data_) append_number(&out, type_, data_);
    return out;
  }
  out.push_back('[');
  out.append(std::to_string(count_)).append(" × ").append(value_type_name(elem_type_));
  out.push_back(']');
  const uint64_t shown = count_ < max_items ? count_ : max_items;
  for (uint64_t i = 0; i < shown; i++) {
    out.append(i == 0 ? " " : ", ");
    if (elem_type_ == ValueType::STRING) append_quoted(&out, strings_[i], kMaxItemChars);
    else append_number(&out, elem_type_, data_ + i * value_type_size(elem_type_));
  }
  if (shown < count_) out.append(shown == 0 ? " …" : ", …");
  return out;
}

}  // namespace uma::gguf

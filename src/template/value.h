// Template values with Python semantics: None, bool, int, float, str, list, tuple, dict (insertion
// ordered), Jinja's Undefined, and objects (namespace, loop, macros, functions, bound methods).
// Strings, lists and dicts are immutable once built (Hugging Face renders in an immutable sandbox).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status.h"

namespace uma::jinja {

class Interp;
class Value;
struct CallArgs;

// Containers deeper than this are refused, so every recursive walk (repr, tojson, ==, destructors)
// has a bounded depth.
inline constexpr uint32_t kMaxDepth = 256;

enum class Kind : uint8_t {
  kUndefined,
  kNone,
  kBool,
  kInt,
  kFloat,
  kString,
  kList,
  kTuple,
  kDict,
  kObject,
};

// Namespaces, loop contexts, macros, functions and bound methods.
class Object {
 public:
  virtual ~Object() = default;
  // Python's type name, used in TypeError messages ("'Namespace' object is not callable").
  virtual std::string type_name() const = 0;
  // Jinja's object_type_repr, used in undefined messages ("jinja2.utils.Namespace object").
  virtual std::string qualified_name() const { return type_name() + " object"; }
  // `depth` is how deep this object sits inside the value being printed (bounds recursion).
  virtual std::string repr(uint32_t depth = 0) const = 0;
  virtual bool callable() const { return false; }
  virtual Result<Value> call(Interp& interp, CallArgs& args);
  // An attribute, or nullopt when there is none (the caller makes the Undefined).
  virtual std::optional<Value> attr(std::string_view name) const;
  // Nesting depth of the values the object holds (namespaces); 0 for leaves.
  virtual uint32_t depth(uint32_t budget) const { return 0; }
  // Drops held values and scopes; called when a render ends to break reference cycles
  // (a macro's scope holds the macro; a namespace may hold itself).
  virtual void release() {}
};

class Dict;

class Value {
 public:
  Value() = default;  // Undefined without a name
  static Value undefined(std::string message);
  static Value none() { return Value(Kind::kNone); }
  static Value boolean(bool b) {
    Value v(Kind::kBool);
    v.b_ = b;
    return v;
  }
  static Value integer(int64_t i) {
    Value v(Kind::kInt);
    v.i_ = i;
    return v;
  }
  static Value number(double f) {
    Value v(Kind::kFloat);
    v.f_ = f;
    return v;
  }
  static Value string(std::string s);
  // Lists/tuples/dicts deeper than kMaxDepth are an error, so templates cannot nest without bound.
  static Result<Value> list(std::vector<Value> items);
  static Result<Value> tuple(std::vector<Value> items);
  static Result<Value> dict(Dict d);
  static Value object(std::shared_ptr<Object> o);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  // Python's int includes bool.
  bool is_integral() const { return kind_ == Kind::kInt || kind_ == Kind::kBool; }
  bool is_number() const { return is_integral() || kind_ == Kind::kFloat; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_tuple() const { return kind_ == Kind::kTuple; }
  bool is_sequence() const { return kind_ == Kind::kList || kind_ == Kind::kTuple; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_object() const { return kind_ == Kind::kObject; }

  bool as_bool() const { return b_; }
  // bool reads as 0/1 the way Python's int(True) does.
  int64_t as_int() const { return kind_ == Kind::kBool ? (b_ ? 1 : 0) : i_; }
  double as_double() const { return kind_ == Kind::kFloat ? f_ : static_cast<double>(as_int()); }
  const std::string& str() const;
  const std::vector<Value>& items() const;
  const Dict& dict() const;
  Object* obj() const { return static_cast<Object*>(p_.get()); }
  std::shared_ptr<Object> obj_ptr() const { return std::static_pointer_cast<Object>(p_); }
  // The message an operation on this Undefined raises.
  std::string undefined_message() const;
  uint32_t depth() const;
  // True when an Object (namespace, macro, ...) is reachable inside this value.
  bool has_objects() const;

 private:
  explicit Value(Kind k) : kind_(k) {}
  Kind kind_ = Kind::kUndefined;
  union {
    bool b_;
    int64_t i_ = 0;
    double f_;
  };
  std::shared_ptr<void> p_;  // string, ListData, Dict, Object or undefined message
};

// Python dict: insertion ordered; keys are hashable values (str, numbers, None, bool, tuples).
class Dict {
 public:
  // Fails for unhashable keys ("unhashable type: 'list'"); an existing key keeps its position.
  Status set(Value key, Value value);
  void set(std::string_view key, Value value);  // string keys cannot fail
  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
  const std::vector<std::pair<Value, Value>>& items() const { return items_; }
  size_t size() const { return items_.size(); }
  uint32_t depth() const { return depth_; }
  bool has_objects() const { return has_objects_; }

 private:
  friend class Value;
  std::vector<std::pair<Value, Value>> items_;
  std::unordered_map<std::string, size_t> str_index_;
  uint32_t depth_ = 1;
  bool has_objects_ = false;
};

// Positional and keyword arguments of a call.
struct CallArgs {
  std::vector<Value> args;
  std::vector<std::pair<std::string, Value>> kwargs;
};

// ---- Python semantics on values -------------------------------------------------------------

std::string type_name(const Value& v);         // "NoneType", "str", "list", ...
std::string object_type_repr(const Value& v);  // Jinja: "None", "dict object", ...
bool truthy(const Value& v);
void append_str(std::string& out, const Value& v);   // str(v); Undefined prints as ""
void append_repr(std::string& out, const Value& v);  // repr(v)
// repr(v) for a value nested `depth` levels deep; past kMaxDepth prints "..." (cycle guard).
void append_repr(std::string& out, const Value& v, uint32_t depth);
std::string to_str(const Value& v);
std::string to_repr(const Value& v);
std::string repr_string(std::string_view s);  // Python's repr of a str
std::string format_float(double d);           // Python's repr of a float
bool equal(const Value& a, const Value& b);   // ==
// <, <=, >, >= (op is one of those spellings): a TypeError message for unorderable operands.
Result<bool> less_op(const Value& a, const Value& b, std::string_view op);
bool hashable(const Value& v);

// Undefined values as Jinja's getattr/getitem make them.
Value undefined_name(std::string_view name);
Value undefined_attr(const Value& obj, std::string_view name);
Value undefined_item(const Value& obj, const Value& key);

}  // namespace uma::jinja

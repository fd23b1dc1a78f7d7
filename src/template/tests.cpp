// Jinja2's built-in tests (`x is defined`, `x is string`, `x is divisibleby 3`, ...).
#include <cmath>

#include "template/builtins.h"
#include "template/callable.h"
#include "template/interp.h"
#include "template/ops.h"
#include "template/strings.h"

namespace uma::jinja {

namespace {

Status no_args(std::string_view name, const CallArgs& args) {
  return bind_args("test '" + std::string(name) + "'", {}, args).status();
}

Result<Value> one_arg(std::string_view name, const CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(auto a, bind_args("test '" + std::string(name) + "'", {"other"}, args, 1));
  return *a[0];
}

Result<bool> t_defined(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("defined", a));
  return !v.is_undefined();
}
Result<bool> t_undefined(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("undefined", a));
  return v.is_undefined();
}
Result<bool> t_none(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("none", a));
  return v.is_none();
}
Result<bool> t_boolean(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("boolean", a));
  return v.is_bool();
}
Result<bool> t_true(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("true", a));
  return v.is_bool() && v.as_bool();
}
Result<bool> t_false(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("false", a));
  return v.is_bool() && !v.as_bool();
}
Result<bool> t_integer(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("integer", a));
  return v.is_int();
}
Result<bool> t_float(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("float", a));
  return v.is_float();
}
Result<bool> t_number(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("number", a));
  return v.is_number();
}
Result<bool> t_string(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("string", a));
  return v.is_string();
}
Result<bool> t_mapping(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("mapping", a));
  return v.is_dict();
}
// Python: len() and [] work (Undefined defines both).
Result<bool> t_sequence(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("sequence", a));
  return v.is_string() || v.is_sequence() || v.is_dict() || v.is_undefined();
}
// Python: iter() works (Undefined iterates as empty).
Result<bool> t_iterable(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("iterable", a));
  return v.is_string() || v.is_sequence() || v.is_dict() || v.is_undefined();
}
Result<bool> t_callable(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("callable", a));
  if (v.is_undefined()) return true;  // Undefined defines __call__ (which raises)
  return v.is_object() && (v.obj()->callable() || v.obj()->type_name() == "LoopContext");
}
Result<bool> t_escaped(Interp&, const Value&, CallArgs& a) {
  UMA_TRY(no_args("escaped", a));
  return false;
}
Result<bool> t_lower(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("lower", a));
  return py_islower(to_str(v));
}
Result<bool> t_upper(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("upper", a));
  return py_isupper(to_str(v));
}

Result<bool> parity(Interp& interp, const Value& v, int64_t want) {
  UMA_ASSIGN_OR_RETURN(Value m, binary_op(interp, "%", v, Value::integer(2)));
  return want ? truthy(m) : !truthy(m);
}
Result<bool> t_odd(Interp& i, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("odd", a));
  return parity(i, v, 1);
}
Result<bool> t_even(Interp& i, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("even", a));
  return parity(i, v, 0);
}
Result<bool> t_divisibleby(Interp& interp, const Value& v, CallArgs& a) {
  UMA_ASSIGN_OR_RETURN(Value n, one_arg("divisibleby", a));
  UMA_ASSIGN_OR_RETURN(Value m, binary_op(interp, "%", v, n));
  return equal(m, Value::integer(0));
}

Result<bool> t_eq(Interp&, const Value& v, CallArgs& a) {
  UMA_ASSIGN_OR_RETURN(Value o, one_arg("eq", a));
  return equal(v, o);
}
Result<bool> t_ne(Interp&, const Value& v, CallArgs& a) {
  UMA_ASSIGN_OR_RETURN(Value o, one_arg("ne", a));
  return !equal(v, o);
}
Result<bool> t_lt(Interp&, const Value& v, CallArgs& a) {
  UMA_ASSIGN_OR_RETURN(Value o, one_arg("lt", a));
  return less_op(v, o, "<");
}
Result<bool> t_le(Interp&, const Value& v, CallArgs& a) {
  UMA_ASSIGN_OR_RETURN(Value o, one_arg("le", a));
  return less_op(v, o, "<=");
}
Result<bool> t_gt(Interp&, const Value& v, CallArgs& a) {
  UMA_ASSIGN_OR_RETURN(Value o, one_arg("gt", a));
  return less_op(v, o, ">");
}
Result<bool> t_ge(Interp&, const Value& v, CallArgs& a) {
  UMA_ASSIGN_OR_RETURN(Value o, one_arg("ge", a));
  return less_op(v, o, ">=");
}
Result<bool> t_in(Interp&, const Value& v, CallArgs& a) {
  UMA_ASSIGN_OR_RETURN(Value seq, one_arg("in", a));
  return contains(seq, v);
}

// Python `is`: identity. Singletons and small ints are shared in CPython; other values only when
// they are the same object, which for our immutable values means the same storage.
Result<bool> t_sameas(Interp&, const Value& v, CallArgs& a) {
  UMA_ASSIGN_OR_RETURN(Value o, one_arg("sameas", a));
  if (v.kind() != o.kind()) return false;
  switch (v.kind()) {
    case Kind::kNone:
    case Kind::kUndefined:
      return v.is_none();
    case Kind::kBool:
      return v.as_bool() == o.as_bool();
    case Kind::kInt:
      return v.as_int() == o.as_int() && v.as_int() >= -5 && v.as_int() <= 256;
    case Kind::kString:
      return &v.str() == &o.str();
    case Kind::kList:
    case Kind::kTuple:
      return &v.items() == &o.items();
    case Kind::kDict:
      return &v.dict() == &o.dict();
    case Kind::kObject:
      return v.obj() == o.obj();
    default:
      return false;
  }
}

Result<bool> t_filter(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("filter", a));
  return v.is_string() && find_filter(v.str()) != nullptr;
}
Result<bool> t_test(Interp&, const Value& v, CallArgs& a) {
  UMA_TRY(no_args("test", a));
  return v.is_string() && find_test(v.str()) != nullptr;
}

constexpr TestDef kTests[] = {
    {"!=", t_ne},
    {"<", t_lt},
    {"<=", t_le},
    {"==", t_eq},
    {">", t_gt},
    {">=", t_ge},
    {"boolean", t_boolean},
    {"callable", t_callable},
    {"defined", t_defined},
    {"divisibleby", t_divisibleby},
    {"eq", t_eq},
    {"equalto", t_eq},
    {"escaped", t_escaped},
    {"even", t_even},
    {"false", t_false},
    {"filter", t_filter},
    {"float", t_float},
    {"ge", t_ge},
    {"greaterthan", t_gt},
    {"gt", t_gt},
    {"in", t_in},
    {"integer", t_integer},
    {"iterable", t_iterable},
    {"le", t_le},
    {"lessthan", t_lt},
    {"lower", t_lower},
    {"lt", t_lt},
    {"mapping", t_mapping},
    {"ne", t_ne},
    {"none", t_none},
    {"number", t_number},
    {"odd", t_odd},
    {"sameas", t_sameas},
    {"sequence", t_sequence},
    {"string", t_string},
    {"test", t_test},
    {"true", t_true},
    {"undefined", t_undefined},
    {"upper", t_upper},
};

}  // namespace

const TestDef* find_test(std::string_view name) {
  for (const TestDef& t : kTests) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace uma::jinja

// Python operators on template values (+ - * / // % ** unary -, in) and Jinja's sandboxed
// attribute / item / slice access, with Python's error messages.
#pragma once

#include <string_view>
#include <vector>

#include "core/status.h"
#include "template/value.h"

namespace uma::jinja {

class Interp;

Result<Value> binary_op(Interp& interp, std::string_view op, const Value& a, const Value& b);
Result<Value> negate(const Value& a);
Result<Value> unary_plus(const Value& a);
Result<bool> contains(const Value& container, const Value& item);  // `item in container`

// The values a for-loop visits: list/tuple items, dict keys, str characters; Undefined is empty.
Result<std::vector<Value>> iterate(const Value& v);

// obj.name: methods first for str/dict/list (Python attributes), then dict keys.
Result<Value> get_attr(const Value& obj, std::string_view name);
// obj[key]: dict keys / sequence indices first, then attributes for string keys.
Result<Value> get_item(const Value& obj, const Value& key);
// obj[start:stop:step]; absent parts are Undefined-kind-free `none` values.
Result<Value> get_slice(const Value& obj, const Value& start, const Value& stop, const Value& step);

// Python's str % args (printf-style formatting).
Result<std::string> percent_format(std::string_view fmt, const Value& args);

}  // namespace uma::jinja

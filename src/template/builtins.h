// Registries of Jinja filters and tests (the parser resolves names against them) and the
// Python methods of str, dict and list values that templates may call.
#pragma once

#include <optional>
#include <string_view>

#include "core/status.h"
#include "template/value.h"

namespace uma::jinja {

class Interp;

using FilterFn = Result<Value> (*)(Interp& interp, const Value& input, CallArgs& args);
using TestFn = Result<bool> (*)(Interp& interp, const Value& input, CallArgs& args);

struct FilterDef {
  std::string_view name;
  FilterFn fn;
};

struct TestDef {
  std::string_view name;
  TestFn fn;
};

const FilterDef* find_filter(std::string_view name);
const TestDef* find_test(std::string_view name);

// The bound method `obj.name` for str / dict / list / tuple values (e.g. 'a b'.split), or nullopt.
// Methods that would mutate (list.append, dict.update, ...) come back as an Undefined whose use
// raises the sandbox's SecurityError message, as in Hugging Face's ImmutableSandboxedEnvironment.
std::optional<Value> find_method(const Value& obj, std::string_view name);

// Global functions: range, namespace, dict, cycler, joiner, raise_exception, strftime_now
// (Jinja's lipsum is not provided: its output is random).
std::optional<Value> find_global(std::string_view name);

}  // namespace uma::jinja

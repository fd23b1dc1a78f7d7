// Callable and mutable objects shared by the interpreter and the builtins: Jinja's namespace(),
// native functions (globals, bound str/dict/list methods), and argument binding with clear
// errors for wrong argument counts or names.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "template/value.h"

namespace uma::jinja {

// jinja2.utils.Namespace: the one mutable object ({% set ns.attr = ... %}).
class Namespace final : public Object {
 public:
  std::string type_name() const override { return "Namespace"; }
  std::string qualified_name() const override { return "jinja2.utils.Namespace object"; }
  std::string repr(uint32_t depth) const override;
  std::optional<Value> attr(std::string_view name) const override;
  uint32_t depth(uint32_t budget) const override;
  // True when storing `v` here would make the namespace reach itself (a reference cycle).
  bool would_cycle(const Value& v) const;
  std::vector<std::string_view> attr_names() const;
  void release() override { attrs_ = Dict(); }
  void set(std::string_view name, Value v) { attrs_.set(name, std::move(v)); }

 private:
  Dict attrs_;
};

// A function implemented in C++; `self` is the bound object for methods (else Undefined).
using NativeFn = Result<Value> (*)(Interp& interp, const Value& self, CallArgs& args);

class NativeFunction final : public Object {
 public:
  NativeFunction(std::string name, NativeFn fn, Value self = Value(), std::string owner = "")
      : name_(std::move(name)), fn_(fn), self_(std::move(self)), owner_(std::move(owner)) {}
  std::string type_name() const override {
    return owner_.empty() ? "function" : "builtin_function_or_method";
  }
  std::string repr(uint32_t) const override {
    if (owner_.empty()) return "<function " + name_ + ">";
    return "<built-in method " + name_ + " of " + owner_ + " object>";
  }
  bool callable() const override { return true; }
  Result<Value> call(Interp& interp, CallArgs& args) override { return fn_(interp, self_, args); }

 private:
  std::string name_;
  NativeFn fn_;
  Value self_;
  std::string owner_;
};

// Binds positional and keyword arguments to `params` (Python-style). Entries stay nullopt when
// not given; the first `required` params must be given. `what` names the callee in errors
// ("filter 'join'", "str.split").
Result<std::vector<std::optional<Value>>> bind_args(std::string_view what,
                                                    std::initializer_list<std::string_view> params,
                                                    const CallArgs& args, size_t required = 0);

}  // namespace uma::jinja

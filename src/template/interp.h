// The tree-walking renderer: scopes with Jinja2's rules (each loop iteration, macro call and
// with-block gets its own scope; if-blocks do not), statement execution, expression evaluation,
// calls, and the resource limits that keep a hostile template from hanging or exhausting memory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "template/ast.h"
#include "template/template.h"
#include "template/value.h"

namespace uma::jinja {

struct Scope {
  std::shared_ptr<Scope> parent;
  std::vector<std::pair<std::string, Value>> vars;

  const Value* find(std::string_view name) const;
  void set(std::string_view name, Value v);
};
using ScopePtr = std::shared_ptr<Scope>;

enum class Flow : uint8_t { kNormal, kBreak, kContinue };

class Interp {
 public:
  explicit Interp(const RenderOptions& opts);
  ~Interp();  // breaks the reference cycles of macros and namespaces created while rendering
  Interp(const Interp&) = delete;
  Interp& operator=(const Interp&) = delete;

  Result<std::string> render(const Program& program,
                             std::vector<std::pair<std::string, Value>> vars);

  Result<Value> eval(const Expr& e, const ScopePtr& scope);
  Result<Value> call(const Value& callee, CallArgs& args);
  // Renders a macro (or a call block's caller) with the given arguments.
  Result<Value> call_macro(const MacroDef& def, const ScopePtr& closure, CallArgs& args,
                           const Value* caller);
  // Renders one more level of a `for ... recursive` loop (loop(children)).
  Result<Value> call_recursive_loop(const Stmt& loop, const ScopePtr& scope, const Value& iterable,
                                    int depth);

  // Every statement, expression node and loop iteration costs one step; producing n bytes of
  // string costs n / 64 more. Exceeding RenderOptions::max_steps is an error.
  Status charge(uint64_t steps);
  Status charge_bytes(size_t bytes);
  // A string, output or rendered block longer than max_output_bytes is an error.
  Status check_size(size_t bytes) const;
  Status track_namespace(std::shared_ptr<Object> ns);  // registered so ~Interp can clear it
  const RenderOptions& options() const { return opts_; }

 private:
  Result<Flow> exec_body(const Body& body, const ScopePtr& scope, std::string& out);
  Result<Flow> exec(const Stmt& s, const ScopePtr& scope, std::string& out);
  Status exec_for(const Stmt& s, const ScopePtr& scope, std::string& out, const Value& iterable,
                  int depth);
  Status assign(const Target& t, Value v, const ScopePtr& scope);
  Status append_output(std::string& out, const Value& v);
  Result<Value> lookup(std::string_view name, const ScopePtr& scope);
  Result<Value> apply_filter(const Expr& e, const Value* block_input, const ScopePtr& scope);
  Status eval_args(const Expr& e, const ScopePtr& scope, CallArgs& args);
  Result<Value> eval_compare(const Expr& e, const ScopePtr& scope);

  RenderOptions opts_;
  uint64_t steps_ = 0;
  int call_depth_ = 0;
  int eval_depth_ = 0;  // nesting of exec/eval frames (bounds native recursion)
  std::vector<std::shared_ptr<Object>> closures_;  // macros/namespaces to clear at the end
};

}  // namespace uma::jinja

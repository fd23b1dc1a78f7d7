// Statement execution and expression evaluation over the syntax tree. Errors propagate as
// Status (never exceptions); every step is counted so runaway templates stop with an error.
#include "template/interp.h"

#include "template/builtins.h"
#include "template/callable.h"
#include "template/ops.h"

namespace uma::jinja {

namespace {

// Native recursion limit (statements + expressions + calls nested inside each other), far
// above what templates need and well inside an 8 MiB thread stack.
constexpr int kMaxEvalDepth = 1500;

ScopePtr child_of(const ScopePtr& parent) {
  auto s = std::make_shared<Scope>();
  s->parent = parent;
  return s;
}

// jinja2.runtime.Macro: a template macro (or a call block's `caller`) bound to its scope.
class MacroObject final : public Object {
 public:
  MacroObject(const MacroDef* def, ScopePtr closure) : def_(def), closure_(std::move(closure)) {}
  std::string type_name() const override { return "Macro"; }
  std::string qualified_name() const override { return "jinja2.runtime.Macro object"; }
  std::string repr(uint32_t) const override { return "<Macro " + repr_string(def_->name) + ">"; }
  bool callable() const override { return true; }
  Result<Value> call(Interp& interp, CallArgs& args) override {
    if (!closure_) return error("macro '" + def_->name + "' called after its template ended");
    Value caller;
    const Value* caller_ptr = nullptr;
    for (size_t i = 0; i < args.kwargs.size(); i++) {
      if (args.kwargs[i].first == "caller" && def_->name != "caller") {
        caller = args.kwargs[i].second;
        caller_ptr = &caller;
        args.kwargs.erase(args.kwargs.begin() + i);
        break;
      }
    }
    return interp.call_macro(*def_, closure_, args, caller_ptr);
  }
  std::optional<Value> attr(std::string_view name) const override {
    if (name == "name") return Value::string(def_->name);
    if (name == "catch_kwargs") return Value::boolean(def_->uses_kwargs);
    if (name == "catch_varargs") return Value::boolean(def_->uses_varargs);
    if (name == "caller") return Value::boolean(def_->uses_caller);
    return std::nullopt;
  }
  void release() override { closure_.reset(); }

 private:
  const MacroDef* def_;
  ScopePtr closure_;
};

// jinja2.runtime.LoopContext: the `loop` variable.
class LoopObject final : public Object {
 public:
  LoopObject(std::vector<Value> items, int depth, const Stmt* stmt, ScopePtr scope)
      : items_(std::move(items)), depth_(depth), stmt_(stmt), scope_(std::move(scope)) {}
  std::string type_name() const override { return "LoopContext"; }
  std::string qualified_name() const override { return "jinja2.runtime.LoopContext object"; }
  std::string repr(uint32_t) const override {
    return "<LoopContext " + std::to_string(index0_ + 1) + "/" + std::to_string(items_.size()) +
           ">";
  }
  bool callable() const override { return stmt_->recursive; }
  Result<Value> call(Interp& interp, CallArgs& args) override {
    if (!stmt_->recursive) return Object::call(interp, args);
    if (!scope_) return error("loop called after its template ended");
    if (args.args.size() != 1 || !args.kwargs.empty()) {
      return error("loop() takes exactly one argument (the items to recurse into)");
    }
    return interp.call_recursive_loop(*stmt_, scope_, args.args[0], depth_ + 1);
  }
  std::optional<Value> attr(std::string_view name) const override {
    const int64_t n = static_cast<int64_t>(items_.size());
    const int64_t i = static_cast<int64_t>(index0_);
    if (name == "index") return Value::integer(i + 1);
    if (name == "index0") return Value::integer(i);
    if (name == "revindex") return Value::integer(n - i);
    if (name == "revindex0") return Value::integer(n - i - 1);
    if (name == "first") return Value::boolean(i == 0);
    if (name == "last") return Value::boolean(i == n - 1);
    if (name == "length") return Value::integer(n);
    if (name == "depth") return Value::integer(depth_);
    if (name == "depth0") return Value::integer(depth_ - 1);
    if (name == "previtem") {
      if (i == 0) return Value::undefined("there is no previous item");
      return items_[i - 1];
    }
    if (name == "nextitem") {
      if (i + 1 >= n) return Value::undefined("there is no next item");
      return items_[i + 1];
    }
    if (name == "cycle") {
      return Value::object(std::make_shared<NativeFunction>(
          "cycle",
          [](Interp&, const Value& self, CallArgs& args) -> Result<Value> {
            if (args.args.empty()) return error("no items for cycling given");
            const int64_t idx = self.as_int();
            return args.args[idx % static_cast<int64_t>(args.args.size())];
          },
          Value::integer(i), "LoopContext"));
    }
    return std::nullopt;
  }
  void release() override { scope_.reset(); }
  void set_index(size_t i) { index0_ = i; }

 private:
  std::vector<Value> items_;
  size_t index0_ = 0;
  int depth_;
  const Stmt* stmt_;
  ScopePtr scope_;
};

// Counts nesting of exec/eval frames; fails past kMaxEvalDepth.
class DepthGuard {
 public:
  explicit DepthGuard(int& depth) : depth_(depth) { depth_++; }
  ~DepthGuard() { depth_--; }
  bool exceeded() const { return depth_ > kMaxEvalDepth; }

 private:
  int& depth_;
};

}  // namespace

// ---- Scope ------------------------------------------------------------------------------------

const Value* Scope::find(std::string_view name) const {
  for (const Scope* s = this; s; s = s->parent.get()) {
    for (const auto& [k, v] : s->vars) {
      if (k == name) return &v;
    }
  }
  return nullptr;
}

void Scope::set(std::string_view name, Value v) {
  for (auto& [k, val] : vars) {
    if (k == name) {
      val = std::move(v);
      return;
    }
  }
  vars.emplace_back(std::string(name), std::move(v));
}

// ---- Interp -----------------------------------------------------------------------------------

Interp::Interp(const RenderOptions& opts) : opts_(opts) {}

Interp::~Interp() {
  for (auto& o : closures_) o->release();
}

Status Interp::charge(uint64_t steps) {
  steps_ += steps;
  if (steps_ > opts_.max_steps) {
    return error("template evaluation exceeded " + std::to_string(opts_.max_steps) +
                 " steps (runaway loop?)");
  }
  return Status::ok();
}

Status Interp::charge_bytes(size_t bytes) { return charge(bytes / 64); }

Status Interp::check_size(size_t bytes) const {
  if (bytes > opts_.max_output_bytes) {
    return error("template output exceeds " + std::to_string(opts_.max_output_bytes) + " bytes");
  }
  return Status::ok();
}

Status Interp::track_namespace(std::shared_ptr<Object> ns) {
  UMA_TRY(charge(1));
  closures_.push_back(std::move(ns));
  return Status::ok();
}

Result<std::string> Interp::render(const Program& program,
                                   std::vector<std::pair<std::string, Value>> vars) {
  auto root = std::make_shared<Scope>();
  root->vars = std::move(vars);
  ScopePtr top = child_of(root);
  std::string out;
  UMA_ASSIGN_OR_RETURN(Flow flow, exec_body(program.body, top, out));
  (void)flow;
  return out;
}

Result<Flow> Interp::exec_body(const Body& body, const ScopePtr& scope, std::string& out) {
  for (const Stmt& s : body) {
    UMA_ASSIGN_OR_RETURN(Flow f, exec(s, scope, out));
    if (f != Flow::kNormal) return f;
  }
  return Flow::kNormal;
}

Status Interp::append_output(std::string& out, const Value& v) {
  const size_t before = out.size();
  append_str(out, v);
  UMA_TRY(check_size(out.size()));
  return charge_bytes(out.size() - before);
}

Result<Flow> Interp::exec(const Stmt& s, const ScopePtr& scope, std::string& out) {
  DepthGuard guard(eval_depth_);
  if (guard.exceeded()) return error("template nesting too deep (recursion?)");
  UMA_TRY(charge(1));
  switch (s.kind) {
    case StmtKind::kData:
      out += s.text;
      UMA_TRY(check_size(out.size()));
      UMA_TRY(charge_bytes(s.text.size()));
      return Flow::kNormal;
    case StmtKind::kPrint: {
      UMA_ASSIGN_OR_RETURN(Value v, eval(*s.expr, scope));
      UMA_TRY(append_output(out, v));
      return Flow::kNormal;
    }
    case StmtKind::kIf:
      for (const Branch& br : s.branches) {
        UMA_ASSIGN_OR_RETURN(Value c, eval(*br.cond, scope));
        if (truthy(c)) return exec_body(br.body, scope, out);
      }
      return exec_body(s.else_body, scope, out);
    case StmtKind::kFor: {
      UMA_ASSIGN_OR_RETURN(Value iterable, eval(*s.expr, scope));
      UMA_TRY(exec_for(s, scope, out, iterable, 1));
      return Flow::kNormal;
    }
    case StmtKind::kSet: {
      UMA_ASSIGN_OR_RETURN(Value v, eval(*s.expr, scope));
      UMA_TRY(assign(s.target, std::move(v), scope));
      return Flow::kNormal;
    }
    case StmtKind::kSetBlock: {
      std::string buf;
      UMA_TRY(exec_body(s.body, child_of(scope), buf).status());
      Value v = Value::string(std::move(buf));
      if (s.expr) {
        UMA_ASSIGN_OR_RETURN(v, apply_filter(*s.expr, &v, scope));
      }
      UMA_TRY(assign(s.target, std::move(v), scope));
      return Flow::kNormal;
    }
    case StmtKind::kMacro: {
      auto m = std::make_shared<MacroObject>(s.macro.get(), scope);
      UMA_TRY(track_namespace(m));
      scope->set(s.macro->name, Value::object(std::move(m)));
      return Flow::kNormal;
    }
    case StmtKind::kCallBlock: {
      auto caller = std::make_shared<MacroObject>(s.macro.get(), scope);
      UMA_TRY(track_namespace(caller));
      UMA_ASSIGN_OR_RETURN(Value callee, eval(*s.expr->a, scope));
      CallArgs args;
      UMA_TRY(eval_args(*s.expr, scope, args));
      args.kwargs.emplace_back("caller", Value::object(std::move(caller)));
      UMA_ASSIGN_OR_RETURN(Value v, call(callee, args));
      UMA_TRY(append_output(out, v));
      return Flow::kNormal;
    }
    case StmtKind::kFilterBlock: {
      std::string buf;
      UMA_TRY(exec_body(s.body, child_of(scope), buf).status());
      Value v = Value::string(std::move(buf));
      UMA_ASSIGN_OR_RETURN(v, apply_filter(*s.expr, &v, scope));
      UMA_TRY(append_output(out, v));
      return Flow::kNormal;
    }
    case StmtKind::kWith: {
      ScopePtr inner = child_of(scope);
      for (size_t i = 0; i < s.targets.size(); i++) {
        UMA_ASSIGN_OR_RETURN(Value v, eval(*s.values[i], scope));
        UMA_TRY(assign(s.targets[i], std::move(v), inner));
      }
      UMA_TRY(exec_body(s.body, inner, out).status());
      return Flow::kNormal;
    }
    case StmtKind::kScope: {
      UMA_TRY(exec_body(s.body, child_of(scope), out).status());
      return Flow::kNormal;
    }
    case StmtKind::kRaise:
      return error(s.text);
    case StmtKind::kBreak:
      return Flow::kBreak;
    case StmtKind::kContinue:
      return Flow::kContinue;
  }
  return Flow::kNormal;
}

Status Interp::exec_for(const Stmt& s, const ScopePtr& scope, std::string& out,
                        const Value& iterable, int depth) {
  UMA_ASSIGN_OR_RETURN(std::vector<Value> items, iterate(iterable));
  UMA_TRY(charge(items.size()));
  if (s.cond) {
    // `for x in xs if cond`: the condition sees the loop target but not `loop`, and filtering
    // happens first so loop.length / loop.last describe the filtered sequence.
    std::vector<Value> kept;
    for (Value& item : items) {
      ScopePtr ts = child_of(scope);
      UMA_TRY(assign(s.target, item, ts));
      UMA_ASSIGN_OR_RETURN(Value c, eval(*s.cond, ts));
      if (truthy(c)) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  if (items.empty()) {
    UMA_TRY(exec_body(s.else_body, child_of(scope), out).status());
    return Status::ok();
  }
  // Only recursive loops keep their scope (to render loop(children)); they are released at the
  // end of the render like macros, since the scope may come to hold the loop object.
  auto loop = std::make_shared<LoopObject>(items, depth, &s, s.recursive ? scope : nullptr);
  if (s.recursive) UMA_TRY(track_namespace(loop));
  const Value loop_value = Value::object(loop);
  for (size_t i = 0; i < items.size(); i++) {
    UMA_TRY(charge(1));
    ScopePtr it = child_of(scope);
    UMA_TRY(assign(s.target, items[i], it));
    loop->set_index(i);
    it->set("loop", loop_value);
    UMA_ASSIGN_OR_RETURN(Flow f, exec_body(s.body, it, out));
    if (f == Flow::kBreak) break;
  }
  return Status::ok();
}

Result<Value> Interp::call_recursive_loop(const Stmt& loop, const ScopePtr& scope,
                                          const Value& iterable, int depth) {
  if (++call_depth_ > opts_.max_call_depth) {
    call_depth_--;
    return error("maximum recursion depth (" + std::to_string(opts_.max_call_depth) +
                 ") exceeded in a recursive loop");
  }
  std::string buf;
  Status st = exec_for(loop, scope, buf, iterable, depth);
  call_depth_--;
  UMA_TRY(st);
  return Value::string(std::move(buf));
}

Status Interp::assign(const Target& t, Value v, const ScopePtr& scope) {
  switch (t.kind) {
    case Target::Kind::kName:
      scope->set(t.name, std::move(v));
      return Status::ok();
    case Target::Kind::kTuple: {
      UMA_ASSIGN_OR_RETURN(std::vector<Value> parts, iterate(v));
      if (parts.size() < t.items.size()) {
        return error("not enough values to unpack (expected " + std::to_string(t.items.size()) +
                     ", got " + std::to_string(parts.size()) + ")");
      }
      if (parts.size() > t.items.size()) {
        return error("too many values to unpack (expected " + std::to_string(t.items.size()) + ")");
      }
      for (size_t i = 0; i < parts.size(); i++) UMA_TRY(assign(t.items[i], parts[i], scope));
      return Status::ok();
    }
    case Target::Kind::kNsAttr: {
      const Value* ns = scope->find(t.name);
      Namespace* target = nullptr;
      if (ns && ns->is_object()) target = dynamic_cast<Namespace*>(ns->obj());
      if (!target) return error("cannot assign attribute on non-namespace object");
      if (target->would_cycle(v)) return error("cannot store a namespace inside itself");
      if (v.depth() + 1 > kMaxDepth) {
        return error("value nested too deeply (more than " + std::to_string(kMaxDepth) +
                     " levels)");
      }
      target->set(t.attr, std::move(v));
      return Status::ok();
    }
  }
  return Status::ok();
}

Result<Value> Interp::lookup(std::string_view name, const ScopePtr& scope) {
  if (const Value* v = scope->find(name)) return *v;
  if (auto g = find_global(name)) return *g;
  return undefined_name(name);
}

Status Interp::eval_args(const Expr& e, const ScopePtr& scope, CallArgs& args) {
  for (const ExprPtr& a : e.items) {
    UMA_ASSIGN_OR_RETURN(Value v, eval(*a, scope));
    args.args.push_back(std::move(v));
  }
  for (const Keyword& k : e.kwargs) {
    UMA_ASSIGN_OR_RETURN(Value v, eval(*k.value, scope));
    args.kwargs.emplace_back(k.name, std::move(v));
  }
  if (e.dyn_args) {
    UMA_ASSIGN_OR_RETURN(Value v, eval(*e.dyn_args, scope));
    UMA_ASSIGN_OR_RETURN(std::vector<Value> extra, iterate(v));
    for (Value& x : extra) args.args.push_back(std::move(x));
  }
  if (e.dyn_kwargs) {
    UMA_ASSIGN_OR_RETURN(Value v, eval(*e.dyn_kwargs, scope));
    if (!v.is_dict()) return error("argument after ** must be a mapping, not " + type_name(v));
    for (const auto& [k, val] : v.dict().items()) {
      if (!k.is_string()) return error("keywords must be strings");
      args.kwargs.emplace_back(k.str(), val);
    }
  }
  return Status::ok();
}

Result<Value> Interp::call(const Value& callee, CallArgs& args) {
  if (callee.is_undefined()) return error(callee.undefined_message());
  if (callee.is_object() && callee.obj()->callable()) return callee.obj()->call(*this, args);
  return error("'" + type_name(callee) + "' object is not callable");
}

Result<Value> Interp::call_macro(const MacroDef& def, const ScopePtr& closure, CallArgs& args,
                                 const Value* caller) {
  if (call_depth_ + 1 > opts_.max_call_depth) {
    return error("maximum macro call depth (" + std::to_string(opts_.max_call_depth) +
                 ") exceeded in macro '" + def.name + "'");
  }
  ScopePtr scope = child_of(closure);
  const size_t n_params = def.params.size();
  std::vector<bool> given(n_params, false);
  for (size_t i = 0; i < args.args.size() && i < n_params; i++) {
    scope->set(def.params[i], args.args[i]);
    given[i] = true;
  }
  std::vector<Value> extra;
  if (args.args.size() > n_params) {
    if (!def.uses_varargs) {
      return error("macro '" + def.name + "' takes not more than " + std::to_string(n_params) +
                   " argument(s)");
    }
    extra.assign(args.args.begin() + n_params, args.args.end());
  }
  Dict extra_kwargs;
  for (auto& [k, v] : args.kwargs) {
    size_t idx = n_params;
    for (size_t i = 0; i < n_params; i++) {
      if (def.params[i] == k) idx = i;
    }
    if (idx < n_params) {
      if (given[idx]) {
        return error("macro '" + def.name + "' got multiple values for argument '" + k + "'");
      }
      scope->set(k, v);
      given[idx] = true;
    } else if (def.uses_kwargs) {
      extra_kwargs.set(std::string_view(k), v);
    } else {
      return error("macro '" + def.name + "' takes no keyword argument '" + k + "'");
    }
  }
  const size_t first_default = n_params - def.defaults.size();
  for (size_t i = 0; i < n_params; i++) {
    if (given[i]) continue;
    if (i >= first_default) {
      UMA_ASSIGN_OR_RETURN(Value d, eval(*def.defaults[i - first_default], scope));
      scope->set(def.params[i], std::move(d));
    } else {
      scope->set(def.params[i],
                 Value::undefined("parameter " + repr_string(def.params[i]) + " was not provided"));
    }
  }
  if (def.uses_varargs) {
    UMA_ASSIGN_OR_RETURN(Value t, Value::tuple(std::move(extra)));
    scope->set("varargs", std::move(t));
  }
  if (def.uses_kwargs) {
    UMA_ASSIGN_OR_RETURN(Value d, Value::dict(std::move(extra_kwargs)));
    scope->set("kwargs", std::move(d));
  }
  if (caller) scope->set("caller", *caller);
  call_depth_++;
  std::string buf;
  Result<Flow> r = exec_body(def.body, scope, buf);
  call_depth_--;
  UMA_TRY(r.status());
  return Value::string(std::move(buf));
}

Result<Value> Interp::apply_filter(const Expr& e, const Value* block_input, const ScopePtr& scope) {
  Value input;
  if (e.a && e.a->kind == ExprKind::kFilter) {
    UMA_ASSIGN_OR_RETURN(input, apply_filter(*e.a, block_input, scope));
  } else if (e.a) {
    UMA_ASSIGN_OR_RETURN(input, eval(*e.a, scope));
  } else if (block_input) {
    input = *block_input;
  }
  if (!e.filter) return error("No filter named " + repr_string(e.name) + " found.");
  CallArgs args;
  UMA_TRY(eval_args(e, scope, args));
  return e.filter->fn(*this, input, args);
}

Result<Value> Interp::eval_compare(const Expr& e, const ScopePtr& scope) {
  UMA_ASSIGN_OR_RETURN(Value left, eval(*e.a, scope));
  for (size_t i = 0; i < e.ops.size(); i++) {
    UMA_ASSIGN_OR_RETURN(Value right, eval(*e.items[i], scope));
    const std::string& op = e.ops[i];
    bool r;
    if (op == "==") {
      r = equal(left, right);
    } else if (op == "!=") {
      r = !equal(left, right);
    } else if (op == "in" || op == "notin") {
      UMA_ASSIGN_OR_RETURN(bool c, contains(right, left));
      r = op == "in" ? c : !c;
    } else {
      UMA_ASSIGN_OR_RETURN(r, less_op(left, right, op));
    }
    if (!r) return Value::boolean(false);
    left = std::move(right);
  }
  return Value::boolean(true);
}

Result<Value> Interp::eval(const Expr& e, const ScopePtr& scope) {
  DepthGuard guard(eval_depth_);
  if (guard.exceeded()) return error("template nesting too deep (recursion?)");
  UMA_TRY(charge(1));
  switch (e.kind) {
    case ExprKind::kConst:
      return e.value;
    case ExprKind::kName:
      return lookup(e.name, scope);
    case ExprKind::kList:
    case ExprKind::kTuple: {
      std::vector<Value> items;
      items.reserve(e.items.size());
      for (const ExprPtr& x : e.items) {
        UMA_ASSIGN_OR_RETURN(Value v, eval(*x, scope));
        items.push_back(std::move(v));
      }
      return e.kind == ExprKind::kList ? Value::list(std::move(items))
                                       : Value::tuple(std::move(items));
    }
    case ExprKind::kDict: {
      Dict d;
      for (size_t i = 0; i + 1 < e.items.size(); i += 2) {
        UMA_ASSIGN_OR_RETURN(Value k, eval(*e.items[i], scope));
        UMA_ASSIGN_OR_RETURN(Value v, eval(*e.items[i + 1], scope));
        UMA_TRY(d.set(std::move(k), std::move(v)));
      }
      return Value::dict(std::move(d));
    }
    case ExprKind::kGetattr: {
      UMA_ASSIGN_OR_RETURN(Value obj, eval(*e.a, scope));
      return get_attr(obj, e.name);
    }
    case ExprKind::kGetitem: {
      UMA_ASSIGN_OR_RETURN(Value obj, eval(*e.a, scope));
      if (e.b->kind == ExprKind::kSlice) {
        Value parts[3] = {Value::none(), Value::none(), Value::none()};
        const Expr* exprs[3] = {e.b->a.get(), e.b->b.get(), e.b->c.get()};
        for (int i = 0; i < 3; i++) {
          if (exprs[i]) {
            UMA_ASSIGN_OR_RETURN(parts[i], eval(*exprs[i], scope));
          }
        }
        return get_slice(obj, parts[0], parts[1], parts[2]);
      }
      UMA_ASSIGN_OR_RETURN(Value key, eval(*e.b, scope));
      return get_item(obj, key);
    }
    case ExprKind::kSlice:
      return error("slices are only supported as a single subscript");
    case ExprKind::kCall: {
      UMA_ASSIGN_OR_RETURN(Value callee, eval(*e.a, scope));
      CallArgs args;
      UMA_TRY(eval_args(e, scope, args));
      return call(callee, args);
    }
    case ExprKind::kFilter:
      return apply_filter(e, nullptr, scope);
    case ExprKind::kTest: {
      if (!e.test) return error("No test named " + repr_string(e.name) + " found.");
      UMA_ASSIGN_OR_RETURN(Value input, eval(*e.a, scope));
      CallArgs args;
      UMA_TRY(eval_args(e, scope, args));
      UMA_ASSIGN_OR_RETURN(bool r, e.test->fn(*this, input, args));
      return Value::boolean(r);
    }
    case ExprKind::kNeg: {
      UMA_ASSIGN_OR_RETURN(Value v, eval(*e.a, scope));
      return negate(v);
    }
    case ExprKind::kPos: {
      UMA_ASSIGN_OR_RETURN(Value v, eval(*e.a, scope));
      return unary_plus(v);
    }
    case ExprKind::kNot: {
      UMA_ASSIGN_OR_RETURN(Value v, eval(*e.a, scope));
      return Value::boolean(!truthy(v));
    }
    case ExprKind::kBinary: {
      UMA_ASSIGN_OR_RETURN(Value a, eval(*e.a, scope));
      UMA_ASSIGN_OR_RETURN(Value b, eval(*e.b, scope));
      return binary_op(*this, e.name, a, b);
    }
    case ExprKind::kAnd: {
      UMA_ASSIGN_OR_RETURN(Value a, eval(*e.a, scope));
      if (!truthy(a)) return a;
      return eval(*e.b, scope);
    }
    case ExprKind::kOr: {
      UMA_ASSIGN_OR_RETURN(Value a, eval(*e.a, scope));
      if (truthy(a)) return a;
      return eval(*e.b, scope);
    }
    case ExprKind::kConcat: {
      std::string out;
      for (const ExprPtr& x : e.items) {
        UMA_ASSIGN_OR_RETURN(Value v, eval(*x, scope));
        UMA_TRY(append_output(out, v));
      }
      return Value::string(std::move(out));
    }
    case ExprKind::kCompare:
      return eval_compare(e, scope);
    case ExprKind::kCondExpr: {
      UMA_ASSIGN_OR_RETURN(Value c, eval(*e.a, scope));
      if (truthy(c)) return eval(*e.b, scope);
      if (e.c) return eval(*e.c, scope);
      return Value::undefined("the inline if-expression on line " + std::to_string(e.line) +
                              " evaluated to false and no else section was defined.");
    }
  }
  return error("internal error: unknown expression kind");
}

}  // namespace uma::jinja

// Syntax tree of a parsed template: expressions (Expr) and statements (Stmt). Nodes are built
// once by the parser and only read while rendering, so one Template renders from many threads.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "template/value.h"

namespace uma::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;
struct FilterDef;
struct TestDef;

enum class ExprKind : uint8_t {
  kConst,     // value
  kName,      // name
  kList,      // items
  kTuple,     // items
  kDict,      // items = key, value, key, value, ...
  kGetattr,   // a.name
  kGetitem,   // a[b]
  kSlice,     // a:b:c inside [] (null parts are absent)
  kCall,      // a(items..., kwargs..., *dyn_args, **dyn_kwargs)
  kFilter,    // a | name(items..., kwargs...); a is null inside {% filter %} and {% set x | f %}
  kTest,      // a is name(items..., kwargs...)
  kNeg,       // -a
  kPos,       // +a
  kNot,       // not a
  kBinary,    // a <name> b with name one of + - * / // % **
  kAnd,       // a and b
  kOr,        // a or b
  kConcat,    // items joined with ~
  kCompare,   // a (ops[i] items[i])...: chained comparisons, ops are == != < <= > >= in notin
  kCondExpr,  // b if a else c (c may be null)
};

struct Keyword {
  std::string name;
  ExprPtr value;
};

struct Expr {
  ExprKind kind = ExprKind::kConst;
  int line = 0;
  Value value;
  std::string name;
  std::vector<ExprPtr> items;
  std::vector<std::string> ops;
  std::vector<Keyword> kwargs;
  ExprPtr a, b, c;
  ExprPtr dyn_args, dyn_kwargs;
  // Resolved at parse time. An unknown name is a parse error, except inside if-blocks and
  // conditional expressions where Jinja2 only fails if it is used (then these stay null).
  const FilterDef* filter = nullptr;
  const TestDef* test = nullptr;
};

// Left side of set / for / with: a name, a tuple of targets, or namespace.attr.
struct Target {
  enum class Kind : uint8_t { kName, kTuple, kNsAttr } kind = Kind::kName;
  std::string name;
  std::string attr;
  std::vector<Target> items;
};

struct Stmt;
using Body = std::vector<Stmt>;

struct MacroDef {
  std::string name;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // for the last defaults.size() params
  Body body;
  bool uses_caller = false;   // the body names caller / varargs / kwargs (Jinja only then
  bool uses_varargs = false;  // accepts extra positional or keyword arguments)
  bool uses_kwargs = false;
};

enum class StmtKind : uint8_t {
  kData,         // text
  kPrint,        // {{ expr }}
  kFor,          // for target in expr [if cond] body [else else_body]
  kIf,           // branches: (cond, body)...; else_body
  kSet,          // set target = expr
  kSetBlock,     // set target [| filter] body endset  (expr = filter chain or null)
  kMacro,        // macro
  kCallBlock,    // call[(macro params)] expr body endcall
  kFilterBlock,  // filter expr body endfilter
  kWith,         // with targets = values body endwith
  kBreak,
  kContinue,
  kScope,  // body rendered in place, in its own scope ({% generation %}, {% block %})
  kRaise,  // fails with `text` when reached ({% include %} etc.: no loader, as in HF)
};

struct Branch {
  ExprPtr cond;
  Body body;
};

struct Stmt {
  StmtKind kind = StmtKind::kData;
  int line = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr cond;
  Target target;
  Body body;
  Body else_body;
  std::vector<Branch> branches;
  std::vector<Target> targets;  // with
  std::vector<ExprPtr> values;  // with
  bool recursive = false;
  std::unique_ptr<MacroDef> macro;  // kMacro, and the caller signature of kCallBlock
};

struct Program {
  Body body;
};

}  // namespace uma::jinja

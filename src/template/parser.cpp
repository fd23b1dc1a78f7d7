// Recursive-descent parser over the token list, mirroring Jinja2's grammar and precedence:
// condexpr < or < and < not < compare < + - < ~ < * / // % < ** < unary < postfix / filters.
#include "template/parser.h"

#include <initializer_list>

#include "template/builtins.h"
#include "template/lexer.h"

namespace uma::jinja {

namespace {

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  Result<std::unique_ptr<Program>> run() {
    auto program = std::make_unique<Program>();
    UMA_TRY(subparse({}, program->body));
    if (cur().type != Tok::kEof) return fail("unexpected '" + cur().text + "'");
    return program;
  }

 private:
  // ---- token helpers ----
  const Token& cur() const { return toks_[pos_]; }
  const Token& peek(size_t n = 1) const { return toks_[std::min(pos_ + n, toks_.size() - 1)]; }
  void advance() {
    if (pos_ + 1 < toks_.size()) pos_++;
  }
  bool is_op(std::string_view op) const { return cur().type == Tok::kOp && cur().text == op; }
  bool is_name(std::string_view n) const { return cur().type == Tok::kName && cur().text == n; }
  bool skip_op(std::string_view op) {
    if (!is_op(op)) return false;
    advance();
    return true;
  }
  bool skip_name(std::string_view n) {
    if (!is_name(n)) return false;
    advance();
    return true;
  }

  static std::string describe(const Token& t) {
    switch (t.type) {
      case Tok::kData:
        return "template data";
      case Tok::kVarBegin:
        return "begin of print statement";
      case Tok::kVarEnd:
        return "end of print statement";
      case Tok::kBlockBegin:
        return "begin of statement block";
      case Tok::kBlockEnd:
        return "end of statement block";
      case Tok::kString:
        return "string";
      case Tok::kInt:
        return "integer";
      case Tok::kFloat:
        return "float";
      case Tok::kEof:
        return "end of template";
      default:
        return t.text;
    }
  }

  Status fail(const std::string& what, int line = 0) const {
    return error("line " + std::to_string(line ? line : cur().line) + ": " + what);
  }
  Status expect_op(std::string_view op) {
    if (skip_op(op)) return Status::ok();
    return fail("expected '" + std::string(op) + "', got '" + describe(cur()) + "'");
  }
  Status expect_block_end() {
    if (cur().type == Tok::kBlockEnd) {
      advance();
      return Status::ok();
    }
    return fail("expected end of statement block ('%}'), got '" + describe(cur()) + "'");
  }
  Result<std::string> expect_name() {
    if (cur().type != Tok::kName) {
      return fail("expected a name, got '" + describe(cur()) + "'");
    }
    std::string n = cur().text;
    advance();
    return n;
  }

  // ---- statements ----

  // Parses statements until a block tag whose name is in `end` (left as the current token).
  Status subparse(std::initializer_list<std::string_view> end, Body& body) {
    if (++block_depth_ > kMaxNesting) return fail("blocks nested too deeply");
    while (true) {
      const Token& t = cur();
      if (t.type == Tok::kEof) {
        if (end.size() == 0) break;
        return fail_unclosed();
      }
      if (t.type == Tok::kData) {
        Stmt s;
        s.kind = StmtKind::kData;
        s.line = t.line;
        s.text = t.text;
        body.push_back(std::move(s));
        advance();
      } else if (t.type == Tok::kVarBegin) {
        Stmt s;
        s.kind = StmtKind::kPrint;
        s.line = t.line;
        advance();
        UMA_ASSIGN_OR_RETURN(s.expr, parse_tuple(true, {}, false));
        UMA_TRY(check_unresolved());
        if (cur().type != Tok::kVarEnd) {
          return fail("expected end of print statement ('}}'), got '" + describe(cur()) + "'");
        }
        advance();
        body.push_back(std::move(s));
      } else if (t.type == Tok::kBlockBegin) {
        advance();
        if (cur().type == Tok::kName) {
          for (std::string_view e : end) {
            if (cur().text == e) {
              block_depth_--;
              return Status::ok();
            }
          }
        }
        UMA_TRY(parse_statement(body));
      } else {
        return fail("unexpected '" + describe(t) + "'");
      }
    }
    block_depth_--;
    return Status::ok();
  }

  Status fail_unclosed() const {
    if (open_.empty()) return fail("unexpected end of template");
    return fail("unexpected end of template: '" + open_.back().first + "' opened on line " +
                std::to_string(open_.back().second) + " is never closed");
  }

  // Body of a block statement up to one of `end`; consumes the end tag's name.
  Status parse_body(std::string_view tag, int line, std::initializer_list<std::string_view> end,
                    Body& body, std::string* which) {
    skip_op(":");
    UMA_TRY(expect_block_end());
    open_.emplace_back(std::string(tag), line);
    UMA_TRY(subparse(end, body));
    open_.pop_back();
    if (which) *which = cur().text;
    advance();
    return Status::ok();
  }

  Status parse_statement(Body& body) {
    if (cur().type != Tok::kName) return fail("tag name expected");
    const std::string tag = cur().text;
    const int line = cur().line;
    Stmt s;
    s.line = line;
    if (tag == "for") {
      UMA_TRY(parse_for(s));
    } else if (tag == "if") {
      UMA_TRY(parse_if(s));
    } else if (tag == "set") {
      UMA_TRY(parse_set(s));
    } else if (tag == "macro") {
      UMA_TRY(parse_macro(s));
    } else if (tag == "call") {
      UMA_TRY(parse_call_block(s));
    } else if (tag == "filter") {
      advance();
      s.kind = StmtKind::kFilterBlock;
      UMA_ASSIGN_OR_RETURN(s.expr, parse_filter(nullptr, true));
      UMA_TRY(with_frame(
          false, [&] { return parse_body("filter", line, {"endfilter"}, s.body, nullptr); }));
    } else if (tag == "with") {
      UMA_TRY(parse_with(s));
    } else if (tag == "generation") {
      advance();
      s.kind = StmtKind::kScope;
      UMA_TRY(parse_body("generation", line, {"endgeneration"}, s.body, nullptr));
    } else if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) return fail("'" + tag + "' is only allowed inside a for loop");
      advance();
      s.kind = tag == "break" ? StmtKind::kBreak : StmtKind::kContinue;
    } else if (tag == "print") {
      // {% print a, b %} outputs each expression, like {{ a }}{{ b }}.
      advance();
      while (cur().type != Tok::kBlockEnd) {
        if (s.kind == StmtKind::kPrint) {
          UMA_TRY(expect_op(","));
          body.push_back(std::move(s));
          s = Stmt();
          s.line = line;
        }
        s.kind = StmtKind::kPrint;
        UMA_ASSIGN_OR_RETURN(s.expr, parse_expression(true));
      }
      if (s.kind != StmtKind::kPrint) return expect_block_end();
    } else if (tag == "block") {
      // Without a parent template a block renders in place (in its own scope).
      advance();
      s.kind = StmtKind::kScope;
      UMA_ASSIGN_OR_RETURN(std::string name, expect_name());
      skip_name("scoped");
      skip_name("required");
      UMA_TRY(with_frame(false,
                         [&] { return parse_body("block", line, {"endblock"}, s.body, nullptr); }));
      if (cur().type == Tok::kName && cur().text == name) advance();
    } else if (tag == "extends" || tag == "include" || tag == "import" || tag == "from") {
      // Hugging Face's environment has no loader: these fail when reached.
      while (cur().type != Tok::kBlockEnd && cur().type != Tok::kEof) advance();
      s.kind = StmtKind::kRaise;
      s.text = "no loader for this environment specified";
    } else if (tag == "autoescape" || tag == "raw" || tag == "do") {
      return fail("tag '" + tag + "' is not supported in chat templates");
    } else {
      if (tag.rfind("end", 0) == 0 || tag == "else" || tag == "elif") {
        if (open_.empty()) return fail("unexpected '" + tag + "' (no block is open)");
        return fail("unexpected '" + tag + "' (the innermost open block is '" + open_.back().first +
                    "' from line " + std::to_string(open_.back().second) + ")");
      }
      return fail("unknown tag '" + tag + "'");
    }
    UMA_TRY(check_unresolved());
    body.push_back(std::move(s));
    return expect_block_end();
  }

  // Runs `f` with soft_ set as Jinja2's compiler frames would be: if-blocks and conditional
  // expressions are "soft" (unknown filters/tests fail only when used); loops, macros and other
  // blocks open a new, hard frame.
  template <typename F>
  Status with_frame(bool soft, F&& f) {
    const bool saved = soft_;
    soft_ = soft;
    Status st = f();
    soft_ = saved;
    return st;
  }

  Status parse_for(Stmt& s) {
    advance();
    s.kind = StmtKind::kFor;
    UMA_TRY(parse_assign_target(s.target, false, "in"));
    if (!skip_name("in")) return fail("expected 'in', got '" + describe(cur()) + "'");
    UMA_ASSIGN_OR_RETURN(s.expr, parse_tuple(false, "recursive", false));
    return with_frame(false, [&]() -> Status {
      if (skip_name("if")) {
        UMA_ASSIGN_OR_RETURN(s.cond, parse_expression(true));
      }
      s.recursive = skip_name("recursive");
      std::string which;
      loop_depth_++;
      UMA_TRY(parse_body("for", s.line, {"endfor", "else"}, s.body, &which));
      loop_depth_--;
      if (which == "else") {
        UMA_TRY(parse_body("for", s.line, {"endfor"}, s.else_body, nullptr));
      }
      return Status::ok();
    });
  }

  Status parse_if(Stmt& s) {
    return with_frame(true, [&] { return parse_if_chain(s); });
  }

  Status parse_if_chain(Stmt& s) {
    advance();
    s.kind = StmtKind::kIf;
    while (true) {
      Branch br;
      UMA_ASSIGN_OR_RETURN(br.cond, parse_tuple(false, {}, false));
      std::string which;
      UMA_TRY(parse_body("if", s.line, {"elif", "else", "endif"}, br.body, &which));
      s.branches.push_back(std::move(br));
      if (which == "elif") continue;
      if (which == "else") UMA_TRY(parse_body("if", s.line, {"endif"}, s.else_body, nullptr));
      return Status::ok();
    }
  }

  Status parse_set(Stmt& s) {
    advance();
    UMA_TRY(parse_assign_target(s.target, true, {}));
    if (skip_op("=")) {
      s.kind = StmtKind::kSet;
      UMA_ASSIGN_OR_RETURN(s.expr, parse_tuple(true, {}, false));
      return Status::ok();
    }
    s.kind = StmtKind::kSetBlock;
    if (is_op("|")) {
      UMA_ASSIGN_OR_RETURN(s.expr, parse_filter(nullptr, false));
    }
    return with_frame(false,
                      [&] { return parse_body("set", s.line, {"endset"}, s.body, nullptr); });
  }

  Status parse_signature(MacroDef& m) {
    UMA_TRY(expect_op("("));
    while (!is_op(")")) {
      if (!m.params.empty()) UMA_TRY(expect_op(","));
      if (is_op(")")) break;
      UMA_ASSIGN_OR_RETURN(std::string p, expect_name());
      if (skip_op("=")) {
        UMA_ASSIGN_OR_RETURN(ExprPtr d, parse_expression(true));
        m.defaults.push_back(std::move(d));
      } else if (!m.defaults.empty()) {
        return fail("non-default argument follows default argument");
      }
      m.params.push_back(std::move(p));
    }
    return expect_op(")");
  }

  Status parse_macro(Stmt& s) {
    advance();
    s.kind = StmtKind::kMacro;
    s.macro = std::make_unique<MacroDef>();
    UMA_ASSIGN_OR_RETURN(s.macro->name, expect_name());
    UMA_TRY(parse_signature(*s.macro));
    macros_.push_back(s.macro.get());
    const int saved_loop_depth = loop_depth_;
    loop_depth_ = 0;
    Status st = with_frame(
        false, [&] { return parse_body("macro", s.line, {"endmacro"}, s.macro->body, nullptr); });
    loop_depth_ = saved_loop_depth;
    macros_.pop_back();
    return st;
  }

  Status parse_call_block(Stmt& s) {
    advance();
    s.kind = StmtKind::kCallBlock;
    s.macro = std::make_unique<MacroDef>();
    s.macro->name = "caller";
    if (is_op("(")) UMA_TRY(parse_signature(*s.macro));
    UMA_ASSIGN_OR_RETURN(s.expr, parse_expression(true));
    if (s.expr->kind != ExprKind::kCall) return fail("expected a call after 'call'", s.line);
    macros_.push_back(s.macro.get());
    Status st = with_frame(
        false, [&] { return parse_body("call", s.line, {"endcall"}, s.macro->body, nullptr); });
    macros_.pop_back();
    return st;
  }

  Status parse_with(Stmt& s) {
    advance();
    s.kind = StmtKind::kWith;
    while (cur().type != Tok::kBlockEnd) {
      if (!s.targets.empty()) UMA_TRY(expect_op(","));
      Target t;
      UMA_TRY(parse_assign_target(t, false, {}));
      UMA_TRY(expect_op("="));
      UMA_ASSIGN_OR_RETURN(ExprPtr v, parse_expression(true));
      s.targets.push_back(std::move(t));
      s.values.push_back(std::move(v));
    }
    return with_frame(false,
                      [&] { return parse_body("with", s.line, {"endwith"}, s.body, nullptr); });
  }

  // name | ns.attr (when with_namespace) | a, b | (a, b)
  Status parse_target_primary(Target& t, bool with_namespace) {
    if (skip_op("(")) {
      t.kind = Target::Kind::kTuple;
      while (!is_op(")")) {
        if (!t.items.empty()) UMA_TRY(expect_op(","));
        if (is_op(")")) break;
        Target item;
        UMA_TRY(parse_target_primary(item, false));
        t.items.push_back(std::move(item));
      }
      return expect_op(")");
    }
    if (cur().type != Tok::kName) return fail("can't assign to '" + describe(cur()) + "'");
    const std::string n = cur().text;
    if (n == "true" || n == "false" || n == "none" || n == "True" || n == "False" || n == "None") {
      return fail("can't assign to '" + n + "'");
    }
    advance();
    if (with_namespace && is_op(".")) {
      advance();
      t.kind = Target::Kind::kNsAttr;
      t.name = n;
      UMA_ASSIGN_OR_RETURN(t.attr, expect_name());
      return Status::ok();
    }
    t.kind = Target::Kind::kName;
    t.name = n;
    return Status::ok();
  }

  Status parse_assign_target(Target& t, bool with_namespace, std::string_view end_name) {
    Target first;
    UMA_TRY(parse_target_primary(first, with_namespace));
    if (!is_op(",")) {
      t = std::move(first);
      return Status::ok();
    }
    t.kind = Target::Kind::kTuple;
    t.items.push_back(std::move(first));
    while (skip_op(",")) {
      if (cur().type == Tok::kBlockEnd || is_op("=") || (!end_name.empty() && is_name(end_name))) {
        break;
      }
      Target item;
      UMA_TRY(parse_target_primary(item, with_namespace));
      t.items.push_back(std::move(item));
    }
    return Status::ok();
  }

  // ---- expressions ----

  ExprPtr node(ExprKind k, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = k;
    e->line = line;
    return e;
  }

  bool is_tuple_end(std::string_view extra_end) const {
    if (cur().type == Tok::kVarEnd || cur().type == Tok::kBlockEnd || is_op(")")) return true;
    return !extra_end.empty() && is_name(extra_end);
  }

  Result<ExprPtr> parse_tuple(bool with_condexpr, std::string_view extra_end,
                              bool explicit_parens) {
    const int line = cur().line;
    std::vector<ExprPtr> args;
    bool is_tuple = false;
    while (true) {
      if (!args.empty()) UMA_TRY(expect_op(","));
      if (is_tuple_end(extra_end)) break;
      UMA_ASSIGN_OR_RETURN(ExprPtr e, parse_expression(with_condexpr));
      args.push_back(std::move(e));
      if (is_op(",")) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (!is_tuple) {
      if (!args.empty()) return std::move(args[0]);
      if (!explicit_parens) return fail("expected an expression, got '" + describe(cur()) + "'");
    }
    ExprPtr t = node(ExprKind::kTuple, line);
    t->items = std::move(args);
    return t;
  }

  Result<ExprPtr> parse_expression(bool with_condexpr) {
    if (++depth_ > kMaxNesting) return fail("expression nested too deeply");
    Result<ExprPtr> r = with_condexpr ? parse_condexpr() : parse_or();
    depth_--;
    return r;
  }

  Result<ExprPtr> parse_condexpr() {
    const int line = cur().line;
    // Jinja2 compiles a conditional expression in a soft frame (unknown filters fail only when
    // used); since the branches are only known after `if`, unresolved names are kept and the
    // hard-frame check runs once the whole expression is parsed.
    const size_t unresolved_before = unresolved_.size();
    UMA_ASSIGN_OR_RETURN(ExprPtr expr1, parse_or());
    bool conditional = false;
    while (skip_name("if")) {
      conditional = true;
      ExprPtr e = node(ExprKind::kCondExpr, line);
      UMA_ASSIGN_OR_RETURN(e->a, parse_or());
      e->b = std::move(expr1);
      if (skip_name("else")) {
        UMA_ASSIGN_OR_RETURN(e->c, parse_expression(true));
      }
      expr1 = std::move(e);
    }
    if (conditional) unresolved_.resize(unresolved_before);
    return expr1;
  }

  Result<ExprPtr> parse_or() {
    UMA_ASSIGN_OR_RETURN(ExprPtr left, parse_and());
    while (is_name("or")) {
      const int line = cur().line;
      advance();
      ExprPtr e = node(ExprKind::kOr, line);
      e->a = std::move(left);
      UMA_ASSIGN_OR_RETURN(e->b, parse_and());
      left = std::move(e);
    }
    return left;
  }

  Result<ExprPtr> parse_and() {
    UMA_ASSIGN_OR_RETURN(ExprPtr left, parse_not());
    while (is_name("and")) {
      const int line = cur().line;
      advance();
      ExprPtr e = node(ExprKind::kAnd, line);
      e->a = std::move(left);
      UMA_ASSIGN_OR_RETURN(e->b, parse_not());
      left = std::move(e);
    }
    return left;
  }

  Result<ExprPtr> parse_not() {
    if (is_name("not")) {
      const int line = cur().line;
      advance();
      if (++depth_ > kMaxNesting) return fail("expression nested too deeply");
      ExprPtr e = node(ExprKind::kNot, line);
      UMA_ASSIGN_OR_RETURN(e->a, parse_not());
      depth_--;
      return e;
    }
    return parse_compare();
  }

  Result<ExprPtr> parse_compare() {
    const int line = cur().line;
    UMA_ASSIGN_OR_RETURN(ExprPtr expr, parse_math1());
    ExprPtr cmp;
    while (true) {
      std::string op;
      if (cur().type == Tok::kOp &&
          (cur().text == "==" || cur().text == "!=" || cur().text == "<" || cur().text == "<=" ||
           cur().text == ">" || cur().text == ">=")) {
        op = cur().text;
        advance();
      } else if (is_name("in")) {
        op = "in";
        advance();
      } else if (is_name("not") && peek().type == Tok::kName && peek().text == "in") {
        op = "notin";
        advance();
        advance();
      } else {
        break;
      }
      if (!cmp) {
        cmp = node(ExprKind::kCompare, line);
        cmp->a = std::move(expr);
      }
      UMA_ASSIGN_OR_RETURN(ExprPtr rhs, parse_math1());
      cmp->ops.push_back(std::move(op));
      cmp->items.push_back(std::move(rhs));
    }
    return cmp ? std::move(cmp) : std::move(expr);
  }

  Result<ExprPtr> binary_chain(std::initializer_list<std::string_view> ops,
                               Result<ExprPtr> (Parser::*next)()) {
    UMA_ASSIGN_OR_RETURN(ExprPtr left, (this->*next)());
    while (cur().type == Tok::kOp) {
      bool match = false;
      for (std::string_view op : ops) match = match || cur().text == op;
      if (!match) break;
      ExprPtr e = node(ExprKind::kBinary, cur().line);
      e->name = cur().text;
      advance();
      e->a = std::move(left);
      UMA_ASSIGN_OR_RETURN(e->b, (this->*next)());
      left = std::move(e);
    }
    return left;
  }

  Result<ExprPtr> parse_math1() { return binary_chain({"+", "-"}, &Parser::parse_concat); }

  Result<ExprPtr> parse_concat() {
    const int line = cur().line;
    UMA_ASSIGN_OR_RETURN(ExprPtr first, parse_math2());
    if (!is_op("~")) return first;
    ExprPtr e = node(ExprKind::kConcat, line);
    e->items.push_back(std::move(first));
    while (skip_op("~")) {
      UMA_ASSIGN_OR_RETURN(ExprPtr next, parse_math2());
      e->items.push_back(std::move(next));
    }
    return e;
  }

  Result<ExprPtr> parse_math2() { return binary_chain({"*", "/", "//", "%"}, &Parser::parse_pow); }

  Result<ExprPtr> parse_pow() { return binary_chain({"**"}, &Parser::parse_unary_filtered); }

  Result<ExprPtr> parse_unary_filtered() { return parse_unary(true); }

  Result<ExprPtr> parse_unary(bool with_filter) {
    if (++depth_ > kMaxNesting) return fail("expression nested too deeply");
    const int line = cur().line;
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      e = node(is_op("-") ? ExprKind::kNeg : ExprKind::kPos, line);
      advance();
      UMA_ASSIGN_OR_RETURN(e->a, parse_unary(false));
    } else {
      UMA_ASSIGN_OR_RETURN(e, parse_primary());
    }
    UMA_ASSIGN_OR_RETURN(e, parse_postfix(std::move(e)));
    if (with_filter) {
      UMA_ASSIGN_OR_RETURN(e, parse_filter_expr(std::move(e)));
    }
    depth_--;
    return e;
  }

  Result<ExprPtr> parse_primary() {
    const Token& t = cur();
    const int line = t.line;
    if (t.type == Tok::kName) {
      const std::string n = t.text;
      advance();
      ExprPtr e = node(ExprKind::kConst, line);
      if (n == "true" || n == "True") {
        e->value = Value::boolean(true);
      } else if (n == "false" || n == "False") {
        e->value = Value::boolean(false);
      } else if (n == "none" || n == "None") {
        e->value = Value::none();
      } else {
        e->kind = ExprKind::kName;
        e->name = n;
        if (!macros_.empty()) {
          MacroDef* m = macros_.back();
          m->uses_caller |= n == "caller";
          m->uses_varargs |= n == "varargs";
          m->uses_kwargs |= n == "kwargs";
        }
      }
      return e;
    }
    if (t.type == Tok::kString) {
      std::string s;
      while (cur().type == Tok::kString) {  // adjacent literals concatenate
        s += cur().text;
        advance();
      }
      ExprPtr e = node(ExprKind::kConst, line);
      e->value = Value::string(std::move(s));
      return e;
    }
    if (t.type == Tok::kInt || t.type == Tok::kFloat) {
      ExprPtr e = node(ExprKind::kConst, line);
      e->value = t.type == Tok::kInt ? Value::integer(t.int_value) : Value::number(t.float_value);
      advance();
      return e;
    }
    if (skip_op("(")) {
      UMA_ASSIGN_OR_RETURN(ExprPtr e, parse_tuple(true, {}, true));
      UMA_TRY(expect_op(")"));
      return e;
    }
    if (is_op("[")) {
      advance();
      ExprPtr e = node(ExprKind::kList, line);
      while (!is_op("]")) {
        if (!e->items.empty()) UMA_TRY(expect_op(","));
        if (is_op("]")) break;
        UMA_ASSIGN_OR_RETURN(ExprPtr item, parse_expression(true));
        e->items.push_back(std::move(item));
      }
      UMA_TRY(expect_op("]"));
      return e;
    }
    if (is_op("{")) {
      advance();
      ExprPtr e = node(ExprKind::kDict, line);
      while (!is_op("}")) {
        if (!e->items.empty()) UMA_TRY(expect_op(","));
        if (is_op("}")) break;
        UMA_ASSIGN_OR_RETURN(ExprPtr k, parse_expression(true));
        UMA_TRY(expect_op(":"));
        UMA_ASSIGN_OR_RETURN(ExprPtr v, parse_expression(true));
        e->items.push_back(std::move(k));
        e->items.push_back(std::move(v));
      }
      UMA_TRY(expect_op("}"));
      return e;
    }
    return fail("unexpected '" + describe(t) + "'");
  }

  Result<ExprPtr> parse_postfix(ExprPtr e) {
    while (true) {
      if (is_op(".") || is_op("[")) {
        UMA_ASSIGN_OR_RETURN(e, parse_subscript(std::move(e)));
      } else if (is_op("(")) {
        UMA_ASSIGN_OR_RETURN(e, parse_call(std::move(e)));
      } else {
        return e;
      }
    }
  }

  Result<ExprPtr> parse_filter_expr(ExprPtr e) {
    while (true) {
      if (is_op("|")) {
        UMA_ASSIGN_OR_RETURN(e, parse_filter(std::move(e), false));
      } else if (is_name("is")) {
        UMA_ASSIGN_OR_RETURN(e, parse_test(std::move(e)));
      } else if (is_op("(")) {
        UMA_ASSIGN_OR_RETURN(e, parse_call(std::move(e)));
      } else {
        return e;
      }
    }
  }

  Result<ExprPtr> parse_subscript(ExprPtr obj) {
    const int line = cur().line;
    if (skip_op(".")) {
      if (cur().type == Tok::kName) {
        ExprPtr e = node(ExprKind::kGetattr, line);
        e->a = std::move(obj);
        e->name = cur().text;
        advance();
        return e;
      }
      if (cur().type != Tok::kInt) return fail("expected name or number after '.'");
      ExprPtr e = node(ExprKind::kGetitem, line);
      e->a = std::move(obj);
      e->b = node(ExprKind::kConst, line);
      e->b->value = Value::integer(cur().int_value);
      advance();
      return e;
    }
    UMA_TRY(expect_op("["));
    std::vector<ExprPtr> args;
    while (!is_op("]")) {
      if (!args.empty()) UMA_TRY(expect_op(","));
      UMA_ASSIGN_OR_RETURN(ExprPtr a, parse_subscribed());
      args.push_back(std::move(a));
    }
    UMA_TRY(expect_op("]"));
    if (args.empty()) return fail("expected a subscript expression", line);
    ExprPtr e = node(ExprKind::kGetitem, line);
    e->a = std::move(obj);
    if (args.size() == 1) {
      e->b = std::move(args[0]);
    } else {
      e->b = node(ExprKind::kTuple, line);
      e->b->items = std::move(args);
    }
    return e;
  }

  Result<ExprPtr> parse_subscribed() {
    const int line = cur().line;
    ExprPtr start;
    if (!is_op(":")) {
      UMA_ASSIGN_OR_RETURN(start, parse_expression(true));
      if (!is_op(":")) return start;
    }
    advance();  // ':'
    ExprPtr s = node(ExprKind::kSlice, line);
    s->a = std::move(start);
    if (!is_op(":") && !is_op("]") && !is_op(",")) {
      UMA_ASSIGN_OR_RETURN(s->b, parse_expression(true));
    }
    if (skip_op(":")) {
      if (!is_op("]") && !is_op(",")) {
        UMA_ASSIGN_OR_RETURN(s->c, parse_expression(true));
      }
    }
    return s;
  }

  Status parse_call_args(Expr& e) {
    UMA_TRY(expect_op("("));
    bool require_comma = false;
    while (!is_op(")")) {
      if (require_comma) {
        UMA_TRY(expect_op(","));
        if (is_op(")")) break;
      }
      if (is_op("*") || is_op("**")) {
        const bool kw = is_op("**");
        advance();
        if ((kw && e.dyn_kwargs) || (!kw && (e.dyn_args || e.dyn_kwargs))) {
          return fail("invalid syntax for function call expression");
        }
        UMA_ASSIGN_OR_RETURN(ExprPtr v, parse_expression(true));
        (kw ? e.dyn_kwargs : e.dyn_args) = std::move(v);
      } else if (cur().type == Tok::kName && peek().type == Tok::kOp && peek().text == "=") {
        if (e.dyn_kwargs) return fail("invalid syntax for function call expression");
        Keyword k;
        k.name = cur().text;
        advance();
        advance();
        UMA_ASSIGN_OR_RETURN(k.value, parse_expression(true));
        e.kwargs.push_back(std::move(k));
      } else {
        if (e.dyn_args || e.dyn_kwargs || !e.kwargs.empty()) {
          return fail("positional argument follows keyword argument");
        }
        UMA_ASSIGN_OR_RETURN(ExprPtr v, parse_expression(true));
        e.items.push_back(std::move(v));
      }
      require_comma = true;
    }
    return expect_op(")");
  }

  Result<ExprPtr> parse_call(ExprPtr callee) {
    ExprPtr e = node(ExprKind::kCall, cur().line);
    e->a = std::move(callee);
    UMA_TRY(parse_call_args(*e));
    return e;
  }

  // `| name(args)` chains; with start_inline the first filter has no leading '|'.
  Result<ExprPtr> parse_filter(ExprPtr input, bool start_inline) {
    while (is_op("|") || start_inline) {
      if (!start_inline) advance();
      start_inline = false;
      const int line = cur().line;
      UMA_ASSIGN_OR_RETURN(std::string name, expect_name());
      while (skip_op(".")) {
        UMA_ASSIGN_OR_RETURN(std::string part, expect_name());
        name += "." + part;
      }
      ExprPtr e = node(ExprKind::kFilter, line);
      e->filter = find_filter(name);
      if (!e->filter) UMA_TRY(unknown("filter", name, line));
      e->name = name;
      e->a = std::move(input);
      if (is_op("(")) UMA_TRY(parse_call_args(*e));
      input = std::move(e);
    }
    return input;
  }

  Result<ExprPtr> parse_test(ExprPtr input) {
    const int line = cur().line;
    advance();  // 'is'
    const bool negated = skip_name("not");
    UMA_ASSIGN_OR_RETURN(std::string name, expect_name());
    while (skip_op(".")) {
      UMA_ASSIGN_OR_RETURN(std::string part, expect_name());
      name += "." + part;
    }
    ExprPtr e = node(ExprKind::kTest, line);
    e->test = find_test(name);
    if (!e->test) UMA_TRY(unknown("test", name, line));
    e->name = name;
    e->a = std::move(input);
    if (is_op("(")) {
      UMA_TRY(parse_call_args(*e));
    } else if ((cur().type == Tok::kName || cur().type == Tok::kString || cur().type == Tok::kInt ||
                cur().type == Tok::kFloat || is_op("[") || is_op("{")) &&
               !is_name("else") && !is_name("or") && !is_name("and")) {
      if (is_name("is")) return fail("you cannot chain multiple tests with 'is'");
      UMA_ASSIGN_OR_RETURN(ExprPtr arg, parse_primary());
      UMA_ASSIGN_OR_RETURN(arg, parse_postfix(std::move(arg)));
      e->items.push_back(std::move(arg));
    }
    if (!negated) return e;
    ExprPtr n = node(ExprKind::kNot, line);
    n->a = std::move(e);
    return n;
  }

  // An unknown filter/test: an error now in a hard frame; in a soft one, or possibly inside a
  // conditional expression, noted and left for the renderer to report if it is used.
  Status unknown(const char* what, const std::string& name, int line) {
    if (soft_) return Status::ok();
    unresolved_.push_back(fail(std::string("no ") + what + " named '" + name + "'", line));
    return Status::ok();
  }

  // Checked when a whole expression statement is parsed (see parse_condexpr).
  Status check_unresolved() {
    if (unresolved_.empty()) return Status::ok();
    Status st = unresolved_.front();
    unresolved_.clear();
    return st;
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  bool soft_ = false;
  std::vector<Status> unresolved_;
  int depth_ = 0;        // expression nesting
  int block_depth_ = 0;  // statement nesting
  int loop_depth_ = 0;
  std::vector<std::pair<std::string, int>> open_;  // open block tags and their lines
  std::vector<MacroDef*> macros_;                  // macro bodies being parsed
};

}  // namespace

Result<std::unique_ptr<Program>> parse_program(std::string_view source) {
  UMA_ASSIGN_OR_RETURN(std::vector<Token> tokens, tokenize(source));
  Parser parser(std::move(tokens));
  return parser.run();
}

}  // namespace uma::jinja

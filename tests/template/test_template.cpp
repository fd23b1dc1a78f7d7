// Template API, the chat helpers, and hostile or broken templates: every failure is a clean
// Status with a useful message (never a crash or a hang), and resource limits hold.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "template/chat.h"
#include "template/template.h"

namespace uma::jinja {
namespace {

using ojson = nlohmann::ordered_json;

RenderOptions pinned() {
  RenderOptions o;
  o.now = DateTime{2025, 1, 15, 12, 0, 0, 0};
  return o;
}

// Renders `src` with `ctx`; returns the output or "ERROR: <message>".
std::string render(std::string_view src, const ojson& ctx = ojson::object(),
                   const RenderOptions& opts = pinned()) {
  auto t = Template::parse(src);
  if (!t.ok()) return "PARSE ERROR: " + t.status().message();
  auto out = t->render(ctx, opts);
  if (!out.ok()) return "ERROR: " + out.status().message();
  return *out;
}

std::string parse_error(std::string_view src) {
  auto t = Template::parse(src);
  return t.ok() ? "(parsed)" : t.status().message();
}

// ---- API ---------------------------------------------------------------------------------

TEST(Template, RendersVariablesAndKeepsKeyOrder) {
  const ojson ctx = ojson::parse(R"({"d": {"z": 1, "a": 2}, "name": "uma"})");
  EXPECT_EQ(render("Hello {{ name }}! {{ d|tojson }} {% for k in d %}{{ k }}{% endfor %}", ctx),
            "Hello uma! {\"z\": 1, \"a\": 2} za");
  // nlohmann::json sorts keys; the overload accepts it too.
  auto t = Template::parse("{{ d|tojson }}");
  ASSERT_TRUE(t.ok());
  auto out = t->render(nlohmann::json::parse(R"({"d": {"z": 1, "a": 2}})"));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "{\"a\": 2, \"z\": 1}");
}

TEST(Template, ContextMustBeAnObject) {
  auto t = Template::parse("x");
  ASSERT_TRUE(t.ok());
  auto out = t->render(ojson::array());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "template context must be a JSON object");
}

TEST(Template, RaiseExceptionCarriesTheTemplatesMessage) {
  EXPECT_EQ(render("a{{ raise_exception('Conversation roles must alternate') }}b"),
            "ERROR: Conversation roles must alternate");
}

TEST(Template, StrftimeNowUsesThePinnedClock) {
  EXPECT_EQ(render("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%B %d, %Y %H:%M') }}"),
            "15 Jan 2025|January 15, 2025 12:00");
  RenderOptions o;  // unpinned: the local time, still a well-formed date
  const std::string year = render("{{ strftime_now('%Y') }}", ojson::object(), o);
  ASSERT_EQ(year.size(), 4u);
  EXPECT_GE(std::stoi(year), 2024);
}

TEST(Template, ParseDatetime) {
  auto d = parse_datetime("2024-02-29T23:59:58.5");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->year, 2024);
  EXPECT_EQ(d->second, 58);
  EXPECT_EQ(d->microsecond, 500000);
  EXPECT_TRUE(parse_datetime("2025-01-15").ok());
  EXPECT_TRUE(parse_datetime("2025-01-15 08:30").ok());
  EXPECT_FALSE(parse_datetime("2025-02-29").ok());
  EXPECT_FALSE(parse_datetime("2025-13-01").ok());
  EXPECT_FALSE(parse_datetime("2025-01-15T25:00:00").ok());
  EXPECT_FALSE(parse_datetime("yesterday").ok());
  EXPECT_FALSE(parse_datetime("2025-01-15T12:00:00Z").ok());
}

TEST(Template, OneTemplateRendersFromManyThreads) {
  auto t = Template::parse(
      "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + m|length %}"
      "{% endfor %}{{ ns.n }}");
  ASSERT_TRUE(t.ok());
  std::vector<std::thread> threads;
  std::vector<std::string> results(8);
  for (int i = 0; i < 8; i++) {
    threads.emplace_back([&, i] {
      ojson ctx = {{"messages", ojson::array()}};
      for (int k = 0; k <= i; k++) ctx["messages"].push_back(std::string(k + 1, 'x'));
      for (int rep = 0; rep < 200; rep++) results[i] = t->render(ctx).value();
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < 8; i++) EXPECT_EQ(results[i], std::to_string((i + 1) * (i + 2) / 2));
}

// ---- chat helpers ------------------------------------------------------------------------

TEST(Chat, InputsFromObjectOrArray) {
  auto in = chat_inputs_from_json(ojson::parse(
      R"({"messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function"}],
          "add_generation_prompt": false, "bos_token": "<s>", "enable_thinking": false})"));
  ASSERT_TRUE(in.ok()) << in.status().message();
  EXPECT_FALSE(in->add_generation_prompt);
  EXPECT_EQ(in->bos_token, "<s>");
  EXPECT_EQ(in->tools.size(), 1u);
  EXPECT_EQ(in->extra["enable_thinking"], false);
  auto arr = chat_inputs_from_json(ojson::parse(R"([{"role": "user", "content": "hi"}])"));
  ASSERT_TRUE(arr.ok());
  EXPECT_TRUE(arr->tools.is_null());
  EXPECT_TRUE(arr->add_generation_prompt);
}

TEST(Chat, InputErrorsNameTheField) {
  EXPECT_EQ(chat_inputs_from_json(ojson::parse("{}")).status().message(), "messages: missing");
  EXPECT_EQ(chat_inputs_from_json(ojson::parse(R"({"messages": 3})")).status().message(),
            "messages: expected an array");
  EXPECT_EQ(
      chat_inputs_from_json(ojson::parse(R"({"messages": [], "tools": 1})")).status().message(),
      "tools: expected an array or null");
  EXPECT_EQ(
      chat_inputs_from_json(ojson::parse(R"({"messages": [], "bos_token": 1})")).status().message(),
      "bos_token: expected a string");
  EXPECT_FALSE(chat_inputs_from_json(ojson::parse("3")).ok());
}

TEST(Chat, ContextAsHuggingFaceBuildsIt) {
  ChatInputs in;
  in.messages = ojson::parse(R"([{"role": "user", "content": "hi"}])");
  in.bos_token = "<s>";
  const ojson ctx = chat_context(in);
  EXPECT_TRUE(ctx["tools"].is_null());
  EXPECT_TRUE(ctx["documents"].is_null());
  EXPECT_EQ(ctx["add_generation_prompt"], true);
  auto t = Template::parse(
      "{{ tools is none }} {{ documents is none }} {{ unk_token is defined }} {{ bos_token }}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(render_chat(*t, in).value(), "True True False <s>");
}

TEST(Chat, ChatmlFallback) {
  auto t = Template::parse(kChatmlTemplate);
  ASSERT_TRUE(t.ok());
  ChatInputs in;
  in.messages = ojson::parse(R"([{"role": "system", "content": "S"},
                                  {"role": "user", "content": "U"}])");
  EXPECT_EQ(render_chat(*t, in).value(),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n"
            "<|im_start|>assistant\n");
  in.add_generation_prompt = false;
  EXPECT_EQ(render_chat(*t, in).value(),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n");
}

// ---- broken templates: clean parse errors with line numbers ------------------------------

TEST(BadTemplates, UnclosedTagsNameWhatIsOpen) {
  EXPECT_EQ(parse_error("a\n{% if x %}\nb"),
            "line 3: unexpected end of template: 'if' opened on line 2 is never closed");
  EXPECT_EQ(parse_error("{% for x in y %}{% if x %}{% endif %}"),
            "line 1: unexpected end of template: 'for' opened on line 1 is never closed");
  EXPECT_EQ(parse_error("x\n{{ a "), "line 2: unexpected end of template: '{{' is never closed");
  EXPECT_EQ(parse_error("{% if a "), "line 1: unexpected end of template: '{%' is never closed");
  EXPECT_EQ(parse_error("ok\n{# comment"), "line 2: missing end of comment tag");
  EXPECT_EQ(parse_error("{% raw %}abc"), "line 1: missing end of raw directive");
  EXPECT_EQ(parse_error("{{ 'abc }}"), "line 1: unterminated string literal");
  EXPECT_EQ(parse_error("{% macro m() %}"),
            "line 1: unexpected end of template: 'macro' opened on line 1 is never closed");
}

TEST(BadTemplates, StrayAndMismatchedTags) {
  EXPECT_EQ(parse_error("{% endif %}"), "line 1: unexpected 'endif' (no block is open)");
  EXPECT_EQ(parse_error("{% for x in y %}\n{% endif %}"),
            "line 2: unexpected 'endif' (the innermost open block is 'for' from line 1)");
  EXPECT_EQ(parse_error("{% frobnicate %}"), "line 1: unknown tag 'frobnicate'");
  EXPECT_EQ(parse_error("{% break %}"), "line 1: 'break' is only allowed inside a for loop");
  EXPECT_EQ(parse_error("{% autoescape true %}{% endautoescape %}"),
            "line 1: tag 'autoescape' is not supported in chat templates");
  EXPECT_EQ(parse_error("{%%}"), "line 1: tag name expected");
}

TEST(BadTemplates, UnknownFiltersAndTests) {
  EXPECT_EQ(parse_error("{{ x|nosuch }}"), "line 1: no filter named 'nosuch'");
  EXPECT_EQ(parse_error("\n{{ x is nosuch }}"), "line 2: no test named 'nosuch'");
  // Inside an if-block Jinja2 only fails when the filter is used, and so do we.
  EXPECT_EQ(render("{% if false %}{{ x|nosuch }}{% endif %}ok"), "ok");
  EXPECT_EQ(render("{% if true %}{{ x|nosuch }}{% endif %}"),
            "ERROR: No filter named 'nosuch' found.");
}

TEST(BadTemplates, ExpressionErrors) {
  EXPECT_EQ(parse_error("{{ 1 + }}"), "line 1: unexpected 'end of print statement'");
  EXPECT_EQ(parse_error("{{ }}"), "line 1: expected an expression, got 'end of print statement'");
  EXPECT_EQ(parse_error("{{ [1, 2) }}"), "line 1: unexpected ')', expected ']'");
  EXPECT_EQ(parse_error("{{ a $ b }}"), "line 1: unexpected character '$'");
  EXPECT_EQ(parse_error("{% set 1 = 2 %}"), "line 1: can't assign to 'integer'");
  EXPECT_EQ(parse_error("{{ 'a\\x4' }}"), "line 1: truncated \\x escape in string literal");
  EXPECT_EQ(parse_error("{{ 99999999999999999999 }}"), "line 1: integer literal too large");
  EXPECT_EQ(parse_error("{% macro m(a=1, b) %}{% endmacro %}"),
            "line 1: non-default argument follows default argument");
}

TEST(BadTemplates, InvalidUtf8) {
  EXPECT_EQ(parse_error("abc\xff"), "template is not valid UTF-8");
  EXPECT_EQ(parse_error("\xed\xa0\x80"), "template is not valid UTF-8");  // a surrogate
}

TEST(BadTemplates, DeepNestingIsRefusedNotACrash) {
  std::string parens = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  EXPECT_EQ(parse_error(parens), "line 1: expression nested too deeply");
  std::string nots = "{{ " + std::string(0, ' ');
  for (int i = 0; i < 5000; i++) nots += "not ";
  EXPECT_EQ(parse_error(nots + "x }}"), "line 1: expression nested too deeply");
  std::string ifs;
  for (int i = 0; i < 5000; i++) ifs += "{% if x %}";
  EXPECT_EQ(parse_error(ifs), "line 1: blocks nested too deeply");
  std::string lists = "{{ " + std::string(5000, '[') + std::string(5000, ']') + " }}";
  EXPECT_EQ(parse_error(lists), "line 1: expression nested too deeply");
  std::string minus = "{{ " + std::string(5000, '-') + "1 }}";
  EXPECT_EQ(parse_error(minus), "line 1: expression nested too deeply");
  EXPECT_EQ(render("{{ 1 if x else " +
                   [] {
                     std::string s;
                     for (int i = 0; i < 5000; i++) s += "2 if x else ";
                     return s;
                   }() +
                   "3 }}")
                .rfind("PARSE ERROR: line 1: expression nested too deeply", 0),
            0u);
}

// ---- hostile templates: limits turn into errors ------------------------------------------

TEST(Limits, RunawayRecursion) {
  EXPECT_EQ(render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"),
            "ERROR: maximum macro call depth (200) exceeded in macro 'f'");
  EXPECT_EQ(render("{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}"),
            "ERROR: maximum recursion depth (200) exceeded in a recursive loop");
}

TEST(Limits, HugeLoopsStopAtTheStepLimit) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(render("{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}"
                   "{% endfor %}"),
            "ERROR: template evaluation exceeded 10000000 steps (runaway loop?)");
  EXPECT_EQ(render("{% for i in range(100000) %}{% for j in range(100000) %}{% set x = i %}"
                   "{% endfor %}{% endfor %}"),
            "ERROR: template evaluation exceeded 10000000 steps (runaway loop?)");
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(secs, 30.0);  // about a second each on a laptop core
  RenderOptions small = pinned();
  small.max_steps = 1000;
  EXPECT_EQ(render("{% for i in range(10000) %}{% endfor %}", ojson::object(), small),
            "ERROR: template evaluation exceeded 1000 steps (runaway loop?)");
  EXPECT_EQ(render("{{ range(100001)|length }}"),
            "ERROR: Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
}

TEST(Limits, OutputAndStringSize) {
  RenderOptions o = pinned();
  o.max_output_bytes = 1000;
  EXPECT_EQ(render("{{ 'x' * 1001 }}", ojson::object(), o),
            "ERROR: template output exceeds 1000 bytes");
  EXPECT_EQ(render("{% for i in range(2000) %}x{% endfor %}", ojson::object(), o),
            "ERROR: template output exceeds 1000 bytes");
  EXPECT_EQ(render("{% set s = namespace(v='x') %}{% for i in range(64) %}"
                   "{% set s.v = s.v ~ s.v %}{% endfor %}",
                   ojson::object(), o),
            "ERROR: template output exceeds 1000 bytes");
  EXPECT_EQ(render("{{ 'ab' * 9223372036854775807 }}"),
            "ERROR: string too long (over 67108864 bytes)");
  EXPECT_EQ(render("{{ 'ab'|center(999999999999) }}"),
            "ERROR: template output exceeds 67108864 bytes");
  EXPECT_EQ(render("{{ [1, 2] * 9223372036854775807 }}"), "ERROR: list too long");
}

TEST(Limits, NestingOfValues) {
  EXPECT_EQ(render("{% set ns = namespace(v=[]) %}{% for i in range(1000) %}"
                   "{% set ns.v = [ns.v] %}{% endfor %}"),
            "ERROR: value nested too deeply (more than 256 levels)");
  EXPECT_EQ(render("{% set ns = namespace() %}{% set ns.self = ns %}"),
            "ERROR: cannot store a namespace inside itself");
  EXPECT_EQ(render("{% set a = namespace() %}{% set b = namespace(a=a) %}{% set a.b = [b] %}"),
            "ERROR: cannot store a namespace inside itself");
  std::string deep = "1";
  for (int i = 0; i < 300; i++) deep = "[" + deep + "]";
  EXPECT_EQ(render("{{ x|length }}", ojson::parse("{\"x\": " + deep + "}")),
            "ERROR: context variable 'x': JSON nested deeper than 256 levels");
  EXPECT_EQ(render("{{ x }}", ojson::parse(R"({"x": 18446744073709551615})")),
            "ERROR: context variable 'x': JSON integer 18446744073709551615 is out of range "
            "(int64)");
}

TEST(Limits, IntegerOverflowIsAnError) {
  EXPECT_EQ(render("{{ 9223372036854775807 + 1 }}"), "ERROR: integer overflow");
  EXPECT_EQ(render("{{ 2 ** 64 }}"), "ERROR: integer overflow");
  EXPECT_EQ(render("{{ -9223372036854775807 - 1 }}"), "-9223372036854775808");
  EXPECT_EQ(render("{{ (-9223372036854775807 - 1) // -1 }}"), "ERROR: integer overflow");
  EXPECT_EQ(render("{{ 1 ** 999999999999 }} {{ (-1) ** 999999999999 }} {{ 0 ** 99 }}"), "1 -1 0");
}

}  // namespace
}  // namespace uma::jinja

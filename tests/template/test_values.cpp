// The Python semantics under the interpreter: float repr, str repr, UTF-8 helpers, json.dumps,
// string algorithms and formatting, each checked against what CPython prints.
#include <gtest/gtest.h>

#include <cmath>

#include "template/json.h"
#include "template/ops.h"
#include "template/strings.h"
#include "template/unicode.h"
#include "template/value.h"

namespace uma::jinja {
namespace {

TEST(Values, FloatReprIsPythons) {
  EXPECT_EQ(format_float(1.0), "1.0");
  EXPECT_EQ(format_float(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(format_float(1e16), "1e+16");
  EXPECT_EQ(format_float(1e15), "1000000000000000.0");
  EXPECT_EQ(format_float(123456789.0 * 1000000), "123456789000000.0");
  EXPECT_EQ(format_float(1e-5), "1e-05");
  EXPECT_EQ(format_float(0.0001), "0.0001");
  EXPECT_EQ(format_float(-0.0), "-0.0");
  EXPECT_EQ(format_float(2.5e-300), "2.5e-300");
  EXPECT_EQ(format_float(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(format_float(INFINITY), "inf");
  EXPECT_EQ(format_float(-INFINITY), "-inf");
  EXPECT_EQ(format_float(NAN), "nan");
}

TEST(Values, StrReprIsPythons) {
  EXPECT_EQ(repr_string("plain"), "'plain'");
  EXPECT_EQ(repr_string("it's"), "\"it's\"");
  EXPECT_EQ(repr_string("both ' \""), "'both \\' \"'");
  EXPECT_EQ(repr_string("a\nb\tc\rd\\"), "'a\\nb\\tc\\rd\\\\'");
  EXPECT_EQ(repr_string(std::string("\x00\x7f", 2)), "'\\x00\\x7f'");
  EXPECT_EQ(repr_string("\xc2\xa0\xe2\x80\x8b\xe2\x80\xa8"), "'\\xa0\\u200b\\u2028'");
  EXPECT_EQ(repr_string("\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80"),
            "'\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80'");
  auto list = Value::list({Value::string("a"), Value::integer(1), Value::none(),
                           Value::boolean(true), Value::number(1.5), Value()});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(to_repr(*list), "['a', 1, None, True, 1.5, Undefined]");
  EXPECT_EQ(to_str(Value::tuple({Value::integer(1)}).value()), "(1,)");
  EXPECT_EQ(to_str(Value()), "");
}

TEST(Values, EqualityAndOrderingFollowPython) {
  EXPECT_TRUE(equal(Value::integer(1), Value::number(1.0)));
  EXPECT_TRUE(equal(Value::boolean(true), Value::integer(1)));
  EXPECT_FALSE(
      equal(Value::list({Value::integer(1)}).value(), Value::tuple({Value::integer(1)}).value()));
  EXPECT_TRUE(equal(Value(), Value()));
  EXPECT_FALSE(equal(Value(), Value::none()));
  EXPECT_TRUE(less_op(Value::string("a"), Value::string("b"), "<").value());
  EXPECT_EQ(less_op(Value::integer(1), Value::string("a"), "<").status().message(),
            "'<' not supported between instances of 'int' and 'str'");
}

TEST(Values, DictKeysHashLikePython) {
  Dict d;
  ASSERT_TRUE(d.set(Value::integer(1), Value::string("int")).is_ok());
  ASSERT_TRUE(d.set(Value::number(1.0), Value::string("float")).is_ok());  // same key as 1
  d.set("1", Value::string("str"));
  EXPECT_EQ(d.size(), 2u);
  EXPECT_EQ(d.find(Value::boolean(true))->str(), "float");
  EXPECT_EQ(d.find("1")->str(), "str");
  EXPECT_EQ(d.set(Value::list({}).value(), Value()).message(), "unhashable type: 'list'");
}

TEST(Unicode, CodePointsAndWhitespace) {
  EXPECT_TRUE(utf8::valid("h\xc3\xa9llo \xf0\x9f\x98\x80"));
  EXPECT_FALSE(utf8::valid("\xc0\xaf"));          // overlong
  EXPECT_FALSE(utf8::valid("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(utf8::valid("\xe2\x82"));          // truncated
  EXPECT_EQ(utf8::length("h\xc3\xa9llo\xf0\x9f\x98\x80"), 6u);
  EXPECT_EQ(utf8::strip("\xe3\x80\x80 a\xc2\xa0\n", nullptr, true, true), "a");
  EXPECT_EQ(utf8::strip("a\xe2\x80\x8b", nullptr, true, true), "a\xe2\x80\x8b");  // ZWSP stays
  const std::string_view chars = "\xc3\xa9x";
  EXPECT_EQ(utf8::strip("x\xc3\xa9"
                        "ab\xc3\xa9",
                        &chars, true, true),
            "ab");
  EXPECT_EQ(utf8::upper("stra\xc3\x9f"
                        "e \xc3\xa9"),
            "STRASSE \xc3\x89");
  EXPECT_EQ(utf8::lower("\xce\xa3\xce\x91\xce\xa3 \xd0\x9f"), "\xcf\x83\xce\xb1\xcf\x82 \xd0\xbf");
}

TEST(Strings, SplitAndLines) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split_whitespace("  a b  c ", -1, false), (V{"a", "b", "c"}));
  EXPECT_EQ(split_whitespace("  a b  c ", 1, false), (V{"a", "b  c "}));
  EXPECT_EQ(split_whitespace("  a b  c ", 1, true), (V{"  a b", "c"}));
  EXPECT_EQ(split_sep("a,b,,c", ",", -1, false), (V{"a", "b", "", "c"}));
  EXPECT_EQ(split_sep("a,b,c", ",", 1, true), (V{"a,b", "c"}));
  EXPECT_EQ(splitlines("a\nb\r\nc\rd\xe2\x80\xa8"
                       "e",
                       false),
            (V{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(splitlines("a\n", true), (V{"a\n"}));
  EXPECT_EQ(py_title("they're bill's"), "They'Re Bill'S");
  EXPECT_EQ(jinja_title("hello world-foo (bar"), "Hello World-Foo (Bar");
  EXPECT_EQ(pad("ab", 5, "*", 0), "**ab*");
  EXPECT_EQ(pad("abc", 6, "*", 0), "*abc**");
}

TEST(Strings, PercentAndFormat) {
  auto tuple = Value::tuple({Value::number(3.14159), Value::integer(42), Value::none()}).value();
  EXPECT_EQ(percent_format("%5.2f|%d|%s|%%", tuple).value(), " 3.14|42|None|%");
  EXPECT_EQ(percent_format("%s %s", Value::string("a")).status().message(),
            "not enough arguments for format string");
  CallArgs args;
  args.args = {Value::integer(1), Value::string("a"), Value::string("q")};
  args.kwargs = {{"n", Value::number(2.5)}};
  EXPECT_EQ(str_format("{} {}|{n:>6.2f}|{!r}", args).value(), "1 a|  2.50|'q'");
  EXPECT_EQ(str_format("{} {0}", args).status().message(),
            "cannot switch from automatic field numbering to manual field specification");
}

TEST(Json, DumpsLikePython) {
  Dict inner;
  inner.set("b", Value::none());
  Dict d;
  d.set("z", Value::integer(1));
  d.set("a", Value::list({Value::number(1.0), Value::dict(std::move(inner)).value()}).value());
  d.set("\xc3\xa9", Value::string("<&>'\"\n\x01"));
  const Value v = Value::dict(std::move(d)).value();
  JsonDumpOptions o;
  EXPECT_EQ(json_dumps(v, o).value(),
            "{\"z\": 1, \"a\": [1.0, {\"b\": null}], \"\xc3\xa9\": \"<&>'\\\"\\n\\u0001\"}");
  o.ensure_ascii = true;
  o.sort_keys = true;
  EXPECT_EQ(json_dumps(v, o).value(),
            "{\"a\": [1.0, {\"b\": null}], \"z\": 1, \"\\u00e9\": \"<&>'\\\"\\n\\u0001\"}");
  JsonDumpOptions indented;
  indented.indent = "  ";
  EXPECT_EQ(json_dumps(Value::list({Value::list({}).value(), Value::integer(2)}).value(), indented)
                .value(),
            "[\n  [],\n  2\n]");
  EXPECT_EQ(json_dumps(Value(), o).status().message(),
            "Object of type Undefined is not JSON serializable");
  EXPECT_EQ(json_dumps(Value::number(NAN), o).value(), "NaN");
}

}  // namespace
}  // namespace uma::jinja

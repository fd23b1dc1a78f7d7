// Every case of tests/template/oracle_cases.json rendered by uma must equal what Python's Jinja2
// produced for it (tests/template/oracle_expected.json, written by oracle_test.py
// --write-expected): the same output, or the same error message; syntax errors only need to be
// refused (uma words them its own way).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "template/chat.h"
#include "template/template.h"

namespace uma::jinja {
namespace {

nlohmann::ordered_json load(const std::string& name) {
  std::ifstream f(std::string(UMA_SOURCE_DIR) + "/tests/template/" + name);
  std::stringstream ss;
  ss << f.rdbuf();
  return nlohmann::ordered_json::parse(ss.str(), nullptr, false);
}

TEST(OracleCases, MatchJinja2) {
  const auto cases = load("oracle_cases.json");
  const auto expected = load("oracle_expected.json");
  ASSERT_TRUE(cases.is_array() && expected.is_array());
  ASSERT_EQ(cases.size(), expected.size()) << "regenerate oracle_expected.json";
  RenderOptions opts;
  opts.now = DateTime{2025, 1, 15, 12, 0, 0, 0};
  int checked = 0;
  for (size_t i = 0; i < cases.size(); i++) {
    const auto& c = cases[i];
    const auto& want = expected[i];
    const std::string name = c["name"].get<std::string>();
    ASSERT_EQ(name, want["name"].get<std::string>());
    SCOPED_TRACE(name);
    auto tmpl = Template::parse(c["template"].get<std::string>());
    if (want.contains("syntax_error")) {
      EXPECT_FALSE(tmpl.ok()) << "Jinja2 refused it: " << want["syntax_error"];
      if (!tmpl.ok()) {
        EXPECT_NE(tmpl.status().message().find("line "), std::string::npos);
      }
      checked++;
      continue;
    }
    ASSERT_TRUE(tmpl.ok()) << tmpl.status().message();
    nlohmann::ordered_json conv = {{"messages", nlohmann::ordered_json::array()}};
    if (c.contains("vars")) {
      for (auto it = c["vars"].begin(); it != c["vars"].end(); ++it) conv[it.key()] = it.value();
    }
    auto inputs = chat_inputs_from_json(conv);
    ASSERT_TRUE(inputs.ok()) << inputs.status().message();
    auto out = render_chat(*tmpl, *inputs, opts);
    if (want.contains("error")) {
      ASSERT_FALSE(out.ok()) << "Jinja2 raised: " << want["error"] << "\numa rendered: " << *out;
      EXPECT_EQ(out.status().message(), want["error"].get<std::string>());
    } else {
      ASSERT_TRUE(out.ok()) << out.status().message();
      EXPECT_EQ(*out, want["output"].get<std::string>());
    }
    checked++;
  }
  EXPECT_EQ(checked, static_cast<int>(cases.size()));
}

}  // namespace
}  // namespace uma::jinja

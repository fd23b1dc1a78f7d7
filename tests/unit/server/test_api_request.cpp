// Request parsing of the HTTP layer without HTTP: OpenAI and Ollama bodies become GenSpecs, and
// every malformed body becomes a 400 that names the field.
#include <gtest/gtest.h>

#include "server/api_request.h"

namespace {

using namespace uma::server;

Limits limits() {
  Limits l;
  l.max_tokens = 2048;
  l.max_messages = 8;
  return l;
}

std::optional<ApiError> chat(const std::string& body, GenSpec& out) {
  Json j;
  if (auto e = parse_body(body, j)) return e;
  return parse_openai_chat(j, limits(), out);
}

std::optional<ApiError> completion(const std::string& body, GenSpec& out) {
  Json j;
  if (auto e = parse_body(body, j)) return e;
  return parse_openai_completion(j, limits(), out);
}

std::optional<ApiError> generate(const std::string& body, GenSpec& out) {
  Json j;
  if (auto e = parse_body(body, j)) return e;
  return parse_ollama_generate(j, limits(), out);
}

// The error's message must mention `needle` and its param must be `param`.
void expect_error(const std::optional<ApiError>& e, const std::string& param,
                  const std::string& needle) {
  ASSERT_TRUE(e.has_value()) << "expected an error about " << param;
  EXPECT_EQ(e->status, 400);
  EXPECT_EQ(e->param, param) << e->message;
  EXPECT_NE(e->message.find(needle), std::string::npos) << e->message;
}

TEST(ApiRequest, ChatFull) {
  GenSpec s;
  auto e = chat(R"({"model":"m","messages":[{"role":"system","content":"be brief"},
      {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],
      "max_tokens":12,"temperature":0,"top_p":0.5,"seed":7,"stop":["x","y"],"stream":true,
      "stream_options":{"include_usage":true},"logprobs":true,"top_logprobs":3,
      "top_k":5,"min_p":0.1,"repeat_penalty":1.1,"presence_penalty":0.5,"frequency_penalty":-0.5,
      "response_format":{"type":"text"},"n":1,"user":"ignored"})",
                s);
  ASSERT_FALSE(e) << e->message;
  EXPECT_EQ(s.model, "m");
  ASSERT_EQ(s.messages.size(), 2u);
  EXPECT_EQ(s.messages[1]["content"], "a\nb");
  EXPECT_EQ(s.max_tokens, 12);
  EXPECT_EQ(s.sampling.temp, 0.f);
  EXPECT_EQ(s.sampling.top_p, 0.5f);
  EXPECT_EQ(s.sampling.seed, 7u);
  EXPECT_EQ(s.stop, (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(s.stream);
  EXPECT_TRUE(s.include_usage);
  EXPECT_EQ(s.n_logprobs, 3);
  EXPECT_EQ(s.sampling.top_k, 5);
  EXPECT_FLOAT_EQ(s.sampling.min_p, 0.1f);
  EXPECT_FLOAT_EQ(s.sampling.repeat_penalty, 1.1f);
}

TEST(ApiRequest, ChatErrorsNameTheField) {
  GenSpec s;
  expect_error(chat(R"({"messages":"hi"})", s), "messages", "must be an array");
  expect_error(chat(R"({})", s), "messages", "required");
  expect_error(chat(R"({"messages":[]})", s), "messages", "must not be empty");
  expect_error(chat(R"({"messages":[{"role":"user","content":1}]})", s), "messages[0].content",
               "string");
  expect_error(chat(R"({"messages":[{"role":"wizard","content":"x"}]})", s), "messages[0].role",
               "wizard");
  expect_error(chat(R"({"messages":[{"content":"x"}]})", s), "messages[0].role",
               "must be a string");
  expect_error(
      chat(R"({"messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]})", s),
      "messages[0].content[0].type", "image_url");
  expect_error(chat(R"({"messages":[{"role":"user","content":"x"}],"temperature":"hot"})", s),
               "temperature", "must be a number");
  expect_error(chat(R"({"messages":[{"role":"user","content":"x"}],"temperature":-1})", s),
               "temperature", "between");
  expect_error(chat(R"({"messages":[{"role":"user","content":"x"}],"max_tokens":1.5})", s),
               "max_tokens", "integer");
  expect_error(chat(R"({"messages":[{"role":"user","content":"x"}],"max_tokens":999999})", s),
               "max_tokens", "2048");
  expect_error(chat(R"({"messages":[{"role":"user","content":"x"}],"n":2})", s), "n",
               "between 1 and 1");
  expect_error(chat(R"({"messages":[{"role":"user","content":"x"}],"stop":[1]})", s), "stop",
               "stop[0]");
  expect_error(chat(R"({"messages":[{"role":"user","content":"x"}],"stream":"yes"})", s), "stream",
               "boolean");
  expect_error(
      chat(
          R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})",
          s),
      "response_format", "not supported");
  expect_error(
      chat(R"({"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function"}]})", s),
      "tools", "not supported");
  expect_error(chat(R"({"messages":[{"role":"user","content":"x"}],"top_logprobs":2})", s),
               "top_logprobs", "logprobs");
  expect_error(
      chat(R"({"messages":[{"role":"user","content":"x"}],"top_logprobs":21,"logprobs":true})", s),
      "top_logprobs", "between 0 and 20");
  expect_error(
      chat(R"({"messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":1}})",
           s),
      "stream_options.include_usage", "boolean");
  std::string many = R"({"messages":[)";
  for (int i = 0; i < 9; i++)
    many += std::string(i ? "," : "") + R"({"role":"user","content":"x"})";
  expect_error(chat(many + "]}", s), "messages", "at most 8");
}

TEST(ApiRequest, BadBodies) {
  Json j;
  auto e = parse_body("{not json", j);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("not valid JSON"), std::string::npos);
  e = parse_body("[1,2]", j);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("JSON object"), std::string::npos);
  e = parse_body(std::string(100000, '['), j);
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("nested"), std::string::npos);
  EXPECT_FALSE(parse_body(
      R"({"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})", j));
  EXPECT_TRUE(parse_body("", j));
  EXPECT_TRUE(parse_body("\xff\xfe", j));
}

TEST(ApiRequest, CompletionPrompts) {
  GenSpec s;
  ASSERT_FALSE(completion(R"({"prompt":"hello","logprobs":2,"max_tokens":5})", s));
  EXPECT_EQ(s.prompt, "hello");
  EXPECT_EQ(s.n_logprobs, 2);
  GenSpec t;
  ASSERT_FALSE(completion(R"({"prompt":[1,2,3]})", t));
  EXPECT_TRUE(t.tokens_given);
  EXPECT_EQ(t.prompt_tokens, (std::vector<int32_t>{1, 2, 3}));
  GenSpec u;
  ASSERT_FALSE(completion(R"({"prompt":["one"]})", u));
  EXPECT_EQ(u.prompt, "one");
  expect_error(completion(R"({"prompt":["a","b"]})", s), "prompt", "several prompts");
  expect_error(completion(R"({})", s), "prompt", "required");
  expect_error(completion(R"({"prompt":{}})", s), "prompt", "must be a string");
  expect_error(completion(R"({"prompt":"x","echo":true})", s), "echo", "not supported");
  expect_error(completion(R"({"prompt":"x","suffix":"y"})", s), "suffix", "not supported");
}

TEST(ApiRequest, OllamaOptions) {
  GenSpec s;
  auto e =
      generate(R"({"model":"m:latest","prompt":"hi","stream":false,"keep_alive":"5m","raw":true,
      "options":{"num_ctx":512,"num_predict":9,"temperature":0.2,"top_k":3,"top_p":0.9,"min_p":0.01,
                 "repeat_penalty":1.2,"seed":42,"stop":["\n"],"num_gpu":99}})",
               s);
  ASSERT_FALSE(e) << e->message;
  EXPECT_FALSE(s.stream);
  EXPECT_TRUE(s.raw);
  EXPECT_EQ(s.n_ctx, 512);
  EXPECT_EQ(s.max_tokens, 9);
  EXPECT_EQ(s.sampling.top_k, 3);
  EXPECT_EQ(s.sampling.seed, 42u);
  EXPECT_EQ(s.stop, (std::vector<std::string>{"\n"}));
  GenSpec d;
  ASSERT_FALSE(generate(R"({"model":"m","prompt":"x","options":{"num_predict":-1}})", d));
  EXPECT_TRUE(d.stream);  // Ollama streams by default
  EXPECT_EQ(d.max_tokens, -1);
  expect_error(generate(R"({"prompt":"x"})", s), "model", "required");
  expect_error(generate(R"({"model":"m","options":{"temperature":"x"}})", s), "options.temperature",
               "number");
  expect_error(generate(R"({"model":"m","options":[]})", s), "options", "object");
  expect_error(generate(R"({"model":"m","format":"json"})", s), "format", "not supported");
  expect_error(generate(R"({"model":"m","images":["aGk="]})", s), "images", "not supported");
  expect_error(generate(R"({"model":"m","context":["a"]})", s), "context", "integer");
  expect_error(generate(R"({"model":"m","keep_alive":[]})", s), "keep_alive", "duration");
}

TEST(ApiRequest, DefaultTag) {
  EXPECT_EQ(with_default_tag("llama3"), "llama3:latest");
  EXPECT_EQ(with_default_tag("llama3:8b"), "llama3:8b");
  EXPECT_EQ(with_default_tag("host:5000/llama3"), "host:5000/llama3:latest");
}

}  // namespace

#include "server/chat_format.h"
#include "server/metrics.h"

namespace {

TEST(ChatFormat, ChatMlFallback) {
  auto f = uma::server::make_chatml_formatter();
  EXPECT_FALSE(f->is_model_template());
  Json msgs = Json::array(
      {Json{{"role", "system"}, {"content", "S"}}, Json{{"role", "user"}, {"content", "U"}}});
  auto r = f->apply(msgs, nullptr, true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(
      *r,
      "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(f->apply(msgs, nullptr, false).value(),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n");
}

TEST(Metrics, RequestCountersAndBoundedLabels) {
  uma::server::Metrics m;
  m.count_request(uma::server::endpoint_label("/v1/chat/completions"), 200);
  m.count_request(uma::server::endpoint_label("/v1/chat/completions"), 200);
  m.count_request(uma::server::endpoint_label("/v1/models/abc"), 404);
  m.count_request(uma::server::endpoint_label("/../../etc/passwd"), 404);
  const std::string text = m.render(nullptr);
  EXPECT_NE(text.find("uma_requests_total{endpoint=\"/v1/chat/completions\",status=\"200\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("uma_requests_total{endpoint=\"/v1/models/{id}\",status=\"404\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("uma_requests_total{endpoint=\"other\",status=\"404\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("uma_model_ready 0"), std::string::npos);
}

}  // namespace

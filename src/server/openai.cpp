// OpenAI-compatible API: POST /v1/chat/completions, POST /v1/completions, GET /v1/models and
// GET /v1/models/{id}. Streaming is SSE ("data: {chunk}\n\n" ... "data: [DONE]\n\n") with
// keep-alive comment lines and the include_usage chunk; errors use OpenAI's error object.
#include "server/server_impl.h"

namespace uma::server {

namespace {

Json bytes_of(const std::string& s) {
  Json a = Json::array();
  for (unsigned char c : s) a.push_back((int)c);
  return a;
}

Json usage_json(const engine::Timings& t) {
  return Json{{"prompt_tokens", t.n_prompt},
              {"completion_tokens", t.n_gen},
              {"total_tokens", t.n_prompt + t.n_gen}};
}

const char* finish_name(engine::FinishReason r) {
  return r == engine::FinishReason::kLength ? "length" : "stop";
}

// Chat logprobs: {"content": [{token, logprob, bytes, top_logprobs: [...]}]}.
Json chat_logprobs(const std::vector<engine::TokenLogprob>& lps) {
  Json content = Json::array();
  for (const auto& lp : lps) {
    Json top = Json::array();
    for (const auto& a : lp.top)
      top.push_back(Json{{"token", a.piece}, {"logprob", a.logprob}, {"bytes", bytes_of(a.piece)}});
    content.push_back(Json{{"token", lp.piece},
                           {"logprob", lp.logprob},
                           {"bytes", bytes_of(lp.piece)},
                           {"top_logprobs", top}});
  }
  return Json{{"content", content}};
}

// Legacy completions logprobs: parallel arrays; text_offset counts from `offset`.
Json completion_logprobs(const std::vector<engine::TokenLogprob>& lps, size_t& offset) {
  Json tokens = Json::array(), token_lps = Json::array(), top = Json::array(),
       offsets = Json::array();
  for (const auto& lp : lps) {
    tokens.push_back(lp.piece);
    token_lps.push_back(lp.logprob);
    Json alts = Json::object();
    for (const auto& a : lp.top) alts[a.piece] = a.logprob;
    top.push_back(alts);
    offsets.push_back(offset);
    offset += lp.piece.size();
  }
  return Json{{"tokens", tokens},
              {"token_logprobs", token_lps},
              {"top_logprobs", top},
              {"text_offset", offsets}};
}

std::string sse(const Json& j) { return "data: " + dump(j) + "\n\n"; }

class OpenAiWriter : public ResponseWriter {
 public:
  OpenAiWriter(bool chat, std::string model, bool include_usage, bool logprobs)
      : chat_(chat),
        model_(std::move(model)),
        include_usage_(include_usage),
        logprobs_(logprobs),
        id_(random_id(chat ? "chatcmpl-" : "cmpl-")),
        created_(unix_now()) {}

  const char* stream_content_type() const override { return "text/event-stream"; }
  std::string keep_alive() const override { return ": keep-alive\n\n"; }

  std::string stream_start() override {
    if (!chat_) return {};
    return sse(chunk(Json{{"role", "assistant"}, {"content", ""}}, nullptr, nullptr));
  }
  std::string stream_text(const engine::Event& ev) override {
    Json lp = nullptr;
    if (logprobs_)
      lp = chat_ ? chat_logprobs(ev.logprobs) : completion_logprobs(ev.logprobs, offset_);
    if (chat_) return sse(chunk(Json{{"content", ev.text}}, lp, nullptr));
    return sse(chunk(ev.text, lp, nullptr));
  }
  std::string stream_done(const engine::Event& done) override {
    std::string out = sse(chat_ ? chunk(Json::object(), nullptr, finish_name(done.finish))
                                : chunk("", nullptr, finish_name(done.finish)));
    if (include_usage_) {
      Json u = base(chat_ ? "chat.completion.chunk" : "text_completion");
      u["choices"] = Json::array();
      u["usage"] = usage_json(done.timings);
      out += sse(u);
    }
    return out + "data: [DONE]\n\n";
  }
  std::string stream_error(const std::string& message) override {
    return sse(error_body(Api::kOpenAI, {500, message, "", ""}));
  }
  Json full(const std::string& text, const std::vector<engine::TokenLogprob>& lps,
            const engine::Event& done) override {
    Json j = base(chat_ ? "chat.completion" : "text_completion");
    Json choice = Json::object();
    choice["index"] = 0;
    if (chat_)
      choice["message"] = Json{{"role", "assistant"}, {"content", text}};
    else
      choice["text"] = text;
    size_t off = 0;
    choice["logprobs"] = !logprobs_ ? Json(nullptr)
                         : chat_    ? chat_logprobs(lps)
                                    : completion_logprobs(lps, off);
    choice["finish_reason"] = finish_name(done.finish);
    j["choices"] = Json::array({choice});
    j["usage"] = usage_json(done.timings);
    return j;
  }

 private:
  Json base(const char* object) const {
    Json j = Json::object();
    j["id"] = id_;
    j["object"] = object;
    j["created"] = created_;
    j["model"] = model_;
    j["system_fingerprint"] = "uma";
    return j;
  }
  // One streamed choice: chat -> delta, completions -> text.
  Json chunk(const Json& payload, const Json& logprobs, const char* finish) const {
    Json j = base(chat_ ? "chat.completion.chunk" : "text_completion");
    Json c = Json::object();
    c["index"] = 0;
    c[chat_ ? "delta" : "text"] = payload;
    c["logprobs"] = logprobs;
    c["finish_reason"] = finish ? Json(finish) : Json(nullptr);
    j["choices"] = Json::array({c});
    if (include_usage_) j["usage"] = nullptr;
    return j;
  }

  bool chat_;
  std::string model_;
  bool include_usage_, logprobs_;
  std::string id_;
  int64_t created_;
  size_t offset_ = 0;
};

Json model_object(const State& st) {
  return Json{{"id", st.info.name},
              {"object", "model"},
              {"created", st.info.modified_unix},
              {"owned_by", "uma"}};
}

void handle_generation(State& st, const httplib::Request& req, httplib::Response& res, bool chat) {
  Json body;
  if (!begin_request(st, req, res, Api::kOpenAI, body)) return;
  GenSpec spec;
  if (auto err = chat ? parse_openai_chat(body, st.limits, spec)
                      : parse_openai_completion(body, st.limits, spec))
    return send_error(res, Api::kOpenAI, *err);
  if (!model_matches(st, spec.model)) return send_model_not_found(res, Api::kOpenAI, spec.model);
  std::vector<TokenId> prompt;
  if (auto err = build_prompt(st, spec, false, prompt)) return send_error(res, Api::kOpenAI, *err);
  auto writer =
      std::make_shared<OpenAiWriter>(chat, st.info.name, spec.include_usage, spec.n_logprobs >= 0);
  run_generation(st, res, Api::kOpenAI, spec, std::move(prompt), std::move(writer));
}

}  // namespace

void register_openai(httplib::Server& http, State& st) {
  http.Post("/v1/chat/completions", [&st](const httplib::Request& req, httplib::Response& res) {
    handle_generation(st, req, res, true);
  });
  http.Post("/v1/completions", [&st](const httplib::Request& req, httplib::Response& res) {
    handle_generation(st, req, res, false);
  });
  http.Get("/v1/models", [&st](const httplib::Request&, httplib::Response& res) {
    Json data = Json::array();
    if (st.ready.load()) data.push_back(model_object(st));
    send_json(res, 200, Json{{"object", "list"}, {"data", data}});
  });
  http.Get(R"(/v1/models/(.+))", [&st](const httplib::Request& req, httplib::Response& res) {
    const std::string id = req.matches.size() > 1 ? std::string(req.matches[1]) : "";
    if (!st.ready.load() || !model_matches(st, id))
      return send_model_not_found(res, Api::kOpenAI, id);
    send_json(res, 200, model_object(st));
  });
}

}  // namespace uma::server

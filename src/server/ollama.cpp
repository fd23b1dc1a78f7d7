// Ollama-compatible API: POST /api/generate and /api/chat (NDJSON streaming by default, one
// object with stream:false, a final object with done_reason and nanosecond durations, an
// {"error": ...} line on a mid-stream failure), GET /api/tags, POST /api/show, GET /api/ps,
// GET /api/version.
#include <cctype>

#include "quant/ftype_mix.h"
#include "server/server_impl.h"

namespace uma::server {

namespace {

int64_t ns(double ms) { return (int64_t)(ms * 1e6); }

class OllamaWriter : public ResponseWriter {
 public:
  OllamaWriter(bool chat, std::string model, std::vector<TokenId> prompt)
      : chat_(chat), model_(std::move(model)), prompt_(std::move(prompt)) {}

  const char* stream_content_type() const override { return "application/x-ndjson"; }
  std::string stream_text(const engine::Event& ev) override { return dump(part(ev.text)) + "\n"; }
  std::string stream_done(const engine::Event& done) override {
    return dump(final_part("", done)) + "\n";
  }
  std::string stream_error(const std::string& message) override {
    return dump(Json{{"error", message}}) + "\n";
  }
  Json full(const std::string& text, const std::vector<engine::TokenLogprob>&,
            const engine::Event& done) override {
    return final_part(text, done);
  }

 private:
  Json part(const std::string& text) const {
    Json j = Json::object();
    j["model"] = model_;
    j["created_at"] = rfc3339_now();
    if (chat_)
      j["message"] = Json{{"role", "assistant"}, {"content", text}};
    else
      j["response"] = text;
    j["done"] = false;
    return j;
  }
  Json final_part(const std::string& text, const engine::Event& done) const {
    Json j = part(text);
    j["done"] = true;
    j["done_reason"] = done.finish == engine::FinishReason::kLength ? "length" : "stop";
    if (!chat_) {  // the tokens of this exchange, to pass back as `context` next time
      std::vector<TokenId> ctx = prompt_;
      ctx.insert(ctx.end(), done.generated.begin(), done.generated.end());
      j["context"] = ctx;
    }
    const engine::Timings& t = done.timings;
    j["total_duration"] = ns(t.total_ms);
    j["load_duration"] = 0;  // the model was loaded at startup, not for this request
    j["prompt_eval_count"] = t.n_prompt;
    j["prompt_eval_duration"] = ns(t.prompt_ms);
    j["eval_count"] = t.n_gen;
    j["eval_duration"] = ns(t.gen_ms);
    return j;
  }

  bool chat_;
  std::string model_;
  std::vector<TokenId> prompt_;
};

std::string human_count(uint64_t n) {
  char buf[32];
  if (n >= 1000000000ull)
    std::snprintf(buf, sizeof buf, "%.1fB", n / 1e9);
  else if (n >= 1000000ull)
    std::snprintf(buf, sizeof buf, "%.1fM", n / 1e6);
  else if (n >= 1000ull)
    std::snprintf(buf, sizeof buf, "%.1fK", n / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%llu", (unsigned long long)n);
  return buf;
}

uint64_t parameter_count(const Model& m) {
  uint64_t n = 0;
  for (const auto& t : m.file().tensors()) n += t.n_elements();
  return n;
}

std::string quantization_level(const Model& m) {
  if (const gguf::Value* v = m.file().find("general.file_type"))
    if (auto id = v->as_uint())
      if (auto ft = quant::file_type_from_id(*id)) return std::string(quant::file_type_name(*ft));
  if (const auto* t = m.file().find_tensor("token_embd.weight")) {
    std::string name(dtype_name(t->type));
    for (char& c : name) c = (char)std::toupper((unsigned char)c);
    return name;  // Ollama spells them "F16", "Q4_0"
  }
  return "unknown";
}

// Identifies the loaded file (path, size, mtime) — not a content hash, which would mean reading
// gigabytes at startup.
std::string digest(const State& st) {
  const std::string key = st.info.path + "|" + std::to_string(st.info.file_size) + "|" +
                          std::to_string(st.info.modified_unix);
  std::string out;
  for (uint64_t round = 0; round < 4; round++) {
    uint64_t h = 1469598103934665603ull ^ (round * 0x9E3779B97F4A7C15ull);
    for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)h);
    out += buf;
  }
  return out;
}

Json details(const State& st) {
  const std::string arch = st.model->hparams().arch;
  return Json{{"parent_model", ""},
              {"format", "gguf"},
              {"family", arch},
              {"families", Json::array({arch})},
              {"parameter_size", human_count(parameter_count(*st.model))},
              {"quantization_level", quantization_level(*st.model)}};
}

Json gguf_value(const gguf::Value& v, bool verbose) {
  using gguf::ValueType;
  if (!v.is_array()) {
    if (auto s = v.as_string()) return std::string(*s);
    if (auto b = v.as_bool(); b && v.type() == ValueType::BOOL) return *b;
    if (v.type() == ValueType::FLOAT32 || v.type() == ValueType::FLOAT64)
      return v.as_float().value_or(0);
    if (auto i = v.as_int()) return *i;
    if (auto u = v.as_uint()) return *u;
    return nullptr;
  }
  // Ollama leaves the big tokenizer arrays out unless verbose.
  if (!verbose && v.array_size() > 64) return nullptr;
  Json a = Json::array();
  for (uint64_t i = 0; i < v.array_size(); i++) {
    if (v.elem_type() == ValueType::STRING)
      a.push_back(std::string(v.array_string(i)));
    else if (auto x = v.array_int(i))
      a.push_back(*x);
    else
      a.push_back(v.array_number(i).value_or(0));
  }
  return a;
}

Json model_entry(const State& st) {
  const std::string name = with_default_tag(st.info.name);
  return Json{{"name", name},
              {"model", name},
              {"modified_at", rfc3339(st.info.modified_unix)},
              {"size", st.info.file_size},
              {"digest", digest(st)},
              {"details", details(st)}};
}

bool check_ready(State& st, httplib::Response& res) {
  if (st.ready.load()) return true;
  res.set_header("Retry-After", "1");
  send_error(res, Api::kOllama, {503, "the model is still loading", "", ""});
  return false;
}

void handle_generation(State& st, const httplib::Request& req, httplib::Response& res, bool chat) {
  Json body;
  if (!begin_request(st, req, res, Api::kOllama, body)) return;
  GenSpec spec;
  if (auto err = chat ? parse_ollama_chat(body, st.limits, spec)
                      : parse_ollama_generate(body, st.limits, spec))
    return send_error(res, Api::kOllama, *err);
  if (!model_matches(st, spec.model)) return send_model_not_found(res, Api::kOllama, spec.model);
  const std::string name = with_default_tag(st.info.name);
  // Ollama's "load the model" request: nothing to generate.
  if ((chat && spec.messages.empty()) ||
      (!chat && spec.prompt.empty() && spec.prompt_tokens.empty())) {
    Json j = Json{{"model", name}, {"created_at", rfc3339_now()}};
    if (chat)
      j["message"] = Json{{"role", "assistant"}, {"content", ""}};
    else
      j["response"] = "";
    j["done"] = true;
    j["done_reason"] = "load";
    return send_json(res, 200, j);
  }
  const bool templated = !chat && !spec.raw && st.formatter->is_model_template();
  std::vector<TokenId> prompt;
  if (auto err = build_prompt(st, spec, templated, prompt))
    return send_error(res, Api::kOllama, *err);
  auto writer = std::make_shared<OllamaWriter>(chat, name, prompt);
  run_generation(st, res, Api::kOllama, spec, std::move(prompt), std::move(writer));
}

}  // namespace

void register_ollama(httplib::Server& http, State& st) {
  http.Post("/api/generate", [&st](const httplib::Request& req, httplib::Response& res) {
    handle_generation(st, req, res, false);
  });
  http.Post("/api/chat", [&st](const httplib::Request& req, httplib::Response& res) {
    handle_generation(st, req, res, true);
  });
  http.Get("/api/version", [](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, Json{{"version", "0.1.0"}});
  });
  http.Get("/api/tags", [&st](const httplib::Request&, httplib::Response& res) {
    if (!check_ready(st, res)) return;
    send_json(res, 200, Json{{"models", Json::array({model_entry(st)})}});
  });
  http.Get("/api/ps", [&st](const httplib::Request&, httplib::Response& res) {
    if (!check_ready(st, res)) return;
    Json m = model_entry(st);
    m.erase("modified_at");
    m["size"] = st.info.file_size + st.engine->kv_bytes();
    m["size_vram"] = 0;
    m["expires_at"] = rfc3339(unix_now() + 10 * 365 * 86400);  // stays loaded while the server runs
    m["context_length"] = st.engine->n_ctx();
    send_json(res, 200, Json{{"models", Json::array({m})}});
  });
  http.Post("/api/show", [&st](const httplib::Request& req, httplib::Response& res) {
    Json body;
    if (!begin_request(st, req, res, Api::kOllama, body)) return;
    std::string name;
    for (const char* key : {"model", "name"}) {
      auto it = body.find(key);
      if (it == body.end() || it->is_null()) continue;
      if (!it->is_string())
        return send_error(res, Api::kOllama,
                          {400, std::string("'") + key + "' must be a string", key, ""});
      name = it->get<std::string>();
      break;
    }
    if (name.empty())
      return send_error(res, Api::kOllama, {400, "'model' is required", "model", ""});
    if (!model_matches(st, name)) return send_model_not_found(res, Api::kOllama, name);
    bool verbose = false;
    if (auto it = body.find("verbose"); it != body.end() && !it->is_null()) {
      if (!it->is_boolean())
        return send_error(res, Api::kOllama, {400, "'verbose' must be a boolean", "verbose", ""});
      verbose = it->get<bool>();
    }
    Json info = Json::object();
    for (const auto& [key, value] : st.model->file().metadata()) {
      if (key == "tokenizer.chat_template") continue;  // it is `template`
      info[key] = gguf_value(value, verbose);
    }
    info["general.parameter_count"] = parameter_count(*st.model);
    Json j = Json::object();
    j["license"] = "";
    j["modelfile"] = "# Modelfile generated by uma\nFROM " + st.info.path + "\n";
    j["parameters"] = "";
    j["template"] = st.formatter->source();
    j["details"] = details(st);
    j["model_info"] = info;
    j["capabilities"] = Json::array({"completion"});
    j["modified_at"] = rfc3339(st.info.modified_unix);
    send_json(res, 200, j);
  });
}

}  // namespace uma::server

// Request parsing: a small typed field reader that records the first error (naming the field and
// the expected type or range), then one function per endpoint family.
#include "server/api_request.h"

#include <cmath>
#include <random>

namespace uma::server {

namespace {

const char* type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::number_float:
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "a number";
    default:
      return "an unknown type";
  }
}

std::string fmt_num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Reads typed fields of one JSON object. Absent and null fields read as "not given"; the first
// problem is kept in err and later reads do nothing.
class Fields {
 public:
  Fields(const Json& obj, std::string prefix, std::optional<ApiError>& err)
      : obj_(obj), prefix_(std::move(prefix)), err_(err) {}

  const Json* get(const char* name) const {
    if (err_ || !obj_.is_object()) return nullptr;
    auto it = obj_.find(name);
    if (it == obj_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  std::string path(const char* name) const { return prefix_ + name; }
  void fail(const std::string& field, const std::string& msg) {
    if (!err_) err_ = ApiError{400, msg, field, ""};
  }
  void wrong_type(const char* name, const Json& v, const char* want) {
    fail(path(name), "'" + path(name) + "' must be " + want + " (got " + type_name(v) + ")");
  }

  std::optional<double> number(const char* name, double lo, double hi) {
    const Json* v = get(name);
    if (!v) return std::nullopt;
    if (!v->is_number()) return wrong_type(name, *v, "a number"), std::nullopt;
    const double d = v->get<double>();
    if (!std::isfinite(d) || d < lo || d > hi) {
      fail(path(name), "'" + path(name) + "' must be between " + fmt_num(lo) + " and " +
                           fmt_num(hi) + " (got " + fmt_num(d) + ")");
      return std::nullopt;
    }
    return d;
  }
  std::optional<int64_t> integer(const char* name, int64_t lo, int64_t hi) {
    const Json* v = get(name);
    if (!v) return std::nullopt;
    int64_t x = 0;
    if (v->is_number_integer()) {
      x = v->get<int64_t>();
      if (v->is_number_unsigned() && v->get<uint64_t>() > (uint64_t)INT64_MAX) x = INT64_MAX;
    } else if (v->is_number_float() && std::isfinite(v->get<double>()) &&
               v->get<double>() == std::floor(v->get<double>()) &&
               std::fabs(v->get<double>()) < 9e18) {
      x = (int64_t)v->get<double>();
    } else {
      return wrong_type(name, *v, "an integer"), std::nullopt;
    }
    if (x < lo || x > hi) {
      fail(path(name), "'" + path(name) + "' must be between " + std::to_string(lo) + " and " +
                           std::to_string(hi) + " (got " + std::to_string(x) + ")");
      return std::nullopt;
    }
    return x;
  }
  std::optional<bool> boolean(const char* name) {
    const Json* v = get(name);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) return wrong_type(name, *v, "a boolean"), std::nullopt;
    return v->get<bool>();
  }
  std::optional<std::string> string(const char* name, size_t max_bytes) {
    const Json* v = get(name);
    if (!v) return std::nullopt;
    if (!v->is_string()) return wrong_type(name, *v, "a string"), std::nullopt;
    const auto& s = v->get_ref<const std::string&>();
    if (s.size() > max_bytes) {
      fail(path(name),
           "'" + path(name) + "' is longer than " + std::to_string(max_bytes) + " bytes");
      return std::nullopt;
    }
    return s;
  }
  // Present and not empty (non-empty array/object/string, true, or a number).
  bool non_empty(const char* name) const {
    const Json* v = get(name);
    if (!v) return false;
    if (v->is_array() || v->is_object() || v->is_string()) return !v->empty() && *v != "";
    if (v->is_boolean()) return v->get<bool>();
    return true;
  }

 private:
  const Json& obj_;
  std::string prefix_;
  std::optional<ApiError>& err_;
};

uint64_t random_seed() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

// stop: a string or an array of strings.
void read_stop(Fields& f, const char* name, const Limits& lim, GenSpec& out) {
  const Json* v = f.get(name);
  if (!v) return;
  std::vector<std::string> stops;
  if (v->is_string()) {
    stops.push_back(v->get<std::string>());
  } else if (v->is_array()) {
    if (v->size() > lim.max_stop)
      return f.fail(f.path(name), "'" + f.path(name) + "' has " + std::to_string(v->size()) +
                                      " entries; at most " + std::to_string(lim.max_stop) +
                                      " are allowed");
    for (size_t i = 0; i < v->size(); i++) {
      if (!(*v)[i].is_string())
        return f.fail(f.path(name), "'" + f.path(name) + "[" + std::to_string(i) +
                                        "]' must be a string (got " + type_name((*v)[i]) + ")");
      stops.push_back((*v)[i].get<std::string>());
    }
  } else {
    return f.wrong_type(name, *v, "a string or an array of strings");
  }
  for (const auto& s : stops) {
    if (s.size() > lim.max_stop_bytes)
      return f.fail(f.path(name), "'" + f.path(name) + "' entries must be at most " +
                                      std::to_string(lim.max_stop_bytes) + " bytes");
    if (!s.empty()) out.stop.push_back(s);
  }
}

// Sampling fields shared by OpenAI bodies and Ollama's options (names given per API).
void read_sampling(Fields& f, GenSpec& out) {
  if (auto v = f.number("temperature", 0, 100)) out.sampling.temp = (float)*v;
  if (auto v = f.number("top_p", 0, 1)) {
    if (*v <= 0) f.fail(f.path("top_p"), "'" + f.path("top_p") + "' must be greater than 0");
    out.sampling.top_p = (float)*v;
  }
  if (auto v = f.integer("top_k", 0, 1 << 30)) out.sampling.top_k = (int32_t)*v;
  if (auto v = f.number("min_p", 0, 1)) out.sampling.min_p = (float)*v;
  if (auto v = f.number("repeat_penalty", 0, 100)) {
    if (*v <= 0)
      f.fail(f.path("repeat_penalty"), "'" + f.path("repeat_penalty") + "' must be greater than 0");
    out.sampling.repeat_penalty = (float)*v;
  }
  if (auto v = f.integer("repeat_last_n", -1, 1 << 20))
    out.sampling.penalty_last_n = (int32_t)std::max<int64_t>(*v, 0);
  if (auto v = f.number("presence_penalty", -2, 2)) out.sampling.presence_penalty = (float)*v;
  if (auto v = f.number("frequency_penalty", -2, 2)) out.sampling.frequency_penalty = (float)*v;
  if (auto v = f.boolean("ignore_eos")) out.ignore_eos = *v;
  if (auto v = f.integer("seed", INT64_MIN, INT64_MAX)) {
    if (*v >= 0) {  // negative: random, as Ollama's -1
      out.sampling.seed = (uint64_t)*v;
      out.seed_given = true;
    }
  }
}

// content: a string, or an array of {"type": "text", "text": ...} parts (joined with "\n").
void read_content(Fields& f, const Json& msg, const std::string& where, const Limits& lim,
                  std::string& out) {
  auto it = msg.find("content");
  if (it == msg.end() || it->is_null()) return;
  if (it->is_string()) {
    out = it->get<std::string>();
  } else if (it->is_array()) {
    for (size_t j = 0; j < it->size(); j++) {
      const Json& part = (*it)[j];
      const std::string pw = where + ".content[" + std::to_string(j) + "]";
      if (!part.is_object())
        return f.fail(pw, "'" + pw + "' must be an object (got " + type_name(part) + ")");
      auto type = part.find("type");
      if (type == part.end() || !type->is_string())
        return f.fail(pw + ".type", "'" + pw + ".type' must be a string");
      if (*type != "text")
        return f.fail(pw + ".type", "'" + pw + ".type' is '" + type->get<std::string>() +
                                        "'; only text parts are supported");
      auto text = part.find("text");
      if (text == part.end() || !text->is_string())
        return f.fail(pw + ".text", "'" + pw + ".text' must be a string");
      if (!out.empty()) out += "\n";
      out += text->get<std::string>();
    }
  } else {
    return f.fail(where + ".content",
                  "'" + where + ".content' must be a string or an array of text parts (got " +
                      type_name(*it) + ")");
  }
  if (out.size() > lim.max_text_bytes)
    f.fail(where + ".content", "'" + where + ".content' is longer than " +
                                   std::to_string(lim.max_text_bytes) + " bytes");
}

void read_messages(Fields& f, const Json& body, const Limits& lim, bool ollama, GenSpec& out) {
  const Json* msgs = f.get("messages");
  if (!msgs) return f.fail("messages", "'messages' is required");
  if (!msgs->is_array()) return f.wrong_type("messages", *msgs, "an array");
  if (msgs->empty() && !ollama) return f.fail("messages", "'messages' must not be empty");
  if (msgs->size() > lim.max_messages)
    return f.fail("messages", "'messages' has " + std::to_string(msgs->size()) +
                                  " entries; at most " + std::to_string(lim.max_messages) +
                                  " are allowed");
  out.chat = true;
  out.messages = Json::array();
  for (size_t i = 0; i < msgs->size(); i++) {
    const Json& m = (*msgs)[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object())
      return f.fail(where, "'" + where + "' must be an object (got " + type_name(m) + ")");
    auto role = m.find("role");
    if (role == m.end() || !role->is_string())
      return f.fail(where + ".role", "'" + where + ".role' must be a string");
    const std::string r = role->get<std::string>();
    if (r != "system" && r != "user" && r != "assistant" && r != "developer" && r != "tool")
      return f.fail(where + ".role", "'" + where + ".role' is '" + r +
                                         "'; expected system, developer, user, assistant or tool");
    auto tc = m.find("tool_calls");
    if (tc != m.end() && !tc->is_null() && !tc->empty())
      return f.fail(where + ".tool_calls",
                    "'" + where + ".tool_calls': tool calls are not supported yet");
    auto images = m.find("images");
    if (images != m.end() && !images->is_null() && !images->empty())
      return f.fail(where + ".images",
                    "'" + where + ".images': images are not supported (text-only models)");
    std::string content;
    read_content(f, m, where, lim, content);
    Json norm = Json::object();
    norm["role"] = r;
    norm["content"] = content;
    out.messages.push_back(std::move(norm));
  }
}

void refuse_if(Fields& f, const char* name, const std::string& why) {
  if (f.non_empty(name)) f.fail(name, "'" + std::string(name) + "': " + why);
}

// Fields both OpenAI endpoints share.
void read_openai_common(Fields& f, const Json& body, const Limits& lim, GenSpec& out) {
  if (auto m = f.string("model", 256)) out.model = *m;
  read_sampling(f, out);
  if (!out.seed_given) out.sampling.seed = random_seed();
  read_stop(f, "stop", lim, out);
  for (const char* name : {"max_tokens", "max_completion_tokens"})
    if (auto v = f.integer(name, 0, lim.max_tokens)) out.max_tokens = *v;
  if (auto v = f.integer("n", 1, 1)) (void)v;
  if (auto v = f.boolean("stream")) out.stream = *v;
  if (const Json* so = f.get("stream_options")) {
    if (!so->is_object()) return f.wrong_type("stream_options", *so, "an object");
    std::optional<ApiError> dummy;
    Fields sf(*so, "stream_options.", dummy);
    if (auto v = sf.boolean("include_usage")) out.include_usage = *v;
    if (dummy) return f.fail(dummy->param, dummy->message);
  }
  if (const Json* rf = f.get("response_format")) {
    if (!rf->is_object()) return f.wrong_type("response_format", *rf, "an object");
    auto t = rf->find("type");
    if (t == rf->end() || !t->is_string())
      return f.fail("response_format.type", "'response_format.type' must be a string");
    if (*t == "json_object" || *t == "json_schema")
      return f.fail("response_format",
                    "'response_format' " + t->get<std::string>() +
                        " is not supported: uma cannot constrain output to JSON yet");
    if (*t != "text")
      return f.fail("response_format.type",
                    "'response_format.type' must be 'text', 'json_object' or 'json_schema'");
  }
  refuse_if(f, "tools", "tools are not supported yet");
  refuse_if(f, "functions", "function calling is not supported yet");
  refuse_if(f, "logit_bias", "logit_bias is not supported yet");
  if (const Json* tc = f.get("tool_choice"))
    if (!(tc->is_string() && (*tc == "none" || *tc == "auto")))
      f.fail("tool_choice", "'tool_choice': tools are not supported yet");
}

}  // namespace

std::optional<ApiError> parse_body(std::string_view body, Json& out) {
  // nlohmann parses iteratively, but deeply nested values are a cheap attack on everything that
  // walks them afterwards; real requests nest a few levels.
  int depth = 0;
  bool in_str = false, esc = false;
  for (char c : body) {
    if (in_str) {
      if (esc)
        esc = false;
      else if (c == '\\')
        esc = true;
      else if (c == '"')
        in_str = false;
    } else if (c == '"') {
      in_str = true;
    } else if (c == '[' || c == '{') {
      if (++depth > 64)
        return ApiError{400, "request body: JSON nested deeper than 64 levels", "", ""};
    } else if (c == ']' || c == '}') {
      depth--;
    }
  }
  out = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) {
    // Rerun with exceptions off is not enough to get the position; a second parse with a SAX
    // error handler would be; the byte count is useful enough.
    return ApiError{
        400, "request body is not valid JSON (" + std::to_string(body.size()) + " bytes)", "", ""};
  }
  if (!out.is_object())
    return ApiError{400,
                    std::string("request body must be a JSON object (got ") + type_name(out) + ")",
                    "", ""};
  return std::nullopt;
}

std::optional<ApiError> parse_openai_chat(const Json& body, const Limits& lim, GenSpec& out) {
  std::optional<ApiError> err;
  Fields f(body, "", err);
  read_openai_common(f, body, lim, out);
  read_messages(f, body, lim, false, out);
  if (auto v = f.boolean("logprobs"); v && *v) out.n_logprobs = 0;
  if (auto v = f.integer("top_logprobs", 0, 20)) {
    if (out.n_logprobs < 0) f.fail("top_logprobs", "'top_logprobs' requires 'logprobs': true");
    out.n_logprobs = (int32_t)*v;
  }
  return err;
}

std::optional<ApiError> parse_openai_completion(const Json& body, const Limits& lim, GenSpec& out) {
  std::optional<ApiError> err;
  Fields f(body, "", err);
  read_openai_common(f, body, lim, out);
  if (auto v = f.integer("logprobs", 0, 20)) out.n_logprobs = (int32_t)*v;
  if (auto v = f.boolean("echo"); v && *v) f.fail("echo", "'echo' is not supported");
  if (auto v = f.integer("best_of", 1, 1)) (void)v;
  refuse_if(f, "suffix", "suffix (fill-in-the-middle) is not supported");
  const Json* p = f.get("prompt");
  if (err) return err;
  if (!p) return ApiError{400, "'prompt' is required", "prompt", ""};
  auto all_ints = [](const Json& a) {
    for (const auto& x : a)
      if (!x.is_number_integer()) return false;
    return true;
  };
  if (p->is_string()) {
    out.prompt = p->get<std::string>();
  } else if (p->is_array() && !p->empty() && all_ints(*p)) {
    for (const auto& x : *p)
      out.prompt_tokens.push_back((int32_t)std::clamp<int64_t>(x.get<int64_t>(), -1, INT32_MAX));
    out.tokens_given = true;
  } else if (p->is_array() && p->size() == 1 && (*p)[0].is_string()) {
    out.prompt = (*p)[0].get<std::string>();
  } else if (p->is_array() && p->size() == 1 && (*p)[0].is_array() && !(*p)[0].empty() &&
             all_ints((*p)[0])) {
    for (const auto& x : (*p)[0])
      out.prompt_tokens.push_back((int32_t)std::clamp<int64_t>(x.get<int64_t>(), -1, INT32_MAX));
    out.tokens_given = true;
  } else if (p->is_array() && p->size() > 1) {
    return ApiError{
        400, "'prompt': several prompts in one request are not supported (send one per request)",
        "prompt", ""};
  } else {
    return ApiError{
        400,
        std::string(
            "'prompt' must be a string, an array of one string, or an array of token ids (got ") +
            type_name(*p) + ")",
        "prompt", ""};
  }
  if (out.prompt.size() > lim.max_text_bytes)
    return ApiError{400, "'prompt' is longer than " + std::to_string(lim.max_text_bytes) + " bytes",
                    "prompt", ""};
  return err;
}

namespace {

// Ollama: model (required), stream (default true), format, keep_alive, options{...}.
void read_ollama_common(Fields& f, const Json& body, const Limits& lim, GenSpec& out) {
  if (auto m = f.string("model", 256)) out.model = *m;
  if (!f.get("model") && body.is_object()) f.fail("model", "'model' is required");
  out.stream = true;
  if (auto v = f.boolean("stream")) out.stream = *v;
  if (const Json* fm = f.get("format"))
    if (!(fm->is_string() && fm->get<std::string>().empty()))
      f.fail(
          "format",
          "'format': structured (JSON) output is not supported: uma cannot constrain output yet");
  if (const Json* ka =
          f.get("keep_alive"))  // accepted; the model stays loaded for the server's life
    if (!ka->is_string() && !ka->is_number())
      f.wrong_type("keep_alive", *ka, "a duration string or a number");
  refuse_if(f, "tools", "tools are not supported yet");
  if (const Json* opts = f.get("options")) {
    if (!opts->is_object()) return f.wrong_type("options", *opts, "an object");
    std::optional<ApiError> oerr;
    Fields of(*opts, "options.", oerr);
    read_sampling(of, out);
    read_stop(of, "stop", lim, out);
    if (auto v = of.integer("num_predict", -2, INT64_MAX)) {
      if (*v >= 0 && *v > lim.max_tokens)
        of.fail("options.num_predict", "'options.num_predict' must be at most " +
                                           std::to_string(lim.max_tokens) +
                                           " (the context size) or negative for no limit");
      out.max_tokens = *v >= 0 ? *v : -1;
    }
    if (auto v = of.integer("num_ctx", 1, INT32_MAX)) out.n_ctx = *v;
    if (oerr) return f.fail(oerr->param, oerr->message);
  }
  if (!out.seed_given) out.sampling.seed = random_seed();
}

}  // namespace

std::optional<ApiError> parse_ollama_generate(const Json& body, const Limits& lim, GenSpec& out) {
  std::optional<ApiError> err;
  Fields f(body, "", err);
  read_ollama_common(f, body, lim, out);
  if (auto v = f.string("prompt", lim.max_text_bytes)) out.prompt = *v;
  if (auto v = f.string("system", lim.max_text_bytes)) out.system = *v;
  if (auto v = f.boolean("raw")) out.raw = *v;
  refuse_if(f, "suffix", "suffix (fill-in-the-middle) is not supported");
  refuse_if(f, "images", "images are not supported (text-only models)");
  refuse_if(f, "template",
            "Go templates are not supported; the model's chat template (Jinja) is used");
  if (const Json* ctx = f.get("context")) {
    if (!ctx->is_array()) return f.wrong_type("context", *ctx, "an array of token ids"), err;
    for (size_t i = 0; i < ctx->size(); i++) {
      if (!(*ctx)[i].is_number_integer()) {
        f.fail("context", "'context[" + std::to_string(i) + "]' must be an integer token id");
        break;
      }
      out.prompt_tokens.push_back(
          (int32_t)std::clamp<int64_t>((*ctx)[i].get<int64_t>(), -1, INT32_MAX));
    }
  }
  return err;
}

std::optional<ApiError> parse_ollama_chat(const Json& body, const Limits& lim, GenSpec& out) {
  std::optional<ApiError> err;
  Fields f(body, "", err);
  read_ollama_common(f, body, lim, out);
  read_messages(f, body, lim, true, out);
  return err;
}

std::optional<ApiError> parse_apply_template(const Json& body, const Limits& lim, GenSpec& out,
                                             bool& add_generation_prompt) {
  std::optional<ApiError> err;
  Fields f(body, "", err);
  const Json* msgs = f.get("messages");
  if (!msgs) return ApiError{400, "'messages' is required", "messages", ""};
  if (!msgs->is_array()) return f.wrong_type("messages", *msgs, "an array"), err;
  if (msgs->size() > lim.max_messages)
    return ApiError{400,
                    "'messages' has " + std::to_string(msgs->size()) + " entries; at most " +
                        std::to_string(lim.max_messages) + " are allowed",
                    "messages", ""};
  for (size_t i = 0; i < msgs->size(); i++) {
    const Json& m = (*msgs)[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      return ApiError{400, "'" + where + "' must be an object with a string 'role'", where, ""};
  }
  out.chat = true;
  out.messages = *msgs;
  if (const Json* tools = f.get("tools")) {
    if (!tools->is_array()) return f.wrong_type("tools", *tools, "an array"), err;
    out.tools = *tools;
  }
  add_generation_prompt = true;
  if (auto v = f.boolean("add_generation_prompt")) add_generation_prompt = *v;
  return err;
}

std::string with_default_tag(std::string_view name) {
  std::string s(name);
  // A ':' after the last '/' separates the tag ("host:port/name" keeps its port).
  const size_t slash = s.rfind('/');
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) s += ":latest";
  return s;
}

}  // namespace uma::server

// Server: cpp-httplib setup (thread pool, body limit, timeouts), API-key check, request metrics,
// JSON error pages for httplib's own errors, /, /health, /metrics, /apply-template, and the
// generation runner both APIs share (submit, then stream or collect the engine's events).
#include <ctime>
#include <random>

#include "core/log.h"
#include "engine/channel.h"
#include "server/server_impl.h"

namespace uma::server {

// ---- shared helpers ------------------------------------------------------------------------

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

void send_json(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(dump(body), "application/json");
}

Json error_body(Api api, const ApiError& e) {
  if (api == Api::kOllama) return Json{{"error", e.message}};
  const char* type = e.status == 401   ? "authentication_error"
                     : e.status == 404 ? "not_found_error"
                     : e.status == 503 ? "overloaded_error"
                     : e.status >= 500 ? "server_error"
                                       : "invalid_request_error";
  Json err = Json::object();
  err["message"] = e.message;
  err["type"] = type;
  err["param"] = e.param.empty() ? Json(nullptr) : Json(e.param);
  err["code"] = e.code.empty() ? Json(nullptr) : Json(e.code);
  return Json{{"error", err}};
}

void send_error(httplib::Response& res, Api api, const ApiError& e) {
  send_json(res, e.status, error_body(api, e));
}

Api api_of(const std::string& path) {
  return path.rfind("/api/", 0) == 0 ? Api::kOllama : Api::kOpenAI;
}

bool begin_request(State& st, const httplib::Request& req, httplib::Response& res, Api api,
                   Json& body) {
  if (!st.ready.load()) {
    res.set_header("Retry-After", "1");
    send_error(res, api, {503, "the model is still loading", "", "model_loading"});
    return false;
  }
  if (auto err = parse_body(req.body, body)) {
    send_error(res, api, *err);
    return false;
  }
  return true;
}

bool model_matches(const State& st, const std::string& requested) {
  if (requested.empty()) return true;
  return requested == st.info.name || with_default_tag(requested) == with_default_tag(st.info.name);
}

void send_model_not_found(httplib::Response& res, Api api, const std::string& requested) {
  if (api == Api::kOllama)
    send_error(res, api, {404, "model '" + requested + "' not found", "model", ""});
  else
    send_error(res, api,
               {404, "The model '" + requested + "' does not exist", "model", "model_not_found"});
}

int64_t unix_now() { return (int64_t)std::time(nullptr); }

std::string rfc3339(int64_t unix_s) {
  const time_t t = (time_t)unix_s;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string rfc3339_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  std::tm tm{};
  gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%09ldZ", (long)ts.tv_nsec);
  return buf;
}

std::string random_id(const char* prefix) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx%08llx", (unsigned long long)rng(),
                (unsigned long long)(rng() & 0xffffffff));
  return std::string(prefix) + buf;
}

std::optional<ApiError> build_prompt(const State& st, const GenSpec& spec, bool templated_generate,
                                     std::vector<TokenId>& out) {
  const Tokenizer& tok = st.model->tokenizer();
  std::string text;
  bool add_bos = true;
  out.clear();
  if (spec.chat) {
    auto r = st.formatter->apply(spec.messages, nullptr, true);
    if (!r.ok()) return ApiError{400, r.status().message(), "messages", ""};
    text = std::move(r).value();
  } else if (spec.tokens_given) {
    out.assign(spec.prompt_tokens.begin(), spec.prompt_tokens.end());
    return std::nullopt;
  } else if (templated_generate) {
    Json msgs = Json::array();
    if (!spec.system.empty()) msgs.push_back(Json{{"role", "system"}, {"content", spec.system}});
    msgs.push_back(Json{{"role", "user"}, {"content", spec.prompt}});
    auto r = st.formatter->apply(msgs, nullptr, true);
    if (!r.ok()) return ApiError{400, r.status().message(), "prompt", ""};
    text = std::move(r).value();
  } else {
    text = spec.prompt;
  }
  if (!spec.prompt_tokens.empty()) {  // Ollama `context`: the previous exchange's tokens
    out.assign(spec.prompt_tokens.begin(), spec.prompt_tokens.end());
    add_bos = false;
  }
  // Special-token texts in the rendered template (<|im_start|>) must become their tokens.
  std::vector<TokenId> ids = tok.encode(text, add_bos, /*parse_special=*/true);
  // A template that writes bos_token itself would otherwise get a second BOS.
  if (ids.size() >= 2 && tok.bos() >= 0 && ids[0] == tok.bos() && ids[1] == tok.bos())
    ids.erase(ids.begin());
  out.insert(out.end(), ids.begin(), ids.end());
  if (out.empty())
    return ApiError{400, "the prompt is empty (and the model adds no BOS token)", "prompt", ""};
  return std::nullopt;
}

// ---- generation runner ---------------------------------------------------------------------

namespace {

struct Flow {
  engine::EventChannel channel;
  std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<ResponseWriter> writer;
  Api api = Api::kOpenAI;
  bool stream = false;
  bool started = false;
  bool finished = false;
  std::string text;
  std::vector<engine::TokenLogprob> logprobs;
  std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_probe = std::chrono::steady_clock::now();
  int64_t keep_alive_ms = 0;
};

bool write_all(httplib::DataSink& sink, const std::string& s) {
  return s.empty() || sink.write(s.data(), s.size());
}

// One call of the content provider: wait (bounded) for the next event and write what it means.
// false = the connection is gone (httplib then closes it; the releaser cancels the sequence).
bool pump(Flow& f, httplib::DataSink& sink) {
  using namespace std::chrono;
  if (f.stream && !f.started) {
    f.started = true;
    if (!write_all(sink, f.writer->stream_start())) return false;
    f.last_write = steady_clock::now();
  }
  // A non-streaming response writes nothing until the end, so probe the socket (a peek that
  // sees the client's FIN) every 100 ms even while events keep coming.
  if (steady_clock::now() - f.last_probe > milliseconds(100)) {
    f.last_probe = steady_clock::now();
    if (!sink.is_writable()) return false;
  }
  auto ev = f.channel.pop(milliseconds(100));
  if (!ev) {
    if (f.stream && f.keep_alive_ms > 0 &&
        steady_clock::now() - f.last_write > milliseconds(f.keep_alive_ms)) {
      const std::string ka = f.writer->keep_alive();
      if (!ka.empty()) {
        if (!write_all(sink, ka)) return false;
        f.last_write = steady_clock::now();
      }
    }
    return true;
  }
  switch (ev->kind) {
    case engine::EventKind::kText:
      if (f.stream) {
        if (!write_all(sink, f.writer->stream_text(*ev))) return false;
        f.last_write = steady_clock::now();
      } else {
        f.text += ev->text;
        for (auto& lp : ev->logprobs) f.logprobs.push_back(std::move(lp));
      }
      return true;
    case engine::EventKind::kDone: {
      f.finished = true;
      const std::string out =
          f.stream ? f.writer->stream_done(*ev) : dump(f.writer->full(f.text, f.logprobs, *ev));
      if (!write_all(sink, out)) return false;
      sink.done();
      return true;
    }
    case engine::EventKind::kError: {
      f.finished = true;
      UMA_LOG_WARN("serve: generation failed: %s", ev->error.c_str());
      // Headers (200) are already out: the error travels in the body, as each API expects.
      const std::string out = f.stream ? f.writer->stream_error(ev->error)
                                       : dump(error_body(f.api, {500, ev->error, "", ""}));
      write_all(sink, out);
      sink.done();
      return true;
    }
  }
  return true;
}

}  // namespace

void run_generation(State& st, httplib::Response& res, Api api, const GenSpec& spec,
                    std::vector<TokenId> prompt, std::shared_ptr<ResponseWriter> writer) {
  auto flow = std::make_shared<Flow>();
  flow->writer = std::move(writer);
  flow->api = api;
  flow->stream = spec.stream;
  flow->keep_alive_ms = st.params.keep_alive_ms;

  engine::Request req;
  req.prompt = std::move(prompt);
  req.sampling = spec.sampling;
  req.stop = spec.stop;
  req.max_tokens = spec.max_tokens;
  req.n_ctx = spec.n_ctx;
  req.n_logprobs = spec.n_logprobs;
  req.ignore_eos = spec.ignore_eos;
  req.timeout = std::chrono::milliseconds(st.params.timeout_ms);
  req.on_event = flow->channel.sink();
  req.cancel = flow->cancel;
  const engine::SubmitResult r = st.engine->submit(std::move(req));
  switch (r.code) {
    case engine::SubmitCode::kOk:
      break;
    case engine::SubmitCode::kInvalid:
      return send_error(res, api, {400, r.message, "", ""});
    case engine::SubmitCode::kPromptTooLong:
      return send_error(
          res, api, {400, r.message, spec.chat ? "messages" : "prompt", "context_length_exceeded"});
    case engine::SubmitCode::kQueueFull:
      res.set_header("Retry-After", "1");
      return send_error(res, api,
                        {503, "server busy: " + r.message + "; retry later", "", "queue_full"});
    case engine::SubmitCode::kShuttingDown:
      return send_error(res, api, {503, r.message, "", "shutting_down"});
  }
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  const char* type = spec.stream ? flow->writer->stream_content_type() : "application/json";
  res.set_chunked_content_provider(
      type, [flow](size_t, httplib::DataSink& sink) { return pump(*flow, sink); },
      [flow](bool) {
        if (!flow->finished) flow->cancel->store(true);  // client gone: free the slot next step
      });
}

// ---- the server ----------------------------------------------------------------------------

struct Server::Impl {
  State st;
  httplib::Server http;
  bool bound = false;
};

namespace {

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;  // the key's length is not the secret worth hiding
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); i++) diff |= (unsigned char)(a[i] ^ b[i]);
  return diff == 0;
}

void register_common(httplib::Server& http, State& st) {
  auto root = [](const httplib::Request&, httplib::Response& res) {
    res.set_content("uma is running", "text/plain");
  };
  http.Get("/", root);
  http.Get("/health", [&st](const httplib::Request&, httplib::Response& res) {
    if (st.ready.load()) return send_json(res, 200, Json{{"status", "ok"}});
    res.set_header("Retry-After", "1");
    send_json(res, 503, Json{{"status", "loading model"}});
  });
  http.Get("/metrics", [&st](const httplib::Request&, httplib::Response& res) {
    res.set_content(st.metrics.render(st.ready.load() ? st.engine : nullptr),
                    "text/plain; version=0.0.4");
  });
  http.Post("/apply-template", [&st](const httplib::Request& req, httplib::Response& res) {
    Json body;
    if (!begin_request(st, req, res, Api::kOpenAI, body)) return;
    GenSpec spec;
    bool add_gen = true;
    if (auto err = parse_apply_template(body, st.limits, spec, add_gen))
      return send_error(res, Api::kOpenAI, *err);
    auto r = st.formatter->apply(spec.messages, spec.tools, add_gen);
    if (!r.ok()) return send_error(res, Api::kOpenAI, {400, r.status().message(), "messages", ""});
    send_json(res, 200, Json{{"prompt", *r}});
  });
}

}  // namespace

Server::Server(ServerParams params) : impl_(std::make_unique<Impl>()) {
  State& st = impl_->st;
  st.params = std::move(params);
  st.limits.max_messages = st.params.max_messages;
  st.limits.max_text_bytes = st.params.max_body_bytes;
  httplib::Server& http = impl_->http;
  // Each open connection holds a thread (streams block on their events), so there must be room
  // for every slot, every queued request and the clients that are about to be told 503.
  const int32_t threads = st.params.http_threads > 0
                              ? st.params.http_threads
                              : std::max(64, 2 * (st.params.n_parallel + st.params.max_queue) + 16);
  http.new_task_queue = [threads] { return new httplib::ThreadPool((size_t)threads); };
  http.set_payload_max_length(st.params.max_body_bytes);
  http.set_read_timeout(30, 0);
  http.set_write_timeout(30, 0);
  http.set_keep_alive_timeout(5);
  http.set_tcp_nodelay(true);  // each streamed token leaves at once (no Nagle coalescing)

  http.set_pre_routing_handler([&st](const httplib::Request& req, httplib::Response& res) {
    if (st.params.api_key.empty() || req.path == "/health")
      return httplib::Server::HandlerResponse::Unhandled;
    const std::string auth = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    if (auth.size() > prefix.size() && auth.compare(0, prefix.size(), prefix) == 0 &&
        constant_time_equal(auth.substr(prefix.size()), st.params.api_key))
      return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(
        res, api_of(req.path),
        {401,
         auth.empty() ? "missing API key: send 'Authorization: Bearer KEY'" : "invalid API key", "",
         "invalid_api_key"});
    return httplib::Server::HandlerResponse::Handled;
  });
  // httplib's own errors (404 no route, 413 body too large, 400 bad request line) get JSON bodies.
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    const Api api = api_of(req.path);
    switch (res.status) {
      case 404:
        return send_error(res, api, {404, "no endpoint " + req.method + " " + req.path, "", ""});
      case 413:
        return send_error(res, api, {413, "request body too large", "", "body_too_large"});
      default:
        return send_error(res, api, {res.status, "bad request", "", ""});
    }
  });
  http.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "internal error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = std::string("internal error: ") + e.what();
        } catch (...) {
        }
        UMA_LOG_ERROR("serve: %s %s: %s", req.method.c_str(), req.path.c_str(), what.c_str());
        send_error(res, api_of(req.path), {500, what, "", ""});
      });
  http.set_logger([&st](const httplib::Request& req, const httplib::Response& res) {
    st.metrics.count_request(endpoint_label(req.path), res.status);
    UMA_LOG_DEBUG("serve: %s %s -> %d", req.method.c_str(), req.path.c_str(), res.status);
  });

  register_common(http, st);
  register_openai(http, st);
  register_ollama(http, st);
}

Server::~Server() { stop(); }

Result<int> Server::bind() {
  const ServerParams& p = impl_->st.params;
  int port = p.port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(p.host);
    if (port < 0) return error("cannot listen on " + p.host + " (any port)");
  } else if (!impl_->http.bind_to_port(p.host, port)) {
    return error("cannot listen on " + p.host + ":" + std::to_string(port) +
                 " (address in use or not available)");
  }
  impl_->bound = true;
  return port;
}

void Server::listen() {
  if (impl_->bound) impl_->http.listen_after_bind();
}

void Server::set_ready(const Model& model, engine::Engine& engine,
                       std::unique_ptr<ChatFormatter> formatter, ModelInfo info) {
  State& st = impl_->st;
  st.model = &model;
  st.engine = &engine;
  st.formatter = std::move(formatter);
  st.info = std::move(info);
  st.limits.max_tokens = engine.n_ctx();
  st.ready.store(true);
}

void Server::stop() {
  if (impl_) impl_->http.stop();
}

}  // namespace uma::server

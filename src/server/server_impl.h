// Internals shared by the server's files (server.cpp: routing, auth, limits, the generation
// runner; openai.cpp and ollama.cpp: the two APIs). Includes cpp-httplib; not for other areas.
#pragma once

#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "server/api_request.h"
#include "server/chat_format.h"
#include "server/metrics.h"
#include "server/server.h"

namespace uma::server {

enum class Api { kOpenAI, kOllama };

struct State {
  ServerParams params;
  std::atomic<bool> ready{false};
  const Model* model = nullptr;
  engine::Engine* engine = nullptr;
  std::unique_ptr<ChatFormatter> formatter;
  ModelInfo info;
  Limits limits;
  Metrics metrics;
};

// JSON text with invalid UTF-8 (a model can emit any bytes) replaced by U+FFFD, never a throw.
std::string dump(const Json& j);
void send_json(httplib::Response& res, int status, const Json& body);
// OpenAI: {"error": {"message", "type", "param", "code"}}; Ollama: {"error": "message"}.
Json error_body(Api api, const ApiError& e);
void send_error(httplib::Response& res, Api api, const ApiError& e);

// Parses the body into `body`, answering the error itself when it fails. Also answers 503 while
// the model loads. Returns false when a response was sent.
bool begin_request(State& st, const httplib::Request& req, httplib::Response& res, Api api,
                   Json& body);
bool model_matches(const State& st, const std::string& requested);
void send_model_not_found(httplib::Response& res, Api api, const std::string& requested);

// The API-specific half of a generation response: stream framing and the final object.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  virtual const char* stream_content_type() const = 0;
  virtual std::string stream_start() { return {}; }
  virtual std::string stream_text(const engine::Event& ev) = 0;
  virtual std::string stream_done(const engine::Event& done) = 0;
  virtual std::string stream_error(const std::string& message) = 0;
  virtual std::string keep_alive() const { return {}; }
  // Non-streaming: the whole response from the collected text and logprobs.
  virtual Json full(const std::string& text, const std::vector<engine::TokenLogprob>& logprobs,
                    const engine::Event& done) = 0;
};

// The prompt tokens of a request: chat messages through the chat template, Ollama generate
// through it unless raw (or the model has no template), text or token ids as given otherwise.
// Errors (template errors) are 400s.
std::optional<ApiError> build_prompt(const State& st, const GenSpec& spec, bool templated_generate,
                                     std::vector<TokenId>& out);

// Submit and answer: refusals become 400/503 (+ Retry-After), then the body streams (or is
// collected) until Done/Error; a client that goes away cancels its sequence.
void run_generation(State& st, httplib::Response& res, Api api, const GenSpec& spec,
                    std::vector<TokenId> prompt, std::shared_ptr<ResponseWriter> writer);

void register_openai(httplib::Server& http, State& st);
void register_ollama(httplib::Server& http, State& st);

// Helpers for both APIs.
int64_t unix_now();
std::string rfc3339_now();            // 2024-05-01T12:34:56.123456789Z
std::string rfc3339(int64_t unix_s);  // 2024-05-01T12:34:56Z
std::string random_id(const char* prefix);

}  // namespace uma::server

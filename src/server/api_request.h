// Parsing and validation of OpenAI and Ollama request bodies into one GenSpec (what to generate
// and how), with 400s that name the offending field. Pure functions: no HTTP, no model.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sampling/sampler.h"

namespace uma::server {

using Json = nlohmann::ordered_json;  // keeps the client's key order (templates' tojson shows it)

// An error answered to the client. `param` names the field (OpenAI's error.param).
struct ApiError {
  int status = 400;
  std::string message;
  std::string param;
  std::string code;  // OpenAI error.code, e.g. "model_not_found"; may be empty
};

struct Limits {
  size_t max_messages = 1024;        // messages per chat request
  int64_t max_tokens = 0;            // largest max_tokens / num_predict accepted (the context size)
  size_t max_stop = 16;              // stop strings per request
  size_t max_stop_bytes = 256;       // bytes per stop string
  size_t max_text_bytes = 8u << 20;  // any one prompt / message text
};

struct GenSpec {
  std::string model;              // as requested ("" when absent)
  bool chat = false;              // messages (rendered with the chat template) instead of a prompt
  Json messages = Json::array();  // normalised: {role, content: string} (as sent: apply-template)
  Json tools = nullptr;           // apply-template only: passed to the template
  std::string prompt;             // completions / generate
  std::vector<int32_t> prompt_tokens;  // /v1/completions with token ids, Ollama `context`
  bool tokens_given = false;           // prompt_tokens is the whole prompt (no text)
  bool raw = false;                    // Ollama generate: no template
  std::string system;                  // Ollama generate: system prompt for the template
  sampling::Params sampling;
  bool seed_given = false;
  std::vector<std::string> stop;
  int64_t max_tokens = -1;  // -1: until end of generation or a full context
  int64_t n_ctx = 0;        // Ollama num_ctx (0: the server's)
  bool ignore_eos = false;  // extension (as llama-server's): generate past end-of-generation tokens
  bool stream = false;
  bool include_usage = false;
  int32_t n_logprobs = -1;  // -1: none; else top alternatives per token (0..20)
};

// Parses a body as JSON (rejecting nesting deeper than 64 levels) that must be an object.
std::optional<ApiError> parse_body(std::string_view body, Json& out);

// Each returns nullopt on success with `out` filled, or the first error found.
std::optional<ApiError> parse_openai_chat(const Json& body, const Limits& lim, GenSpec& out);
std::optional<ApiError> parse_openai_completion(const Json& body, const Limits& lim, GenSpec& out);
std::optional<ApiError> parse_ollama_generate(const Json& body, const Limits& lim, GenSpec& out);
std::optional<ApiError> parse_ollama_chat(const Json& body, const Limits& lim, GenSpec& out);
// /apply-template: messages passed to the template as sent (objects with a string role, any
// other keys: tool_calls, tool_call_id, ...), tools (an array), add_generation_prompt (default
// true).
std::optional<ApiError> parse_apply_template(const Json& body, const Limits& lim, GenSpec& out,
                                             bool& add_generation_prompt);

// "name:tag" with the default tag "latest": "llama3" -> "llama3:latest".
std::string with_default_tag(std::string_view name);

}  // namespace uma::server

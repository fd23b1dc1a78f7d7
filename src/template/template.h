// uma's Jinja interpreter for chat templates: parse a template once, render it with a JSON
// context as Hugging Face transformers does (Jinja2 with trim_blocks, lstrip_blocks, an immutable
// sandbox, HF's tojson / raise_exception / strftime_now, no HTML autoescaping).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace uma::jinja {

struct Program;

// A naive (time-zone-free) date and time, as Python's datetime.now() gives.
struct DateTime {
  int year = 1970, month = 1, day = 1;
  int hour = 0, minute = 0, second = 0, microsecond = 0;
};

// "2025-01-15", "2025-01-15T12:00:00", "2025-01-15 12:00:00.250"
Result<DateTime> parse_datetime(std::string_view text);

struct RenderOptions {
  // What strftime_now() formats; unset = the local time when rendering.
  std::optional<DateTime> now;
  // Limits that turn runaway templates into errors instead of hangs or memory exhaustion.
  size_t max_output_bytes = 64u << 20;  // also the limit for any one string
  uint64_t max_steps = 10'000'000;      // evaluation steps (see Interp::charge), ~0.5 s
  int max_call_depth = 200;             // nested macro calls
};

class Template {
 public:
  // Syntax errors read "line N: <what>", e.g. "line 3: unknown tag 'endfor' (no block is open)".
  static Result<Template> parse(std::string_view source);

  // `context` must be a JSON object; its keys become template variables. Objects keep their key
  // order (what tojson and dict iteration show), so pass ordered_json to keep the caller's order;
  // the nlohmann::json overload sees keys sorted. Errors carry the message Jinja2 would raise,
  // e.g. the text given to raise_exception(), or "'None' has no attribute 'strip'".
  // Thread-safe: one Template may render from many threads at once.
  Result<std::string> render(const nlohmann::ordered_json& context,
                             const RenderOptions& opts = {}) const;
  Result<std::string> render(const nlohmann::json& context, const RenderOptions& opts = {}) const;

 private:
  explicit Template(std::shared_ptr<const Program> p) : program_(std::move(p)) {}
  std::shared_ptr<const Program> program_;
};

}  // namespace uma::jinja

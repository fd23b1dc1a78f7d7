// JSON <-> template values: the render context comes in as nlohmann JSON, and tojson writes
// values the way Python's json.dumps does (Hugging Face's tojson filter calls json.dumps with
// ensure_ascii=False and no HTML escaping, unlike Jinja2's built-in tojson).
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "core/status.h"
#include "template/value.h"

namespace uma::jinja {

struct JsonDumpOptions {
  bool ensure_ascii = false;
  std::optional<std::string> indent;          // nullopt: one line; else the per-level indent
  std::optional<std::string> item_separator;  // default ", " (one line) or "," (indented)
  std::string key_separator = ": ";
  bool sort_keys = false;
};

// Errors as Python's: "Object of type Undefined is not JSON serializable".
Result<std::string> json_dumps(const Value& v, const JsonDumpOptions& opts);

// Objects keep their key order. Integers beyond int64 and nesting beyond kMaxDepth are errors.
Result<Value> from_json(const nlohmann::ordered_json& j);
Result<Value> from_json(const nlohmann::json& j);

}  // namespace uma::jinja

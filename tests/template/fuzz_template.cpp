// libFuzzer target for the chat-template interpreter: parse arbitrary bytes as a template and
// render them over a conversation with tools, tool calls, None and list contents, under tight
// limits, so the sanitizers see every code path a hostile or broken template can reach.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "template/chat.h"
#include "template/template.h"

namespace {

const uma::jinja::ChatInputs& inputs() {
  static const uma::jinja::ChatInputs in = [] {
    auto j = nlohmann::ordered_json::parse(R"({
      "messages": [
        {"role": "system", "content": "Be brief. Today: {{ date }}"},
        {"role": "user", "content": "Héllo 👩‍👩‍👧 <b>&</b>\n\tline"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "call0001a", "type":
          "function", "function": {"name": "get_weather", "arguments": {"city": "Lisbon",
          "n": [1, 2.5, true, null]}}}]},
        {"role": "tool", "tool_call_id": "call0001a", "name": "get_weather", "content": "21C"},
        {"role": "user", "content": [{"type": "text", "text": "part"}, {"type": "image"}]},
        {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nDone."}
      ],
      "tools": [{"type": "function", "function": {"name": "get_weather", "description": "d",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
        "required": ["city"]}}}],
      "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>",
      "enable_thinking": false
    })");
    return uma::jinja::chat_inputs_from_json(j).value();
  }();
  return in;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view src(reinterpret_cast<const char*>(data), size);
  auto tmpl = uma::jinja::Template::parse(src);
  if (!tmpl.ok()) return 0;
  uma::jinja::RenderOptions opts;
  opts.now = uma::jinja::DateTime{2025, 1, 15, 12, 0, 0, 0};
  opts.max_steps = 200'000;
  opts.max_output_bytes = 1 << 20;
  opts.max_call_depth = 50;
  auto out = uma::jinja::render_chat(*tmpl, inputs(), opts);
  (void)out;
  return 0;
}

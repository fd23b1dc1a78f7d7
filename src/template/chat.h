// Hugging Face's apply_chat_template conventions, shared by `uma template` and the server: the
// variables a chat template sees, the messages-file / request shape, and the ChatML fallback for
// models whose GGUF has no tokenizer.chat_template.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.h"
#include "template/template.h"

namespace uma::jinja {

// The generic ChatML template (as published for teknium/OpenHermes-2.5 and in the HF docs).
extern const std::string_view kChatmlTemplate;

struct ChatInputs {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  nlohmann::ordered_json tools;  // null when absent: HF passes tools=None
  bool add_generation_prompt = true;
  std::string bos_token;
  std::string eos_token;
  // More variables (enable_thinking, documents, date_string, ...); they override the above.
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};

// {"messages": [...], "tools": [...], "add_generation_prompt": b, "bos_token": s,
//  "eos_token": s, <other keys become extra variables>} or a bare array of messages.
// Errors name the field ("messages: expected an array").
Result<ChatInputs> chat_inputs_from_json(const nlohmann::ordered_json& j);

// The context apply_chat_template builds: messages, tools, documents=None,
// add_generation_prompt, bos_token, eos_token, then the extra variables.
nlohmann::ordered_json chat_context(const ChatInputs& in);

Result<std::string> render_chat(const Template& tmpl, const ChatInputs& in,
                                const RenderOptions& opts = {});

}  // namespace uma::jinja

// Chat-template inputs in Hugging Face's shape and the ChatML default template.
#include "template/chat.h"

namespace uma::jinja {

const std::string_view kChatmlTemplate =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\n' }}{% endif %}";

Result<ChatInputs> chat_inputs_from_json(const nlohmann::ordered_json& j) {
  ChatInputs in;
  if (j.is_array()) {
    in.messages = j;
    return in;
  }
  if (!j.is_object()) return error("expected a JSON object with \"messages\" or an array");
  auto it = j.find("messages");
  if (it == j.end()) return error("messages: missing");
  if (!it->is_array()) return error("messages: expected an array");
  in.messages = *it;
  for (auto kv = j.begin(); kv != j.end(); ++kv) {
    const std::string& key = kv.key();
    const auto& v = kv.value();
    if (key == "messages") continue;
    if (key == "tools") {
      if (!v.is_null() && !v.is_array()) return error("tools: expected an array or null");
      in.tools = v;
    } else if (key == "add_generation_prompt") {
      if (!v.is_boolean()) return error("add_generation_prompt: expected true or false");
      in.add_generation_prompt = v.get<bool>();
    } else if (key == "bos_token" || key == "eos_token") {
      if (!v.is_string()) return error(key + ": expected a string");
      (key == "bos_token" ? in.bos_token : in.eos_token) = v.get<std::string>();
    } else {
      in.extra[key] = v;
    }
  }
  return in;
}

nlohmann::ordered_json chat_context(const ChatInputs& in) {
  nlohmann::ordered_json ctx = nlohmann::ordered_json::object();
  ctx["messages"] = in.messages;
  ctx["tools"] = in.tools;
  ctx["documents"] = nullptr;
  ctx["add_generation_prompt"] = in.add_generation_prompt;
  ctx["bos_token"] = in.bos_token;
  ctx["eos_token"] = in.eos_token;
  for (auto it = in.extra.begin(); it != in.extra.end(); ++it) ctx[it.key()] = it.value();
  return ctx;
}

Result<std::string> render_chat(const Template& tmpl, const ChatInputs& in,
                                const RenderOptions& opts) {
  return tmpl.render(chat_context(in), opts);
}

}  // namespace uma::jinja

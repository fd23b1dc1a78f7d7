// Chat formatting: messages -> prompt text. One small interface so the server does not care
// whether the text comes from the model's Jinja template (GGUF tokenizer.chat_template or
// --chat-template-file, via src/template when it is built) or the ChatML fallback.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "model/model.h"
#include "server/api_request.h"

namespace uma::server {

class ChatFormatter {
 public:
  virtual ~ChatFormatter() = default;
  // messages: [{role, content, ...}, ...] (already validated); tools: an array or null. Errors
  // carry the template's own message (raise_exception text, type errors) and become 400s.
  virtual Result<std::string> apply(const Json& messages, const Json& tools,
                                    bool add_generation_prompt) const = 0;
  virtual const std::string& source() const = 0;  // the template text (for /api/show)
  virtual const std::string& origin() const = 0;  // where it came from, for logs
  // True for a real template (the model's or a file), false for the ChatML fallback.
  virtual bool is_model_template() const = 0;
};

// <|im_start|>{role}\n{content}<|im_end|>\n ... [<|im_start|>assistant\n]
std::unique_ptr<ChatFormatter> make_chatml_formatter();

// --chat-template-file when given, else the GGUF's tokenizer.chat_template, else ChatML (the log
// says which). Errors: unreadable file, a template that does not parse.
Result<std::unique_ptr<ChatFormatter>> make_chat_formatter(const Model& model,
                                                           const std::string& template_file);

}  // namespace uma::server

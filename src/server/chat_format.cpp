// ChatFormatter implementations: ChatML (the fallback) and, when src/template is built
// (UMA_HAVE_TEMPLATE), the model's Jinja template rendered as Hugging Face does.
#include "server/chat_format.h"

#include <fstream>
#include <sstream>

#include "core/log.h"
#ifdef UMA_HAVE_TEMPLATE
#include "template/chat.h"
#endif

namespace uma::server {

namespace {

class ChatMlFormatter final : public ChatFormatter {
 public:
  Result<std::string> apply(const Json& messages, const Json& tools,
                            bool add_generation_prompt) const override {
    std::string out;
    for (const auto& m : messages) {
      out += "<|im_start|>";
      out += m.value("role", "");
      out += "\n";
      out += m.value("content", "");
      out += "<|im_end|>\n";
    }
    if (add_generation_prompt) out += "<|im_start|>assistant\n";
    return out;
  }
  const std::string& source() const override { return source_; }
  const std::string& origin() const override { return origin_; }
  bool is_model_template() const override { return false; }

 private:
  // The same format as a Jinja template, for /api/show.
  std::string source_ =
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
      "message['content'] + "
      "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ "
      "'<|im_start|>assistant\\n' }}{% endif %}";
  std::string origin_ = "ChatML fallback";
};

#ifdef UMA_HAVE_TEMPLATE
class JinjaFormatter final : public ChatFormatter {
 public:
  JinjaFormatter(jinja::Template t, std::string source, std::string origin, std::string bos,
                 std::string eos)
      : tmpl_(std::move(t)),
        source_(std::move(source)),
        origin_(std::move(origin)),
        bos_(std::move(bos)),
        eos_(std::move(eos)) {}

  Result<std::string> apply(const Json& messages, const Json& tools,
                            bool add_generation_prompt) const override {
    // Hugging Face's variables: tools=None and documents=None when absent (templates test
    // `tools is not none`), messages in the client's key order (tojson shows it).
    jinja::ChatInputs in;
    in.messages = messages;
    in.tools = tools;
    in.add_generation_prompt = add_generation_prompt;
    in.bos_token = bos_;
    in.eos_token = eos_;
    auto r = jinja::render_chat(tmpl_, in);
    if (!r.ok()) return r.status().with_context("chat template");
    return r;
  }
  const std::string& source() const override { return source_; }
  const std::string& origin() const override { return origin_; }
  bool is_model_template() const override { return true; }

 private:
  jinja::Template tmpl_;
  std::string source_, origin_, bos_, eos_;
};
#endif

Result<std::unique_ptr<ChatFormatter>> make_template_formatter(const Model& model,
                                                               std::string source,
                                                               std::string origin) {
#ifdef UMA_HAVE_TEMPLATE
  auto t = jinja::Template::parse(source);
  if (!t.ok()) return t.status().with_context(origin);
  const Tokenizer& tok = model.tokenizer();
  const std::string bos = tok.bos() >= 0 ? tok.token_to_piece(tok.bos(), true) : "";
  const std::string eos = tok.eos() >= 0 ? tok.token_to_piece(tok.eos(), true) : "";
  return std::unique_ptr<ChatFormatter>(
      new JinjaFormatter(std::move(t).value(), std::move(source), std::move(origin), bos, eos));
#else
  UMA_LOG_WARN(
      "serve: %s found, but this build has no Jinja interpreter (src/template); using ChatML",
      origin.c_str());
  return make_chatml_formatter();
#endif
}

}  // namespace

std::unique_ptr<ChatFormatter> make_chatml_formatter() {
  return std::make_unique<ChatMlFormatter>();
}

Result<std::unique_ptr<ChatFormatter>> make_chat_formatter(const Model& model,
                                                           const std::string& template_file) {
  if (!template_file.empty()) {
    std::ifstream in(template_file, std::ios::binary);
    if (!in) return error("--chat-template-file: cannot read '" + template_file + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    return make_template_formatter(model, ss.str(), "chat template file '" + template_file + "'");
  }
  if (const gguf::Value* v = model.file().find("tokenizer.chat_template")) {
    if (auto s = v->as_string(); s && !s->empty())
      return make_template_formatter(model, std::string(*s), "the model's tokenizer.chat_template");
  }
  UMA_LOG_INFO("serve: the model has no chat template (tokenizer.chat_template); using ChatML");
  return make_chatml_formatter();
}

}  // namespace uma::server

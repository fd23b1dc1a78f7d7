// uma template: render a chat template over a conversation the way Hugging Face's
// apply_chat_template does. The template comes from a GGUF (tokenizer.chat_template, ChatML when
// absent) or a .jinja file; the conversation from a JSON file (see README "uma template").
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "commands.h"
#include "gguf/gguf.h"
#include "template/chat.h"
#include "template/template.h"
#include "tokenizer/tokenizer.h"

namespace uma::cli {

namespace {

constexpr size_t kMaxInputBytes = size_t{1} << 30;

Result<std::string> read_input(const std::string& path) {
  std::string data;
  if (path == "-") {
    data.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (std::cin.bad()) return error("error reading stdin");
    return data;
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) return error(path + ": cannot open");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return error(path + ": read error");
  data = std::move(ss).str();
  if (data.size() > kMaxInputBytes) return error(path + ": file too large");
  return data;
}

// Records nlohmann's parse error (with its byte position) without exceptions.
struct ErrorSax : nlohmann::json_sax<nlohmann::ordered_json> {
  std::string message;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    message = ex.what();
    return false;
  }
};

Result<nlohmann::ordered_json> parse_json(const std::string& text, const std::string& name) {
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(text, nullptr, false);
  if (!j.is_discarded()) return j;
  ErrorSax sax;
  nlohmann::ordered_json::sax_parse(text, &sax);
  return error(name + ": invalid JSON" + (sax.message.empty() ? "" : " (" + sax.message + ")"));
}

}  // namespace

int cmd_template(int argc, char** argv) {
  std::string model, file, messages_path, now_text, bos, eos;
  CLI::App app{"Render a chat template over a conversation (as Hugging Face's apply_chat_template)",
               "uma template"};
  auto* model_opt =
      app.add_option("-m,--model", model, "GGUF whose tokenizer.chat_template to use");
  auto* file_opt = app.add_option("--file", file, "Jinja template file to use instead of a model");
  model_opt->excludes(file_opt);
  app.add_option("--messages", messages_path,
                 "JSON file: {\"messages\": [...], \"tools\": [...], ...} or a bare array "
                 "('-' reads stdin)")
      ->required();
  app.add_option("--now", now_text,
                 "date-time strftime_now() sees, e.g. 2025-01-15T12:00:00 (default: now)");
  bool gen_prompt = true;
  auto* gen_opt = app.add_flag("--generation-prompt,!--no-generation-prompt", gen_prompt,
                               "end with the assistant header (default: the file's "
                               "add_generation_prompt, else on)");
  auto* bos_opt = app.add_option("--bos", bos, "bos_token text (default: file, then the model's)");
  auto* eos_opt = app.add_option("--eos", eos, "eos_token text (default: file, then the model's)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    std::fprintf(stderr, "uma template: %s (see 'uma template --help')\n", what.c_str());
    return 2;
  }
  if (model_opt->count() == 0 && file_opt->count() == 0) {
    std::fprintf(stderr, "uma template: give a model (-m) or a template file (--file)\n");
    return 2;
  }
  auto fail = [](const std::string& msg) {
    std::fprintf(stderr, "uma template: %s\n", msg.c_str());
    return 1;
  };

  jinja::RenderOptions opts;
  if (!now_text.empty()) {
    auto now = jinja::parse_datetime(now_text);
    if (!now.ok()) return fail("--now: " + now.status().message());
    opts.now = *now;
  }

  // The template and the model's special tokens.
  std::string source, source_name, model_bos, model_eos;
  if (!model.empty()) {
    auto gguf_file = gguf::GgufFile::open(model);
    if (!gguf_file.ok()) return fail(gguf_file.status().message());
    auto tmpl = gguf_file->get_string_or("tokenizer.chat_template", "");
    if (!tmpl.ok()) return fail(tmpl.status().message());
    source = *tmpl;
    source_name = model + ": tokenizer.chat_template";
    if (source.empty()) {
      std::fprintf(stderr, "uma template: %s has no tokenizer.chat_template; using ChatML\n",
                   model.c_str());
      source = std::string(jinja::kChatmlTemplate);
      source_name = "ChatML";
    }
    auto tok = Tokenizer::from_gguf(*gguf_file);
    if (!tok.ok()) return fail(tok.status().message());
    if (tok->bos() >= 0) model_bos = tok->token_to_piece(tok->bos(), /*special=*/true);
    if (tok->eos() >= 0) model_eos = tok->token_to_piece(tok->eos(), /*special=*/true);
  } else {
    auto text = read_input(file);
    if (!text.ok()) return fail(text.status().message());
    source = std::move(text).value();
    source_name = file;
  }
  auto tmpl = jinja::Template::parse(source);
  if (!tmpl.ok()) return fail(source_name + ": " + tmpl.status().message());

  // The conversation; precedence for the tokens: flag, then file, then model.
  auto text = read_input(messages_path);
  if (!text.ok()) return fail(text.status().message());
  auto json = parse_json(*text, messages_path);
  if (!json.ok()) return fail(json.status().message());
  auto inputs = jinja::chat_inputs_from_json(*json);
  if (!inputs.ok()) return fail(messages_path + ": " + inputs.status().message());
  const bool file_has_bos = json->is_object() && json->contains("bos_token");
  const bool file_has_eos = json->is_object() && json->contains("eos_token");
  if (bos_opt->count()) {
    inputs->bos_token = bos;
  } else if (!file_has_bos) {
    inputs->bos_token = model_bos;
  }
  if (eos_opt->count()) {
    inputs->eos_token = eos;
  } else if (!file_has_eos) {
    inputs->eos_token = model_eos;
  }
  if (gen_opt->count()) inputs->add_generation_prompt = gen_prompt;

  auto out = jinja::render_chat(*tmpl, *inputs, opts);
  if (!out.ok()) return fail(out.status().message());
  if (std::fwrite(out->data(), 1, out->size(), stdout) != out->size() || std::fflush(stdout) != 0) {
    return fail("error writing output");
  }
  return 0;
}

}  // namespace uma::cli

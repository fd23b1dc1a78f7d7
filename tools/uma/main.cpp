// uma — one binary, many subcommands: `uma <command> [flags]`. Dispatches to tools/uma/cmd_*.cpp.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "commands.h"

namespace {

struct Command {
  const char* name;
  int (*fn)(int, char**);
  const char* help;
};

constexpr Command kCommands[] = {
    {"run", uma::cli::cmd_run, "generate text from a prompt, or chat interactively"},
    {"info", uma::cli::cmd_info, "show a GGUF file's metadata, tensors and memory needs"},
    {"tokenize", uma::cli::cmd_tokenize, "print the token ids of a text as a JSON array"},
    {"serve", uma::cli::cmd_serve, "serve a model over OpenAI- and Ollama-compatible HTTP APIs"},
    {"template", uma::cli::cmd_template, "render a chat template (Jinja) over a conversation"},
    {"bench", uma::cli::cmd_bench, "measure prompt/generation speed, TTFT, memory and roofline"},
    {"synth", uma::cli::cmd_synth, "write a random-weight GGUF with a real model's shapes"},
    {"fit", uma::cli::cmd_fit, "plan memory and speed of a model on machines before loading"},
    {"quantize", uma::cli::cmd_quantize, "requantize a GGUF to another type mix"},
    {"convert", uma::cli::cmd_convert, "convert a Hugging Face model folder to GGUF"},
};

void usage(FILE* out) {
  std::fprintf(out, "usage: uma <command> [options]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-10s %s\n", c.name, c.help);
  std::fprintf(out, "\n`uma <command> --help` shows a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string_view cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    usage(stdout);
    return 0;
  }
  if (cmd == "--version" || cmd == "version") {
    std::printf("uma 0.1.0\n");
    return 0;
  }
  for (const auto& c : kCommands)
    if (cmd == c.name) return c.fn(argc - 1, argv + 1);
  std::fprintf(stderr, "uma: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}

// uma tokenize: print the token ids of a text (from -p or stdin) as a JSON array, using the
// tokenizer stored in a GGUF file. BOS/EOS follow the vocab's flags unless --no-bos.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "cli_util.h"
#include "commands.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

namespace uma::cli {

int cmd_tokenize(int argc, char** argv) {
  std::string model, prompt;
  bool no_bos = false, special = false;
  CLI::App app{"Print the token ids of a text as a JSON array", "uma tokenize"};
  app.add_option("-m,--model", model, "GGUF file whose tokenizer to use")->required();
  auto* prompt_opt =
      app.add_option("-p,--prompt", prompt, "text to tokenize (default: read stdin)");
  app.add_flag("--no-bos", no_bos, "do not add the BOS/EOS tokens the vocab asks for");
  app.add_flag("--special", special, "match special token texts such as <|im_start|> in the text");
  if (auto rc = parse_args(app, argc, argv, "tokenize")) return *rc;

  auto file = gguf::GgufFile::open(model);
  if (!file.ok()) {
    std::fprintf(stderr, "uma tokenize: %s\n", file.status().message().c_str());
    return 1;
  }
  auto tok = Tokenizer::from_gguf(*file);
  if (!tok.ok()) {
    std::fprintf(stderr, "uma tokenize: %s\n", tok.status().message().c_str());
    return 1;
  }
  if (prompt_opt->count() == 0) {
    std::cin >> std::noskipws;
    prompt.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (std::cin.bad()) {
      std::fprintf(stderr, "uma tokenize: error reading stdin\n");
      return 1;
    }
  }

  const std::vector<TokenId> ids = tok->encode(prompt, /*add_special=*/!no_bos, special);
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); i++) {
    if (i) out += ", ";
    out += std::to_string(ids[i]);
  }
  out += "]\n";
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    std::fprintf(stderr, "uma tokenize: error writing output\n");
    return 1;
  }
  return 0;
}

}  // namespace uma::cli

// uma convert: a Hugging Face checkpoint folder (config.json, safetensors, tokenizer files) to GGUF.
// Library code lives in src/convert/convert.*; this file parses flags and prints the summary.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>

#include "commands.h"
#include "convert/convert.h"
#include "convert/progress_bar.h"
#include "core/thread_pool.h"

namespace uma::cli {

int cmd_convert(int argc, char** argv) {
  convert::ConvertOptions o;
  CLI::App app{"Convert a Hugging Face model folder to GGUF.\nArchitectures: " +
                   convert::supported_architectures(),
               "uma convert"};
  app.add_option("dir", o.dir, "folder with config.json, *.safetensors and tokenizer files")
      ->required();
  app.add_option("-o,--output", o.output, "output GGUF file")->required();
  app.add_option("--type", o.type, "type of the weight matrices (norms and biases stay f32)")
      ->check(CLI::IsMember({"f32", "f16", "bf16", "q8_0"}))
      ->capture_default_str();
  app.add_flag("--vocab-only", o.vocab_only,
               "write metadata and tokenizer only (config.json optional)");
  app.add_option("-t,--threads", o.n_threads, "threads (default: physical cores)")
      ->check(CLI::Range(1, 1024));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    std::fprintf(stderr, "uma convert: %s (see 'uma convert --help')\n", what.c_str());
    return 2;
  }
  if (o.n_threads == 0) o.n_threads = ThreadPool::physical_cores();

  convert::ProgressBar bar;
  o.progress = [&bar](uint64_t done, uint64_t total) { bar.update(done, total); };
  auto sum = convert::convert_hf(o);
  if (!sum.ok()) {
    std::fprintf(stderr, "uma convert: %s\n", sum.status().message().c_str());
    return 1;
  }
  for (const auto& n : sum->notes) std::fprintf(stderr, "uma convert: note: %s\n", n.c_str());
  std::string types;
  for (const auto& [t, n] : sum->type_counts)
    types += (types.empty() ? "" : ", ") + std::string(dtype_name(t)) + " ×" + std::to_string(n);
  std::fprintf(stderr,
               "uma convert: wrote %s: %s%s%s, %llu tensors (%s), %.2f M params, %.2f MiB\n"
               "  tokenizer: %s, %llu tokens\n  time: %.2f s on %d threads\n",
               o.output.c_str(), sum->arch.empty() ? "vocab only" : sum->arch.c_str(),
               sum->hf_arch.empty() ? "" : " from ", sum->hf_arch.c_str(),
               (unsigned long long)sum->n_tensors, types.empty() ? "none" : types.c_str(),
               sum->n_params / 1e6, sum->file_bytes / 1048576.0, sum->tokenizer.c_str(),
               (unsigned long long)sum->n_vocab, sum->seconds, o.n_threads);
  return 0;
}

}  // namespace uma::cli

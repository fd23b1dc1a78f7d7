// uma quantize: rewrite a GGUF with llama-quantize's per-tensor type mix for a file type.
// Library code lives in src/convert/quantize.*; this file parses flags and prints the summary.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>

#include "commands.h"
#include "convert/progress_bar.h"
#include "convert/quantize.h"
#include "core/thread_pool.h"

namespace uma::cli {

namespace {

std::string type_names() {
  std::string s;
  for (auto ft : quant::all_file_types()) {
    if (!quant::file_type_can_write(ft)) continue;
    s += (s.empty() ? "" : ", ") + std::string(quant::file_type_name(ft));
  }
  return s;
}

std::string gib(uint64_t b) {
  char buf[32];
  if (b >= (uint64_t(1) << 30))
    std::snprintf(buf, sizeof(buf), "%.2f GiB", b / 1073741824.0);
  else
    std::snprintf(buf, sizeof(buf), "%.2f MiB", b / 1048576.0);
  return buf;
}

}  // namespace

int cmd_quantize(int argc, char** argv) {
  convert::QuantizeOptions o;
  std::string type;
  CLI::App app{"Quantize a GGUF model with llama-quantize's per-tensor type mixes.\nTypes: " +
                   type_names(),
               "uma quantize"};
  app.add_option("input", o.input, "input GGUF file")->required();
  app.add_option("output", o.output, "output GGUF file")->required();
  app.add_option("type", type, "file type, e.g. Q4_K_M (llama.cpp names)")->required();
  app.add_option("-t,--threads", o.n_threads, "threads (default: physical cores)")
      ->check(CLI::Range(1, 1024));
  app.add_flag("--pure", o.pure, "every matrix in the base type: no mix, no fallback");
  app.add_flag("--allow-requantize", o.allow_requantize,
               "accept an already quantized input (loses quality)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    std::fprintf(stderr, "uma quantize: %s (see 'uma quantize --help')\n", what.c_str());
    return 2;
  }
  auto ft = quant::file_type_from_name(type);
  // Types whose base uma cannot write (IQ4_XS, TQ1_0, TQ2_0) are accepted: a model whose rows
  // all take fallback types can still be written, and otherwise the tensor is named in the error.
  if (!ft) {
    std::fprintf(stderr, "uma quantize: unknown type '%s' (known: %s)\n", type.c_str(),
                 type_names().c_str());
    return 2;
  }
  o.type = *ft;
  if (o.n_threads == 0) o.n_threads = ThreadPool::physical_cores();

  convert::ProgressBar bar;
  o.progress = [&bar](uint64_t done, uint64_t total) { bar.update(done, total); };
  auto sum = convert::quantize_gguf(o);
  if (!sum.ok()) {
    std::fprintf(stderr, "uma quantize: %s\n", sum.status().message().c_str());
    return 1;
  }
  std::string types;
  for (const auto& [t, n] : sum->type_counts)
    types += (types.empty() ? "" : ", ") + std::string(dtype_name(t)) + " ×" + std::to_string(n);
  const double params = (double)sum->n_params;
  std::fprintf(stderr,
               "uma quantize: wrote %s (%s%s): %llu tensors, %.2f M params\n"
               "  tensor data %s -> %s (%.2f -> %.2f bits per weight); file %s -> %s\n"
               "  types: %s\n",
               o.output.c_str(), std::string(quant::file_type_name(o.type)).c_str(),
               o.pure ? ", pure" : "", (unsigned long long)sum->n_tensors, params / 1e6,
               gib(sum->tensor_bytes_in).c_str(), gib(sum->tensor_bytes_out).c_str(),
               sum->tensor_bytes_in * 8.0 / params, sum->tensor_bytes_out * 8.0 / params,
               gib(sum->file_bytes_in).c_str(), gib(sum->file_bytes_out).c_str(), types.c_str());
  if (sum->n_fallback > 0)
    std::fprintf(stderr,
                 "  %d tensors took a fallback type (rows not a multiple of the block size)\n",
                 sum->n_fallback);
  std::fprintf(stderr, "  time: %.2f s on %d threads\n", sum->seconds, o.n_threads);
  return 0;
}

}  // namespace uma::cli

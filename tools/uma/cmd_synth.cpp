// uma synth: write a random-weight GGUF with a real model's tensor names, shapes and per-tensor
// types plus a real tokenizer — the benchmark workload when real weights cannot be downloaded.
// Library code lives in src/synth; this file parses flags, finds the vocab and draws progress.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "cli_util.h"
#include "commands.h"
#include "core/dtype.h"
#include "quant/ftype_mix.h"
#include "synth/shapes.h"
#include "synth/synth.h"

namespace uma::cli {

namespace {

using Clock = std::chrono::steady_clock;

int fail(const std::string& msg) {
  std::fprintf(stderr, "uma synth: %s\n", msg.c_str());
  return 1;
}

// The shape's default vocab under the shared data folder: ../shared beside the checkout (the
// working directory of the documented commands), or beside the build folder holding the binary.
std::string default_vocab(const synth::Shape& s, std::string* tried) {
  namespace fs = std::filesystem;
  const std::string rel = "shared/models/" + std::string(s.default_vocab);
  std::vector<fs::path> candidates = {fs::path("..") / rel};
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path() / ".." / ".." / rel);
  for (const auto& c : candidates)
    if (fs::is_regular_file(c, ec)) return c.string();
  *tried = candidates[0].string();
  return {};
}

// A one-line bar on a terminal, redrawn at most 10 times a second; nothing when piped.
class Progress {
 public:
  Progress() : tty_(isatty(STDERR_FILENO) == 1), t0_(Clock::now()), last_(t0_) {}
  void update(uint64_t done, uint64_t total) {
    if (!tty_ || total == 0) return;
    const auto now = Clock::now();
    if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double f = (double)done / (double)total;
    const double el = std::chrono::duration<double>(now - t0_).count();
    const int width = 30, fill = (int)(f * width);
    std::string bar(fill, '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r[%s] %5.1f%%  %.2f/%.2f B params  %.0f s, ~%.0f s left  ", bar.c_str(),
                 100 * f, done / 1e9, total / 1e9, el, f > 0.01 ? el * (1 - f) / f : 0.0);
    if (done >= total) std::fprintf(stderr, "\n");
  }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - t0_).count(); }

 private:
  bool tty_;
  Clock::time_point t0_, last_;
};

}  // namespace

int cmd_synth(int argc, char** argv) {
  synth::SynthOptions o;
  bool list = false;
  CLI::App app{"Write a random-weight GGUF with a real model's shapes, per-tensor types and "
               "tokenizer (deterministic from the seed)",
               "uma synth"};
  app.add_option("--shape", o.shape, "model shape: " + synth::shape_names());
  app.add_option("--type", o.type, "file type (llama.cpp names): " + synth::type_names());
  app.add_option("--seed", o.seed, "random seed (same seed, same bytes)");
  app.add_option("-o,--output", o.output_path, "output GGUF file");
  app.add_option("--vocab", o.vocab_path,
                 "GGUF whose tokenizer.* keys are copied (default: the shape's vocab under "
                 "../shared/models)");
  app.add_option("-t,--threads", o.n_threads, "threads (default: physical cores)")
      ->check(CLI::Range(0, 1024));
  app.add_option("--std", o.weight_std, "standard deviation of the random weights")
      ->check(CLI::Range(1e-6, 10.0));
  app.add_flag("--pure", o.pure, "every matrix in the base type (like llama-quantize --pure)");
  app.add_flag("--list", list, "list the shapes and types, then exit");
  if (auto rc = parse_args(app, argc, argv, "synth")) return *rc;
  if (list) {
    std::printf("shapes:\n");
    for (const auto& s : synth::builtin_shapes())
      std::printf("  %-13s %-16s %-5s %2lld layers, n_embd %5lld, heads %2lld/%lld, n_ff %5lld, "
                  "vocab %6lld%s\n",
                  std::string(s.name).c_str(), std::string(s.model_name).c_str(),
                  std::string(s.arch).c_str(), (long long)s.n_layer, (long long)s.n_embd,
                  (long long)s.n_head, (long long)s.n_head_kv, (long long)s.n_ff,
                  (long long)s.n_vocab, s.tied_output ? ", tied output" : "");
    std::printf("types: %s\n", synth::type_names().c_str());
    return 0;
  }
  auto usage = [](const char* msg) {
    std::fprintf(stderr, "uma synth: %s (see 'uma synth --help')\n", msg);
    return 2;
  };
  if (o.shape.empty()) return usage("--shape is required");
  if (o.type.empty()) return usage("--type is required");
  if (o.output_path.empty()) return usage("-o is required");
  const synth::Shape* shape = synth::find_shape(o.shape);
  if (!shape) return fail("unknown shape '" + o.shape + "' (known: " + synth::shape_names() + ")");
  if (auto ft = quant::file_type_from_name(o.type); !ft || !quant::file_type_can_write(*ft))
    return fail("unknown type '" + o.type + "' (known: " + synth::type_names() + ")");
  if (o.vocab_path.empty()) {
    std::string tried;
    o.vocab_path = default_vocab(*shape, &tried);
    if (o.vocab_path.empty())
      return fail("no --vocab given and the default vocab " + tried + " was not found");
  }

  Progress bar;
  o.progress = [&bar](uint64_t done, uint64_t total) { bar.update(done, total); };
  auto sum = synth::synth_model(o);
  if (!sum.ok()) return fail(sum.status().message());

  std::string types;
  for (const auto& [t, n] : sum->type_counts)
    types += (types.empty() ? "" : ", ") + std::string(dtype_name(t)) + " ×" + std::to_string(n);
  std::fprintf(stderr,
               "uma synth: wrote %s: %s %s%s, %llu tensors (%s), %.3f B params, %.2f GiB of "
               "tensors, %.1f s\n",
               o.output_path.c_str(), o.shape.c_str(), o.type.c_str(), o.pure ? " --pure" : "",
               (unsigned long long)sum->n_tensors, types.c_str(), sum->n_params / 1e9,
               sum->tensor_bytes / (1024.0 * 1024 * 1024), bar.seconds());
  return 0;
}

}  // namespace uma::cli

// Tokenizer throughput: encodes a large English text (War and Peace, 3.2 MB) with an SPM (Llama 2)
// and a byte-level BPE (Llama 3) vocab and prints MB/s. Usage: bench_tokenizer [TEXT] [VOCAB...]
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string shared = UMA_SHARED_DIR;
  const std::string text_path = argc > 1 ? argv[1] : shared + "/models/text/war-and-peace.txt";
  std::vector<std::string> vocabs;
  for (int i = 2; i < argc; i++) vocabs.push_back(argv[i]);
  if (vocabs.empty())
    vocabs = {shared + "/models/vocab/ggml-vocab-llama-spm.gguf",
              shared + "/models/vocab/ggml-vocab-llama-bpe.gguf"};

  std::ifstream in(text_path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "bench_tokenizer: cannot read %s\n", text_path.c_str());
    return 1;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const double mb = text.size() / 1e6;
  std::printf("text: %s (%.2f MB)\n", text_path.c_str(), mb);

  for (const auto& path : vocabs) {
    auto file = uma::gguf::GgufFile::open(path);
    if (!file.ok()) {
      std::fprintf(stderr, "bench_tokenizer: %s\n", file.status().message().c_str());
      return 1;
    }
    auto t0 = std::chrono::steady_clock::now();
    auto tok = uma::Tokenizer::from_gguf(*file);
    if (!tok.ok()) {
      std::fprintf(stderr, "bench_tokenizer: %s\n", tok.status().message().c_str());
      return 1;
    }
    const double load_s = seconds_since(t0);
    // Best of 3 full-text encodes.
    double best = 1e30;
    size_t n_tokens = 0;
    for (int rep = 0; rep < 3; rep++) {
      t0 = std::chrono::steady_clock::now();
      const auto ids = tok->encode(text, true, false);
      best = std::min(best, seconds_since(t0));
      n_tokens = ids.size();
    }
    // Chat-sized pieces (one paragraph at a time) show the per-call overhead.
    t0 = std::chrono::steady_clock::now();
    size_t para_tokens = 0;
    for (size_t pos = 0; pos < text.size();) {
      size_t e = text.find("\n\n", pos);
      e = e == std::string::npos ? text.size() : e + 2;
      para_tokens += tok->encode(std::string_view(text).substr(pos, e - pos), false, false).size();
      pos = e;
    }
    const double para_s = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    const std::string back = tok->decode(tok->encode(text, false, false));
    const double rt_s = seconds_since(t0);
    std::printf(
        "%-28s %-6s n_vocab %6d  load %5.0f ms  encode %7.2f MB/s (%zu tokens, %.2f chars/token)"
        "  by paragraph %7.2f MB/s  encode+decode %s\n",
        path.substr(path.find_last_of('/') + 1).c_str(), std::string(tok->model_name()).c_str(),
        tok->n_vocab(), load_s * 1e3, mb / best, n_tokens, (double)text.size() / n_tokens,
        mb / para_s, back == text ? "lossless" : "DIFFERS");
    (void)para_tokens;
    (void)rt_s;
  }
  return 0;
}

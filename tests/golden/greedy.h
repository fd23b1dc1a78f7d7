// Test helper: greedy generation over a model file, returning token ids (no sampling chain, so
// the golden tests depend only on the forward pass and the tokenizer).
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "model/context.h"
#include "model/model.h"

namespace uma::test {

struct GreedyRun {
  std::vector<TokenId> prompt_ids;
  std::vector<TokenId> generated;
  std::vector<float> last_prompt_logits;
};

// Loads `path`, encodes `prompt` with BOS, prefills it in one batch, then decodes n tokens greedily
// (argmax, lowest id on ties), not stopping at EOS.
inline GreedyRun greedy(const std::string& path, const std::string& prompt, int n,
                        DType kv_type = DType::F32, int threads = 2) {
  GreedyRun r;
  auto m = Model::load(path);
  if (!m.ok()) throw std::runtime_error(m.status().message());
  auto ctx = Context::create(**m, {.n_ctx = 256, .n_threads = threads, .kv_type = kv_type});
  if (!ctx.ok()) throw std::runtime_error(ctx.status().message());
  r.prompt_ids = (*m)->tokenizer().encode(prompt, true, false);
  auto logits = (*ctx)->decode(r.prompt_ids);
  if (!logits.ok()) throw std::runtime_error(logits.status().message());
  r.last_prompt_logits.assign(logits->begin(), logits->end());
  for (int i = 0; i < n; i++) {
    const auto& l = *logits;
    const TokenId next = (TokenId)(std::max_element(l.begin(), l.end()) - l.begin());
    r.generated.push_back(next);
    if (i + 1 == n) break;
    const TokenId one[1] = {next};
    logits = (*ctx)->decode(one);
    if (!logits.ok()) throw std::runtime_error(logits.status().message());
  }
  return r;
}

// A gtest parameter name from a model path: "quant/stories260K.f16.gguf" -> "stories260K_f16_gguf".
inline std::string param_name(const std::string& path) {
  std::string n = path.substr(path.find_last_of('/') + 1);
  for (char& c : n)
    if (!std::isalnum((unsigned char)c)) c = '_';
  return n;
}

}  // namespace uma::test

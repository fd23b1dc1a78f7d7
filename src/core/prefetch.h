// The switch for the page-start hints the decode kernels add to their software prefetch
// (quant/quant_x8_common.h for the weights, kernels/cpu/attention_impl.h for the KV cache;
// docs/decisions.md #10, second addendum). UMA_PREFETCH=lines in the environment turns them off,
// leaving each kernel's per-line prefetch alone, for A/B runs on one binary.
#pragma once

#include <cstdlib>
#include <cstring>

namespace uma {

inline const bool kPrefetchPageHints = [] {
  const char* e = std::getenv("UMA_PREFETCH");
  return !(e && std::strcmp(e, "lines") == 0);
}();

}  // namespace uma

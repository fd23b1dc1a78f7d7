// Page-start prefetch hints, shared by the bandwidth probe (core/membw.cpp), the decode matmuls
// (quant/quant_x8_common.h) and bench_stream's read arms. The hardware prefetchers do not carry a
// stream across a 4 KiB page by themselves; hinting the first two lines of the page
// kPageHintAhead bytes ahead, once per page start, lets them start on it early (docs/decisions.md
// #10, both addenda). UMA_PREFETCH=lines in the environment turns the kernels' hints off (not the
// probe's), leaving their per-line prefetch alone, for A/B runs on one binary.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace uma {

constexpr size_t kPageHintAhead = 8192;

inline const bool kPrefetchPageHints = [] {
  const char* e = std::getenv("UMA_PREFETCH");
  return !(e && std::strcmp(e, "lines") == 0);
}();

// The first two lines of the page kPageHintAhead bytes past `page` (a page start), into L2 (the
// _MM_HINT_T1 level). always_inline: GCC 12's mod/ref analysis counts an out-of-line function of
// prefetches alone as having no effect and deletes its calls at -O2.
__attribute__((always_inline)) inline void prefetch_page_head(const void* page) {
  const char* p = static_cast<const char*>(page) + kPageHintAhead;
  __builtin_prefetch(p, 0, 2);
  __builtin_prefetch(p + 64, 0, 2);
}

}  // namespace uma

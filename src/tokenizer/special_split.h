// Cutting special tokens out of text before the model tokenizer runs (llama.cpp's
// tokenizer_st_partition). Tokens are tried longest first; each takes every non-overlapping
// occurrence left to right in the text not yet claimed. User-defined tokens are always matched,
// control/unknown ones only with parse_special. LSTRIP/RSTRIP tokens eat adjacent whitespace.
#pragma once

#include <array>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace uma::tok {

struct Fragment {
  TokenId token;  // >= 0: a special token; -1: raw text [begin, end)
  uint32_t begin;
  uint32_t end;
};

class SpecialSplitter {
 public:
  void build(const Vocab& vocab);
  // Fills `out` with the fragments of `text` in order (raw fragments are never empty).
  void split(const Vocab& vocab, std::string_view text, bool parse_special,
             std::vector<Fragment>& out) const;

 private:
  struct Node {
    int32_t first_child = -1;  // children form a sibling list
    int32_t next_sibling = -1;
    int32_t rank = -1;  // index into vocab.special when a token ends here
    uint8_t byte = 0;
  };
  int32_t child(int32_t node, uint8_t b) const;
  std::vector<Node> nodes_;                // nodes_[0] is the root
  std::array<int32_t, 256> root_child_{};  // fast first step
  bool any_user_defined_ = false;
};

}  // namespace uma::tok

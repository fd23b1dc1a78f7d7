// Special-token splitting. Instead of scanning the text once per special token (llama.cpp's way,
// slow for vocabs with thousands of user-defined tokens), all occurrences are found in one pass
// over a byte trie, then claimed in llama.cpp's order: by token rank (longest first), and left to
// right for one token, skipping occurrences that overlap text already claimed.
#include "tokenizer/special_split.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <map>

namespace uma::tok {

int32_t SpecialSplitter::child(int32_t node, uint8_t b) const {
  if (node == 0) return root_child_[b];
  for (int32_t c = nodes_[node].first_child; c >= 0; c = nodes_[c].next_sibling)
    if (nodes_[c].byte == b) return c;
  return -1;
}

void SpecialSplitter::build(const Vocab& vocab) {
  nodes_.assign(1, Node{});
  root_child_.fill(-1);
  for (size_t rank = 0; rank < vocab.special.size(); rank++) {
    const TokenId id = vocab.special[rank];
    if ((vocab.attr[id] & (kAttrControl | kAttrUnknown)) == 0) any_user_defined_ = true;
    int32_t node = 0;
    for (char ch : vocab.text[id]) {
      const uint8_t b = (uint8_t)ch;
      int32_t c = child(node, b);
      if (c < 0) {
        c = (int32_t)nodes_.size();
        Node n;
        n.byte = b;
        if (node == 0) {
          root_child_[b] = c;
        } else {
          n.next_sibling = nodes_[node].first_child;
          nodes_[node].first_child = c;
        }
        nodes_.push_back(n);
      }
      node = c;
    }
    nodes_[node].rank = (int32_t)rank;
  }
}

void SpecialSplitter::split(const Vocab& vocab, std::string_view text, bool parse_special,
                            std::vector<Fragment>& out) const {
  out.clear();
  if (text.empty()) return;
  auto eligible = [&](TokenId id) {
    return parse_special || (vocab.attr[id] & (kAttrControl | kAttrUnknown)) == 0;
  };

  // Every occurrence of an eligible special token, as (rank, start).
  struct Occ {
    int32_t rank;
    uint32_t start;
  };
  std::vector<Occ> occ;
  if (nodes_.size() > 1 && (parse_special || any_user_defined_)) {
    for (uint32_t i = 0; i < text.size(); i++) {
      int32_t node = root_child_[(uint8_t)text[i]];
      for (uint32_t j = i + 1; node >= 0; j++) {
        const int32_t rank = nodes_[node].rank;
        if (rank >= 0 && eligible(vocab.special[rank])) occ.push_back({rank, i});
        if (j >= text.size()) break;
        node = child(node, (uint8_t)text[j]);
      }
    }
  }
  if (occ.empty()) {
    out.push_back({-1, 0, (uint32_t)text.size()});
    return;
  }
  std::sort(occ.begin(), occ.end(), [](const Occ& a, const Occ& b) {
    return a.rank != b.rank ? a.rank < b.rank : a.start < b.start;
  });

  // Claimed byte ranges: start -> end. Tokens are claimed with their id; stripped whitespace is
  // claimed with -1 (dropped from the output, as in llama.cpp).
  std::map<uint32_t, std::pair<uint32_t, TokenId>> claimed;
  auto overlaps = [&](uint32_t b, uint32_t e) {
    auto it = claimed.lower_bound(b);
    if (it != claimed.end() && it->first < e) return true;
    if (it != claimed.begin() && std::prev(it)->second.first > b) return true;
    return false;
  };
  auto is_space = [&](uint32_t i) { return std::isspace((unsigned char)text[i]) != 0; };
  for (const Occ& o : occ) {
    const TokenId id = vocab.special[o.rank];
    const uint32_t b = o.start, e = o.start + (uint32_t)vocab.text[id].size();
    if (overlaps(b, e)) continue;
    // The unclaimed run around the match bounds any whitespace stripping.
    auto it = claimed.lower_bound(b);
    const uint32_t run_end = it == claimed.end() ? (uint32_t)text.size() : it->first;
    const uint32_t run_begin = it == claimed.begin() ? 0 : std::prev(it)->second.first;
    claimed[b] = {e, id};
    if (vocab.attr[id] & kAttrLstrip) {
      uint32_t s = b;
      while (s > run_begin && is_space(s - 1)) s--;
      if (s < b) claimed[s] = {b, -1};
    }
    if (vocab.attr[id] & kAttrRstrip) {
      uint32_t s = e;
      while (s < run_end && is_space(s)) s++;
      if (s > e) claimed[e] = {s, -1};
    }
  }

  uint32_t pos = 0;
  for (const auto& [b, v] : claimed) {
    if (b > pos) out.push_back({-1, pos, b});
    if (v.second >= 0) out.push_back({v.second, b, v.first});
    pos = v.first;
  }
  if (pos < text.size()) out.push_back({-1, pos, (uint32_t)text.size()});
}

}  // namespace uma::tok

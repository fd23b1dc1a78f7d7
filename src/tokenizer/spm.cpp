// SentencePiece BPE merging by score with a binary heap of candidate bigrams; stale candidates
// (whose symbols changed since they were queued) are skipped when popped.
#include "tokenizer/spm.h"

#include <algorithm>

#include "tokenizer/unicode.h"

namespace uma::tok {

namespace {

// Heap order: the "largest" element is popped first = highest score, then smallest left index.
struct BigramLess {
  bool operator()(const SpmScratch::Bigram& a, const SpmScratch::Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

void spm_encode(const Vocab& vocab, std::string_view text, SpmScratch& s, std::vector<TokenId>& out) {
  auto& syms = s.syms;
  auto& heap = s.heap;
  syms.clear();
  heap.clear();
  if (text.empty()) return;
  for (size_t off = 0; off < text.size();) {
    // llama.cpp takes the length the lead byte announces; for malformed input that can swallow the
    // start of an escaped space, so a sequence without its continuation bytes is one byte here.
    uint32_t len = (uint32_t)std::min(utf8_len((uint8_t)text[off]), text.size() - off);
    for (uint32_t k = 1; k < len; k++)
      if (((uint8_t)text[off + k] & 0xC0) != 0x80) len = 1;
    const int32_t idx = (int32_t)syms.size();
    syms.push_back({(uint32_t)off, len, idx - 1, off + len == text.size() ? -1 : idx + 1});
    off += len;
  }

  auto try_add = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    const uint32_t size = syms[l].len + syms[r].len;
    const TokenId id = vocab.find(text.substr(syms[l].begin, size));
    if (id < 0) return;
    heap.push_back({vocab.score[id], l, r, size});
    std::push_heap(heap.begin(), heap.end(), BigramLess());
  };
  for (int32_t i = 1; i < (int32_t)syms.size(); i++) try_add(i - 1, i);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), BigramLess());
    const SpmScratch::Bigram b = heap.back();
    heap.pop_back();
    auto& left = syms[b.left];
    auto& right = syms[b.right];
    if (left.len == 0 || right.len == 0 || left.len + right.len != b.size) continue;
    left.len += right.len;
    right.len = 0;
    left.next = right.next;
    if (right.next >= 0) syms[right.next].prev = b.left;
    try_add(left.prev, b.left);
    try_add(b.left, left.next);
  }

  for (int32_t i = 0; i >= 0; i = syms[i].next) {
    const auto& sym = syms[i];
    const std::string_view piece = text.substr(sym.begin, sym.len);
    const TokenId id = vocab.find(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    for (char c : piece) {
      const TokenId bt = vocab.byte_token[(uint8_t)c];
      if (bt >= 0) out.push_back(bt);
      else if (vocab.unk >= 0) out.push_back(vocab.unk);
    }
  }
}

}  // namespace uma::tok

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

namespace {

void encode_chunk(const Vocab& vocab, std::string_view text, SpmScratch& s,
                  std::vector<TokenId>& out) {
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
      if (bt >= 0)
        out.push_back(bt);
      else if (vocab.unk >= 0)
        out.push_back(vocab.unk);
    }
  }
}

}  // namespace

// Merges never cross a boundary that no token spans, so the text can be cut there and each chunk
// merged on its own with the same result, keeping the heaps small (one big heap over a long text
// is cache-bound). Boundaries: around bytes that occur in no multi-character token (newline in
// Llama's vocab), and before a U+2581 that follows a non-space when U+2581 only starts tokens.
void spm_encode(const Vocab& vocab, std::string_view text, SpmScratch& s,
                std::vector<TokenId>& out) {
  constexpr std::string_view kSpace = "\xE2\x96\x81";
  auto chunk = [&](std::string_view c) {
    if (s.cache.lookup(c, out)) return;
    s.chunk_ids.clear();
    encode_chunk(vocab, c, s, s.chunk_ids);
    s.cache.insert(c, s.chunk_ids.data(), s.chunk_ids.size());
    out.insert(out.end(), s.chunk_ids.begin(), s.chunk_ids.end());
  };
  size_t start = 0;
  for (size_t i = 0; i < text.size(); i++) {
    const uint8_t c = (uint8_t)text[i];
    if (c < 128 && vocab.spm_isolated[c]) {
      if (i > start) chunk(text.substr(start, i - start));
      chunk(text.substr(i, 1));
      start = i + 1;
    } else if (c == 0xE2 && vocab.spm_space_leads_only && i > start &&
               text.compare(i, kSpace.size(), kSpace) == 0 &&
               !(i >= kSpace.size() &&
                 text.compare(i - kSpace.size(), kSpace.size(), kSpace) == 0)) {
      chunk(text.substr(start, i - start));
      start = i;
    }
  }
  if (start < text.size()) chunk(text.substr(start));
}

}  // namespace uma::tok

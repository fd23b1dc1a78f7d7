// Byte-level BPE merges. Symbols are interned as ids (vocab ids, plus extra ids for merge products
// that are not tokens), so merging compares integers instead of building strings; the outcome is
// the same as llama.cpp's string-pair ranks.
#include "tokenizer/bpe.h"

#include <algorithm>
#include <unordered_map>

#include "tokenizer/unicode.h"

namespace uma::tok {

Result<BpeModel> BpeModel::load(const gguf::GgufFile& file, const Vocab& vocab) {
  constexpr std::string_view kKey = "tokenizer.ggml.merges";
  const gguf::Value* merges = file.find(kKey);
  if (!merges)
    return error("tokenizer: " + std::string(kKey) + ": missing (required for gpt2 vocabs)");
  if (!merges->is_array() || merges->elem_type() != gguf::ValueType::STRING)
    return error("tokenizer: " + std::string(kKey) + ": expected an array of strings");
  if (merges->array_size() > (uint64_t)INT32_MAX)
    return error("tokenizer: " + std::string(kKey) + ": too many merges");

  BpeModel m;
  const int32_t n_vocab = vocab.n_vocab();
  std::unordered_map<std::string, int32_t> extra_ids;
  auto intern = [&](std::string_view s) -> int32_t {
    const TokenId id = vocab.find(s);
    if (id >= 0) return id;
    auto [it, inserted] = extra_ids.emplace(std::string(s), n_vocab + (int32_t)m.extra_.size());
    if (inserted) m.extra_.emplace_back(s);
    return it->second;
  };
  for (int b = 0; b < 256; b++) m.byte_symbol_[b] = intern(byte_to_unicode((uint8_t)b));

  const int32_t n = (int32_t)merges->array_size();
  m.pairs_.reserve((size_t)n);
  std::string joined;
  for (int32_t i = 0; i < n; i++) {
    const std::string_view s = merges->array_string(i);
    const size_t sp = s.size() > 1 ? s.find(' ', 1) : std::string_view::npos;
    if (sp == std::string_view::npos)
      return error("tokenizer: " + std::string(kKey) + "[" + std::to_string(i) +
                   "]: no space in '" + std::string(s.substr(0, 64)) + "'");
    const std::string_view left = s.substr(0, sp), right = s.substr(sp + 1);
    joined.assign(left);
    joined.append(right);
    const int32_t l = intern(left), r = intern(right), res = intern(joined);
    m.pairs_.insert(l, r, i, res);
  }
  m.n_merges_ = (size_t)n;
  return m;
}

void BpeModel::encode_word(const Vocab& vocab, std::string_view word, Scratch& s,
                           std::vector<TokenId>& out) const {
  if (word.empty()) return;
  const int32_t n_vocab = vocab.n_vocab();
  if (vocab.ignore_merges) {
    s.encoded.clear();
    byte_encode(word, s.encoded);
    const TokenId id = vocab.find(s.encoded);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }

  auto& syms = s.syms;
  syms.clear();
  const int32_t n = (int32_t)word.size();
  for (int32_t i = 0; i < n; i++)
    syms.push_back({byte_symbol_[(uint8_t)word[i]], i - 1, i + 1 < n ? i + 1 : -1, (uint32_t)i,
                    (uint32_t)i + 1});

  // Min-heap of candidate merges keyed by (rank, left position): rank in the high 32 bits, the
  // left symbol index in the low ones. Stale entries are skipped when popped.
  auto& heap = s.heap;
  heap.clear();
  auto push_pair = [&](int32_t l) {
    if (l < 0 || syms[l].next < 0) return;
    const PairMap::Entry* e = pairs_.find(syms[l].id, syms[syms[l].next].id);
    if (!e) return;
    heap.push_back(((uint64_t)(uint32_t)e->rank << 32) | (uint32_t)l);
    std::push_heap(heap.begin(), heap.end(), std::greater<uint64_t>());
  };
  for (int32_t i = 0; i + 1 < n; i++) push_pair(i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<uint64_t>());
    const uint64_t top = heap.back();
    heap.pop_back();
    const int32_t l = (int32_t)(uint32_t)top;
    const int32_t rank = (int32_t)(top >> 32);
    auto& left = syms[l];
    if (left.id < 0 || left.next < 0) continue;
    auto& right = syms[left.next];
    const PairMap::Entry* e = pairs_.find(left.id, right.id);
    if (!e || e->rank != rank) continue;  // the pair changed since it was queued
    left.id = e->result;
    left.end = right.end;
    right.id = -1;
    left.next = right.next;
    if (left.next >= 0) syms[left.next].prev = l;
    push_pair(left.prev);
    push_pair(l);
  }

  for (int32_t i = 0; i >= 0; i = syms[i].next) {
    const auto& sym = syms[i];
    if (sym.id < n_vocab) {
      out.push_back(sym.id);
      continue;
    }
    // A merge product that is not a token: fall back to its bytes' tokens (skipping missing ones).
    for (uint32_t k = sym.begin; k < sym.end; k++) {
      const TokenId b = vocab.byte_token[(uint8_t)word[k]];
      if (b >= 0) out.push_back(b);
    }
  }
}

}  // namespace uma::tok

// Open-addressing hash tables for the tokenizer hot loops: token text -> id (lookups by
// string_view, no allocation) and (left, right) symbol pair -> BPE merge. Built once at load.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace uma::tok {

inline uint64_t hash_bytes(std::string_view s) {
  // 64-bit FNV-1a over 8-byte words with a final avalanche: tokens are short, so a simple mix wins.
  uint64_t h = 0xcbf29ce484222325ull ^ (s.size() * 0x9E3779B97F4A7C15ull);
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  if (i < s.size()) std::memcpy(&tail, s.data() + i, s.size() - i);
  h = (h ^ tail) * 0x100000001b3ull;
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ull;
  h ^= h >> 32;
  return h;
}

inline uint64_t hash_u64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

// Maps strings to their index in a vector of strings. The vector is passed to every call rather
// than stored, so the owner can be moved freely; it must be the one the index was built from.
class TextIndex {
 public:
  void build(const std::vector<std::string>& texts) {
    size_t cap = 16;
    while (cap < texts.size() * 2) cap <<= 1;
    slots_.assign(cap, -1);
    mask_ = cap - 1;
    for (size_t i = 0; i < texts.size(); i++) insert(texts, (int32_t)i);
  }
  // Index of `s`, or -1.
  int32_t find(const std::vector<std::string>& texts, std::string_view s) const {
    if (slots_.empty()) return -1;
    for (size_t p = hash_bytes(s) & mask_;; p = (p + 1) & mask_) {
      const int32_t id = slots_[p];
      if (id < 0) return -1;
      if (texts[id] == s) return id;
    }
  }

 private:
  void insert(const std::vector<std::string>& texts, int32_t id) {
    for (size_t p = hash_bytes(texts[id]) & mask_;; p = (p + 1) & mask_) {
      if (slots_[p] < 0) {
        slots_[p] = id;
        return;
      }
      if (texts[slots_[p]] == texts[id]) return;  // keep the first (lowest id)
    }
  }
  std::vector<int32_t> slots_;
  size_t mask_ = 0;
};

// (left symbol, right symbol) -> (merge rank, merged symbol).
class PairMap {
 public:
  struct Entry {
    uint64_t key = kEmpty;
    int32_t rank = 0;
    int32_t result = 0;
  };
  static constexpr uint64_t kEmpty = ~0ull;

  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    slots_.assign(cap, Entry{});
    mask_ = cap - 1;
    size_ = 0;
  }
  static uint64_t key(int32_t l, int32_t r) { return ((uint64_t)(uint32_t)l << 32) | (uint32_t)r; }
  // Inserts unless the pair is present (the first, lowest-rank merge wins, as in llama.cpp).
  void insert(int32_t l, int32_t r, int32_t rank, int32_t result) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const uint64_t k = key(l, r);
    for (size_t p = hash_u64(k) & mask_;; p = (p + 1) & mask_) {
      if (slots_[p].key == kEmpty) {
        slots_[p] = Entry{k, rank, result};
        size_++;
        return;
      }
      if (slots_[p].key == k) return;
    }
  }
  const Entry* find(int32_t l, int32_t r) const {
    if (slots_.empty()) return nullptr;
    const uint64_t k = key(l, r);
    for (size_t p = hash_u64(k) & mask_;; p = (p + 1) & mask_) {
      const Entry& e = slots_[p];
      if (e.key == k) return &e;
      if (e.key == kEmpty) return nullptr;
    }
  }

 private:
  void grow() {
    std::vector<Entry> old = std::move(slots_);
    reserve(old.size() < 16 ? 16 : old.size());
    for (const Entry& e : old)
      if (e.key != kEmpty) insert((int32_t)(e.key >> 32), (int32_t)(uint32_t)e.key, e.rank, e.result);
  }
  std::vector<Entry> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace uma::tok

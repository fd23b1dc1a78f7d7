// Open-addressing hash tables for the tokenizer hot loops: token text -> id (lookups by
// string_view, no allocation) and (left, right) symbol pair -> BPE merge. Built once at load.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace uma::tok {

// 64x64->128 multiply folded to 64 bits: one strong mixing step (as in wyhash).
inline uint64_t mum(uint64_t a, uint64_t b) {
  const __uint128_t r = (__uint128_t)a * b;
  return (uint64_t)r ^ (uint64_t)(r >> 64);
}

inline uint64_t hash_bytes(std::string_view s) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = mum(h ^ w, 0xa0761d6478bd642full);
  }
  // Tail of 0-7 bytes without a variable-length memcpy (tokens are mostly this short).
  const size_t r = n - i;
  uint64_t tail = 0;
  if (r >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, p + i, 4);
    std::memcpy(&hi, p + n - 4, 4);
    tail = ((uint64_t)hi << 32) | lo;
  } else if (r > 0) {
    tail = ((uint64_t)p[i] << 16) | ((uint64_t)p[i + r / 2] << 8) | p[n - 1];
  }
  return mum(h ^ tail ^ 0xe7037ed1a0b428dbull, 0x8ebc6af09c88c6e3ull);
}

inline uint64_t hash_u64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

// Maps strings to their index in the vector the index was built from. Keeps its own packed copy
// of the texts so a lookup touches one slot and one short run of bytes (a vocab's std::strings
// are scattered over megabytes).
class TextIndex {
 public:
  void build(const std::vector<std::string>& texts) {
    size_t cap = 16;
    while (cap < texts.size() * 2) cap <<= 1;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    arena_.clear();
    for (size_t i = 0; i < texts.size(); i++) insert(texts[i], (int32_t)i);
  }
  // Index of `s`, or -1.
  int32_t find(std::string_view s) const {
    if (slots_.empty()) return -1;
    const uint64_t h = hash_bytes(s);
    const uint32_t tag = (uint32_t)(h >> 32);
    for (size_t p = h & mask_;; p = (p + 1) & mask_) {
      const Slot& sl = slots_[p];
      if (sl.id < 0) return -1;
      if (sl.tag == tag && sl.len == s.size() &&
          std::memcmp(arena_.data() + sl.off, s.data(), s.size()) == 0)
        return sl.id;
    }
  }

 private:
  struct Slot {
    int32_t id = -1;
    uint32_t tag = 0;  // high hash bits: rejects almost every mismatch without touching text
    uint32_t off = 0;  // text = arena_[off, off + len)
    uint32_t len = 0;
  };
  void insert(const std::string& text, int32_t id) {
    if (find(text) >= 0) return;  // keep the first (lowest id)
    const uint64_t h = hash_bytes(text);
    Slot s{id, (uint32_t)(h >> 32), (uint32_t)arena_.size(), (uint32_t)text.size()};
    arena_.append(text);
    for (size_t p = h & mask_;; p = (p + 1) & mask_) {
      if (slots_[p].id < 0) {
        slots_[p] = s;
        return;
      }
    }
  }
  std::vector<Slot> slots_;
  std::string arena_;
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
      if (e.key != kEmpty)
        insert((int32_t)(e.key >> 32), (int32_t)(uint32_t)e.key, e.rank, e.result);
  }
  std::vector<Entry> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

// Per-call memo of word -> its token ids, for text where the same words recur (prose). Keys are
// views into text that must outlive the cache; the ids live in one shared vector.
class WordCache {
 public:
  // Appends the cached ids of `word` to `out` and returns true, or returns false.
  bool lookup(std::string_view word, std::vector<int32_t>& out) const {
    if (slots_.empty()) return false;
    const uint64_t h = hash_bytes(word);
    for (size_t p = h & mask_;; p = (p + 1) & mask_) {
      const Slot& s = slots_[p];
      if (s.len == kEmpty) return false;
      if (s.hash == h && s.len == word.size() &&
          std::memcmp(s.data, word.data(), word.size()) == 0) {
        out.insert(out.end(), ids_.begin() + s.begin, ids_.begin() + s.end);
        return true;
      }
    }
  }
  // Records `ids` for `word` (which must not be present).
  void insert(std::string_view word, const int32_t* ids, size_t n) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    Slot s{word.data(), (uint32_t)word.size(), (uint32_t)ids_.size(), 0, hash_bytes(word)};
    ids_.insert(ids_.end(), ids, ids + n);
    s.end = (uint32_t)ids_.size();
    place(s);
    size_++;
  }

 private:
  static constexpr uint32_t kEmpty = ~0u;
  struct Slot {
    const char* data = nullptr;
    uint32_t len = kEmpty;
    uint32_t begin = 0, end = 0;
    uint64_t hash = 0;
  };
  void place(const Slot& s) {
    for (size_t p = s.hash & mask_;; p = (p + 1) & mask_) {
      if (slots_[p].len == kEmpty) {
        slots_[p] = s;
        return;
      }
    }
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    const size_t cap = old.empty() ? 64 : old.size() * 2;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    for (const Slot& s : old)
      if (s.len != kEmpty) place(s);
  }
  std::vector<Slot> slots_;
  std::vector<int32_t> ids_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace uma::tok

// Byte-level BPE (GPT-2 style): pre-tokens are mapped to the byte alphabet and merged pair by pair,
// lowest merge rank first (leftmost on ties), as llama.cpp's llm_tokenizer_bpe_session does.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "gguf/gguf.h"
#include "tokenizer/hash_maps.h"
#include "tokenizer/vocab.h"

namespace uma::tok {

class BpeModel {
 public:
  // Reads tokenizer.ggml.merges ("left right" strings in the byte alphabet).
  static Result<BpeModel> load(const gguf::GgufFile& file, const Vocab& vocab);

  // Reusable buffers for encode_word (one per encode call).
  struct Scratch {
    struct Sym {
      int32_t id;    // symbol id: a vocab id, or >= n_vocab for a merge product not in the vocab
      int32_t prev;  // linked list over the word's symbols; -1 at the ends
      int32_t next;
      uint32_t begin, end;  // raw byte range of the symbol in the word
    };
    std::vector<Sym> syms;
    std::vector<uint64_t> heap;
    std::string encoded;
  };

  // Appends the tokens of one pre-token (raw bytes).
  void encode_word(const Vocab& vocab, std::string_view word, Scratch& s,
                   std::vector<TokenId>& out) const;

  size_t n_merges() const { return n_merges_; }

 private:
  PairMap pairs_;
  std::vector<std::string> extra_;          // texts of symbols >= n_vocab
  std::array<int32_t, 256> byte_symbol_{};  // initial symbol of each raw byte
  size_t n_merges_ = 0;
};

}  // namespace uma::tok

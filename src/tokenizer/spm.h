// SentencePiece-style BPE over vocab scores (tokenizer.ggml.model = "llama"): the text is split
// into UTF-8 characters and the adjacent pair whose merged text is the highest-scoring token is
// merged first (leftmost on ties), as llama.cpp's llm_tokenizer_spm_session does.
#pragma once

#include <string_view>
#include <vector>

#include "tokenizer/hash_maps.h"
#include "tokenizer/vocab.h"

namespace uma::tok {

// Reusable buffers for spm_encode.
struct SpmScratch {
  struct Sym {
    uint32_t begin;
    uint32_t len;  // 0 once merged into the symbol on its left
    int32_t prev;
    int32_t next;
  };
  struct Bigram {
    float score;
    int32_t left;
    int32_t right;
    uint32_t size;
  };
  std::vector<Sym> syms;
  std::vector<Bigram> heap;
  std::vector<TokenId> chunk_ids;
  WordCache cache;  // chunk text -> ids; keys point into the caller's text
};

// Appends the tokens of `text`, which must already have spaces escaped as U+2581 (and the dummy
// prefix added). Symbols that are not tokens become byte tokens, or UNK without byte fallback.
// `text` must outlive `s` (its chunk cache keeps views into it).
void spm_encode(const Vocab& vocab, std::string_view text, SpmScratch& s,
                std::vector<TokenId>& out);

}  // namespace uma::tok

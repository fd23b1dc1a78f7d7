// Tokenizer::Impl: the loaded vocab plus the model-specific parts (BPE merges and pre-tokenizer,
// special-token splitter). Internal to src/tokenizer.
#pragma once

#include <optional>

#include "tokenizer/bpe.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/special_split.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace uma {

struct Tokenizer::Impl {
  tok::Vocab vocab;
  tok::SpecialSplitter splitter;
  std::optional<tok::BpeModel> bpe;      // gpt2 vocabs
  std::optional<tok::PreTokenizer> pre;  // gpt2 vocabs
  bool lossless = false;
};

}  // namespace uma

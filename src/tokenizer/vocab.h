// The vocabulary as read from a GGUF's tokenizer.ggml.* keys: token texts, scores and attributes,
// special ids and flags, with the defaults and fix-ups llama.cpp applies (llama-vocab.cpp, load()).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "gguf/gguf.h"
#include "tokenizer/hash_maps.h"
#include "tokenizer/tokenizer.h"

namespace uma::tok {

// Token attributes as bit flags (llama.cpp's llama_token_attr); tokenizer.ggml.token_type gives one
// of the first six, the strip flags come from per-model rules.
enum TokenAttr : uint32_t {
  kAttrUndefined = 0,
  kAttrUnknown = 1u << 0,
  kAttrUnused = 1u << 1,
  kAttrNormal = 1u << 2,
  kAttrControl = 1u << 3,
  kAttrUserDefined = 1u << 4,
  kAttrByte = 1u << 5,
  kAttrLstrip = 1u << 7,
  kAttrRstrip = 1u << 8,
};

enum class VocabKind { kSpm, kBpe };

struct Vocab {
  VocabKind kind = VocabKind::kSpm;
  std::string model_name;  // tokenizer.ggml.model
  std::string pre_name;    // tokenizer.ggml.pre, "default" when absent

  std::vector<std::string> text;  // [n_vocab]
  std::vector<float> score;       // [n_vocab]
  std::vector<uint32_t> attr;     // [n_vocab] TokenAttr bits
  TextIndex index;                // text -> id over `text`

  TokenId bos = -1, eos = -1, unk = -1, eot = -1, eom = -1;
  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = false;  // SPM dummy prefix
  bool ignore_merges = false;     // BPE: a whole pre-token found in the vocab is emitted as is

  std::vector<uint8_t> eog;               // [n_vocab] 1 = ends generation
  std::vector<TokenId> special;           // control/user-defined/unknown ids, longest text first
  std::vector<std::string> piece;         // [n_vocab] token_to_piece(id, special=true)
  std::array<TokenId, 256> byte_token{};  // SPM: <0xXX> (or the raw byte); BPE: byte symbol

  // SPM chunking facts (see spm.cpp): ASCII bytes that occur in no multi-character token, and
  // whether U+2581 only ever occurs in a token's leading run of U+2581s.
  std::array<bool, 128> spm_isolated{};
  bool spm_space_leads_only = false;

  int32_t n_vocab() const { return (int32_t)text.size(); }
  TokenId find(std::string_view s) const { return index.find(s); }
};

// Reads and validates the vocabulary. Errors name the key: "tokenizer.ggml.token_type: 100
// entries for 512 tokens".
Result<Vocab> load_vocab(const gguf::GgufFile& file);

}  // namespace uma::tok

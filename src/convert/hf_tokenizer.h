// Hugging Face tokenizer files -> GGUF tokenizer.* metadata, the way llama.cpp's
// convert_hf_to_gguf.py writes it: tokenizer.model (SentencePiece -> "llama") or tokenizer.json
// (byte-level BPE -> "gpt2", pre-tokenizer named from its split regex), special token ids from
// tokenizer_config.json / config.json, add_bos/add_eos and the chat template.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace uma::gguf {
class Writer;
}

namespace uma::convert {

struct TokenizerMeta {
  std::string model;                 // tokenizer.ggml.model: "llama" or "gpt2"
  std::string pre;                   // tokenizer.ggml.pre
  std::vector<std::string> tokens;
  std::vector<float> scores;         // SentencePiece only
  std::vector<int32_t> types;        // llama.cpp token types: 1 normal ... 6 byte
  std::vector<std::string> merges;   // BPE only, "a b"
  std::vector<std::pair<std::string, uint32_t>> special_ids;  // ("bos", 1), in llama.cpp's order
  std::vector<std::pair<std::string, bool>> add_special;      // ("bos", true)
  std::optional<std::string> chat_template;
  std::vector<std::pair<std::string, std::string>> named_templates;  // (name, template)
  std::vector<std::string> notes;    // things skipped on the way (printed as warnings)
};

// Reads the tokenizer files in `dir`. vocab_size is config.json's (tokens past the tokenizer's
// own are padded as "[PAD<id>]", type unused); nullopt uses the tokenizer's size.
Result<TokenizerMeta> load_hf_tokenizer(const std::string& dir, std::optional<int64_t> vocab_size);

// The pre-tokenizer name for a tokenizer.json pre_tokenizer section (JSON text), e.g. "llama-bpe"
// for Llama 3's split regex, "qwen2" for Qwen2/3's; an error naming the regex otherwise.
Result<std::string> detect_bpe_pre_tokenizer(const std::string& pre_tokenizer_json);

// Appends the tokenizer.* keys in llama.cpp's order.
void write_tokenizer_meta(const TokenizerMeta& t, gguf::Writer& w);

}  // namespace uma::convert

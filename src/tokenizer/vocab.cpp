// Loading tokenizer.ggml.* metadata into a Vocab, mirroring llama.cpp's llama_vocab::impl::load:
// per-model defaults for special ids and flags, EOG detection by token text, the special-token
// list used for splitting, and the decoded piece of every token.
#include "tokenizer/vocab.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/unicode.h"

namespace uma::tok {
namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // U+2581, SentencePiece's escaped space

Status key_error(std::string_view key, const std::string& what) {
  return error("tokenizer: " + std::string(key) + ": " + what);
}

uint32_t attr_from_type(int64_t type) {
  switch (type) {
    case (int64_t)TokenType::kNormal:
      return kAttrNormal;
    case (int64_t)TokenType::kUnknown:
      return kAttrUnknown;
    case (int64_t)TokenType::kControl:
      return kAttrControl;
    case (int64_t)TokenType::kUserDefined:
      return kAttrUserDefined;
    case (int64_t)TokenType::kUnused:
      return kAttrUnused;
    case (int64_t)TokenType::kByte:
      return kAttrByte;
    default:
      return kAttrUndefined;
  }
}

// Optional array key: nullptr when absent, error when present but not an array of the right kind.
Result<const gguf::Value*> find_array(const gguf::GgufFile& file, std::string_view key,
                                      size_t min_size, bool want_string) {
  const gguf::Value* v = file.find(key);
  if (!v) return (const gguf::Value*)nullptr;
  if (!v->is_array())
    return key_error(key,
                     "expected an array, found " + std::string(gguf::value_type_name(v->type())));
  const bool is_string = v->elem_type() == gguf::ValueType::STRING;
  if (is_string != want_string)
    return key_error(
        key, "unexpected element type " + std::string(gguf::value_type_name(v->elem_type())));
  if (v->array_size() < min_size)
    return key_error(key, std::to_string(v->array_size()) + " entries for " +
                              std::to_string(min_size) + " tokens");
  return v;
}

// Reads a token id key into `id`, keeping the default when absent or set to the "none" sentinel
// (-1 / 0xFFFFFFFF, which converters write for unset ids).
Status read_id(const gguf::GgufFile& file, std::string_view key, int32_t n_vocab, TokenId* id) {
  const gguf::Value* v = file.find(key);
  if (!v) return Status::ok();
  const auto i = v->as_int();
  if (!i)
    return key_error(key,
                     "expected an integer, found " + std::string(gguf::value_type_name(v->type())));
  if (*i < 0 || *i == 0xFFFFFFFFll) return Status::ok();
  if (*i >= n_vocab)
    return key_error(key, "id " + std::to_string(*i) + " out of range (n_vocab " +
                              std::to_string(n_vocab) + ")");
  *id = (TokenId)*i;
  return Status::ok();
}

Status read_bool(const gguf::GgufFile& file, std::string_view key, bool* out) {
  const gguf::Value* v = file.find(key);
  if (!v) return Status::ok();
  const auto b = v->as_bool();
  if (!b)
    return key_error(key,
                     "expected a bool, found " + std::string(gguf::value_type_name(v->type())));
  *out = *b;
  return Status::ok();
}

// Token texts llama.cpp treats as end-of-generation (and forces to CONTROL) whatever their type.
bool is_eog_text(std::string_view t) {
  static constexpr std::string_view kTexts[] = {
      "<|eot_id|>",
      "<|im_end|>",
      "<|end|>",
      "<end_of_turn>",
      "<|endoftext|>",
      "<|eom_id|>",
      "<EOT>",
      "_<EOT>",
      "<|end_of_text|>",
      "<end_of_utterance>",
      "<\xEF\xBD\x9C"
      "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",  // DeepSeek
  };
  for (auto k : kTexts)
    if (t == k) return true;
  return false;
}

bool is_eot_text(std::string_view t) { return t != "<|eom_id|>" && is_eog_text(t); }

std::string make_piece(const Vocab& v, TokenId id) {
  const std::string& t = v.text[id];
  const uint32_t a = v.attr[id];
  if (a & (kAttrUnknown | kAttrControl | kAttrUserDefined)) return t;
  if (a & kAttrNormal) {
    std::string out;
    if (v.kind == VocabKind::kBpe) {
      byte_decode(t, out);
    } else {
      for (size_t i = 0; i < t.size();) {
        if (t.compare(i, kSpace.size(), kSpace) == 0) {
          out.push_back(' ');
          i += kSpace.size();
        } else {
          out.push_back(t[i++]);
        }
      }
    }
    return out;
  }
  if (a & kAttrByte) {
    // "<0xXX>"; anything else is copied as text rather than guessed at.
    if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' &&
        std::isxdigit((uint8_t)t[3]) && std::isxdigit((uint8_t)t[4]))
      return std::string(1, (char)std::stoi(t.substr(3, 2), nullptr, 16));
    return t;
  }
  return {};  // undefined / unused tokens render as nothing, as in llama.cpp
}

}  // namespace

Result<Vocab> load_vocab(const gguf::GgufFile& file) {
  Vocab v;
  {
    const gguf::Value* m = file.find("tokenizer.ggml.model");
    if (!m) return key_error("tokenizer.ggml.model", "missing");
    const auto s = m->as_string();
    if (!s) return key_error("tokenizer.ggml.model", "expected a string");
    v.model_name = std::string(*s);
  }
  const PreTokenizerSpec* spec = nullptr;
  {
    const gguf::Value* p = file.find("tokenizer.ggml.pre");
    if (p) {
      const auto s = p->as_string();
      if (!s) return key_error("tokenizer.ggml.pre", "expected a string");
      v.pre_name = std::string(*s);
    }
    if (v.pre_name.empty()) v.pre_name = "default";
  }
  if (v.model_name == "llama") {
    v.kind = VocabKind::kSpm;
    v.bos = 1, v.eos = 2, v.unk = 0;
    v.add_bos = true;
    v.add_space_prefix = true;
  } else if (v.model_name == "gpt2") {
    v.kind = VocabKind::kBpe;
    spec = find_pre_tokenizer(v.pre_name);
    if (!spec) return key_error("tokenizer.ggml.pre", "unknown pre-tokenizer '" + v.pre_name + "'");
    v.bos = 11, v.eos = 11;  // llama.cpp's (GPT-2 era) defaults, dropped below if out of range
    v.add_bos = spec->add_bos;
    v.ignore_merges = spec->ignore_merges;
  } else {
    return key_error("tokenizer.ggml.model",
                     "unsupported tokenizer '" + v.model_name + "' (supported: llama, gpt2)");
  }

  // Token list, scores, types.
  const gguf::Value* tokens = file.find("tokenizer.ggml.tokens");
  if (!tokens) return key_error("tokenizer.ggml.tokens", "missing");
  if (!tokens->is_array() || tokens->elem_type() != gguf::ValueType::STRING)
    return key_error("tokenizer.ggml.tokens", "expected an array of strings");
  const uint64_t n64 = tokens->array_size();
  if (n64 == 0) return key_error("tokenizer.ggml.tokens", "empty");
  if (n64 > (uint64_t)INT32_MAX) return key_error("tokenizer.ggml.tokens", "too many tokens");
  const int32_t n = (int32_t)n64;
  UMA_ASSIGN_OR_RETURN(const gguf::Value* scores,
                       find_array(file, "tokenizer.ggml.scores", n, false));
  UMA_ASSIGN_OR_RETURN(const gguf::Value* types,
                       find_array(file, "tokenizer.ggml.token_type", n, false));

  v.text.resize(n);
  v.score.assign(n, 0.0f);
  v.attr.assign(n, kAttrNormal);
  for (int32_t i = 0; i < n; i++) {
    std::string_view t = tokens->array_string(i);
    v.text[i] = t.empty() ? "[EMPTY_" + std::to_string(i) + "]" : std::string(t);
    if (scores) {
      const auto s = scores->array_number(i);
      if (!s)
        return key_error("tokenizer.ggml.scores",
                         "entry " + std::to_string(i) + " is not a number");
      v.score[i] = (float)*s;
    }
    if (types) {
      const auto ty = types->array_int(i);
      if (!ty)
        return key_error("tokenizer.ggml.token_type",
                         "entry " + std::to_string(i) + " is not an integer");
      v.attr[i] = attr_from_type(*ty);
    }
  }
  v.index.build(v.text);
  for (int32_t i = 0; i < n; i++) {
    const TokenId first = v.find(v.text[i]);
    if (first != i)
      return key_error("tokenizer.ggml.tokens", "duplicate token '" + v.text[i] + "' (ids " +
                                                    std::to_string(first) + " and " +
                                                    std::to_string(i) + ")");
  }

  // Special ids: defaults outside the vocab are dropped; explicit ids must be inside it.
  for (TokenId* id : {&v.bos, &v.eos, &v.unk})
    if (*id >= n) *id = -1;
  UMA_TRY(read_id(file, "tokenizer.ggml.bos_token_id", n, &v.bos));
  UMA_TRY(read_id(file, "tokenizer.ggml.eos_token_id", n, &v.eos));
  UMA_TRY(read_id(file, "tokenizer.ggml.unknown_token_id", n, &v.unk));
  UMA_TRY(read_id(file, "tokenizer.ggml.eot_token_id", n, &v.eot));
  UMA_TRY(read_id(file, "tokenizer.ggml.eom_token_id", n, &v.eom));
  UMA_TRY(read_bool(file, "tokenizer.ggml.add_bos_token", &v.add_bos));
  UMA_TRY(read_bool(file, "tokenizer.ggml.add_eos_token", &v.add_eos));
  UMA_TRY(read_bool(file, "tokenizer.ggml.add_space_prefix", &v.add_space_prefix));
  if (v.add_bos && v.bos < 0)
    return key_error("tokenizer.ggml.add_bos_token", "true, but the vocab has no BOS token");
  if (v.add_eos && v.eos < 0)
    return key_error("tokenizer.ggml.add_eos_token", "true, but the vocab has no EOS token");

  // End of generation: EOS/EOT/EOM plus tokens recognised by text (forced to CONTROL so they are
  // neither matched in plain text nor printed, as llama.cpp does).
  v.eog.assign(n, 0);
  for (int32_t i = 0; i < n; i++) {
    if (!is_eog_text(v.text[i])) continue;
    v.eog[i] = 1;
    v.attr[i] |= kAttrControl;
    if (v.eot < 0 && is_eot_text(v.text[i])) v.eot = i;
    if (v.eom < 0 && v.text[i] == "<|eom_id|>") v.eom = i;
  }
  for (TokenId id : {v.eos, v.eot, v.eom})
    if (id >= 0) v.eog[id] = 1;

  // Special tokens, longest first: the order in which they are cut out of the text.
  for (int32_t i = 0; i < n; i++)
    if (v.attr[i] & (kAttrControl | kAttrUserDefined | kAttrUnknown)) v.special.push_back(i);
  std::stable_sort(v.special.begin(), v.special.end(),
                   [&](TokenId a, TokenId b) { return v.text[a].size() > v.text[b].size(); });

  // Phi-3 GGUFs rely on llama.cpp stripping whitespace after special tokens (by model name).
  {
    std::string name;
    if (const gguf::Value* g = file.find("general.name"))
      if (auto s = g->as_string()) name = std::string(*s);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return (char)std::tolower(c); });
    if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos) {
      for (TokenId id : v.special) v.attr[id] |= kAttrRstrip;
      for (std::string_view t : {"</s>"})
        if (TokenId id = v.find(t); id >= 0) v.attr[id] |= kAttrRstrip;
      for (std::string_view t : {"<unk>", "<s>", "<|endoftext|>"})
        if (TokenId id = v.find(t); id >= 0) v.attr[id] &= ~kAttrRstrip;
    }
  }

  v.piece.resize(n);
  for (int32_t i = 0; i < n; i++) v.piece[i] = make_piece(v, i);

  if (v.kind == VocabKind::kSpm) {
    v.spm_isolated.fill(true);
    v.spm_space_leads_only = true;
    for (const std::string& t : v.text) {
      size_t lead = 0;  // bytes of the leading U+2581 run
      while (t.compare(lead, kSpace.size(), kSpace) == 0) lead += kSpace.size();
      if (t.find(kSpace, lead) != std::string::npos) v.spm_space_leads_only = false;
      // A token of one character (one UTF-8 sequence) does not join anything.
      if (t.size() <= utf8_len((uint8_t)t[0])) continue;
      for (char c : t)
        if ((uint8_t)c < 128) v.spm_isolated[(uint8_t)c] = false;
    }
  }
  for (int b = 0; b < 256; b++) {
    if (v.kind == VocabKind::kSpm) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "<0x%02X>", b);
      TokenId id = v.find(buf);
      if (id < 0) id = v.find(std::string(1, (char)b));
      v.byte_token[b] = id;
    } else {
      v.byte_token[b] = v.find(byte_to_unicode((uint8_t)b));
    }
  }
  return v;
}

}  // namespace uma::tok

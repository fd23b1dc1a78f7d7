// Tokenizer conversion following convert_hf_to_gguf.py (_set_vocab_sentencepiece,
// _set_vocab_gpt2) and gguf-py's SpecialVocab, with the pre-tokenizer named from the split regex
// in tokenizer.json rather than from a hash of a test encoding (which needs the Python tokenizer).
#include "convert/hf_tokenizer.h"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "convert/sentencepiece.h"
#include "core/mapped_file.h"
#include "gguf/gguf_writer.h"

namespace uma::convert {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// llama.cpp's token types (llama_token_type).
enum : int32_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

// gguf-py SpecialVocab.special_token_types, and the GGUF key of each.
constexpr std::pair<const char*, const char*> kSpecialKeys[] = {
    {"bos", "tokenizer.ggml.bos_token_id"},   {"eos", "tokenizer.ggml.eos_token_id"},
    {"unk", "tokenizer.ggml.unknown_token_id"}, {"sep", "tokenizer.ggml.seperator_token_id"},
    {"pad", "tokenizer.ggml.padding_token_id"}, {"cls", "tokenizer.ggml.cls_token_id"},
    {"mask", "tokenizer.ggml.mask_token_id"},
};

// Split regexes as tokenizer.json spells them, and llama.cpp's pre-tokenizer of the same split.
constexpr std::pair<const char*, const char*> kKnownRegexes[] = {
    {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     "llama-bpe"},
    {R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     "qwen2"},
    {R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     "tekken"},
    {R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     "gpt-4o"},
    {R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)", "gpt-2"},
};

Result<json> read_json(const std::string& path) {
  UMA_ASSIGN_OR_RETURN(MappedFile f, MappedFile::open(path));
  const char* p = reinterpret_cast<const char*>(f.data());
  json j = json::parse(p, p + f.size(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return error(path + ": not valid JSON");
  if (!j.is_object()) return error(path + ": expected a JSON object");
  return j;
}

std::optional<std::string> str_field(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// convert_hf_to_gguf.py does_token_look_special: added tokens that ought to be control tokens.
bool looks_special(const std::string& t) {
  auto ends = [&](std::string_view a, std::string_view z) {
    return t.size() >= a.size() + z.size() && t.compare(0, a.size(), a) == 0 &&
           t.compare(t.size() - z.size(), z.size(), z) == 0;
  };
  return t == "<pad>" || t == "<mask>" || t == "<2mass>" || t == "[@BOS@]" || ends("<|", "|>") ||
         ends("<\xEF\xBD\x9C", "\xEF\xBD\x9C>") || ends("<unused", ">");
}

// User-defined added tokens are stored pre-normalised: SentencePiece's "▁" becomes a space.
std::string unescape_spaces(std::string s) {
  const std::string kSp = "\xE2\x96\x81";
  for (size_t p = 0; (p = s.find(kSp, p)) != std::string::npos;) s.replace(p, 3, " "), p += 1;
  return s;
}

struct AddedToken {
  int64_t id;
  std::string content;
  bool special;
};

// tokenizer.json's added_tokens (the list llama.cpp's SpecialVocab matches names against).
Result<std::vector<AddedToken>> added_tokens_of(const json& tj, const std::string& path) {
  std::vector<AddedToken> out;
  auto it = tj.find("added_tokens");
  if (it == tj.end() || it->is_null()) return out;
  if (!it->is_array()) return error(path + ": 'added_tokens' is not a list");
  for (const auto& a : *it) {
    if (!a.is_object() || !a.contains("id") || !a["id"].is_number_unsigned() || !str_field(a, "content"))
      return error(path + ": an added_tokens entry lacks an integer 'id' or a 'content' string");
    const bool special = a.contains("special") && a["special"].is_boolean() && a["special"].get<bool>();
    out.push_back({(int64_t)a["id"].get<uint64_t>(), *str_field(a, "content"), special});
  }
  return out;
}

// gguf-py SpecialVocab: ids named in tokenizer_config.json (matched against tokenizer.json's
// added tokens), then config.json's *_token_id; add_*_token flags; the chat template.
Status load_special(const std::string& dir, const std::vector<AddedToken>& added, int64_t n_vocab,
                    TokenizerMeta* m) {
  std::map<std::string, uint32_t> ids;
  auto set_id = [&](const std::string& typ, int64_t id) {
    if (id < 0 || ids.count(typ)) return;
    if (id >= n_vocab) {
      m->notes.push_back(typ + " token id " + std::to_string(id) + " is outside the vocabulary; skipped");
      return;
    }
    ids[typ] = (uint32_t)id;
    m->special_ids.emplace_back(typ, (uint32_t)id);
  };
  const fs::path tc_path = fs::path(dir) / "tokenizer_config.json";
  std::error_code ec;
  if (fs::is_regular_file(tc_path, ec)) {
    UMA_ASSIGN_OR_RETURN(json tc, read_json(tc_path.string()));
    if (auto ct = tc.find("chat_template"); ct != tc.end()) {
      if (ct->is_string()) {
        m->chat_template = ct->get<std::string>();
      } else if (ct->is_array()) {  // [{"name": ..., "template": ...}]: "default" is the main one
        for (const auto& e : *ct) {
          auto name = str_field(e, "name"), tmpl = str_field(e, "template");
          if (!name || !tmpl) return error(tc_path.string() + ": chat_template list entries need 'name' and 'template'");
          if (*name == "default") m->chat_template = *tmpl;
          else m->named_templates.emplace_back(*name, *tmpl);
        }
      }
    }
    for (const auto& [typ, key] : kSpecialKeys) {
      const std::string t = typ;
      if (auto a = tc.find("add_" + t + "_token"); a != tc.end() && a->is_boolean() &&
                                                    (t == "bos" || t == "eos"))
        m->add_special.emplace_back(t, a->get<bool>());
      auto e = tc.find(t + "_token");
      if (e == tc.end()) continue;
      std::optional<std::string> content;
      if (e->is_string()) content = e->get<std::string>();
      else if (e->is_object()) content = str_field(*e, "content");
      if (!content) continue;
      for (const auto& at : added)
        if (at.content == *content) {
          set_id(t, at.id);
          break;
        }
    }
  }
  if (!m->chat_template) {  // newer checkpoints keep the template in its own file
    const fs::path jinja = fs::path(dir) / "chat_template.jinja";
    if (fs::is_regular_file(jinja, ec)) {
      UMA_ASSIGN_OR_RETURN(MappedFile f, MappedFile::open(jinja.string()));
      m->chat_template = std::string(reinterpret_cast<const char*>(f.data()), f.size());
    }
  }
  const fs::path cfg_path = fs::path(dir) / "config.json";
  if (fs::is_regular_file(cfg_path, ec)) {
    UMA_ASSIGN_OR_RETURN(json cfg, read_json(cfg_path.string()));
    for (const auto& [typ, key] : kSpecialKeys) {
      auto it = cfg.find(std::string(typ) + "_token_id");
      if (it != cfg.end() && it->is_number_integer()) set_id(typ, it->get<int64_t>());
    }
  }
  return Status::ok();
}

Result<TokenizerMeta> load_spm(const std::string& dir, std::optional<int64_t> vocab_size) {
  const std::string path = (fs::path(dir) / "tokenizer.model").string();
  UMA_ASSIGN_OR_RETURN(SpModel sp, load_sentencepiece(path));
  if (sp.model_type != SpModel::BPE)
    return error(path + ": only BPE SentencePiece models are supported (this one is " +
                 (sp.model_type == SpModel::UNIGRAM ? std::string("unigram") : "type " + std::to_string(sp.model_type)) + ")");
  TokenizerMeta m;
  m.model = "llama";
  m.pre = "default";
  const int64_t n = vocab_size.value_or((int64_t)sp.pieces.size());
  if (n < (int64_t)sp.pieces.size())
    return error(path + ": " + std::to_string(sp.pieces.size()) + " pieces, more than config.json's vocab_size " + std::to_string(n));
  for (int64_t i = 0; i < n; i++) {
    if (i >= (int64_t)sp.pieces.size()) {
      m.tokens.push_back("[PAD" + std::to_string(i) + "]");
      m.scores.push_back(-10000.0f);
      m.types.push_back(kUnused);
      continue;
    }
    const SpPiece& p = sp.pieces[i];
    m.tokens.push_back(p.piece);
    m.scores.push_back(p.score);
    // USER_DEFINED pieces stay normal here, as in llama.cpp; added tokens below can change that.
    int32_t t = kNormal;
    if (p.type == SpPiece::UNKNOWN) t = kUnknown;
    else if (p.type == SpPiece::CONTROL) t = kControl;
    else if (p.type == SpPiece::UNUSED) t = kUnused;
    else if (p.type == SpPiece::BYTE) t = kByte;
    m.types.push_back(t);
  }
  std::error_code ec;
  const fs::path added_path = fs::path(dir) / "added_tokens.json";
  if (fs::is_regular_file(added_path, ec)) {
    UMA_ASSIGN_OR_RETURN(json aj, read_json(added_path.string()));
    for (const auto& [text, id] : aj.items()) {
      if (!id.is_number_unsigned() || id.get<uint64_t>() >= (uint64_t)n) {
        m.notes.push_back("added_tokens.json: '" + text + "' has an id outside the vocabulary; skipped");
        continue;
      }
      m.tokens[id.get<uint64_t>()] = text;
      m.scores[id.get<uint64_t>()] = -1000.0f;
      m.types[id.get<uint64_t>()] = kUserDefined;
    }
  }
  const fs::path tc_path = fs::path(dir) / "tokenizer_config.json";
  if (fs::is_regular_file(tc_path, ec)) {
    UMA_ASSIGN_OR_RETURN(json tc, read_json(tc_path.string()));
    if (auto d = tc.find("added_tokens_decoder"); d != tc.end() && d->is_object()) {
      for (const auto& [key, e] : d->items()) {
        int64_t id = -1;
        try {
          id = std::stoll(key);
        } catch (...) {
        }
        auto content = e.is_object() ? str_field(e, "content") : std::nullopt;
        if (id < 0 || id >= n || !content) {
          m.notes.push_back("tokenizer_config.json: added token '" + key + "' skipped");
          continue;
        }
        const bool special = e.contains("special") && e["special"].is_boolean() && e["special"].get<bool>();
        if (special || looks_special(*content)) {
          m.types[id] = kControl;
          m.tokens[id] = *content;
        } else {
          m.types[id] = kUserDefined;
          m.tokens[id] = unescape_spaces(*content);
        }
        m.scores[id] = -1000.0f;
      }
    }
  }
  std::vector<AddedToken> added;
  const fs::path tj_path = fs::path(dir) / "tokenizer.json";
  if (fs::is_regular_file(tj_path, ec)) {
    UMA_ASSIGN_OR_RETURN(json tj, read_json(tj_path.string()));
    UMA_ASSIGN_OR_RETURN(added, added_tokens_of(tj, tj_path.string()));
  }
  UMA_TRY(load_special(dir, added, n, &m));
  return m;
}

Result<TokenizerMeta> load_bpe(const std::string& dir, std::optional<int64_t> vocab_size) {
  const std::string path = (fs::path(dir) / "tokenizer.json").string();
  UMA_ASSIGN_OR_RETURN(json tj, read_json(path));
  auto model = tj.find("model");
  if (model == tj.end() || !model->is_object()) return error(path + ": no 'model' section");
  const auto type = str_field(*model, "type");
  if (type != "BPE")
    return error(path + ": tokenizer model '" + type.value_or("?") + "' is not supported (BPE only)");
  if (model->contains("byte_fallback") && (*model)["byte_fallback"].is_boolean() &&
      (*model)["byte_fallback"].get<bool>())
    return error(path + ": a SentencePiece-style BPE (byte_fallback); convert with its tokenizer.model");
  TokenizerMeta m;
  m.model = "gpt2";
  auto pre = tj.find("pre_tokenizer");
  UMA_ASSIGN_OR_RETURN(m.pre, detect_bpe_pre_tokenizer(pre == tj.end() ? "null" : pre->dump()));

  auto vocab = model->find("vocab");
  if (vocab == model->end() || !vocab->is_object()) return error(path + ": model.vocab is not an object");
  std::map<int64_t, std::string> by_id;
  for (const auto& [text, id] : vocab->items()) {
    if (!id.is_number_unsigned() || id.get<uint64_t>() > (1u << 24))
      return error(path + ": model.vocab['" + text + "'] is not a token id");
    by_id[(int64_t)id.get<uint64_t>()] = text;
  }
  UMA_ASSIGN_OR_RETURN(auto added, added_tokens_of(tj, path));
  std::map<int64_t, const AddedToken*> added_by_id;
  for (const auto& a : added) {
    if (a.id > (1 << 24)) return error(path + ": added token id " + std::to_string(a.id) + " too large");
    by_id[a.id] = a.content;
    added_by_id[a.id] = &a;
  }
  const int64_t n_tok = by_id.empty() ? 0 : by_id.rbegin()->first + 1;
  const int64_t n = vocab_size.value_or(n_tok);
  if (n < n_tok)
    return error(path + ": token id " + std::to_string(n_tok - 1) + " is not below config.json's vocab_size " + std::to_string(n));
  for (int64_t i = 0; i < n; i++) {
    auto it = by_id.find(i);
    if (it == by_id.end()) {
      m.tokens.push_back("[PAD" + std::to_string(i) + "]");
      m.types.push_back(kUnused);
      continue;
    }
    auto a = added_by_id.find(i);
    if (a == added_by_id.end()) {
      m.tokens.push_back(it->second);
      m.types.push_back(kNormal);
    } else if (a->second->special || looks_special(it->second)) {
      m.tokens.push_back(it->second);
      m.types.push_back(kControl);
    } else {
      m.tokens.push_back(unescape_spaces(it->second));
      m.types.push_back(kUserDefined);
    }
  }
  auto merges = model->find("merges");
  if (merges != model->end() && merges->is_array()) {
    for (const auto& e : *merges) {
      if (e.is_string()) m.merges.push_back(e.get<std::string>());
      else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string())
        m.merges.push_back(e[0].get<std::string>() + " " + e[1].get<std::string>());
      else return error(path + ": model.merges holds an entry that is not a pair of strings");
    }
  }
  UMA_TRY(load_special(dir, added, n, &m));
  // BOS through a TemplateProcessing post-processor that starts with it (Llama 3.1 style) means
  // add_bos, unless tokenizer_config.json said otherwise.
  bool has_add_bos = false;
  for (const auto& [typ, v] : m.add_special) has_add_bos |= typ == "bos";
  auto post = tj.find("post_processor");
  if (!has_add_bos && post != tj.end() && post->is_object()) {
    std::vector<const json*> procs = {&*post};
    if (auto ps = post->find("processors"); ps != post->end() && ps->is_array())
      for (const auto& p : *ps) procs.push_back(&p);
    for (const json* p : procs) {
      if (str_field(*p, "type") != "TemplateProcessing") continue;
      auto single = p->find("single");
      if (single == p->end() || !single->is_array() || single->size() < 2) continue;
      const json& first = (*single)[0];
      if (first.is_object() && first.contains("SpecialToken")) {
        m.add_special.emplace_back("bos", true);
        break;
      }
    }
  }
  return m;
}

}  // namespace

Result<std::string> detect_bpe_pre_tokenizer(const std::string& pre_tokenizer_json) {
  const json pre = json::parse(pre_tokenizer_json, nullptr, false);
  if (pre.is_discarded()) return error("tokenizer.json: pre_tokenizer is not valid JSON");
  // ByteLevel on its own splits with GPT-2's regex.
  if (pre.is_object() && str_field(pre, "type") == "ByteLevel") {
    if (!pre.contains("use_regex") || !pre["use_regex"].is_boolean() || pre["use_regex"].get<bool>())
      return std::string("gpt-2");
  }
  std::string regex;
  if (pre.is_object() && str_field(pre, "type") == "Sequence" && pre.contains("pretokenizers") &&
      pre["pretokenizers"].is_array()) {
    int splits = 0;
    for (const auto& p : pre["pretokenizers"]) {
      if (str_field(p, "type") == "Split" && p.contains("pattern") && p["pattern"].is_object()) {
        if (auto r = str_field(p["pattern"], "Regex")) regex = *r, splits++;
      } else if (str_field(p, "type") != "ByteLevel") {
        splits = 99;  // digits / punctuation splitters: a pre-tokenizer this table does not know
      }
    }
    if (splits == 1)
      for (const auto& [r, name] : kKnownRegexes)
        if (regex == r) return std::string(name);
  }
  std::string shown = regex.empty() ? pre.dump() : regex;
  if (shown.size() > 120) shown = shown.substr(0, 120) + "...";
  return error("tokenizer.json: pre-tokenizer not recognised (" + shown +
               "); known: llama-bpe (Llama 3), qwen2, tekken, gpt-4o, gpt-2");
}

Result<TokenizerMeta> load_hf_tokenizer(const std::string& dir, std::optional<int64_t> vocab_size) {
  std::error_code ec;
  if (fs::is_regular_file(fs::path(dir) / "tokenizer.model", ec)) return load_spm(dir, vocab_size);
  if (fs::is_regular_file(fs::path(dir) / "tokenizer.json", ec)) return load_bpe(dir, vocab_size);
  return error(dir + ": no tokenizer.model or tokenizer.json");
}

void write_tokenizer_meta(const TokenizerMeta& t, gguf::Writer& w) {
  w.set_string("tokenizer.ggml.model", t.model);
  w.set_string("tokenizer.ggml.pre", t.pre);
  w.set_array_string("tokenizer.ggml.tokens", t.tokens);
  if (!t.scores.empty()) w.set_array_f32("tokenizer.ggml.scores", t.scores);
  w.set_array_i32("tokenizer.ggml.token_type", t.types);
  if (!t.merges.empty()) w.set_array_string("tokenizer.ggml.merges", t.merges);
  for (const auto& [typ, id] : t.special_ids)
    for (const auto& [name, key] : kSpecialKeys)
      if (typ == name) w.set_u32(key, id);
  for (const auto& [typ, v] : t.add_special) w.set_bool("tokenizer.ggml.add_" + typ + "_token", v);
  if (t.chat_template) w.set_string("tokenizer.chat_template", *t.chat_template);
  std::vector<std::string> names;
  for (const auto& [name, tmpl] : t.named_templates) {
    w.set_string("tokenizer.chat_template." + name, tmpl);
    names.push_back(name);
  }
  if (!names.empty()) w.set_array_string("tokenizer.chat_templates", names);
}

}  // namespace uma::convert

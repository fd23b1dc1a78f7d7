// Tokenizer: loading from GGUF and the encode/decode drivers (llama.cpp's llama_vocab::impl
// tokenize/detokenize): special tokens are cut out first, then each raw fragment goes through SPM
// (with the dummy-prefix space after BOS/specials) or pre-tokenizer + byte-level BPE.
#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <string_view>

#include "tokenizer/spm.h"
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace uma {

namespace {
constexpr std::string_view kSpaceEscape = "\xE2\x96\x81";  // U+2581
}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

Result<Tokenizer> Tokenizer::from_gguf(const gguf::GgufFile& file) {
  auto impl = std::make_unique<Impl>();
  {
    auto v = tok::load_vocab(file);
    if (!v.ok()) return v.status().with_context(file.name());
    impl->vocab = std::move(v).value();
  }
  tok::Vocab& v = impl->vocab;
  impl->splitter.build(v);
  // Lossless when every byte has a token that renders as exactly that byte (SPM byte fallback,
  // or byte-level BPE whose byte symbols are normal tokens; DeepSeek's user-defined byte symbols
  // render as text, so invalid UTF-8 would not survive a round trip there).
  bool all_bytes = true;
  for (int b = 0; b < 256; b++) {
    const TokenId id = v.byte_token[b];
    all_bytes = all_bytes && id >= 0 &&
                (v.attr[id] & (tok::kAttrControl | tok::kAttrUnknown)) == 0 &&
                v.piece[id] == std::string(1, (char)b);
  }
  if (v.kind == tok::VocabKind::kBpe) {
    auto bpe = tok::BpeModel::load(file, v);
    if (!bpe.ok()) return bpe.status().with_context(file.name());
    impl->bpe = std::move(bpe).value();
    const tok::PreTokenizerSpec* spec = tok::find_pre_tokenizer(v.pre_name);
    auto pre = tok::PreTokenizer::create(*spec, v.pre_name);  // spec checked by load_vocab
    if (!pre.ok()) return pre.status().with_context(file.name());
    impl->pre = std::move(pre).value();
  }
  impl->lossless = all_bytes;
  return Tokenizer(std::move(impl));
}

namespace {

// Offsets inside the tokenizer are 32-bit; longer texts are encoded in slices cut after a newline
// (or at a character boundary), far beyond any real prompt.
constexpr size_t kMaxSlice = size_t(1) << 30;

size_t slice_end(std::string_view text) {
  if (text.size() <= kMaxSlice) return text.size();
  const size_t nl = text.rfind('\n', kMaxSlice - 1);
  if (nl != std::string_view::npos && nl > kMaxSlice / 2) return nl + 1;
  size_t e = kMaxSlice;
  while (e > 0 && ((uint8_t)text[e] & 0xC0) == 0x80) e--;
  return e;
}

}  // namespace

std::vector<TokenId> Tokenizer::encode(std::string_view text, bool add_special,
                                       bool parse_special) const {
  const tok::Vocab& v = impl_->vocab;
  std::vector<TokenId> out;
  out.reserve(std::min(text.size(), kMaxSlice) / 3 + 4);
  if (add_special && v.add_bos && v.bos >= 0) out.push_back(v.bos);
  do {
    const size_t e = slice_end(text);
    encode_slice(text.substr(0, e), parse_special, out);
    text.remove_prefix(e);
  } while (!text.empty());
  if (add_special && v.add_eos && v.eos >= 0) out.push_back(v.eos);
  return out;
}

void Tokenizer::encode_slice(std::string_view text, bool parse_special,
                             std::vector<TokenId>& out) const {
  const tok::Vocab& v = impl_->vocab;
  std::vector<tok::Fragment> frags;
  impl_->splitter.split(v, text, parse_special, frags);

  if (v.kind == tok::VocabKind::kSpm) {
    tok::SpmScratch scratch;
    // One buffer for all escaped fragments, reserved up front so that the views the chunk cache
    // keeps into it stay valid.
    std::string escaped;
    escaped.reserve(text.size() * kSpaceEscape.size() + kSpaceEscape.size() * (frags.size() + 1));
    bool prev_special = true;  // the first fragment gets the dummy prefix too
    for (const auto& f : frags) {
      if (f.token >= 0) {
        out.push_back(f.token);
        prev_special = true;
        continue;
      }
      const size_t start = escaped.size();
      if (v.add_space_prefix && prev_special) escaped.append(kSpaceEscape);
      for (char c : text.substr(f.begin, f.end - f.begin)) {
        if (c == ' ')
          escaped.append(kSpaceEscape);
        else
          escaped.push_back(c);
      }
      tok::spm_encode(v, std::string_view(escaped).substr(start), scratch, out);
      prev_special = false;
    }
  } else {
    tok::BpeModel::Scratch scratch;
    std::vector<tok::Span> words;
    tok::WordCache cache;  // repeated words (most of them, in prose) are merged once per call
    std::vector<TokenId> word_ids;
    for (const auto& f : frags) {
      if (f.token >= 0) {
        out.push_back(f.token);
        continue;
      }
      const std::string_view frag = text.substr(f.begin, f.end - f.begin);
      impl_->pre->split(frag, words);
      for (const tok::Span w : words) {
        const std::string_view word = frag.substr(w.begin, w.end - w.begin);
        if (cache.lookup(word, out)) continue;
        word_ids.clear();
        impl_->bpe->encode_word(v, word, scratch, word_ids);
        cache.insert(word, word_ids.data(), word_ids.size());
        out.insert(out.end(), word_ids.begin(), word_ids.end());
      }
    }
  }
}

std::string Tokenizer::token_to_piece(TokenId id, bool special) const {
  const tok::Vocab& v = impl_->vocab;
  if (id < 0 || id >= v.n_vocab()) return {};
  if (!special && (v.attr[id] & (tok::kAttrUnknown | tok::kAttrControl))) return {};
  return v.piece[id];
}

std::string Tokenizer::decode(const std::vector<TokenId>& ids, bool special) const {
  std::string out;
  // The SPM dummy prefix: the first piece that renders loses one leading space (llama.cpp strips
  // it from the first token; here leading tokens that render as nothing, such as BOS, are skipped).
  bool strip = impl_->vocab.add_space_prefix;
  const tok::Vocab& v = impl_->vocab;
  for (TokenId id : ids) {
    if (id < 0 || id >= v.n_vocab()) continue;
    if (!special && (v.attr[id] & (tok::kAttrUnknown | tok::kAttrControl))) continue;
    const std::string& piece = v.piece[id];  // as token_to_piece, without a copy
    if (piece.empty()) continue;
    if (strip && piece[0] == ' ')
      out.append(piece, 1);
    else
      out.append(piece);
    strip = false;
  }
  return out;
}

int32_t Tokenizer::n_vocab() const { return impl_->vocab.n_vocab(); }
TokenId Tokenizer::bos() const { return impl_->vocab.bos; }
TokenId Tokenizer::eos() const { return impl_->vocab.eos; }
bool Tokenizer::add_bos() const { return impl_->vocab.add_bos; }
bool Tokenizer::add_eos() const { return impl_->vocab.add_eos; }
bool Tokenizer::is_eog(TokenId id) const {
  return id >= 0 && id < n_vocab() && impl_->vocab.eog[id] != 0;
}
bool Tokenizer::is_control(TokenId id) const {
  return id >= 0 && id < n_vocab() && (impl_->vocab.attr[id] & tok::kAttrControl) != 0;
}
bool Tokenizer::lossless() const { return impl_->lossless; }
std::string_view Tokenizer::model_name() const { return impl_->vocab.model_name; }
std::string_view Tokenizer::pre_name() const { return impl_->vocab.pre_name; }
bool Tokenizer::add_space_prefix() const { return impl_->vocab.add_space_prefix; }

}  // namespace uma

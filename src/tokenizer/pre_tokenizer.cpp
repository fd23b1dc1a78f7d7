// Pre-tokenizer regexes per tokenizer.ggml.pre, as llama.cpp applies them (llm_tokenizer_bpe in
// llama-vocab.cpp). llama.cpp runs them with hand-written matchers and std::regex over a
// category-collapsed copy of the text; PCRE2 with UCP gives the same splits on the real text.
#include "tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string>

#include "tokenizer/unicode.h"

namespace uma::tok {
namespace {

// GPT-2's pattern (llama.cpp's matcher also accepts a final \s+, which the splitter reproduces by
// keeping unmatched text as its own piece).
constexpr const char* kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";
// Llama 3 / tiktoken cl100k-style, with the case-insensitive contractions spelled out.
constexpr const char* kLlama3 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Qwen2: as Llama 3 but single digits.
constexpr const char* kQwen2 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kCjk = "[\\x{4E00}-\\x{9FA5}\\x{0800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+";
// DeepSeek LLM's cased-letter class, written as code point ranges.
constexpr const char* kDeepseekLetters =
    "\\s?[A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}"
    "\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}"
    "\\x{37F}\\x{386}\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}"
    "\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}"
    "\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}"
    "\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}"
    "\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}\\x{1F5D}"
    "\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}"
    "\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}"
    "\\x{1FF2}-\\x{1FF4}\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}"
    "\\x{2119}-\\x{211D}\\x{2124}\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}"
    "\\x{2139}\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}"
    "\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}"
    "\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}\\x{A771}-\\x{A787}"
    "\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}"
    "\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}"
    "\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}"
    "\\x{1E900}-\\x{1E943}]+";
constexpr const char* kDeepseekPunct =
    "\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+";
constexpr const char* kPoro = R"( ?[^(\s|.,!?…。，、।۔،)]+)";
constexpr const char* kTekken =
    R"([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kGpt4o =
    R"([^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct NamedSpec {
  std::vector<std::string_view> names;
  PreTokenizerSpec spec;
};

const std::vector<NamedSpec>& specs() {
  static const std::vector<NamedSpec> kSpecs = {
      {{"default", ""},
       {{R"([\p{P}\$\+<=>\^~\|]+)", kGpt2, R"(\p{N}+)", "[0-9][0-9][0-9]"}, false, false}},
      {{"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral"},
       {{kLlama3}, true, true}},
      {{"dbrx", "smaug-bpe"}, {{kLlama3}, false, false}},
      {{"chatglm-bpe", "glm4"}, {{kLlama3}, false, false}},
      {{"deepseek-llm"},
       {{"[\\r\\n]", kDeepseekLetters, kDeepseekPunct, "\\s+$", kCjk, R"(\p{N}+)"}, false, false}},
      {{"deepseek-coder"},
       {{"[\\r\\n]", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kCjk, R"(\p{N})"}, false, false}},
      {{"deepseek-v3"},
       {{R"(\p{N}{1,3})", "[\\x{4E00}-\\x{9FA5}\\x{3040}-\\x{309F}\\x{30A0}-\\x{30FF}]+",
         R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
        false,
        false}},
      {{"falcon"}, {{R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2, "[0-9][0-9][0-9]"}, false, false}},
      {{"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b"},
       {{R"(\p{N})", kGpt2}, false, false}},
      {{"gpt-2", "phi-2", "mpt", "olmo", "jais", "jina-es", "jina-de", "jina-v1-en", "jina-v2-es",
        "jina-v2-de", "jina-v2-code", "roberta-bpe", "gigachat", "trillion"},
       {{kGpt2}, false, false}},
      {{"qwen2", "deepseek-r1-qwen", "stablelm2", "megrez", "hunyuan"}, {{kQwen2}, false, false}},
      {{"poro-chat", "bloom", "gpt3-finnish"}, {{kPoro}, false, false}},
      {{"viking"}, {{kPoro, R"(\p{N})"}, false, false}},
      {{"tekken"}, {{kTekken}, true, true}},
      {{"gpt-4o", "llama4"}, {{kGpt4o}, false, false}},
      {{"chameleon"},
       {{"<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )",
         R"(\p{N})", R"([\p{P}!-/:-@\[-`{-~])", kGpt2},
        false,
        true}},
  };
  return kSpecs;
}

}  // namespace

const PreTokenizerSpec* find_pre_tokenizer(std::string_view name) {
  for (const auto& s : specs())
    for (auto n : s.names)
      if (n == name) return &s.spec;
  return nullptr;
}

struct PreTokenizer::Compiled {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Compiled() { pcre2_code_free(code); }
};

PreTokenizer::PreTokenizer() = default;
PreTokenizer::~PreTokenizer() = default;
PreTokenizer::PreTokenizer(PreTokenizer&&) noexcept = default;
PreTokenizer& PreTokenizer::operator=(PreTokenizer&&) noexcept = default;

Result<PreTokenizer> PreTokenizer::create(const PreTokenizerSpec& spec, std::string_view name) {
  PreTokenizer p;
  // DOLLAR_ENDONLY: `$` means end of piece, as in std::regex, not "before a final newline".
  const uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY | PCRE2_MATCH_INVALID_UTF;
  for (const char* re : spec.regexes) {
    int err = 0;
    PCRE2_SIZE err_off = 0;
    auto c = std::make_unique<Compiled>();
    c->code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, opts, &err, &err_off, nullptr);
    if (!c->code) {
      PCRE2_UCHAR buf[256];
      pcre2_get_error_message(err, buf, sizeof buf);
      return error("tokenizer: pre-tokenizer '" + std::string(name) + "': regex error at offset " +
                   std::to_string(err_off) + ": " + reinterpret_cast<const char*>(buf));
    }
    c->jit = pcre2_jit_compile(c->code, PCRE2_JIT_COMPLETE) == 0;
    p.regexes_.push_back(std::move(c));
  }
  return p;
}

namespace {

// PCRE2 match state, one per thread so that a PreTokenizer serves many threads without locks or
// per-call allocations. JIT matching runs on PCRE2's default 32 KiB machine stack; a larger JIT
// stack is made only if a match ever runs out of it.
struct MatchState {
  pcre2_match_data* md = nullptr;
  pcre2_match_context* big_ctx = nullptr;
  pcre2_jit_stack* big_stack = nullptr;
  MatchState() { md = pcre2_match_data_create(1, nullptr); }
  ~MatchState() {
    pcre2_jit_stack_free(big_stack);
    pcre2_match_context_free(big_ctx);
    pcre2_match_data_free(md);
  }
  MatchState(const MatchState&) = delete;
  MatchState& operator=(const MatchState&) = delete;

  pcre2_match_context* big_context() {
    if (!big_ctx) {
      big_ctx = pcre2_match_context_create(nullptr);
      big_stack = pcre2_jit_stack_create(64 * 1024, 8 * 1024 * 1024, nullptr);
      if (big_ctx && big_stack) pcre2_jit_stack_assign(big_ctx, nullptr, big_stack);
    }
    return big_ctx;
  }
};

MatchState& match_state() {
  thread_local MatchState st;
  return st;
}

}  // namespace

void PreTokenizer::split(std::string_view text, std::vector<Span>& out) const {
  out.clear();
  if (text.empty()) return;
  out.push_back({0, (uint32_t)text.size()});
  if (regexes_.empty()) return;
  MatchState& st = match_state();
  if (!st.md) return;  // out of memory: the whole text stays one piece
  std::vector<Span> next;
  for (const auto& re : regexes_) {
    next.clear();
    next.reserve(out.size() * 2);
    for (const Span piece : out) {
      const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data() + piece.begin);
      const PCRE2_SIZE len = piece.end - piece.begin;
      PCRE2_SIZE pos = 0, last = 0;
      while (pos < len) {
        int rc = re->jit ? pcre2_jit_match(re->code, subject, len, pos, 0, st.md, nullptr)
                         : pcre2_match(re->code, subject, len, pos, 0, st.md, nullptr);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT && st.big_context())
          rc = pcre2_jit_match(re->code, subject, len, pos, 0, st.md, st.big_context());
        if (rc < 0) break;  // no match (or a resource error): the rest stays unmatched
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(st.md);
        const PCRE2_SIZE ms = ov[0], me = ov[1];
        if (me <= ms) {  // empty match: step over one character
          pos = ms + utf8_len((uint8_t)text[piece.begin + ms]);
          continue;
        }
        if (ms > last) next.push_back({piece.begin + (uint32_t)last, piece.begin + (uint32_t)ms});
        next.push_back({piece.begin + (uint32_t)ms, piece.begin + (uint32_t)me});
        last = pos = me;
      }
      if (last < len) next.push_back({piece.begin + (uint32_t)last, piece.end});
    }
    out.swap(next);
  }
}

}  // namespace uma::tok

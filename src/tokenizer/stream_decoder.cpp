// StreamDecoder: incremental detokenization for streaming output. Pieces are buffered until they
// end on a UTF-8 character boundary, so a character split over byte tokens is never torn.
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace uma {

StreamDecoder::StreamDecoder(const Tokenizer& tok, bool after_bos)
    : tok_(tok), after_bos_(after_bos) {}

std::string StreamDecoder::push(TokenId id) {
  std::string piece = tok_.token_to_piece(id, /*special=*/false);
  if (piece.empty()) return {};
  if (first_) {
    // The dummy-prefix space SPM adds at the start of the prompt (llama2.c prints "Once", not
    // " Once", for the first token after BOS).
    if (after_bos_ && tok_.add_space_prefix() && piece[0] == ' ') piece.erase(0, 1);
    first_ = false;
  }
  pending_ += piece;
  const size_t hold = tok::utf8_incomplete_tail(pending_);
  std::string ready = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return ready;
}

std::string StreamDecoder::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace uma

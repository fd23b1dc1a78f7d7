// Stop strings over streamed text: text is released as soon as it cannot be the start of a stop
// string; a suffix that could still grow into one is held back until it either completes (the
// stream ends just before it) or diverges (the held text is released).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace uma::engine {

class StopMatcher {
 public:
  StopMatcher() = default;
  explicit StopMatcher(std::vector<std::string> stops);  // empty strings are ignored

  // Append generated text; returns the text that is safe to emit now. After a stop string
  // completes, stopped() is true, the returned text ends right before it and later pushes
  // return nothing.
  std::string push(std::string_view text);
  // End of generation without a stop: everything held back.
  std::string flush();
  bool stopped() const { return stopped_; }
  // Bytes released so far (push + flush results), for aligning logprobs with text.
  size_t released() const { return released_; }

 private:
  size_t held_suffix() const;  // longest suffix of pending_ that is a proper prefix of a stop

  std::vector<std::string> stops_;
  std::string pending_;
  size_t released_ = 0;
  bool stopped_ = false;
};

}  // namespace uma::engine

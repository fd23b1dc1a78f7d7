// StopMatcher: earliest stop-string match in the pending text, else hold back the longest suffix
// that is a proper prefix of some stop string (nothing emitted can be part of a later match).
#include "engine/stop_matcher.h"

#include <algorithm>

namespace uma::engine {

StopMatcher::StopMatcher(std::vector<std::string> stops) {
  for (auto& s : stops)
    if (!s.empty()) stops_.push_back(std::move(s));
}

size_t StopMatcher::held_suffix() const {
  size_t best = 0;
  for (const std::string& s : stops_) {
    const size_t max_k = std::min(s.size() - 1, pending_.size());
    for (size_t k = max_k; k > best; k--) {
      if (pending_.compare(pending_.size() - k, k, s, 0, k) == 0) {
        best = k;
        break;
      }
    }
  }
  return best;
}

std::string StopMatcher::push(std::string_view text) {
  if (stopped_) return {};
  pending_.append(text);
  if (stops_.empty()) {
    std::string out;
    out.swap(pending_);
    released_ += out.size();
    return out;
  }
  size_t first = std::string::npos;
  for (const std::string& s : stops_) first = std::min(first, pending_.find(s));
  if (first != std::string::npos) {
    stopped_ = true;
    std::string out = pending_.substr(0, first);
    pending_.clear();
    released_ += out.size();
    return out;
  }
  const size_t keep = held_suffix();
  std::string out = pending_.substr(0, pending_.size() - keep);
  pending_.erase(0, pending_.size() - keep);
  released_ += out.size();
  return out;
}

std::string StopMatcher::flush() {
  if (stopped_) return {};
  std::string out;
  out.swap(pending_);
  released_ += out.size();
  return out;
}

}  // namespace uma::engine

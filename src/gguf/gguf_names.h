// Rules for key and tensor names shared by the GGUF reader and writer, so that the writer never
// produces a file the reader rejects. Internal to src/gguf.
#pragma once

#include <cstdint>
#include <string_view>

namespace uma::gguf {

constexpr uint64_t kMaxKeyBytes = 65535;  // spec: keys are at most 2^16 - 1 bytes
constexpr uint64_t kMaxTensorNameBytes = 1024;

// Well-formed UTF-8 without control characters (names are printed in messages and map keys).
bool is_clean_utf8(std::string_view s);
// Non-empty, at most max_bytes, clean UTF-8.
inline bool is_valid_gguf_name(std::string_view s, uint64_t max_bytes) {
  return !s.empty() && s.size() <= max_bytes && is_clean_utf8(s);
}

}  // namespace uma::gguf

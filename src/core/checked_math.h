// Overflow-checked size arithmetic for sizes derived from untrusted input (file headers).
#pragma once

#include <cstdint>

namespace uma {

// Returns false on overflow; *out is only meaningful when true is returned.
inline bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}
inline bool checked_add(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_add_overflow(a, b, out);
}

}  // namespace uma

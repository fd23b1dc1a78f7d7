// A tiny little-endian byte builder for hand-making GGUF files in tests, valid or deliberately
// broken field by field. Deliberately independent of gguf::Writer so it can say things the writer
// refuses to (bad magic, huge counts, nested arrays...).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace uma::gguf::test {

// GGUF value type ids (spec), spelled out so tests can also write invalid ones.
enum : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};

class Bytes {
 public:
  template <typename T>
  Bytes& put(T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    data.insert(data.end(), b, b + sizeof(T));
    return *this;
  }
  Bytes& u8(uint8_t v) { return put(v); }
  Bytes& u32(uint32_t v) { return put(v); }
  Bytes& u64(uint64_t v) { return put(v); }
  Bytes& i32(int32_t v) { return put(v); }
  Bytes& f32(float v) { return put(v); }
  // gguf string: u64 length then the bytes (no terminator).
  Bytes& str(std::string_view s) {
    u64(s.size());
    data.insert(data.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& raw(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    data.insert(data.end(), b, b + n);
    return *this;
  }
  Bytes& zeros(size_t n) {
    data.insert(data.end(), n, 0);
    return *this;
  }
  Bytes& pad_to(size_t align) { return zeros((align - data.size() % align) % align); }

  // Header: magic "GGUF", version, n_tensors, n_kv.
  Bytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    raw("GGUF", 4);
    u32(version);
    u64(n_tensors);
    return u64(n_kv);
  }
  Bytes& kv_u32(std::string_view key, uint32_t v) { return str(key).u32(kU32).u32(v); }
  Bytes& kv_str(std::string_view key, std::string_view v) { return str(key).u32(kString).str(v); }
  // Array header only; the caller appends the elements.
  Bytes& kv_array(std::string_view key, uint32_t elem_type, uint64_t count) {
    return str(key).u32(kArray).u32(elem_type).u64(count);
  }
  // Tensor info: name, n_dims, ne..., type id, offset.
  Bytes& tensor(std::string_view name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
    str(name).u32((uint32_t)ne.size());
    for (uint64_t n : ne) u64(n);
    return u32(type).u64(offset);
  }

  size_t size() const { return data.size(); }
  std::vector<uint8_t> data;
};

}  // namespace uma::gguf::test

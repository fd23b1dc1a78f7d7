// GGUF v3 writer: metadata of every type, tensors from memory or produced on demand (so
// quantize/convert can stream a model larger than RAM). Used by synth, quantize, convert, tests.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"
#include "gguf/gguf.h"

namespace uma::gguf {

class Writer {
 public:
  // Metadata setters; setting a key twice replaces the earlier value (order of first set kept).
  void set_u8(const std::string& key, uint8_t v);
  void set_i8(const std::string& key, int8_t v);
  void set_u16(const std::string& key, uint16_t v);
  void set_i16(const std::string& key, int16_t v);
  void set_u32(const std::string& key, uint32_t v);
  void set_i32(const std::string& key, int32_t v);
  void set_u64(const std::string& key, uint64_t v);
  void set_i64(const std::string& key, int64_t v);
  void set_f32(const std::string& key, float v);
  void set_f64(const std::string& key, double v);
  void set_bool(const std::string& key, bool v);
  void set_string(const std::string& key, const std::string& v);
  void set_array_string(const std::string& key, const std::vector<std::string>& v);
  void set_array_f32(const std::string& key, const std::vector<float>& v);
  void set_array_i32(const std::string& key, const std::vector<int32_t>& v);
  void set_array_u32(const std::string& key, const std::vector<uint32_t>& v);
  // Copy a value (any type, arrays included) from a file being read, e.g. tokenizer.* keys.
  void copy_value(const std::string& key, const Value& v);
  void remove(const std::string& key);
  // general.alignment is written as a u32 key when not the default 32.
  void set_alignment(uint32_t alignment);

  // A tensor whose bytes the caller keeps alive until write() returns. ne[0] = row length.
  // The data size must equal the type's row bytes × rows (checked in write()).
  void add_tensor(const std::string& name, DType type, const std::vector<int64_t>& ne,
                  const void* data);
  // A tensor produced on demand: fill(dst, nbytes) writes exactly nbytes into dst. Called once,
  // in tensor order, during write(), so only one tensor's bytes are in memory at a time.
  using FillFn = std::function<Status(uint8_t* dst, uint64_t nbytes)>;
  void add_tensor(const std::string& name, DType type, const std::vector<int64_t>& ne, FillFn fill);

  // Write the whole file (to PATH.tmp, then rename, so a failure never leaves a half file).
  Status write(const std::string& path) const;
  // Write into memory (tests, fuzz seeds).
  Result<std::vector<uint8_t>> write_to_memory() const;

 private:
  struct Kv {
    std::string key;
    ValueType type;
    ValueType elem_type;
    uint64_t count;                    // array elements
    std::vector<uint8_t> raw;          // scalar or numeric array payload
    std::vector<std::string> strings;  // STRING scalar (1 entry) or STRING array
  };
  struct Tensor {
    std::string name;
    DType type;
    std::vector<int64_t> ne;
    const void* data;
    FillFn fill;
  };
  void put(Kv kv);
  // Validates everything, then streams the file's bytes through `append` (file or memory).
  Status emit(const std::function<Status(const void*, uint64_t)>& append) const;
  std::vector<Kv> kv_;
  std::vector<Tensor> tensors_;
  uint32_t alignment_ = 32;
};

}  // namespace uma::gguf

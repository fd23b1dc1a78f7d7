// GGUF v2/v3 reader over a memory-mapped file. Everything read from the file is validated
// (magic, version, counts vs file size, string/array lengths, duplicates, dims, type ids, row
// sizes, offsets, alignment, data ranges, overflow). Tensor data is used in place: no copy.
// Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/dtype.h"
#include "core/mapped_file.h"
#include "core/status.h"

namespace uma::gguf {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
constexpr uint64_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;

enum class ValueType : uint32_t {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
std::string_view value_type_name(ValueType t);
// Size in bytes of one element of a fixed-size type; 0 for STRING/ARRAY.
uint32_t value_type_size(ValueType t);

// One metadata value. Strings and array payloads point into the mapped file (valid as long as the
// GgufFile lives). Arrays of arrays are rejected by the reader.
class Value {
 public:
  ValueType type() const { return type_; }
  bool is_array() const { return type_ == ValueType::ARRAY; }

  // Scalars. Integer getters accept any integer type whose value fits; as_float accepts any
  // numeric type. nullopt on a type mismatch (or out-of-range value).
  std::optional<uint64_t> as_uint() const;
  std::optional<int64_t> as_int() const;
  std::optional<double> as_float() const;
  std::optional<bool> as_bool() const;
  std::optional<std::string_view> as_string() const;

  // Arrays.
  ValueType elem_type() const { return elem_type_; }
  uint64_t array_size() const { return count_; }
  std::string_view array_string(uint64_t i) const;  // elem_type STRING; i < array_size()
  std::optional<double> array_number(uint64_t i) const;   // numeric/bool elem types
  std::optional<int64_t> array_int(uint64_t i) const;     // integer/bool elem types
  const uint8_t* array_data() const { return data_; }     // raw little-endian elements (numeric)

  // Human-readable on one line, arrays summarised: [512 × string] "<unk>", "<s>", "</s>", …
  // Strings are quoted with control characters escaped and cut after 160 bytes (40 inside an
  // array), so use as_string()/array_string() for the full text.
  std::string to_string(size_t max_items = 8) const;

 private:
  friend class Reader;
  ValueType type_ = ValueType::UINT8;
  ValueType elem_type_ = ValueType::UINT8;
  uint64_t count_ = 0;                  // array element count
  const uint8_t* data_ = nullptr;       // scalar bytes, string bytes, or array payload
  uint64_t len_ = 0;                    // string length (STRING scalar)
  std::vector<std::string_view> strings_;  // STRING arrays: views into the file
};

struct TensorInfo {
  std::string name;
  DType type = DType::F32;
  uint32_t n_dims = 0;
  int64_t ne[kMaxDims] = {1, 1, 1, 1};  // ne[0] is the row length (contiguous), as in ggml
  uint64_t offset = 0;                  // relative to the start of the data section
  uint64_t nbytes = 0;                  // 0 when a dimension is 0 (ggml allows empty tensors)
  const uint8_t* data = nullptr;        // into the mapping

  uint64_t n_elements() const { return (uint64_t)ne[0] * ne[1] * ne[2] * ne[3]; }
  uint64_t n_rows() const { return (uint64_t)ne[1] * ne[2] * ne[3]; }
  std::string shape_string() const;  // "[64, 512]"
};

class GgufFile {
 public:
  // Map and parse a file. Errors read "PATH: gguf: <what> ...".
  static Result<GgufFile> open(const std::string& path);
  // Parse a buffer the caller keeps alive (tests, fuzzing). `name` is used in messages.
  static Result<GgufFile> parse(const uint8_t* data, uint64_t size, const std::string& name);

  const std::string& name() const { return name_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  // Start of the (aligned) data section. A file without tensors may end before it.
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return size_; }
  const uint8_t* base() const { return base_; }

  // Metadata in file order.
  const std::vector<std::pair<std::string, Value>>& metadata() const { return kv_; }
  const Value* find(std::string_view key) const;

  // Typed lookups with errors that name the file and the key:
  // "PATH: gguf: missing key 'llama.block_count'",
  // "PATH: gguf: key 'llama.block_count' has type string, expected an integer".
  Result<uint64_t> get_uint(std::string_view key) const;
  Result<double> get_float(std::string_view key) const;
  Result<std::string> get_string(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  // Optional variants: default when absent, error when present with the wrong type.
  Result<uint64_t> get_uint_or(std::string_view key, uint64_t dflt) const;
  Result<double> get_float_or(std::string_view key, double dflt) const;
  Result<std::string> get_string_or(std::string_view key, std::string dflt) const;
  Result<bool> get_bool_or(std::string_view key, bool dflt) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;

 private:
  friend class Reader;
  MappedFile file_;  // empty when parsed from a caller's buffer
  std::string name_;
  const uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  uint64_t alignment_ = kDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, Value>> kv_;
  std::unordered_map<std::string, size_t> kv_index_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace uma::gguf

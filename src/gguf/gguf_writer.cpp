// GGUF v3 writer. Layout (spec: ggml/docs/gguf.md): header, metadata, tensor infos, zero padding
// to the alignment, then each tensor's bytes padded to the alignment. Everything is checked
// before the first byte is written, so an invalid tensor never leaves a half-written file.
#include "gguf/gguf_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "core/checked_math.h"
#include "gguf/gguf_names.h"

namespace uma::gguf {

namespace {

template <typename T>
std::vector<uint8_t> raw_of(const T& v) {
  std::vector<uint8_t> out(sizeof(T));
  std::memcpy(out.data(), &v, sizeof(T));
  return out;
}

template <typename T>
std::vector<uint8_t> raw_of_array(const std::vector<T>& v) {
  std::vector<uint8_t> out(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}

uint64_t pad_to(uint64_t n, uint64_t align) { return (align - n % align) % align; }

}  // namespace

void Writer::put(Kv kv) {
  if (kv.key == "general.alignment" && kv.type == ValueType::UINT32 && kv.raw.size() == 4)
    std::memcpy(&alignment_, kv.raw.data(), 4);
  for (auto& e : kv_) {
    if (e.key == kv.key) {
      e = std::move(kv);
      return;
    }
  }
  kv_.push_back(std::move(kv));
}

void Writer::set_u8(const std::string& key, uint8_t v) {
  put({key, ValueType::UINT8, ValueType::UINT8, 0, raw_of(v), {}});
}
void Writer::set_i8(const std::string& key, int8_t v) {
  put({key, ValueType::INT8, ValueType::INT8, 0, raw_of(v), {}});
}
void Writer::set_u16(const std::string& key, uint16_t v) {
  put({key, ValueType::UINT16, ValueType::UINT16, 0, raw_of(v), {}});
}
void Writer::set_i16(const std::string& key, int16_t v) {
  put({key, ValueType::INT16, ValueType::INT16, 0, raw_of(v), {}});
}
void Writer::set_u32(const std::string& key, uint32_t v) {
  put({key, ValueType::UINT32, ValueType::UINT32, 0, raw_of(v), {}});
}
void Writer::set_i32(const std::string& key, int32_t v) {
  put({key, ValueType::INT32, ValueType::INT32, 0, raw_of(v), {}});
}
void Writer::set_u64(const std::string& key, uint64_t v) {
  put({key, ValueType::UINT64, ValueType::UINT64, 0, raw_of(v), {}});
}
void Writer::set_i64(const std::string& key, int64_t v) {
  put({key, ValueType::INT64, ValueType::INT64, 0, raw_of(v), {}});
}
void Writer::set_f32(const std::string& key, float v) {
  put({key, ValueType::FLOAT32, ValueType::FLOAT32, 0, raw_of(v), {}});
}
void Writer::set_f64(const std::string& key, double v) {
  put({key, ValueType::FLOAT64, ValueType::FLOAT64, 0, raw_of(v), {}});
}

void Writer::set_bool(const std::string& key, bool v) {
  put({key, ValueType::BOOL, ValueType::BOOL, 0, {uint8_t(v ? 1 : 0)}, {}});
}

void Writer::set_string(const std::string& key, const std::string& v) {
  put({key, ValueType::STRING, ValueType::STRING, 0, {}, {v}});
}

void Writer::set_array_string(const std::string& key, const std::vector<std::string>& v) {
  put({key, ValueType::ARRAY, ValueType::STRING, v.size(), {}, v});
}

void Writer::set_array_f32(const std::string& key, const std::vector<float>& v) {
  put({key, ValueType::ARRAY, ValueType::FLOAT32, v.size(), raw_of_array(v), {}});
}

void Writer::set_array_i32(const std::string& key, const std::vector<int32_t>& v) {
  put({key, ValueType::ARRAY, ValueType::INT32, v.size(), raw_of_array(v), {}});
}

void Writer::set_array_u32(const std::string& key, const std::vector<uint32_t>& v) {
  put({key, ValueType::ARRAY, ValueType::UINT32, v.size(), raw_of_array(v), {}});
}

void Writer::copy_value(const std::string& key, const Value& v) {
  Kv kv{key, v.type(), v.type(), 0, {}, {}};
  if (v.type() == ValueType::STRING) {
    kv.strings.emplace_back(*v.as_string());
  } else if (v.type() != ValueType::ARRAY) {
    // A scalar's bytes are exactly its little-endian encoding; reconstruct them from the value.
    const uint32_t sz = value_type_size(v.type());
    kv.raw.resize(sz);
    if (v.type() == ValueType::FLOAT32) {
      const float f = (float)*v.as_float();
      std::memcpy(kv.raw.data(), &f, 4);
    } else if (v.type() == ValueType::FLOAT64) {
      const double d = *v.as_float();
      std::memcpy(kv.raw.data(), &d, 8);
    } else if (v.type() == ValueType::BOOL) {
      kv.raw[0] = *v.as_bool() ? 1 : 0;
    } else {
      // Two's complement: the low bytes of the int64/uint64 value are the value's encoding.
      const uint64_t u = v.as_uint() ? *v.as_uint() : (uint64_t)*v.as_int();
      std::memcpy(kv.raw.data(), &u, sz);
    }
  } else {
    kv.elem_type = v.elem_type();
    kv.count = v.array_size();
    if (v.elem_type() == ValueType::STRING) {
      kv.strings.reserve(v.array_size());
      for (uint64_t i = 0; i < v.array_size(); i++) kv.strings.emplace_back(v.array_string(i));
    } else if (v.array_size() > 0) {
      const uint64_t n = v.array_size() * value_type_size(v.elem_type());
      kv.raw.assign(v.array_data(), v.array_data() + n);
    }
  }
  put(std::move(kv));
}

void Writer::remove(const std::string& key) {
  if (key == "general.alignment") alignment_ = (uint32_t)kDefaultAlignment;
  for (size_t i = 0; i < kv_.size(); i++) {
    if (kv_[i].key == key) {
      kv_.erase(kv_.begin() + (ptrdiff_t)i);
      return;
    }
  }
}

void Writer::set_alignment(uint32_t alignment) {
  if (alignment == kDefaultAlignment) remove("general.alignment");
  else set_u32("general.alignment", alignment);
  alignment_ = alignment;
}

void Writer::add_tensor(const std::string& name, DType type, const std::vector<int64_t>& ne,
                        const void* data) {
  tensors_.push_back({name, type, ne, data, nullptr});
}

void Writer::add_tensor(const std::string& name, DType type, const std::vector<int64_t>& ne,
                        FillFn fill) {
  tensors_.push_back({name, type, ne, nullptr, std::move(fill)});
}

namespace {

// Byte size of a tensor with the reader's rules (n_dims 1..4, ne >= 0, whole blocks per row).
Result<uint64_t> tensor_nbytes(const std::string& name, DType type,
                               const std::vector<int64_t>& ne) {
  const std::string ctx = "gguf writer: tensor '" + name + "': ";
  if (ne.empty() || ne.size() > kMaxDims)
    return error(ctx + "n_dims " + std::to_string(ne.size()) + " out of range 1..4");
  uint64_t rows = 1, elems = 1;
  for (size_t d = 0; d < ne.size(); d++) {
    if (ne[d] < 0) return error(ctx + "dimension " + std::to_string(d) + " is negative");
    if (ne[d] == 0) rows = 0;
    if (d > 0) rows *= (uint64_t)ne[d];  // cannot overflow: bounded by elems below
    if (ne[d] != 0 && (!checked_mul(elems, (uint64_t)ne[d], &elems) ||
                       elems > (uint64_t)std::numeric_limits<int64_t>::max()))
      return error(ctx + "element count overflows");
  }
  const auto row = dtype_row_bytes(type, (uint64_t)ne[0]);
  if (!row)
    return error(ctx + "row length " + std::to_string(ne[0]) + " is not a multiple of the " +
                 std::string(dtype_name(type)) + " block size " +
                 std::to_string(dtype_info(type).block_elems));
  uint64_t nbytes = 0;
  if (!checked_mul(*row, rows, &nbytes)) return error(ctx + "byte size overflows");
  return nbytes;
}

// Writes the little-endian encodings through the caller's append function.
class Out {
 public:
  explicit Out(const std::function<Status(const void*, uint64_t)>& append) : append_(append) {}
  Status bytes(const void* p, uint64_t n) {
    pos_ += n;
    return n ? append_(p, n) : Status::ok();
  }
  template <typename T>
  Status scalar(T v) { return bytes(&v, sizeof(T)); }
  Status string(std::string_view s) {
    UMA_TRY(scalar<uint64_t>(s.size()));
    return bytes(s.data(), s.size());
  }
  Status zeros(uint64_t n) {
    static const uint8_t kZeros[256] = {};
    while (n > 0) {
      const uint64_t k = n < sizeof(kZeros) ? n : sizeof(kZeros);
      UMA_TRY(bytes(kZeros, k));
      n -= k;
    }
    return Status::ok();
  }
  uint64_t pos() const { return pos_; }

 private:
  const std::function<Status(const void*, uint64_t)>& append_;
  uint64_t pos_ = 0;
};

}  // namespace

Status Writer::emit(const std::function<Status(const void*, uint64_t)>& append) const {
  const uint64_t align = alignment_;
  if (align == 0 || (align & (align - 1)) != 0)
    return error("gguf writer: alignment " + std::to_string(align) +
                 " is not a non-zero power of two");
  for (const auto& e : kv_) {
    if (!is_valid_gguf_name(e.key, kMaxKeyBytes))
      return error("gguf writer: key name '" + e.key + "' is empty, too long or not UTF-8 text");
    if (e.key == "general.alignment" && e.type != ValueType::UINT32)
      return error("gguf writer: key 'general.alignment' must be u32");
  }
  // Sizes and offsets first, so that a bad tensor fails before anything is written.
  std::vector<uint64_t> nbytes, offsets;
  std::unordered_set<std::string> names;
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    if (!is_valid_gguf_name(t.name, kMaxTensorNameBytes))
      return error("gguf writer: tensor name '" + t.name +
                   "' is empty, too long or not UTF-8 text");
    if (!names.insert(t.name).second)
      return error("gguf writer: duplicate tensor name '" + t.name + "'");
    auto nb = tensor_nbytes(t.name, t.type, t.ne);
    if (!nb.ok()) return nb.status();
    if (!t.data && !t.fill && *nb > 0)
      return error("gguf writer: tensor '" + t.name + "': no data and no fill function");
    nbytes.push_back(*nb);
    offsets.push_back(offset);
    if (!checked_add(offset, *nb, &offset) || !checked_add(offset, pad_to(*nb, align), &offset))
      return error("gguf writer: total tensor size overflows");
  }

  Out out(append);
  UMA_TRY(out.scalar<uint32_t>(kMagic));
  UMA_TRY(out.scalar<uint32_t>(3));
  UMA_TRY(out.scalar<uint64_t>(tensors_.size()));
  UMA_TRY(out.scalar<uint64_t>(kv_.size()));
  for (const auto& e : kv_) {
    UMA_TRY(out.string(e.key));
    UMA_TRY(out.scalar<uint32_t>((uint32_t)e.type));
    if (e.type == ValueType::STRING) {
      UMA_TRY(out.string(e.strings[0]));
      continue;
    }
    if (e.type == ValueType::ARRAY) {
      UMA_TRY(out.scalar<uint32_t>((uint32_t)e.elem_type));
      UMA_TRY(out.scalar<uint64_t>(e.count));
      if (e.elem_type == ValueType::STRING) {
        for (const auto& s : e.strings) UMA_TRY(out.string(s));
        continue;
      }
    }
    UMA_TRY(out.bytes(e.raw.data(), e.raw.size()));
  }
  for (size_t i = 0; i < tensors_.size(); i++) {
    const auto& t = tensors_[i];
    UMA_TRY(out.string(t.name));
    UMA_TRY(out.scalar<uint32_t>((uint32_t)t.ne.size()));
    for (int64_t n : t.ne) UMA_TRY(out.scalar<uint64_t>((uint64_t)n));
    UMA_TRY(out.scalar<uint32_t>((uint32_t)t.type));
    UMA_TRY(out.scalar<uint64_t>(offsets[i]));
  }
  // Files without tensors end here, as llama.cpp's vocab-only files do.
  if (tensors_.empty()) return Status::ok();
  UMA_TRY(out.zeros(pad_to(out.pos(), align)));

  std::vector<uint8_t> buf;
  for (size_t i = 0; i < tensors_.size(); i++) {
    const auto& t = tensors_[i];
    const uint64_t nb = nbytes[i];
    if (t.data || nb == 0) {
      UMA_TRY(out.bytes(t.data, nb));
    } else {
      buf.assign(nb, 0);
      Status st = t.fill(buf.data(), nb);
      if (!st.is_ok()) return st.with_context("gguf writer: tensor '" + t.name + "'");
      UMA_TRY(out.bytes(buf.data(), nb));
    }
    UMA_TRY(out.zeros(pad_to(nb, align)));
  }
  return Status::ok();
}

Result<std::vector<uint8_t>> Writer::write_to_memory() const {
  std::vector<uint8_t> bytes;
  UMA_TRY(emit([&](const void* p, uint64_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    bytes.insert(bytes.end(), b, b + n);
    return Status::ok();
  }));
  return bytes;
}

Status Writer::write(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return error(tmp + ": cannot create: " + std::strerror(errno));
  Status st = emit([&](const void* p, uint64_t n) {
    if (std::fwrite(p, 1, n, f) != n) return error(tmp + ": write failed: " + std::strerror(errno));
    return Status::ok();
  });
  if (std::fclose(f) != 0 && st.is_ok())
    st = error(tmp + ": write failed: " + std::strerror(errno));
  if (st.is_ok() && std::rename(tmp.c_str(), path.c_str()) != 0)
    st = error(path + ": cannot rename from " + tmp + ": " + std::strerror(errno));
  if (!st.is_ok()) std::remove(tmp.c_str());
  return st;
}

}  // namespace uma::gguf

// GGUF reader: a bounds-checked cursor over the file bytes that validates every field before it
// is used (spec: ggml/docs/gguf.md). Nothing is allocated from a count that the remaining file
// bytes could not possibly hold, so a hostile header cannot trigger a huge allocation.
#include "gguf/gguf.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <limits>

#include "core/checked_math.h"
#include "gguf/gguf_names.h"

namespace uma::gguf {

namespace {

// Smallest possible encodings, used to bound counts by the bytes left in the file.
constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;              // key len, 1-byte key, type, u8
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;  // name, n_dims, 1 dim, type, offset

std::string quoted(std::string_view s) {
  std::string r(1, '\'');
  r.append(s);
  r.push_back('\'');
  return r;
}

// A name that is not clean text is shown escaped (its bytes may be anything).
std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 64)) {
    if (c >= 0x20 && c < 0x7f && c != '\'') {
      out.push_back((char)c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > 64) out += "…";
  return out;
}

bool is_valid_value_type(uint32_t t) { return t <= (uint32_t)ValueType::FLOAT64; }

}  // namespace

bool is_clean_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = (unsigned char)s[i];
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      i++;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; }
    else return false;
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; k++) {
      const unsigned char cc = (unsigned char)s[i + k];
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
      return false;
    i += len;
  }
  return true;
}

// Parses into a GgufFile. Holds the cursor; every read checks the bytes left first.
class Reader {
 public:
  Reader(const uint8_t* data, uint64_t size, const std::string& name)
      : data_(data), size_(data ? size : 0), name_(name) {}

  Status parse(GgufFile* f);

 private:
  Status fail(const std::string& what) const { return error(name_ + ": gguf: " + what); }
  uint64_t left() const { return size_ - pos_; }
  Status truncated(const std::string& what, uint64_t need) const {
    return fail("file truncated: " + what + " at offset " + std::to_string(pos_) + " needs " +
                std::to_string(need) + " bytes, " + std::to_string(left()) + " left");
  }
  template <typename T>
  Status read(T* out, const std::string& what) {
    if (left() < sizeof(T)) return truncated(what, sizeof(T));
    std::memcpy(out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::ok();
  }
  Status read_string(std::string_view* out, const std::string& what);
  Status read_value(ValueType t, Value* v, const std::string& ctx);
  Status read_kv(GgufFile* f, uint64_t index);
  Status read_tensor_info(GgufFile* f, uint64_t index);
  Status check_alignment(GgufFile* f);
  Status check_tensor_data(GgufFile* f);

  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  const std::string& name_;
};

Status Reader::read_string(std::string_view* out, const std::string& what) {
  uint64_t len = 0;
  UMA_TRY(read(&len, what + " length"));
  if (len > left())
    return fail(what + ": string length " + std::to_string(len) + " at offset " +
                std::to_string(pos_ - 8) + " exceeds the " + std::to_string(left()) +
                " bytes left in the file");
  *out = std::string_view(reinterpret_cast<const char*>(data_ + pos_), len);
  pos_ += len;
  return Status::ok();
}

Status Reader::read_value(ValueType t, Value* v, const std::string& ctx) {
  v->type_ = t;
  if (t == ValueType::STRING) {
    std::string_view s;
    UMA_TRY(read_string(&s, ctx));
    v->data_ = reinterpret_cast<const uint8_t*>(s.data());
    v->len_ = s.size();
    return Status::ok();
  }
  if (t != ValueType::ARRAY) {
    const uint32_t sz = value_type_size(t);
    if (left() < sz) return truncated(ctx + " value", sz);
    v->data_ = data_ + pos_;
    pos_ += sz;
    return Status::ok();
  }
  uint32_t elem = 0;
  UMA_TRY(read(&elem, ctx + " array element type"));
  if (!is_valid_value_type(elem))
    return fail(ctx + ": unknown array element type " + std::to_string(elem));
  if (elem == (uint32_t)ValueType::ARRAY) return fail(ctx + ": arrays of arrays are not supported");
  v->elem_type_ = (ValueType)elem;
  uint64_t count = 0;
  UMA_TRY(read(&count, ctx + " array count"));
  // Each string element takes at least its 8-byte length, so both cases bound count by the file.
  const uint64_t min_elem = elem == (uint32_t)ValueType::STRING ? 8 : value_type_size(v->elem_type_);
  if (count > left() / min_elem)
    return fail(ctx + ": array of " + std::to_string(count) + " " +
                std::string(value_type_name(v->elem_type_)) + " exceeds the " +
                std::to_string(left()) + " bytes left in the file");
  v->count_ = count;
  v->data_ = data_ + pos_;
  if (v->elem_type_ != ValueType::STRING) {
    pos_ += count * min_elem;
    return Status::ok();
  }
  v->strings_.reserve(count);
  for (uint64_t i = 0; i < count; i++) {
    std::string_view s;
    UMA_TRY(read_string(&s, ctx + "[" + std::to_string(i) + "]"));
    v->strings_.push_back(s);
  }
  return Status::ok();
}

Status Reader::read_kv(GgufFile* f, uint64_t index) {
  std::string_view key;
  const std::string where = "metadata key #" + std::to_string(index);
  UMA_TRY(read_string(&key, where));
  if (key.empty()) return fail(where + ": empty key name");
  if (key.size() > kMaxKeyBytes)
    return fail(where + ": key name of " + std::to_string(key.size()) + " bytes is too long");
  if (!is_clean_utf8(key))
    return fail(where + ": key name '" + printable(key) + "' is not valid UTF-8 text");
  const std::string ctx = "key " + quoted(key);
  if (f->kv_index_.count(std::string(key))) return fail("duplicate key " + quoted(key));
  uint32_t type = 0;
  UMA_TRY(read(&type, ctx + " value type"));
  if (!is_valid_value_type(type)) return fail(ctx + ": unknown value type " + std::to_string(type));
  Value v;
  UMA_TRY(read_value((ValueType)type, &v, ctx));
  f->kv_index_.emplace(std::string(key), f->kv_.size());
  f->kv_.emplace_back(std::string(key), std::move(v));
  return Status::ok();
}

Status Reader::read_tensor_info(GgufFile* f, uint64_t index) {
  std::string_view name;
  const std::string where = "tensor #" + std::to_string(index);
  UMA_TRY(read_string(&name, where + " name"));
  if (name.empty()) return fail(where + ": empty tensor name");
  if (name.size() > kMaxTensorNameBytes)
    return fail(where + ": name of " + std::to_string(name.size()) + " bytes is too long");
  if (!is_clean_utf8(name))
    return fail(where + ": name '" + printable(name) + "' is not valid UTF-8 text");
  const std::string ctx = "tensor " + quoted(name);
  if (f->tensor_index_.count(std::string(name))) return fail("duplicate tensor name " + quoted(name));

  TensorInfo t;
  t.name = std::string(name);
  UMA_TRY(read(&t.n_dims, ctx + " n_dims"));
  if (t.n_dims < 1 || t.n_dims > kMaxDims)
    return fail(ctx + ": n_dims " + std::to_string(t.n_dims) + " out of range 1.." +
                std::to_string(kMaxDims));
  // ne == 0 is accepted (ggml allows empty tensors; they get nbytes 0 and no data range), but the
  // product of all non-zero dims must fit int64 so that any partial product callers form is safe.
  uint64_t product = 1;
  for (uint32_t d = 0; d < t.n_dims; d++) {
    uint64_t ne = 0;
    UMA_TRY(read(&ne, ctx + " dimension " + std::to_string(d)));
    if (ne > (uint64_t)std::numeric_limits<int64_t>::max())
      return fail(ctx + ": dimension " + std::to_string(d) + " is " + std::to_string(ne) +
                  ", too large");
    t.ne[d] = (int64_t)ne;
    if (ne != 0 && (!checked_mul(product, ne, &product) ||
                    product > (uint64_t)std::numeric_limits<int64_t>::max()))
      return fail(ctx + ": element count of shape " + t.shape_string() + " overflows");
  }
  uint32_t type = 0;
  UMA_TRY(read(&type, ctx + " type"));
  const auto info = dtype_info(type);
  if (!info) return fail(ctx + ": unknown tensor type id " + std::to_string(type));
  t.type = info->type;
  const auto row = dtype_row_bytes(t.type, (uint64_t)t.ne[0]);
  if (!row)
    return fail(ctx + ": row length " + std::to_string(t.ne[0]) + " is not a multiple of the " +
                std::string(info->name) + " block size " + std::to_string(info->block_elems));
  if (!checked_mul(*row, t.n_rows(), &t.nbytes))
    return fail(ctx + ": byte size of shape " + t.shape_string() + " overflows");
  UMA_TRY(read(&t.offset, ctx + " data offset"));
  f->tensor_index_.emplace(t.name, f->tensors_.size());
  f->tensors_.push_back(std::move(t));
  return Status::ok();
}

Status Reader::check_alignment(GgufFile* f) {
  const Value* v = f->find("general.alignment");
  if (!v) return Status::ok();
  if (v->type() != ValueType::UINT32)
    return fail("key 'general.alignment' has type " + std::string(value_type_name(v->type())) +
                ", expected u32");
  const uint64_t a = *v->as_uint();
  if (a == 0 || (a & (a - 1)) != 0)
    return fail("key 'general.alignment': alignment " + std::to_string(a) +
                " is not a non-zero power of two");
  f->alignment_ = a;
  return Status::ok();
}

Status Reader::check_tensor_data(GgufFile* f) {
  // The data section starts at the first alignment boundary after the tensor infos. A file
  // without tensors may end before it (vocab-only files are not padded).
  uint64_t start = 0;
  if (!checked_add(pos_, f->alignment_ - 1, &start))
    return fail("data section offset overflows");
  start -= start % f->alignment_;
  f->data_offset_ = start;

  struct Range {
    uint64_t begin, end;
    size_t index;
  };
  std::vector<Range> ranges;
  ranges.reserve(f->tensors_.size());
  for (size_t i = 0; i < f->tensors_.size(); i++) {
    TensorInfo& t = f->tensors_[i];
    const std::string ctx = "tensor " + quoted(t.name);
    if (t.offset % f->alignment_ != 0)
      return fail(ctx + ": data offset " + std::to_string(t.offset) +
                  " is not a multiple of the alignment " + std::to_string(f->alignment_));
    uint64_t begin = 0, end = 0;
    if (!checked_add(start, t.offset, &begin) || !checked_add(begin, t.nbytes, &end))
      return fail(ctx + ": data offset " + std::to_string(t.offset) + " + size " +
                  std::to_string(t.nbytes) + " overflows");
    if (end > size_ || begin > size_)
      return fail(ctx + ": data [" + std::to_string(begin) + ", " + std::to_string(end) +
                  ") beyond end of file (size " + std::to_string(size_) + ")");
    t.data = data_ + begin;
    if (t.nbytes > 0) ranges.push_back({begin, end, i});
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < ranges.size(); i++) {
    const Range& a = ranges[i - 1];
    const Range& b = ranges[i];
    if (b.begin < a.end)
      return fail("tensors " + quoted(f->tensors_[a.index].name) + " and " +
                  quoted(f->tensors_[b.index].name) + " overlap: data [" +
                  std::to_string(a.begin) + ", " + std::to_string(a.end) + ") and [" +
                  std::to_string(b.begin) + ", " + std::to_string(b.end) + ")");
  }
  return Status::ok();
}

Status Reader::parse(GgufFile* f) {
  f->name_ = name_;
  f->base_ = data_;
  f->size_ = size_;

  uint32_t magic = 0;
  if (left() < 4) return fail("not a GGUF file (only " + std::to_string(size_) + " bytes)");
  UMA_TRY(read(&magic, "magic"));
  if (magic != kMagic) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "0x%08" PRIx32, magic);
    return fail(std::string("not a GGUF file (bad magic ") + buf + ", expected \"GGUF\")");
  }
  UMA_TRY(read(&f->version_, "version"));
  if (f->version_ == 1)
    return fail("unsupported version 1 (the GGUF v1 format is obsolete; only v2 and v3 are read)");
  if (f->version_ != 2 && f->version_ != 3) {
    // A big-endian file's version reads byte-swapped here (3 -> 0x03000000).
    if ((f->version_ & 0xffff) == 0 && (f->version_ >> 24) <= 3)
      return fail("big-endian GGUF files are not supported");
    return fail("unsupported version " + std::to_string(f->version_) + " (only 2 and 3 are read)");
  }
  uint64_t n_tensors = 0, n_kv = 0;
  UMA_TRY(read(&n_tensors, "tensor count"));
  UMA_TRY(read(&n_kv, "metadata key count"));
  if (n_tensors > left() / kMinTensorInfoBytes)
    return fail("tensor count " + std::to_string(n_tensors) + " is impossible: only " +
                std::to_string(left()) + " bytes left in the file");
  if (n_kv > left() / kMinKvBytes)
    return fail("metadata key count " + std::to_string(n_kv) + " is impossible: only " +
                std::to_string(left()) + " bytes left in the file");

  f->kv_.reserve(n_kv);
  f->kv_index_.reserve(n_kv);
  for (uint64_t i = 0; i < n_kv; i++) UMA_TRY(read_kv(f, i));
  UMA_TRY(check_alignment(f));

  if (n_tensors > left() / kMinTensorInfoBytes)
    return fail("tensor count " + std::to_string(n_tensors) + " is impossible: only " +
                std::to_string(left()) + " bytes left after the metadata");
  f->tensors_.reserve(n_tensors);
  f->tensor_index_.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; i++) UMA_TRY(read_tensor_info(f, i));
  return check_tensor_data(f);
}

std::string TensorInfo::shape_string() const {
  std::string s = "[";
  for (uint32_t d = 0; d < n_dims && d < kMaxDims; d++) {
    if (d) s += ", ";
    s += std::to_string(ne[d]);
  }
  return s + "]";
}

Result<GgufFile> GgufFile::open(const std::string& path) {
  auto mf = MappedFile::open(path);
  if (!mf.ok()) return mf.status();
  GgufFile f;
  f.file_ = std::move(mf).value();
  // The mapping's address survives moves of MappedFile/GgufFile, so views stay valid.
  Reader r(f.file_.data(), f.file_.size(), path);
  UMA_TRY(r.parse(&f));
  return f;
}

Result<GgufFile> GgufFile::parse(const uint8_t* data, uint64_t size, const std::string& name) {
  GgufFile f;
  Reader r(data, size, name);
  UMA_TRY(r.parse(&f));
  return f;
}

const Value* GgufFile::find(std::string_view key) const {
  auto it = kv_index_.find(std::string(key));
  return it == kv_index_.end() ? nullptr : &kv_[it->second].second;
}

const TensorInfo* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(std::string(name));
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

Status key_error(const std::string& file, std::string_view key, const std::string& what) {
  return error(file + ": gguf: key '" + std::string(key) + "' " + what);
}

Status wrong_type(const std::string& file, std::string_view key, const Value& v,
                  const char* expected) {
  std::string what = "has type " + std::string(value_type_name(v.type()));
  if (v.is_array()) what += " of " + std::string(value_type_name(v.elem_type()));
  return key_error(file, key, what + ", expected " + expected);
}

}  // namespace

Result<uint64_t> GgufFile::get_uint(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return error(name_ + ": gguf: missing key '" + std::string(key) + "'");
  if (auto u = v->as_uint()) return *u;
  if (auto i = v->as_int())
    return key_error(name_, key, "is " + std::to_string(*i) + ", expected a non-negative integer");
  return wrong_type(name_, key, *v, "an integer");
}

Result<double> GgufFile::get_float(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return error(name_ + ": gguf: missing key '" + std::string(key) + "'");
  if (auto d = v->as_float()) return *d;
  return wrong_type(name_, key, *v, "a number");
}

Result<std::string> GgufFile::get_string(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return error(name_ + ": gguf: missing key '" + std::string(key) + "'");
  if (auto s = v->as_string()) return std::string(*s);
  return wrong_type(name_, key, *v, "a string");
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
  const Value* v = find(key);
  if (!v) return error(name_ + ": gguf: missing key '" + std::string(key) + "'");
  if (auto b = v->as_bool()) return *b;
  return wrong_type(name_, key, *v, "a bool");
}

Result<uint64_t> GgufFile::get_uint_or(std::string_view key, uint64_t dflt) const {
  return find(key) ? get_uint(key) : Result<uint64_t>(dflt);
}

Result<double> GgufFile::get_float_or(std::string_view key, double dflt) const {
  return find(key) ? get_float(key) : Result<double>(dflt);
}

Result<std::string> GgufFile::get_string_or(std::string_view key, std::string dflt) const {
  return find(key) ? get_string(key) : Result<std::string>(std::move(dflt));
}

Result<bool> GgufFile::get_bool_or(std::string_view key, bool dflt) const {
  return find(key) ? get_bool(key) : Result<bool>(dflt);
}

}  // namespace uma::gguf

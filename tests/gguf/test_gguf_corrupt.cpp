// The corrupt-file corpus: hand-made GGUF files, each broken in one field, must be refused with a
// one-line message that names the key or tensor and the problem — never a crash or a huge
// allocation. Files are built byte by byte (gguf_builder.h), one case per section.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "gguf/gguf.h"
#include "gguf_builder.h"

namespace uma::gguf {
namespace {

using test::Bytes;
using namespace test;  // value type ids kU32, kString, ...

constexpr uint32_t kTypeF32 = 0;
constexpr uint32_t kTypeQ8_0 = 8;

struct TensorSpec {
  std::string name;
  std::vector<uint64_t> ne;
  uint32_t type;
  uint64_t offset;
};

// Header + metadata (n_kv already-encoded entries) + tensor infos + padding + data_bytes of data.
Bytes make_file(uint64_t n_kv, const Bytes& kvs, const std::vector<TensorSpec>& tensors,
                size_t data_bytes, size_t align = 32) {
  Bytes b;
  b.header(tensors.size(), n_kv);
  b.raw(kvs.data.data(), kvs.size());
  for (const auto& t : tensors) b.tensor(t.name, t.ne, t.type, t.offset);
  if (!tensors.empty()) b.pad_to(align);
  for (size_t i = 0; i < data_bytes; i++) b.u8((uint8_t)(i * 7 + 1));
  return b;
}

// The small valid file most cases start from: 3 keys, an f32 [4, 2] tensor (32 bytes at 0) and a
// q8_0 [32] tensor (34 bytes at 32) whose data ends exactly at the end of the file.
Bytes valid_kvs() {
  Bytes kv;
  kv.kv_str("general.architecture", "test");
  kv.kv_u32("test.block_count", 2);
  kv.kv_array("tokenizer.ggml.tokens", kString, 3).str("a").str("b").str("c");
  return kv;
}
std::vector<TensorSpec> valid_tensors() {
  return {{"a.weight", {4, 2}, kTypeF32, 0}, {"b.weight", {32}, kTypeQ8_0, 32}};
}
Bytes valid_file() { return make_file(3, valid_kvs(), valid_tensors(), 66); }

// Parses a copy of exactly the file's bytes (so ASan sees any read past the end) and returns the
// error message, or "" when parsing succeeded.
std::string parse_error(const std::vector<uint8_t>& bytes) {
  std::vector<uint8_t> exact(bytes.begin(), bytes.end());
  auto f = GgufFile::parse(exact.empty() ? nullptr : exact.data(), exact.size(), "t.gguf");
  return f.ok() ? "" : f.status().message();
}

// Asserts that parsing fails with a one-line "t.gguf: gguf: ..." message containing every word.
void expect_error(const Bytes& file, std::initializer_list<std::string> words) {
  const std::string msg = parse_error(file.data);
  ASSERT_FALSE(msg.empty()) << "parsed without error";
  EXPECT_EQ(msg.rfind("t.gguf: gguf: ", 0), 0u) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  for (const auto& w : words) EXPECT_NE(msg.find(w), std::string::npos) << "'" << w << "' not in: " << msg;
}

// --- the baseline -------------------------------------------------------------------------------

TEST(GgufCorrupt, BaselineIsValid) {
  const Bytes file = valid_file();
  auto f = GgufFile::parse(file.data.data(), file.size(), "t.gguf");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->metadata().size(), 3u);
  ASSERT_EQ(f->tensors().size(), 2u);
  EXPECT_EQ(f->tensors()[1].nbytes, 34u);
  EXPECT_EQ(f->tensors()[1].data + 34, file.data.data() + file.size());
}

// --- truncation: every prefix of a valid file is an error ---------------------------------------

TEST(GgufCorrupt, EveryTruncationFails) {
  const Bytes file = valid_file();
  for (size_t n = 0; n < file.size(); n++) {
    const std::string msg = parse_error({file.data.begin(), file.data.begin() + (ptrdiff_t)n});
    ASSERT_FALSE(msg.empty()) << "prefix of " << n << " bytes parsed";
    ASSERT_EQ(msg.rfind("t.gguf: gguf: ", 0), 0u) << msg;
  }
}

TEST(GgufCorrupt, TruncationMessages) {
  const Bytes file = valid_file();
  const std::vector<uint8_t> tiny(file.data.begin(), file.data.begin() + 3);
  EXPECT_NE(parse_error(tiny).find("not a GGUF file"), std::string::npos);
  // Cut where the third metadata key should start.
  const std::vector<uint8_t> mid(file.data.begin(), file.data.begin() + 100);
  EXPECT_NE(parse_error(mid).find("file truncated: metadata key #2"), std::string::npos)
      << parse_error(mid);
  const std::vector<uint8_t> data(file.data.begin(), file.data.end() - 1);
  EXPECT_NE(parse_error(data).find("tensor 'b.weight': data"), std::string::npos)
      << parse_error(data);
}

// --- header -------------------------------------------------------------------------------------

TEST(GgufCorrupt, BadMagic) {
  Bytes file = valid_file();
  std::memcpy(file.data.data(), "GGML", 4);
  expect_error(file, {"not a GGUF file", "bad magic"});
}

TEST(GgufCorrupt, UnsupportedVersions) {
  Bytes v1;
  v1.header(0, 0, 1);
  expect_error(v1, {"unsupported version 1"});
  Bytes v99;
  v99.header(0, 0, 99);
  expect_error(v99, {"unsupported version 99"});
  Bytes big_endian;
  big_endian.header(0, 0, 0x03000000);
  expect_error(big_endian, {"big-endian"});

  Bytes v2;  // v2 has the same layout as v3 and is accepted
  v2.header(0, 0, 2);
  EXPECT_EQ(parse_error(v2.data), "");
}

TEST(GgufCorrupt, AbsurdCounts) {
  Bytes tensors;
  tensors.header(1ull << 63, 0);
  expect_error(tensors, {"tensor count 9223372036854775808", "impossible"});
  Bytes kvs;
  kvs.header(0, 1ull << 63);
  expect_error(kvs, {"metadata key count 9223372036854775808", "impossible"});
  Bytes both;
  both.header(~0ull, ~0ull).zeros(64);
  expect_error(both, {"count", "impossible"});
}

// --- metadata -----------------------------------------------------------------------------------

TEST(GgufCorrupt, StringLengthPastEof) {
  Bytes kv;
  kv.str("general.name").u32(kString).u64(1000).raw("abc", 3);
  expect_error(make_file(1, kv, {}, 0), {"key 'general.name'", "string length 1000", "exceeds"});
}

TEST(GgufCorrupt, StringLengthHuge) {
  Bytes kv;
  kv.str("general.name").u32(kString).u64(~0ull);
  expect_error(make_file(1, kv, {}, 0), {"key 'general.name'", "string length 18446744073709551615"});
  Bytes key;
  key.u64(1ull << 62);
  expect_error(make_file(1, key, {}, 8), {"metadata key #0", "string length 4611686018427387904"});
}

TEST(GgufCorrupt, ArrayCountHuge) {
  Bytes kv;
  kv.kv_array("tokenizer.ggml.scores", kF32, 1ull << 62).f32(0);
  expect_error(make_file(1, kv, {}, 0),
               {"key 'tokenizer.ggml.scores'", "array of 4611686018427387904 f32", "exceeds"});
  Bytes strings;
  strings.kv_array("tokenizer.ggml.tokens", kString, ~0ull).str("a");
  expect_error(make_file(1, strings, {}, 0), {"key 'tokenizer.ggml.tokens'", "array of", "string"});
  Bytes short_strings;  // count fits the bound but the strings run out
  short_strings.kv_array("tokenizer.ggml.tokens", kString, 4);
  short_strings.str(std::string(16, 'a')).str(std::string(16, 'b'));
  expect_error(make_file(1, short_strings, {}, 0), {"key 'tokenizer.ggml.tokens'[2]"});
}

TEST(GgufCorrupt, UnknownValueType) {
  Bytes kv;
  kv.str("general.name").u32(13).u32(0);
  expect_error(make_file(1, kv, {}, 0), {"key 'general.name'", "unknown value type 13"});
  Bytes kv2;
  kv2.str("general.name").u32(0xffffffffu).u32(0);
  expect_error(make_file(1, kv2, {}, 0), {"unknown value type 4294967295"});
  Bytes elem;
  elem.kv_array("some.array", 77, 1).u32(0);
  expect_error(make_file(1, elem, {}, 0), {"key 'some.array'", "unknown array element type 77"});
}

TEST(GgufCorrupt, NestedArray) {
  Bytes kv;
  kv.kv_array("some.nested", kArray, 1).u32(kU8).u64(1).u8(0);
  expect_error(make_file(1, kv, {}, 0), {"key 'some.nested'", "arrays of arrays"});
}

TEST(GgufCorrupt, DuplicateKey) {
  Bytes kv = valid_kvs();
  kv.kv_str("general.architecture", "again");
  expect_error(make_file(4, kv, valid_tensors(), 66), {"duplicate key 'general.architecture'"});
}

TEST(GgufCorrupt, BadKeyNames) {
  Bytes empty;
  empty.kv_u32("", 1);
  expect_error(make_file(1, empty, {}, 0), {"metadata key #0", "empty key name"});
  Bytes control;
  control.kv_u32("ok.key", 1).kv_u32("bad\nkey", 1);
  expect_error(make_file(2, control, {}, 0), {"metadata key #1", "not valid UTF-8", "bad\\x0akey"});
  Bytes utf8;
  utf8.kv_u32("bad\xff", 1);
  expect_error(make_file(1, utf8, {}, 0), {"metadata key #0", "not valid UTF-8"});
  Bytes fine;  // non-ASCII UTF-8 is accepted
  fine.kv_u32("général.clé", 1);
  EXPECT_EQ(parse_error(make_file(1, fine, {}, 0).data), "");
}

TEST(GgufCorrupt, ScalarPastEof) {
  Bytes kv;
  kv.str("test.value").u32(kU64).u32(1);  // 4 of the 8 bytes
  expect_error(make_file(1, kv, {}, 0), {"key 'test.value'", "truncated"});
}

// --- general.alignment --------------------------------------------------------------------------

TEST(GgufCorrupt, AlignmentZeroAndNonPowerOfTwo) {
  for (uint32_t a : {0u, 3u, 48u}) {
    Bytes kv = valid_kvs();
    kv.kv_u32("general.alignment", a);
    expect_error(make_file(4, kv, valid_tensors(), 66),
                 {"key 'general.alignment'", "alignment " + std::to_string(a), "power of two"});
  }
}

TEST(GgufCorrupt, AlignmentWrongType) {
  Bytes kv = valid_kvs();
  kv.str("general.alignment").u32(kU64).u64(32);
  expect_error(make_file(4, kv, valid_tensors(), 66),
               {"key 'general.alignment' has type u64, expected u32"});
  Bytes str = valid_kvs();
  str.kv_str("general.alignment", "32");
  expect_error(make_file(4, str, valid_tensors(), 66), {"general.alignment", "type string"});
}

TEST(GgufCorrupt, Alignment64IsHonoured) {
  Bytes kv = valid_kvs();
  kv.kv_u32("general.alignment", 64);
  std::vector<TensorSpec> ts = {{"a.weight", {4, 2}, kTypeF32, 0}, {"b.weight", {32}, kTypeQ8_0, 64}};
  const Bytes file = make_file(4, kv, ts, 64 + 34, 64);
  auto f = GgufFile::parse(file.data.data(), file.size(), "t.gguf");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->data_offset() % 64, 0u);
  // Offset 32 is fine at the default alignment but not at 64.
  ts[1].offset = 32;
  expect_error(make_file(4, kv, ts, 66, 64),
               {"tensor 'b.weight'", "data offset 32 is not a multiple of the alignment 64"});
}

// --- tensor infos -------------------------------------------------------------------------------

TEST(GgufCorrupt, DuplicateTensorName) {
  std::vector<TensorSpec> ts = valid_tensors();
  ts[1].name = "a.weight";
  expect_error(make_file(3, valid_kvs(), ts, 66), {"duplicate tensor name 'a.weight'"});
}

TEST(GgufCorrupt, BadTensorNames) {
  std::vector<TensorSpec> ts = valid_tensors();
  ts[0].name = "";
  expect_error(make_file(3, valid_kvs(), ts, 66), {"tensor #0", "empty tensor name"});
  ts[0].name = "a\x01weight";
  expect_error(make_file(3, valid_kvs(), ts, 66), {"tensor #0", "not valid UTF-8"});
}

TEST(GgufCorrupt, NDimsOutOfRange) {
  for (std::vector<uint64_t> ne : {std::vector<uint64_t>{}, std::vector<uint64_t>{4, 2, 1, 1, 1}}) {
    std::vector<TensorSpec> ts = valid_tensors();
    ts[0].ne = ne;
    expect_error(make_file(3, valid_kvs(), ts, 66),
                 {"tensor 'a.weight'", "n_dims " + std::to_string(ne.size()), "out of range 1..4"});
  }
}

TEST(GgufCorrupt, ShapeOverflow) {
  std::vector<TensorSpec> ts = valid_tensors();
  ts[0].ne = {1ull << 32, 1ull << 32};  // 2^64 elements
  expect_error(make_file(3, valid_kvs(), ts, 66),
               {"tensor 'a.weight'", "element count", "overflows"});
  ts[0].ne = {1ull << 31, 1ull << 31, 4};  // 2^64 too, in three dims
  expect_error(make_file(3, valid_kvs(), ts, 66), {"tensor 'a.weight'", "overflows"});
  ts[0].ne = {4, 1ull << 63};  // one dimension past int64
  expect_error(make_file(3, valid_kvs(), ts, 66), {"tensor 'a.weight'", "dimension 1", "too large"});
  ts[0].ne = {1ull << 40, 1ull << 22};  // elements fit, but 4 bytes each do not
  expect_error(make_file(3, valid_kvs(), ts, 66), {"tensor 'a.weight'", "overflow"});
}

TEST(GgufCorrupt, UnknownTensorType) {
  for (uint32_t type : {4u, 5u, 31u, 1000u}) {
    std::vector<TensorSpec> ts = valid_tensors();
    ts[0].type = type;
    expect_error(make_file(3, valid_kvs(), ts, 66),
                 {"tensor 'a.weight'", "unknown tensor type id " + std::to_string(type)});
  }
}

TEST(GgufCorrupt, RowNotMultipleOfBlock) {
  std::vector<TensorSpec> ts = valid_tensors();
  ts[1].ne = {33};
  expect_error(make_file(3, valid_kvs(), ts, 66),
               {"tensor 'b.weight'", "row length 33 is not a multiple of the q8_0 block size 32"});
}

TEST(GgufCorrupt, OffsetNotAligned) {
  std::vector<TensorSpec> ts = valid_tensors();
  ts[1].offset = 40;
  expect_error(make_file(3, valid_kvs(), ts, 80),
               {"tensor 'b.weight'", "data offset 40 is not a multiple of the alignment 32"});
}

TEST(GgufCorrupt, DataBeyondEof) {
  std::vector<TensorSpec> ts = valid_tensors();
  ts[1].offset = 64;
  const Bytes file = make_file(3, valid_kvs(), ts, 66);
  const uint64_t begin = file.size() - 66 + 64;
  expect_error(file, {"tensor 'b.weight': data [" + std::to_string(begin) + ", " +
                          std::to_string(begin + 34) + ") beyond end of file (size " +
                          std::to_string(file.size()) + ")"});
  ts[1].offset = 1ull << 63;  // offset far past the end, and begin + nbytes near overflow
  expect_error(make_file(3, valid_kvs(), ts, 66), {"tensor 'b.weight'", "beyond end of file"});
  ts[1].offset = ~0ull - 31;  // aligned, but start + offset overflows
  expect_error(make_file(3, valid_kvs(), ts, 66), {"tensor 'b.weight'", "overflows"});
}

TEST(GgufCorrupt, OverlappingTensors) {
  std::vector<TensorSpec> ts = valid_tensors();
  ts[1].offset = 0;
  expect_error(make_file(3, valid_kvs(), ts, 66),
               {"tensors 'a.weight' and 'b.weight' overlap"});
  // Out-of-order offsets that do not overlap are fine.
  ts = {{"a.weight", {4, 2}, kTypeF32, 64}, {"b.weight", {32}, kTypeQ8_0, 0}};
  EXPECT_EQ(parse_error(make_file(3, valid_kvs(), ts, 96).data), "");
}

TEST(GgufCorrupt, EmptyTensorIsHarmless) {
  // ggml allows zero-sized dimensions; such a tensor has no bytes and overlaps nothing.
  std::vector<TensorSpec> ts = valid_tensors();
  ts.push_back({"empty", {0, 1ull << 40}, kTypeF32, 0});
  const Bytes file = make_file(3, valid_kvs(), ts, 66);
  auto f = GgufFile::parse(file.data.data(), file.size(), "t.gguf");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->find_tensor("empty")->nbytes, 0u);
  EXPECT_EQ(f->find_tensor("empty")->n_elements(), 0u);
}

TEST(GgufCorrupt, TooManyTensorsForTheBytesLeft) {
  // The count passes the header check (the metadata could have been tiny) but not the recheck.
  Bytes kv;
  kv.kv_str("general.name", std::string(400, 'x'));
  Bytes file;
  file.header(12, 1).raw(kv.data.data(), kv.size()).zeros(20);
  expect_error(file, {"tensor count 12", "impossible"});
}

// --- typed getters ------------------------------------------------------------------------------

TEST(GgufCorrupt, TypedGetterErrorsNameTheKey) {
  const Bytes file = valid_file();
  auto f = GgufFile::parse(file.data.data(), file.size(), "t.gguf");
  ASSERT_TRUE(f.ok());
  auto missing = f->get_uint("llama.block_count");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "t.gguf: gguf: missing key 'llama.block_count'");
  auto wrong = f->get_uint("general.architecture");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(),
            "t.gguf: gguf: key 'general.architecture' has type string, expected an integer");
  auto arr = f->get_string("tokenizer.ggml.tokens");
  ASSERT_FALSE(arr.ok());
  EXPECT_NE(arr.status().message().find("has type array of string"), std::string::npos);
  EXPECT_EQ(f->get_uint("test.block_count").value(), 2u);
  EXPECT_EQ(f->get_uint_or("absent", 7).value(), 7u);
  EXPECT_FALSE(f->get_uint_or("general.architecture", 7).ok());
  EXPECT_EQ(f->get_string_or("absent", "x").value(), "x");
  EXPECT_EQ(f->get_float("test.block_count").value(), 2.0);
  EXPECT_FALSE(f->get_bool("test.block_count").ok());
}

}  // namespace
}  // namespace uma::gguf

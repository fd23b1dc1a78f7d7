// Writer round trips: every value type (scalars, arrays of each type, empty arrays), tensors from
// memory and from fill functions, alignment 32 and 64, write-to-file, and re-writing real files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "gguf/gguf_writer.h"
#include "gguf_builder.h"

namespace uma::gguf {
namespace {

const std::string kModels = std::string(UMA_SHARED_DIR) + "/models";

// Writes to memory and parses the result; the bytes are kept in `*keep` for the views.
GgufFile round_trip(const Writer& w, std::vector<uint8_t>* keep) {
  auto bytes = w.write_to_memory();
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  *keep = std::move(bytes).value();
  auto f = GgufFile::parse(keep->data(), keep->size(), "rt.gguf");
  EXPECT_TRUE(f.ok()) << f.status().message();
  return std::move(f).value();
}

// Same type, same elements (bytewise for numbers, so NaN and -0 count as equal to themselves).
void expect_same_value(const Value& a, const Value& b, const std::string& key) {
  ASSERT_EQ(a.type(), b.type()) << key;
  if (a.type() == ValueType::STRING) {
    EXPECT_EQ(*a.as_string(), *b.as_string()) << key;
  } else if (a.type() == ValueType::ARRAY) {
    ASSERT_EQ(a.elem_type(), b.elem_type()) << key;
    ASSERT_EQ(a.array_size(), b.array_size()) << key;
    if (a.elem_type() == ValueType::STRING) {
      for (uint64_t i = 0; i < a.array_size(); i++)
        ASSERT_EQ(a.array_string(i), b.array_string(i)) << key << "[" << i << "]";
    } else if (a.array_size() > 0) {
      EXPECT_EQ(0, std::memcmp(a.array_data(), b.array_data(),
                               a.array_size() * value_type_size(a.elem_type())))
          << key;
    }
  } else {
    EXPECT_EQ(a.to_string(), b.to_string()) << key;
    EXPECT_EQ(a.as_uint(), b.as_uint()) << key;
    EXPECT_EQ(a.as_int(), b.as_int()) << key;
  }
}

TEST(GgufWrite, ScalarsOfEveryType) {
  Writer w;
  w.set_u8("t.u8", 255);
  w.set_i8("t.i8", -128);
  w.set_u16("t.u16", 65535);
  w.set_i16("t.i16", -32768);
  w.set_u32("t.u32", 4294967295u);
  w.set_i32("t.i32", std::numeric_limits<int32_t>::min());
  w.set_u64("t.u64", std::numeric_limits<uint64_t>::max());
  w.set_i64("t.i64", std::numeric_limits<int64_t>::min());
  w.set_f32("t.f32", 1e-5f);
  w.set_f64("t.f64", -0.1);
  w.set_bool("t.bool", true);
  w.set_string("t.string", "héllo \"world\"\n");
  w.set_string("t.empty", "");
  std::vector<uint8_t> keep;
  GgufFile f = round_trip(w, &keep);
  ASSERT_EQ(f.metadata().size(), 13u);
  EXPECT_EQ(f.find("t.u8")->type(), ValueType::UINT8);
  EXPECT_EQ(*f.find("t.u8")->as_uint(), 255u);
  EXPECT_EQ(*f.find("t.i8")->as_int(), -128);
  EXPECT_FALSE(f.find("t.i8")->as_uint().has_value());
  EXPECT_EQ(*f.find("t.u16")->as_uint(), 65535u);
  EXPECT_EQ(*f.find("t.i16")->as_int(), -32768);
  EXPECT_EQ(*f.find("t.u32")->as_uint(), 4294967295u);
  EXPECT_EQ(*f.find("t.i32")->as_int(), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(*f.find("t.u64")->as_uint(), std::numeric_limits<uint64_t>::max());
  EXPECT_FALSE(f.find("t.u64")->as_int().has_value());  // does not fit int64
  EXPECT_EQ(*f.find("t.i64")->as_int(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ((float)*f.find("t.f32")->as_float(), 1e-5f);
  EXPECT_EQ(*f.find("t.f64")->as_float(), -0.1);
  EXPECT_EQ(*f.find("t.bool")->as_bool(), true);
  EXPECT_EQ(*f.find("t.string")->as_string(), "héllo \"world\"\n");
  EXPECT_EQ(*f.find("t.empty")->as_string(), "");
  // Printing: shortest round-trip floats, escaped one-line strings.
  EXPECT_EQ(f.find("t.f32")->to_string(), "1e-05");
  EXPECT_EQ(f.find("t.i8")->to_string(), "-128");
  EXPECT_EQ(f.find("t.bool")->to_string(), "true");
  EXPECT_EQ(f.find("t.string")->to_string(), "\"héllo \\\"world\\\"\\n\"");
  // Key order is the order of first set.
  EXPECT_EQ(f.metadata()[0].first, "t.u8");
  EXPECT_EQ(f.metadata()[12].first, "t.empty");
}

TEST(GgufWrite, SettingAKeyTwiceReplacesInPlace) {
  Writer w;
  w.set_u32("a", 1);
  w.set_string("b", "x");
  w.set_string("a", "now a string");
  w.remove("b");
  w.remove("not there");
  std::vector<uint8_t> keep;
  GgufFile f = round_trip(w, &keep);
  ASSERT_EQ(f.metadata().size(), 1u);
  EXPECT_EQ(f.get_string("a").value(), "now a string");
}

TEST(GgufWrite, ArraysFromSetters) {
  Writer w;
  w.set_array_string("a.str", {"<unk>", "", "▁the"});
  w.set_array_f32("a.f32", {0.5f, -1.0f, 1e30f});
  w.set_array_i32("a.i32", {1, -2, 3});
  w.set_array_u32("a.u32", {0, 4294967295u});
  w.set_array_string("e.str", {});
  w.set_array_f32("e.f32", {});
  w.set_array_i32("e.i32", {});
  w.set_array_u32("e.u32", {});
  std::vector<uint8_t> keep;
  GgufFile f = round_trip(w, &keep);
  EXPECT_EQ(f.find("a.str")->array_string(2), "▁the");
  EXPECT_EQ(*f.find("a.f32")->array_number(2), (double)1e30f);
  EXPECT_EQ(*f.find("a.i32")->array_int(1), -2);
  EXPECT_EQ(*f.find("a.u32")->array_int(1), 4294967295);
  for (const char* k : {"e.str", "e.f32", "e.i32", "e.u32"}) {
    EXPECT_TRUE(f.find(k)->is_array()) << k;
    EXPECT_EQ(f.find(k)->array_size(), 0u) << k;
  }
  EXPECT_EQ(f.find("e.u32")->to_string(), "[0 × u32]");
  EXPECT_EQ(f.find("a.i32")->to_string(2), "[3 × i32] 1, -2, …");
}

// Arrays of every element type (and empty ones) come from a hand-built file, then go through
// copy_value -> write -> parse and must come back identical.
TEST(GgufWrite, CopyValueArraysOfEveryType) {
  using namespace test;
  Bytes kv;
  uint64_t n_kv = 0;
  for (uint32_t t : {kU8, kI8, kU16, kI16, kU32, kI32, kF32, kBool, kU64, kI64, kF64}) {
    const uint32_t size = value_type_size((ValueType)t);
    kv.kv_array("full." + std::to_string(t), t, 3);
    for (uint32_t i = 0; i < 3 * size; i++) kv.u8((uint8_t)(0x81 + 37 * i + t));
    kv.kv_array("empty." + std::to_string(t), t, 0);
    n_kv += 2;
  }
  kv.kv_array("full.string", kString, 2).str("x").str("yz");
  kv.kv_array("empty.string", kString, 0);
  kv.str("s.bool").u32(kBool).u8(1);
  kv.str("s.f64").u32(kF64).put(std::nan(""));
  kv.str("s.f32").u32(kF32).f32(-0.0f);
  n_kv += 5;
  Bytes file;
  file.header(0, n_kv).raw(kv.data.data(), kv.size());
  auto src = GgufFile::parse(file.data.data(), file.size(), "src.gguf");
  ASSERT_TRUE(src.ok()) << src.status().message();

  Writer w;
  for (const auto& [key, value] : src->metadata()) w.copy_value(key, value);
  std::vector<uint8_t> keep;
  GgufFile f = round_trip(w, &keep);
  ASSERT_EQ(f.metadata().size(), src->metadata().size());
  for (size_t i = 0; i < f.metadata().size(); i++) {
    EXPECT_EQ(f.metadata()[i].first, src->metadata()[i].first);
    expect_same_value(f.metadata()[i].second, src->metadata()[i].second, f.metadata()[i].first);
  }
  // With no tensors the writer's bytes are exactly the hand-built file's.
  EXPECT_EQ(keep, file.data);
}

TEST(GgufWrite, TensorsFromMemoryAndFill) {
  std::vector<float> a(4 * 3);
  for (size_t i = 0; i < a.size(); i++) a[i] = (float)i * 0.5f;
  std::vector<uint8_t> q(2 * 34, 0x5a);  // two q8_0 blocks: one row of 64
  for (uint32_t align : {32u, 64u}) {
    Writer w;
    w.set_string("general.architecture", "test");
    w.set_alignment(align);
    w.add_tensor("a", DType::F32, {4, 3}, a.data());
    w.add_tensor("q", DType::Q8_0, {64}, q.data());
    w.add_tensor("filled", DType::F16, {3, 1, 1, 2}, [](uint8_t* dst, uint64_t n) {
      for (uint64_t i = 0; i < n; i++) dst[i] = (uint8_t)(i + 1);
      return Status::ok();
    });
    std::vector<uint8_t> keep;
    GgufFile f = round_trip(w, &keep);
    EXPECT_EQ(f.alignment(), align);
    EXPECT_EQ(f.find("general.alignment") != nullptr, align != 32) << align;
    EXPECT_EQ(f.data_offset() % align, 0u);
    EXPECT_EQ(keep.size() % align, 0u);
    ASSERT_EQ(f.tensors().size(), 3u);
    for (const auto& t : f.tensors()) EXPECT_EQ(t.offset % align, 0u) << t.name;
    const TensorInfo* ta = f.find_tensor("a");
    EXPECT_EQ(ta->shape_string(), "[4, 3]");
    EXPECT_EQ(0, std::memcmp(ta->data, a.data(), a.size() * 4));
    const TensorInfo* tq = f.find_tensor("q");
    EXPECT_EQ(tq->nbytes, 68u);
    EXPECT_EQ(0, std::memcmp(tq->data, q.data(), q.size()));
    const TensorInfo* tf = f.find_tensor("filled");
    EXPECT_EQ(tf->n_dims, 4u);
    EXPECT_EQ(tf->nbytes, 12u);
    EXPECT_EQ(tf->data[11], 12);
  }
}

TEST(GgufWrite, RejectsBadTensors) {
  float x[64] = {};
  {
    Writer w;
    w.add_tensor("q", DType::Q8_0, {33}, x);
    auto r = w.write_to_memory();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("tensor 'q': row length 33 is not a multiple of the q8_0"),
              std::string::npos)
        << r.status().message();
  }
  {
    Writer w;
    w.add_tensor("a", DType::F32, {4}, x);
    w.add_tensor("a", DType::F32, {4}, x);
    auto r = w.write_to_memory();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("duplicate tensor name 'a'"), std::string::npos);
  }
  for (const std::vector<int64_t>& ne : {std::vector<int64_t>{}, std::vector<int64_t>{1, 1, 1, 1, 1},
                                         std::vector<int64_t>{4, -1}}) {
    Writer w;
    w.add_tensor("bad", DType::F32, ne, x);
    EXPECT_FALSE(w.write_to_memory().ok()) << ne.size();
  }
  {
    Writer w;
    w.add_tensor("f", DType::F32, {4}, [](uint8_t*, uint64_t) { return error("disk on fire"); });
    auto r = w.write_to_memory();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "gguf writer: tensor 'f': disk on fire");
  }
  {
    Writer w;
    w.set_alignment(48);
    EXPECT_FALSE(w.write_to_memory().ok());
    w.set_alignment(64);
    EXPECT_TRUE(w.write_to_memory().ok());
    w.set_string("general.alignment", "64");
    EXPECT_FALSE(w.write_to_memory().ok());
  }
}

TEST(GgufWrite, WriteToFileIsAtomic) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("uma_gguf_write_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "out.gguf").string();
  float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  Writer w;
  w.set_string("general.name", "atomic");
  w.add_tensor("x", DType::F32, {8}, x);
  ASSERT_TRUE(w.write(path).is_ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->find_tensor("x")->nbytes, 32u);

  // A failing fill leaves neither the file nor the temporary behind.
  Writer bad;
  bad.add_tensor("x", DType::F32, {8}, [](uint8_t*, uint64_t) { return error("nope"); });
  const std::string bad_path = (dir / "bad.gguf").string();
  EXPECT_FALSE(bad.write(bad_path).is_ok());
  EXPECT_FALSE(std::filesystem::exists(bad_path));
  EXPECT_FALSE(std::filesystem::exists(bad_path + ".tmp"));

  EXPECT_FALSE(w.write((dir / "no/such/dir/x.gguf").string()).is_ok());
  std::filesystem::remove_all(dir);
}

// Re-writing a real file with copy_value and its tensors gives identical metadata and tensor
// bytes; these files were written by llama.cpp's gguf writer, which lays files out the same way
// (v3, tensors in order, each padded to the alignment), so even the bytes match exactly.
TEST(GgufWrite, RewriteRealFiles) {
  for (const char* name : {"stories260K.gguf", "quant/stories260K.q4_0-mix.gguf",
                           "vocab/ggml-vocab-gpt-2.gguf"}) {
    SCOPED_TRACE(name);
    auto src = GgufFile::open(kModels + "/" + name);
    ASSERT_TRUE(src.ok()) << src.status().message();
    Writer w;
    for (const auto& [key, value] : src->metadata()) w.copy_value(key, value);
    for (const auto& t : src->tensors())
      w.add_tensor(t.name, t.type, std::vector<int64_t>(t.ne, t.ne + t.n_dims), t.data);
    std::vector<uint8_t> keep;
    GgufFile f = round_trip(w, &keep);
    ASSERT_EQ(f.metadata().size(), src->metadata().size());
    for (size_t i = 0; i < f.metadata().size(); i++) {
      ASSERT_EQ(f.metadata()[i].first, src->metadata()[i].first);
      expect_same_value(f.metadata()[i].second, src->metadata()[i].second, f.metadata()[i].first);
    }
    ASSERT_EQ(f.tensors().size(), src->tensors().size());
    for (size_t i = 0; i < f.tensors().size(); i++) {
      const auto& a = f.tensors()[i];
      const auto& b = src->tensors()[i];
      EXPECT_EQ(a.name, b.name);
      EXPECT_EQ(a.type, b.type);
      EXPECT_EQ(a.shape_string(), b.shape_string());
      ASSERT_EQ(a.nbytes, b.nbytes);
      EXPECT_EQ(0, std::memcmp(a.data, b.data, a.nbytes)) << a.name;
    }
    ASSERT_EQ(keep.size(), src->file_size());
    EXPECT_EQ(0, std::memcmp(keep.data(), src->base(), keep.size()));
  }
}

}  // namespace
}  // namespace uma::gguf

// HParams::from_gguf: missing and inconsistent {arch}.* keys give errors that name the key.
#include <gtest/gtest.h>

#include <functional>

#include "gguf/gguf_writer.h"
#include "model/hparams.h"

namespace {

using uma::gguf::Writer;

std::string hparams_error(const std::function<void(Writer&)>& edit) {
  Writer w;
  w.set_string("general.architecture", "llama");
  w.set_u32("llama.context_length", 128);
  w.set_u32("llama.embedding_length", 64);
  w.set_u32("llama.block_count", 2);
  w.set_u32("llama.feed_forward_length", 96);
  w.set_u32("llama.attention.head_count", 4);
  w.set_u32("llama.attention.head_count_kv", 2);
  edit(w);
  auto bytes = w.write_to_memory();
  if (!bytes.ok()) return "writer: " + bytes.status().message();
  auto f = uma::gguf::GgufFile::parse(bytes->data(), bytes->size(), "mem.gguf");
  if (!f.ok()) return "parse: " + f.status().message();
  auto hp = uma::HParams::from_gguf(*f);
  return hp.ok() ? "" : hp.status().message();
}

TEST(HParams, ValidDefaults) {
  Writer w;
  EXPECT_EQ(hparams_error([](Writer&) {}), "");
}

TEST(HParams, MissingAndInconsistentKeys) {
  auto has = [](const std::string& msg, const std::string& part) {
    return msg.find(part) != std::string::npos;
  };
  auto e = hparams_error([](Writer& w) { w.remove("llama.block_count"); });
  EXPECT_TRUE(has(e, "llama.block_count")) << e;
  e = hparams_error([](Writer& w) { w.set_string("general.architecture", "mamba"); });
  EXPECT_TRUE(has(e, "unsupported architecture 'mamba'")) << e;
  e = hparams_error([](Writer& w) { w.set_u32("llama.attention.head_count_kv", 3); });
  EXPECT_TRUE(has(e, "head_count_kv")) << e;
  e = hparams_error([](Writer& w) { w.set_u32("llama.attention.head_count", 5); });
  EXPECT_TRUE(has(e, "not a multiple")) << e;
  e = hparams_error([](Writer& w) { w.set_u32("llama.embedding_length", 0); });
  EXPECT_TRUE(has(e, "llama.embedding_length")) << e;
  e = hparams_error([](Writer& w) { w.set_string("llama.block_count", "two"); });
  EXPECT_TRUE(has(e, "llama.block_count")) << e;
  e = hparams_error([](Writer& w) { w.set_u64("llama.context_length", 1ull << 40); });
  EXPECT_TRUE(has(e, "out of range")) << e;
  e = hparams_error([](Writer& w) { w.set_string("llama.rope.scaling.type", "yarn"); });
  EXPECT_TRUE(has(e, "yarn")) << e;
  e = hparams_error([](Writer& w) { w.set_f32("llama.attention.layer_norm_rms_epsilon", -1.f); });
  EXPECT_TRUE(has(e, "layer_norm_rms_epsilon")) << e;
}

}  // namespace

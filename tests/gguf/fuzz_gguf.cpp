// libFuzzer target for the GGUF reader: parse arbitrary bytes and, when they parse, touch every
// value, array element and tensor byte so the sanitizers check every view the reader hands out.
#include <cstddef>
#include <cstdint>
#include <string>

#include "gguf/gguf.h"

namespace {

volatile uint64_t g_sink;  // keeps the reads below from being optimised away

void touch_value(const uma::gguf::Value& v) {
  uint64_t acc = v.to_string(16).size();
  if (auto u = v.as_uint()) acc += *u;
  if (auto i = v.as_int()) acc += (uint64_t)*i;
  if (auto d = v.as_float()) acc += (uint64_t)(*d == *d);
  if (auto b = v.as_bool()) acc += *b;
  if (auto s = v.as_string()) for (char c : *s) acc += (uint8_t)c;
  if (v.is_array()) {
    for (uint64_t i = 0; i <= v.array_size(); i++) {  // one past the end on purpose
      for (char c : v.array_string(i)) acc += (uint8_t)c;
      if (auto d = v.array_number(i)) acc += (uint64_t)(*d == *d);
      if (auto n = v.array_int(i)) acc += (uint64_t)*n;
    }
  }
  g_sink = g_sink + acc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = uma::gguf::GgufFile::parse(data, size, "fuzz.gguf");
  if (!f.ok()) return 0;
  for (const auto& [key, value] : f->metadata()) {
    touch_value(value);
    if (f->find(key) != &value) __builtin_trap();  // the index must agree with the list
    (void)f->get_uint_or(key, 0);
    (void)f->get_float_or(key, 0);
    (void)f->get_string_or(key, "");
    (void)f->get_bool_or(key, false);
  }
  uint64_t acc = 0;
  for (const auto& t : f->tensors()) {
    if (f->find_tensor(t.name) != &t) __builtin_trap();
    acc += t.shape_string().size() + t.n_elements() + t.n_rows();
    for (uint64_t i = 0; i < t.nbytes; i++) acc += t.data[i];
  }
  g_sink = g_sink + acc;
  return 0;
}

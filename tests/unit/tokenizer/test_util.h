// Shared helpers for the tokenizer tests: locating shared test data and loading tokenizers.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

namespace uma::test {

inline std::string shared_path(const std::string& rel) {
  return std::string(UMA_SHARED_DIR) + "/" + rel;
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A GGUF file and the tokenizer built from it.
struct Loaded {
  std::unique_ptr<gguf::GgufFile> file;
  std::unique_ptr<Tokenizer> tok;
};

inline Result<Loaded> load_tokenizer(const std::string& path) {
  auto f = gguf::GgufFile::open(path);
  if (!f.ok()) return f.status();
  Loaded l;
  l.file = std::make_unique<gguf::GgufFile>(std::move(f).value());
  auto t = Tokenizer::from_gguf(*l.file);
  if (!t.ok()) return t.status();
  l.tok = std::make_unique<Tokenizer>(std::move(t).value());
  return l;
}

inline std::string ids_to_string(const std::vector<TokenId>& ids) {
  std::string s;
  for (TokenId id : ids) s += " " + std::to_string(id);
  return s;
}

}  // namespace uma::test

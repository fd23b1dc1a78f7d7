// Bounded reader for Hugging Face safetensors files (mmap, zero copy) and multi-file checkpoints
// (model-0000N-of-0000M.safetensors + model.safetensors.index.json). Format:
// https://huggingface.co/docs/safetensors (u64 header size, JSON header, raw little-endian data).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/mapped_file.h"
#include "core/status.h"

namespace uma::convert {

enum class StDType { F32, F16, BF16 };

struct StTensor {
  std::string name;
  StDType dtype = StDType::F32;
  std::vector<int64_t> shape;  // row-major, as PyTorch: shape.back() is the contiguous dimension
  const uint8_t* data = nullptr;
  uint64_t nbytes = 0;
  std::string file;            // the file it came from, for messages

  uint64_t n_elements() const;
};

class SafetensorsFile {
 public:
  // Validates the header (size, JSON, dtypes, shapes, offsets inside the data, sizes that match
  // dtype × shape). Errors read "PATH: safetensors: <what>".
  static Result<SafetensorsFile> open(const std::string& path);
  // Tensors sorted by name (the order Python's safe_open().keys() gives, which llama.cpp follows).
  const std::vector<StTensor>& tensors() const { return tensors_; }

 private:
  MappedFile file_;
  std::vector<StTensor> tensors_;
};

// All tensors of a checkpoint folder: the files named by model.safetensors.index.json when it
// exists (each must be present), else every model*.safetensors, in file name order, each file's
// tensors in name order. Duplicate tensor names across files are an error.
class Checkpoint {
 public:
  static Result<Checkpoint> open_dir(const std::string& dir);
  const std::vector<StTensor>& tensors() const { return tensors_; }
  const StTensor* find(const std::string& name) const;
  const std::vector<std::string>& files() const { return names_; }

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::vector<std::string> names_;
  std::vector<StTensor> tensors_;
};

}  // namespace uma::convert

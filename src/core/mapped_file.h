// Read-only memory map of a whole file (RAII). Weights are used in place from the mapping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/status.h"

namespace uma {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Errors name the path and the system error ("no such file", "is a directory", ...).
  static Result<MappedFile> open(const std::string& path);

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  void reset();
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  std::string path_;
};

// Drops the resident pages of [p, p + n) inside a read-only file mapping (start rounded down to
// a page, end rounded down). Nothing is lost: a dropped page that is touched again (a neighbour's
// data, an embedding row) is read back from the file. Used after a mapped tensor has been copied
// or converted, so the process holds about one tensor of the source at a time.
void release_mapped_pages(const void* p, size_t n);

}  // namespace uma

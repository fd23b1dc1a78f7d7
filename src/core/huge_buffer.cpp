// HugeBuffer (huge_buffer.h): over-map by 2 MiB, align inside, advise MADV_HUGEPAGE.
#include "core/huge_buffer.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>

namespace uma {

namespace {
constexpr size_t kHuge = size_t{2} << 20;

bool hugepages_wanted() {
  const char* env = std::getenv("UMA_HUGEPAGES");
  return !(env && std::strcmp(env, "0") == 0);
}
}  // namespace

bool HugeBuffer::allocate(size_t n) {
  reset();
  if (n == 0) return true;
  const size_t rounded = (n + kHuge - 1) / kHuge * kHuge;
  if (rounded < n) return false;  // overflow
  const size_t total = rounded + kHuge;
  void* p = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return false;
  base_ = p;
  mapped_ = total;
  const uintptr_t a = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) / kHuge * kHuge;
  p_ = reinterpret_cast<uint8_t*>(a);
  n_ = n;
#ifdef MADV_HUGEPAGE
  if (hugepages_wanted()) madvise(p_, rounded, MADV_HUGEPAGE);
#endif
  return true;
}

void HugeBuffer::reset() {
  if (base_) munmap(base_, mapped_);
  base_ = nullptr;
  mapped_ = 0;
  p_ = nullptr;
  n_ = 0;
}

}  // namespace uma

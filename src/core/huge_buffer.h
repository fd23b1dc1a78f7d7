// HugeBuffer: anonymous memory aligned to 2 MiB and advised for transparent huge pages.
//
// Why: decode streams every weight once per token. With 4 KiB pages that is a TLB miss every
// 4 KiB of weights (a 1B model: ~190,000 page walks per token); with 2 MiB pages almost none.
// The bandwidth probe (membw.cpp) reads huge pages too, so the roofline compares like with like.
// On kernels where THP is off (or "never") the advice is ignored and this is plain anonymous
// memory. UMA_HUGEPAGES=0 in the environment skips the advice (A/B benches).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace uma {

class HugeBuffer {
 public:
  HugeBuffer() = default;
  ~HugeBuffer() { reset(); }
  HugeBuffer(HugeBuffer&& o) noexcept
      : base_(std::exchange(o.base_, nullptr)), mapped_(std::exchange(o.mapped_, 0)),
        p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  HugeBuffer& operator=(HugeBuffer&& o) noexcept {
    std::swap(base_, o.base_);
    std::swap(mapped_, o.mapped_);
    std::swap(p_, o.p_);
    std::swap(n_, o.n_);
    return *this;
  }
  HugeBuffer(const HugeBuffer&) = delete;
  HugeBuffer& operator=(const HugeBuffer&) = delete;

  // n bytes, zero (untouched pages), 2 MiB aligned. False when the mapping fails.
  bool allocate(size_t n);
  void reset();
  uint8_t* data() { return p_; }
  const uint8_t* data() const { return p_; }
  size_t size() const { return n_; }

 private:
  void* base_ = nullptr;  // what mmap returned (before alignment)
  size_t mapped_ = 0;
  uint8_t* p_ = nullptr;
  size_t n_ = 0;
};

}  // namespace uma

// A one-line progress bar on stderr for long conversions (quantize, convert): redrawn at most ten
// times a second, only when stderr is a terminal, so logs and tests see nothing.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace uma::convert {

class ProgressBar {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ProgressBar(std::string unit = "weights")
      : unit_(std::move(unit)), tty_(isatty(STDERR_FILENO) == 1), t0_(Clock::now()), last_(t0_) {}

  void update(uint64_t done, uint64_t total) {
    if (!tty_ || total == 0) return;
    const auto now = Clock::now();
    if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double f = (double)done / (double)total;
    const double el = std::chrono::duration<double>(now - t0_).count();
    const int width = 30, fill = (int)(f * width);
    std::string bar(fill, '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r[%s] %5.1f%%  %.1f/%.1f M %s  %.0f s, ~%.0f s left  ", bar.c_str(),
                 100 * f, done / 1e6, total / 1e6, unit_.c_str(), el,
                 f > 0.01 ? el * (1 - f) / f : 0.0);
    if (done >= total) std::fprintf(stderr, "\n");
  }

 private:
  std::string unit_;
  bool tty_;
  Clock::time_point t0_, last_;
};

}  // namespace uma::convert

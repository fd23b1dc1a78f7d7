// Request counters by endpoint and status, and the Prometheus text exposition (format 0.0.4) of
// those plus the engine's gauges, token counters and latency histograms.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "engine/engine.h"

namespace uma::server {

class Metrics {
 public:
  void count_request(const std::string& endpoint, int status);
  // engine may be null while the model loads.
  std::string render(const engine::Engine* engine) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
};

// Known route names for the endpoint label (anything else is "other", so clients cannot grow the
// label set without bound).
std::string endpoint_label(const std::string& path);

}  // namespace uma::server

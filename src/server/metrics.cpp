// Metrics: counters under a mutex; rendering reads the engine's snapshot and histograms.
#include "server/metrics.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>

namespace uma::server {

void Metrics::count_request(const std::string& endpoint, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  requests_[{endpoint, status}]++;
}

std::string endpoint_label(const std::string& path) {
  static const char* kKnown[] = {"/",
                                 "/health",
                                 "/metrics",
                                 "/apply-template",
                                 "/v1/chat/completions",
                                 "/v1/completions",
                                 "/v1/models",
                                 "/api/generate",
                                 "/api/chat",
                                 "/api/tags",
                                 "/api/show",
                                 "/api/ps",
                                 "/api/version"};
  for (const char* k : kKnown)
    if (path == k) return k;
  if (path.rfind("/v1/models/", 0) == 0) return "/v1/models/{id}";
  return "other";
}

namespace {

void line(std::string& out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void line(std::string& out, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  out += buf;
  out += '\n';
}

void histogram(std::string& out, const char* name, const char* help, const engine::Histogram& h) {
  const auto s = h.snapshot();
  line(out, "# HELP %s %s", name, help);
  line(out, "# TYPE %s histogram", name);
  for (size_t i = 0; i < engine::Histogram::kBounds.size(); i++)
    line(out, "%s_bucket{le=\"%g\"} %llu", name, engine::Histogram::kBounds[i],
         (unsigned long long)s.cumulative[i]);
  line(out, "%s_bucket{le=\"+Inf\"} %llu", name, (unsigned long long)s.count);
  line(out, "%s_sum %.6f", name, s.sum);
  line(out, "%s_count %llu", name, (unsigned long long)s.count);
}

}  // namespace

std::string Metrics::render(const engine::Engine* eng) const {
  std::string out;
  line(out, "# HELP uma_requests_total HTTP requests by endpoint and status code.");
  line(out, "# TYPE uma_requests_total counter");
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, n] : requests_)
      line(out, "uma_requests_total{endpoint=\"%s\",status=\"%d\"} %llu", key.first.c_str(),
           key.second, (unsigned long long)n);
  }
  line(out, "# HELP uma_model_ready 1 when the model is loaded and requests are served.");
  line(out, "# TYPE uma_model_ready gauge");
  line(out, "uma_model_ready %d", eng ? 1 : 0);
  if (!eng) return out;
  const engine::EngineStats st = eng->stats();
  auto counter = [&](const char* name, const char* help, int64_t v) {
    line(out, "# HELP %s %s", name, help);
    line(out, "# TYPE %s counter", name);
    line(out, "%s %lld", name, (long long)v);
  };
  auto gauge = [&](const char* name, const char* help, int64_t v) {
    line(out, "# HELP %s %s", name, help);
    line(out, "# TYPE %s gauge", name);
    line(out, "%s %lld", name, (long long)v);
  };
  counter("uma_prompt_tokens_total", "Prompt tokens prefilled.", st.prompt_tokens);
  counter("uma_generated_tokens_total", "Tokens generated.", st.generated_tokens);
  counter("uma_decode_steps_total", "Forward passes run by the scheduler.", st.steps);
  line(out, "# HELP uma_requests_finished_total Generations by how they ended.");
  line(out, "# TYPE uma_requests_finished_total counter");
  line(out, "uma_requests_finished_total{reason=\"stop\"} %lld", (long long)st.finished_stop);
  line(out, "uma_requests_finished_total{reason=\"length\"} %lld", (long long)st.finished_length);
  line(out, "uma_requests_finished_total{reason=\"cancelled\"} %lld", (long long)st.cancelled);
  line(out, "uma_requests_finished_total{reason=\"error\"} %lld", (long long)st.failed);
  gauge("uma_queue_depth", "Requests waiting for a free slot.", st.queued);
  gauge("uma_active_sequences", "Sequences being prefilled or decoded.", st.active);
  gauge("uma_parallel_slots", "Sequences that can run at once (--parallel).", eng->n_parallel());
  gauge("uma_kv_blocks_used", "KV-cache blocks in use.", st.kv_blocks_used);
  gauge("uma_kv_blocks_total", "KV-cache blocks in the pool.", st.kv_blocks_total);
  histogram(out, "uma_time_to_first_token_seconds",
            "Time from request arrival to its first generated token.", eng->ttft());
  histogram(out, "uma_inter_token_latency_seconds",
            "Time between consecutive tokens of one request.", eng->itl());
  return out;
}

}  // namespace uma::server

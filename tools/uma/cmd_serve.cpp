// uma serve: load a model and serve it over OpenAI- and Ollama-compatible HTTP APIs with
// continuous batching. The socket is bound first (so /health answers 503 while loading); the API
// key may come from UMA_API_KEY; SIGINT/SIGTERM end the running requests and exit cleanly.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "cli_util.h"
#include "commands.h"
#include "core/log.h"
#include "engine/engine.h"
#include "core/thread_pool.h"
#include "model/model.h"
#include "plan/plan.h"
#include "server/chat_format.h"
#include "server/server.h"

namespace uma::cli {

namespace {

volatile std::sig_atomic_t g_signal = 0;
void on_signal(int sig) { g_signal = sig; }

int fail(const std::string& msg) {
  std::fprintf(stderr, "uma serve: %s\n", msg.c_str());
  return 1;
}

std::string default_name(const std::string& path) {
  std::string base =
      path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  if (base.size() > 5 && base.compare(base.size() - 5, 5, ".gguf") == 0)
    base.resize(base.size() - 5);
  return base.empty() ? "model" : base;
}

// Context and slots from the planner (src/plan) and this machine's memory. Without -c: the
// largest context up to the training length that fits. Without --parallel: the default slot
// count, halved while that leaves less than min(training context, 4096) per slot, so one
// long-context request still fits. A -c that does not fit is refused with what would.
Status plan_slots(const Model& m, engine::EngineParams& ep, int64_t n_ctx, bool parallel_given) {
  const int64_t want = std::min<int64_t>(m.hparams().n_ctx_train > 0 ? m.hparams().n_ctx_train
                                                                     : 4096,
                                         4096);
  Status first_error = Status::ok();
  for (int32_t slots = ep.n_parallel; slots >= 1; slots /= 2) {
    const plan::PlanInput in{
        .model = {}, .n_parallel = slots, .kv_type = ep.kv_type, .n_batch = ep.prefill_chunk + slots,
        .n_threads = ep.n_threads > 0 ? ep.n_threads : ThreadPool::physical_cores(),
        .suggest_kv_quant = false};
    auto c = plan::choose_local_context(m.file(), in,
                                        n_ctx > 0 ? std::optional<int64_t>(n_ctx) : std::nullopt);
    const bool last = parallel_given || slots == 1;
    if (!c.ok()) {
      if (first_error.is_ok()) first_error = c.status();
      if (last) return first_error;
      continue;
    }
    if (n_ctx == 0 && c->n_ctx < want && !last) continue;
    ep.n_parallel = slots;
    ep.n_ctx = c->n_ctx;
    std::fprintf(stderr, "uma serve: %d slot%s: %s\n", slots, slots == 1 ? "" : "s",
                 c->reason.c_str());
    return Status::ok();
  }
  return first_error;
}

}  // namespace

int cmd_serve(int argc, char** argv) {
  std::string model_path, template_file, kv_type = "f16", alias;
  server::ServerParams sp;
  engine::EngineParams ep;
  int64_t n_ctx = 0;
  double timeout_s = 600;
  bool verbose = false;
  CLI::App app{"Serve a GGUF model over OpenAI- and Ollama-compatible HTTP APIs", "uma serve"};
  app.add_option("-m,--model", model_path, "GGUF model file")->required();
  app.add_option("--host", sp.host, "address to listen on (default 127.0.0.1: this machine only)");
  app.add_option("--port", sp.port, "port (0: any free port, printed at startup)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--parallel,-P", ep.n_parallel, "sequences decoded together (slots)")
      ->check(CLI::Range(1, 256));
  app.add_option("-c,--ctx-size", n_ctx,
                 "context size per sequence (0: the largest that fits memory, up to the model's "
                 "training context)");
  app.add_option("-t,--threads", ep.n_threads, "compute threads (default: physical cores)");
  app.add_option("--api-key", sp.api_key, "require 'Authorization: Bearer KEY' (also UMA_API_KEY)");
  app.add_option("--max-queue", ep.max_queue, "requests that may wait for a slot; more get 503")
      ->check(CLI::Range(0, 100000));
  app.add_option("--alias", alias, "model name in the APIs (default: the file name without .gguf)");
  app.add_option("--chat-template-file", template_file,
                 "Jinja chat template overriding the model's");
  app.add_option("--timeout", timeout_s,
                 "per-request time limit in seconds, queueing included (0: none)")
      ->check(CLI::Range(0.0, 1e7));
  app.add_option("--prefill-chunk", ep.prefill_chunk, "prompt tokens prefilled per step")
      ->check(CLI::Range(1, 65536));
  app.add_option("--max-body", sp.max_body_bytes, "largest request body in bytes (413 beyond)")
      ->check(CLI::Range((size_t)1024, (size_t)1 << 30));
  app.add_option("--max-messages", sp.max_messages, "most messages in one chat request")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--keep-alive-ms", sp.keep_alive_ms,
                 "SSE keep-alive comment interval while nothing is sent (0: off)")
      ->check(CLI::Range((int64_t)0, (int64_t)3600000));
  app.add_option("--http-threads", sp.http_threads,
                 "HTTP worker threads (0: from --parallel and --max-queue)")
      ->check(CLI::Range(0, 4096));
  app.add_option("--kv-type", kv_type, "KV cache type: f16 or f32")
      ->check(CLI::IsMember({"f16", "f32"}));
  app.add_flag("-v,--verbose", verbose, "log every request");
  if (auto rc = parse_args(app, argc, argv, "serve")) return *rc;
  if (n_ctx < 0) return fail("--ctx-size must be >= 0");
  if (ep.n_threads < 0) return fail("--threads must be >= 0");
  if (sp.api_key.empty())
    if (const char* env = std::getenv("UMA_API_KEY")) sp.api_key = env;
  set_log_level(verbose ? LogLevel::kDebug : LogLevel::kInfo);
  ep.kv_type = kv_type == "f32" ? DType::F32 : DType::F16;
  sp.timeout_ms = (int64_t)(timeout_s * 1000);
  sp.max_queue = ep.max_queue;
  sp.n_parallel = ep.n_parallel;

  std::signal(SIGPIPE, SIG_IGN);  // a client that goes away must not kill the server
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  server::Server server(sp);
  auto port = server.bind();
  if (!port.ok()) return fail(port.status().message());
  std::thread http([&] { server.listen(); });
  std::fprintf(stderr, "uma serve: listening on http://%s:%d (loading %s)\n", sp.host.c_str(),
               *port, model_path.c_str());
  if (sp.host != "127.0.0.1" && sp.host != "localhost" && sp.host != "::1" && sp.api_key.empty())
    std::fprintf(stderr, "uma serve: warning: listening on %s without an API key\n",
                 sp.host.c_str());

  auto stop_http = [&] {
    server.stop();
    http.join();
  };
  const auto t0 = std::chrono::steady_clock::now();
  auto model = Model::load(model_path);
  if (!model.ok()) {
    stop_http();
    return fail(model.status().message());
  }
  const Model& m = **model;
  auto planned = plan_slots(m, ep, n_ctx, app.count("--parallel") > 0);
  if (!planned.is_ok()) {
    stop_http();
    return fail(planned.message());
  }
  auto eng = engine::Engine::create(m, ep);
  if (!eng.ok()) {
    stop_http();
    return fail(eng.status().message());
  }
  auto formatter = server::make_chat_formatter(m, template_file);
  if (!formatter.ok()) {
    stop_http();
    return fail(formatter.status().message());
  }
  const double load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  server::ModelInfo info;
  info.name = alias.empty() ? default_name(model_path) : alias;
  info.path = model_path;
  info.load_ms = load_ms;
  struct stat sb {};
  if (stat(model_path.c_str(), &sb) == 0) {
    info.file_size = (uint64_t)sb.st_size;
    info.modified_unix = (int64_t)sb.st_mtime;
  }
  std::fprintf(
      stderr,
      "uma serve: ready: model '%s' (%s), %d slots x %lld context, %d threads, KV cache %.1f MiB, "
      "chat format: %s, loaded in %.0f ms\n",
      info.name.c_str(), m.hparams().arch.c_str(), (*eng)->n_parallel(), (long long)(*eng)->n_ctx(),
      (*eng)->n_threads(), (*eng)->kv_bytes() / 1048576.0, (*formatter)->origin().c_str(), load_ms);
  server.set_ready(m, **eng, std::move(formatter).value(), info);

  while (!g_signal) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::fprintf(stderr, "uma serve: signal %d, shutting down\n", (int)g_signal);
  (*eng)->stop();  // running requests end with an error event, so their streams close
  // Idle keep-alive connections would hold the HTTP workers for up to 5 s; give them a short
  // grace period, then leave without waiting (nothing is left to flush).
  std::atomic<bool> http_done{false};
  std::thread stopper([&] {
    stop_http();
    http_done = true;
  });
  for (int i = 0; i < 20 && !http_done; i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!http_done) {
    std::fflush(stderr);
    std::_Exit(0);
  }
  stopper.join();
  return 0;
}

}  // namespace uma::cli

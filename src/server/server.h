// `uma serve`'s HTTP server: OpenAI- and Ollama-compatible APIs, /health, /metrics and
// /apply-template over one Engine. It listens before the model is loaded (health says 503 until
// set_ready) and keeps cpp-httplib out of this header.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "engine/engine.h"
#include "model/model.h"
#include "server/chat_format.h"

namespace uma::server {

struct ServerParams {
  std::string host = "127.0.0.1";
  int port = 8080;                   // 0: any free port (bind() says which)
  std::string api_key;               // non-empty: every endpoint but /health needs "Bearer KEY"
  size_t max_body_bytes = 8u << 20;  // larger bodies get 413
  size_t max_messages = 1024;        // per chat request
  int64_t timeout_ms = 600000;       // per request, queue wait included; 0: none
  int64_t keep_alive_ms = 2000;      // SSE comment lines while nothing else is sent
  int32_t http_threads = 0;          // 0: enough for the slots, the queue and spare connections
  int32_t max_queue = 32;            // only to size the thread pool (the engine enforces it)
  int32_t n_parallel = 4;            // likewise
};

// What the model endpoints report about the loaded file.
struct ModelInfo {
  std::string name;  // --alias or the file name without ".gguf"
  std::string path;
  uint64_t file_size = 0;
  int64_t modified_unix = 0;
  double load_ms = 0;
};

class Server {
 public:
  explicit Server(ServerParams params);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Bind the listening socket; returns the port (useful with port 0). Errors name host:port.
  Result<int> bind();
  // Serve until stop() (blocks; run it on its own thread).
  void listen();
  // The model is loaded: generation endpoints answer and /health says 200. The model, engine and
  // formatter must outlive the server's listening.
  void set_ready(const Model& model, engine::Engine& engine,
                 std::unique_ptr<ChatFormatter> formatter, ModelInfo info);
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace uma::server

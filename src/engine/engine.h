// The scheduler: one loop thread owns the Context and runs continuous batching. Each step is one
// forward pass holding one decode token for every running sequence plus at most `prefill_chunk`
// prompt tokens of newly admitted ones, so long prompts are prefilled in chunks while running
// streams keep flowing. Requests wait in a bounded FIFO queue for one of `n_parallel` slots;
// every slot is a sequence in the shared paged KV pool.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/histogram.h"
#include "engine/request.h"
#include "model/context.h"
#include "model/model.h"

namespace uma::engine {

struct EngineParams {
  int32_t n_parallel = 4;       // slots (sequences decoded together)
  int64_t n_ctx = 0;            // positions per sequence; 0: the model's training context
  int32_t n_threads = 0;        // 0: physical cores
  int64_t prefill_chunk = 256;  // prompt tokens per step, shared by the prefilling sequences
  int32_t max_queue = 32;       // requests waiting for a slot before submit() refuses
  DType kv_type = DType::F16;
};

enum class SubmitCode { kOk, kInvalid, kPromptTooLong, kQueueFull, kShuttingDown };

struct SubmitResult {
  SubmitCode code = SubmitCode::kOk;
  std::string message;  // one line naming the numbers involved
  uint64_t id = 0;      // request id (kOk)
  bool ok() const { return code == SubmitCode::kOk; }
};

// Counters and gauges for /metrics (a consistent-enough snapshot; each field is exact).
struct EngineStats {
  int64_t queued = 0, active = 0;
  int64_t kv_blocks_used = 0, kv_blocks_total = 0;
  int64_t prompt_tokens = 0, generated_tokens = 0;  // totals since start
  int64_t steps = 0;
  int64_t finished_stop = 0, finished_length = 0, cancelled = 0, failed = 0;
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> create(const Model& model, const EngineParams& params);
  ~Engine();  // stop()
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Validates and enqueues; never blocks on the model. Refusals name both numbers
  // ("the prompt has 5000 tokens, the context size is 4096"; "8 requests are already waiting").
  SubmitResult submit(Request req);
  // Finish every queued and running request with an error and join the loop. Idempotent.
  void stop();

  EngineStats stats() const;
  const Histogram& ttft() const { return ttft_; }  // submit -> first token
  const Histogram& itl() const { return itl_; }    // between consecutive tokens of a request
  int64_t n_ctx() const { return ctx_->n_ctx(); }
  int32_t n_parallel() const { return ctx_->n_seq(); }
  int32_t n_threads() const { return ctx_->n_threads(); }
  uint64_t kv_bytes() const { return ctx_->kv_bytes(); }
  const Model& model() const { return model_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Pending {
    Request req;
    uint64_t id;
    Clock::time_point t_submit;
  };
  struct Slot;

  Engine(const Model& model, std::unique_ptr<Context> ctx, const EngineParams& params);
  void loop();
  // One scheduling step; false when there was nothing to do.
  bool step();
  void admit();
  void emit_text(Slot& s, std::string text, bool final);
  void finish(Slot& s, FinishReason reason);
  void fail(Slot& s, const std::string& msg);
  void release(Slot& s);
  void handle_token(Slot& s, std::span<const float> logits);

  const Model& model_;
  std::unique_ptr<Context> ctx_;
  EngineParams params_;

  mutable std::mutex mu_;  // guards queue_, stopping_, the counters in stats_
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  uint64_t next_id_ = 1;
  EngineStats stats_;

  std::vector<std::unique_ptr<Slot>> slots_;  // engine thread only
  uint64_t admit_counter_ = 0;
  std::vector<BatchToken> batch_;
  std::vector<Slot*> batch_rows_;  // slot of each logits row
  Histogram ttft_, itl_;
  std::thread thread_;
};

}  // namespace uma::engine

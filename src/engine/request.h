// What a client hands the engine (Request: prompt tokens, sampling, limits, a streaming callback,
// a cancel flag) and what it gets back (Event: text deltas, then one Done or Error).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sampling/sampler.h"
#include "tokenizer/tokenizer.h"

namespace uma::engine {

enum class FinishReason { kNone, kStop, kLength, kCancelled };
const char* finish_reason_name(FinishReason r);  // "stop" | "length" | "cancelled" | ""

// Log-probability of one generated token under the model's raw distribution (log-softmax of the
// logits, before penalties and temperature), plus the most likely alternatives.
struct TokenLogprob {
  struct Alt {
    TokenId id;
    std::string piece;
    float logprob;
  };
  TokenId id = 0;
  std::string piece;  // the token's raw bytes (may be part of a UTF-8 character)
  float logprob = 0;
  std::vector<Alt> top;  // best first, n_logprobs entries
};

// Per-request timing, measured on the engine thread (milliseconds).
struct Timings {
  int64_t n_prompt = 0;  // prompt tokens decoded
  int64_t n_gen = 0;     // tokens sampled (an end-of-generation token is not counted)
  double queue_ms = 0;   // submit -> admitted to a slot
  double prompt_ms = 0;  // admitted -> first token sampled (prefill, shared with other work)
  double gen_ms = 0;     // first token -> finished
  double ttft_ms = 0;    // submit -> first token
  double total_ms = 0;   // submit -> finished
};

enum class EventKind { kText, kDone, kError };

struct Event {
  EventKind kind = EventKind::kText;
  std::string text;                    // kText: new text, whole UTF-8 characters when possible
  std::vector<TokenLogprob> logprobs;  // kText: entries for the tokens this text completes
  FinishReason finish = FinishReason::kNone;  // kDone
  Timings timings;                            // kDone and kError
  std::vector<TokenId> generated;             // kDone: every sampled token (Ollama's `context`)
  std::string error;                          // kError: one line
};

struct Request {
  std::vector<TokenId> prompt;  // BOS included when wanted
  sampling::Params sampling;
  std::vector<std::string> stop;  // generation ends before the first occurrence of any
  int64_t max_tokens = -1;        // -1: until end of generation or the context is full
  int64_t n_ctx = 0;              // 0: the engine's context; else a smaller per-request limit
  bool ignore_eos = false;
  int32_t n_logprobs = -1;  // -1: none; 0..20: the chosen token's and that many alternatives
  std::chrono::milliseconds timeout{0};  // 0: none; measured from submit; ends with "length"
  // Called on the engine thread, in order: kText*, then exactly one kDone or kError.
  // Must not block (push into a queue); it may run after the submitter has gone away.
  std::function<void(Event&&)> on_event;
  // Set by the client side (e.g. on disconnect): the sequence ends with kCancelled and its KV
  // blocks are freed at the next step.
  std::shared_ptr<std::atomic<bool>> cancel;
};

}  // namespace uma::engine

// The planner: bytes of weights, KV cache, compute buffers and runtime overhead for a model at a
// context, parallel sequences and KV type; bytes read per decoded token; whether it fits a machine
// (and the largest context that does); predicted decode speed (bandwidth × efficiency ÷ bytes per
// token); the best quant mix for a machine; and the context `uma run` / `uma serve` should use.
// Memory is modelled on uma's own engine (src/model/context.cpp): weights mmapped, norms in f32,
// a KV pool of n_ctx × n_seq positions, activation buffers for one batch of n_batch tokens.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"
#include "plan/machines.h"
#include "plan/model_desc.h"
#include "plan/quant_mix.h"

namespace uma::plan {

constexpr int64_t kDefaultCtx = 4096;
constexpr int64_t kKvBlock = 32;  // the engine's KV pool is allocated in blocks of 32 positions

struct PlanInput {
  ModelDesc model;
  int64_t n_ctx = kDefaultCtx;  // positions per sequence
  int32_t n_parallel = 1;       // sequences (server slots) sharing the KV pool
  DType kv_type = DType::F16;   // F16, F32, Q8_0, Q4_0
  int64_t n_batch = 512;        // ContextParams::n_batch
  int32_t n_threads = 8;        // engine threads (one attention score buffer each)
  // Whether refusals may suggest a quantized KV cache (q8_0). The planner models it; uma's
  // engine does not have it yet, so `uma run` / `uma serve` turn the suggestion off.
  bool suggest_kv_quant = true;
  // Planning for uma's CPU engine on this machine: matrices it repacks at load (quant/repack.h;
  // Q4_K tiles are 2.8% larger than the file's blocks) count at their repacked size. Set by
  // choose_local_context and by fit_machine for `local`.
  bool local_repack = false;
};

struct MemoryPlan {
  uint64_t weights = 0;  // tensor bytes resident once every weight has been read (mmapped)
  // An untied token_embd is mapped but only gathered row by row, so its pages stay on disk (and
  // the kernel may drop them): measured, peak RSS of the 8B shape is weights less this.
  uint64_t embedding_mapped = 0;  // not in total()
  uint64_t metadata = 0;          // the rest of the mapped file: header and vocabulary
  uint64_t kv = 0;                // KV pool
  uint64_t compute = 0;           // activations, attention scores, logits, matmul scratch
  uint64_t overhead = 0;          // f32 copies of norms/biases, tokenizer tables, process baseline
  uint64_t total() const { return weights + metadata + kv + compute + overhead; }
};

// KV pool bytes for n_seq sequences of n_ctx positions (sliding-window layers hold a window).
uint64_t kv_cache_bytes(const ModelDesc& m, int64_t n_ctx, int32_t n_seq, DType kv_type);
// Bytes of K and V one sequence reads per decoded token at context depth `depth`.
uint64_t kv_read_bytes(const ModelDesc& m, int64_t depth, DType kv_type);
MemoryPlan plan_memory(const PlanInput& in);
// Bytes read to decode one token of one sequence at `depth`: active weights + its KV.
double bytes_per_token(const PlanInput& in, int64_t depth);

struct MachineFit {
  uint64_t usable = 0, needed = 0;
  bool fits = false;
  int64_t margin = 0;   // usable - needed (negative: short by that much)
  int64_t max_ctx = 0;  // largest context that fits (capped at the training context); 0: none
  bool max_ctx_capped = false;  // max_ctx stopped at the training context, not at memory
  double tps_short = 0;         // decode tok/s of one sequence near the start of the context
  double tps_full = 0;          // ... at the end of the context (all n_ctx positions in the KV)
  double tps_total = 0;         // all n_parallel sequences together, at the end of the context
};
MachineFit fit_machine(const PlanInput& in, const Machine& machine);
// Largest n_ctx (a multiple of kKvBlock, at most `limit`) whose plan fits in `usable`; 0 if none.
int64_t max_context(const PlanInput& in, uint64_t usable, int64_t limit);
// Decode efficiency implied by a measured rate: tok/s × bytes per token ÷ bandwidth.
double efficiency_from_measurement(const DecodeMeasurement& d, double bandwidth_bps);

struct QuantChoice {
  QuantMix mix;
  uint64_t weights = 0, needed = 0;
  double tps = 0;  // at the end of the context
  bool fits = false, fast_enough = false;
};
// Every mix of the model (its tensor table requantized) on one machine, best quality first.
std::vector<QuantChoice> quant_ladder(const PlanInput& in, const Machine& machine, double min_tps);
// The best mix that fits and reaches min_tps; nullopt when none does.
std::optional<QuantChoice> best_quant(const std::vector<QuantChoice>& ladder);

// The context `uma run` / `uma serve` should use on this machine. From the run command:
//   auto desc = plan::describe_gguf(model.file());         // the file it already opened
//   auto mem = plan::read_meminfo();                         // MemAvailable
//   plan::PlanInput in{.model = *desc, .n_parallel = slots, .n_threads = threads};
//   auto choice = plan::choose_context(in, mem->available_bytes, user_ctx);  // or its error
// available_bytes is what the process may take (e.g. MemAvailable); the local headroom policy
// (machines.json policies.local) is applied inside. Without requested_ctx: the largest context up
// to the model's training length that fits. With it: that context if it fits. Errors give needed
// vs available and what to change.
struct ContextChoice {
  int64_t n_ctx = 0;
  MemoryPlan memory;
  std::string reason;  // one paragraph: what was chosen and why
};
Result<ContextChoice> choose_context(const PlanInput& in, uint64_t available_bytes,
                                     std::optional<int64_t> requested_ctx);

// choose_context for a model file on this machine (what `uma run` and `uma serve` call): the
// model from the GGUF's tensor table, memory from read_local_memory() (MemAvailable, the cgroup
// limit, or UMA_MEM_AVAILABLE; the reason names which when it is not MemAvailable).
Result<ContextChoice> choose_local_context(const gguf::GgufFile& file, PlanInput in,
                                           std::optional<int64_t> requested_ctx);

// Bytes as "42.52 GiB" (binary units, as uma info prints them).
std::string human_bytes(double bytes);

}  // namespace uma::plan

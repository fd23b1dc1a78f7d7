// Memory and speed arithmetic. Memory follows what uma's Context allocates (src/model/context.cpp
// alloc_buffers, src/kv/kv_cache.cpp) and what Model::load keeps (weights mmapped, 1-D tensors
// converted to f32); speed is the decode roofline: tokens/s = bandwidth × efficiency ÷ bytes read
// per token (docs/ARCHITECTURE.md, "The physics the design follows").
#include "plan/plan.h"

#include "quant/repack.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace uma::plan {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
// Decode depth of the "short context" speed and of the published measurements it is calibrated
// on: llama-bench's tg128 generates 128 tokens after an empty prompt, 64 positions on average.
constexpr int64_t kShortDepth = 64;
// Process baseline: binary, libc/libstdc++, thread stacks and allocator slack: peak RSS of
// `uma run` on stories260K less everything below is 5.0 MiB on this machine.
constexpr uint64_t kBaselineBytes = 5ull << 20;
// Tokenizer tables (token texts, scores, lookup maps; BPE merge ranks): peak RSS of `uma tokenize`
// less the mapped file and the baseline is 160 bytes per token on the 32000-token llama-spm vocab;
// the BPE vocabs add ~65 bytes per merge (llama-bpe: 128256 tokens + 280147 merges -> 39.5 MB;
// gpt-2: 50257 + 50000 -> 11.3 MB).
constexpr uint64_t kTokenizerBytesPerToken = 160, kTokenizerBytesPerMerge = 65;
constexpr int64_t kMinAutoCtx = 512;
constexpr int64_t kMaxEngineCtx = int64_t{1} << 24;  // Context::create's limit

uint64_t round_up(uint64_t x, uint64_t m) { return (x + m - 1) / m * m; }

// KV sizes multiply untrusted hyperparameters (layers, KV width) by user flags (context,
// sequences); the sums saturate here, far above any machine, so comparisons stay meaningful.
constexpr uint64_t kMaxBytes = uint64_t{1} << 62;
uint64_t saturate(unsigned __int128 x) { return x > kMaxBytes ? kMaxBytes : (uint64_t)x; }

// Positions a layer keeps for one sequence of n_ctx: sliding-window layers keep their window plus
// one batch (llama.cpp's iSWA cache: min(n_ctx, n_swa + n_ubatch)).
int64_t layer_positions(const LayerKv& kv, int64_t n_ctx, int64_t n_batch) {
  return kv.window > 0 ? std::min(n_ctx, kv.window + n_batch) : n_ctx;
}

// Bytes of activations for one quantized row of n_in elements, as matmul's scratch holds them
// (quant::vec_dot_type): K-quants and IQ4_XS use Q8_K, other block types Q8_0/Q8_1, F16/BF16
// their own type; F32 weights use the f32 activations directly.
uint64_t act_row_bytes(DType weight, int64_t n_in) {
  switch (weight) {
    case DType::F32:
      return 0;
    case DType::F16:
    case DType::BF16:
      return (uint64_t)n_in * 2;
    case DType::Q4_1:
    case DType::Q5_1:
      return padded_row_bytes(DType::Q8_1, (uint64_t)n_in);
    case DType::Q4_0:
    case DType::Q5_0:
    case DType::Q8_0:
    case DType::IQ4_NL:
      return padded_row_bytes(DType::Q8_0, (uint64_t)n_in);
    default:
      return padded_row_bytes(DType::Q8_K, (uint64_t)n_in);
  }
}

std::string kv_name(DType t) { return std::string(dtype_name(t)); }

}  // namespace

std::string human_bytes(double b) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  const bool neg = b < 0;
  b = std::fabs(b);
  while (b >= 1024 && u < 5) {
    b /= 1024;
    u++;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%s%.0f %s" : "%s%.2f %s", neg ? "-" : "", b, kUnits[u]);
  return buf;
}

uint64_t kv_cache_bytes(const ModelDesc& m, int64_t n_ctx, int32_t n_seq, DType kv_type) {
  unsigned __int128 total = 0;
  for (const auto& kv : m.kv) {
    // The pool holds n_ctx × n_seq positions in blocks of 32 (KvCache, ContextParams::kv_tokens).
    const uint64_t pos =
        round_up((uint64_t)layer_positions(kv, n_ctx, 512) * (uint64_t)n_seq, kKvBlock);
    total += (unsigned __int128)pos * (padded_row_bytes(kv_type, (uint64_t)kv.k_elems) +
                                       padded_row_bytes(kv_type, (uint64_t)kv.v_elems));
  }
  return saturate(total);
}

uint64_t kv_read_bytes(const ModelDesc& m, int64_t depth, DType kv_type) {
  unsigned __int128 total = 0;
  for (const auto& kv : m.kv) {
    const int64_t pos = kv.window > 0 ? std::min(depth, kv.window) : depth;
    total += (unsigned __int128)pos * (padded_row_bytes(kv_type, (uint64_t)kv.k_elems) +
                                       padded_row_bytes(kv_type, (uint64_t)kv.v_elems));
  }
  return saturate(total);
}

MemoryPlan plan_memory(const PlanInput& in) {
  const ModelDesc& m = in.model;
  MemoryPlan p;
  p.weights = m.weight_bytes();
  if (!m.tied_output)
    for (const auto& t : m.tensors)
      if (t.name == "token_embd.weight") p.embedding_mapped = t.bytes;
  p.weights -= p.embedding_mapped;
  if (in.local_repack)
    for (const auto& t : m.tensors) {
      const int rows = quant::interleave_rows(t.type);
      if (rows == 0 || t.n_dims != 2 || t.n_rows() % rows) continue;
      if (t.name == "token_embd.weight" && !m.tied_output) continue;  // gathered, not multiplied
      const uint64_t packed = quant::interleaved_group_bytes(t.type, t.ne[0]) * (t.n_rows() / rows);
      if (packed > t.bytes) p.weights += packed - t.bytes;
    }
  p.metadata = m.metadata_bytes;
  p.kv = kv_cache_bytes(m, in.n_ctx, in.n_parallel, in.kv_type);

  // Context::alloc_buffers: x, xb, q, k, v, att, hg, hu for n_batch tokens (f32), per thread the
  // attention scratch of one KV head's query group (attn_scratch_per_thread: group score rows of
  // n_ctx, 2·head_dim each, one key's scores), and the logits of every sequence in a decode step.
  const uint64_t group = m.n_head_kv > 0 ? (uint64_t)(m.n_head / m.n_head_kv) : 1;
  const uint64_t nb = (uint64_t)std::min<int64_t>(in.n_batch, in.n_ctx * in.n_parallel);
  int64_t kv_dim = 0;
  for (const auto& kv : m.kv) kv_dim = std::max(kv_dim, std::max(kv.k_elems, kv.v_elems));
  const uint64_t q_dim = (uint64_t)(m.n_head * m.head_dim), d = (uint64_t)m.n_embd;
  const uint64_t floats =
      nb * (d + std::max(d, q_dim) + 2 * q_dim + 2 * (uint64_t)kv_dim + 2 * (uint64_t)m.n_ff) +
      (uint64_t)in.n_threads * group * (uint64_t)(in.n_ctx + 2 * m.head_dim + 1) +
      (uint64_t)in.n_parallel * (uint64_t)m.n_vocab;
  // matmul's scratch: the quantized activations of the widest input a batch multiplies.
  uint64_t scratch = 0;
  for (const auto& t : m.tensors)
    if (t.n_dims >= 2) scratch = std::max(scratch, nb * act_row_bytes(t.type, t.ne[0]));
  p.compute = floats * 4 + scratch;

  // Model::load converts every 1-D tensor (norms, biases, rope factors) to an f32 vector.
  uint64_t f32_copies = 0;
  for (const auto& t : m.tensors)
    if (t.n_dims == 1) f32_copies += t.n_elements() * 4;
  p.overhead = kBaselineBytes + (uint64_t)m.n_vocab * kTokenizerBytesPerToken +
               (uint64_t)m.n_merges * kTokenizerBytesPerMerge + f32_copies;
  return p;
}

double bytes_per_token(const PlanInput& in, int64_t depth) {
  return (double)in.model.active_weight_bytes() +
         (double)kv_read_bytes(in.model, depth, in.kv_type);
}

double efficiency_from_measurement(const DecodeMeasurement& d, double bandwidth_bps) {
  auto m = describe_model(d.model);
  if (!m.ok() || !(bandwidth_bps > 0)) return 0;
  PlanInput in;
  in.model = std::move(m).value();
  return d.tokens_per_s * bytes_per_token(in, kShortDepth) / bandwidth_bps;
}

int64_t max_context(const PlanInput& in, uint64_t usable, int64_t limit) {
  PlanInput probe = in;
  auto fits = [&](int64_t ctx) {
    probe.n_ctx = ctx;
    return plan_memory(probe).total() <= usable;
  };
  limit = std::min(limit, kMaxEngineCtx);
  if (limit < 1 || !fits(std::min<int64_t>(kKvBlock, limit))) return 0;
  if (fits(limit)) return limit;
  int64_t lo = 1, hi = limit / kKvBlock;  // in blocks: lo fits, hi does not
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (fits(mid * kKvBlock) ? lo : hi) = mid;
  }
  return lo * kKvBlock;
}

MachineFit fit_machine(const PlanInput& in_arg, const Machine& machine) {
  PlanInput in = in_arg;
  if (machine.cpu_threads > 0) in.n_threads = machine.cpu_threads;
  if (machine.kind == "local") in.local_repack = true;
  MachineFit f;
  f.usable = machine.usable_bytes;
  f.needed = plan_memory(in).total();
  f.fits = f.needed <= f.usable;
  f.margin = (int64_t)f.usable - (int64_t)f.needed;
  const int64_t train = in.model.n_ctx_train > 0 ? in.model.n_ctx_train : kMaxEngineCtx;
  f.max_ctx = max_context(in, f.usable, train);
  f.max_ctx_capped = f.max_ctx == std::min(train, kMaxEngineCtx);
  const double rate = machine.bandwidth_bps * machine.efficiency;  // bytes/s actually streamed
  if (rate > 0) {
    f.tps_short = rate / bytes_per_token(in, std::min(in.n_ctx, kShortDepth));
    f.tps_full = rate / bytes_per_token(in, in.n_ctx);
    // One weight pass serves every sequence of a batched decode step; each reads its own KV.
    const double step =
        (double)in.model.active_weight_bytes() +
        (double)in.n_parallel * (double)kv_read_bytes(in.model, in.n_ctx, in.kv_type);
    f.tps_total = rate * in.n_parallel / step;
  }
  return f;
}

std::vector<QuantChoice> quant_ladder(const PlanInput& in, const Machine& machine, double min_tps) {
  std::vector<QuantChoice> out;
  for (QuantMix mix : all_quant_mixes()) {
    PlanInput q = in;
    if (!apply_quant_mix(mix, q.model).is_ok()) continue;  // e.g. Q4_0 on rows llama.cpp refuses
    const MachineFit f = fit_machine(q, machine);
    QuantChoice c{mix, q.model.weight_bytes(), f.needed, f.tps_full, f.fits, f.tps_full >= min_tps};
    out.push_back(c);
  }
  return out;
}

std::optional<QuantChoice> best_quant(const std::vector<QuantChoice>& ladder) {
  for (const auto& c : ladder)
    if (c.fits && c.fast_enough) return c;
  return std::nullopt;
}

namespace {

std::string breakdown(const MemoryPlan& p, const PlanInput& in) {
  return "weights " + human_bytes((double)(p.weights + p.metadata)) + " resident + KV cache " +
         human_bytes((double)p.kv) + " (" + kv_name(in.kv_type) + ", " +
         std::to_string(in.n_parallel) + (in.n_parallel == 1 ? " sequence" : " sequences") +
         ") + buffers " + human_bytes((double)(p.compute + p.overhead)) + " = " +
         human_bytes((double)p.total());
}

}  // namespace

Result<ContextChoice> choose_context(const PlanInput& in, uint64_t available_bytes,
                                     std::optional<int64_t> requested_ctx) {
  if (in.n_parallel < 1) return error("parallel sequences must be at least 1");
  if (requested_ctx && (*requested_ctx < 1 || *requested_ctx > kMaxEngineCtx))
    return error("context size must be between 1 and " + std::to_string(kMaxEngineCtx) + " (got " +
                 std::to_string(*requested_ctx) + ")");
  // Local headroom policy (machines.json policies.local), applied to what the caller has.
  MachineTable defaults;
  if (auto t = load_machine_table(); t.ok()) defaults = std::move(t).value();
  const uint64_t headroom =
      std::max(defaults.local_headroom_min_bytes,
               (uint64_t)(defaults.local_headroom_fraction * (double)available_bytes));
  const uint64_t usable = available_bytes > headroom ? available_bytes - headroom : 0;
  const std::string avail = human_bytes((double)usable) + " usable (" +
                            human_bytes((double)available_bytes) + " available less " +
                            human_bytes((double)(available_bytes - usable)) + " headroom)";
  const int64_t train = in.model.n_ctx_train > 0 ? in.model.n_ctx_train : kMaxEngineCtx;

  PlanInput at = in;
  at.n_ctx = requested_ctx ? *requested_ctx : std::min<int64_t>(train, kMaxEngineCtx);
  const int64_t fit_ctx = max_context(in, usable, requested_ctx ? *requested_ctx : train);

  if (requested_ctx && fit_ctx >= *requested_ctx) {
    ContextChoice c{*requested_ctx, plan_memory(at), ""};
    c.reason = "context " + std::to_string(c.n_ctx) + " as asked: " + breakdown(c.memory, at) +
               " of " + avail + ".";
    return c;
  }
  if (!requested_ctx && fit_ctx >= std::min<int64_t>(kMinAutoCtx, train)) {
    // Round down to a multiple of 256 (llama.cpp pads contexts to 256) unless the whole
    // training context fits.
    const int64_t n = fit_ctx >= train ? train : std::max<int64_t>(fit_ctx / 256 * 256, kKvBlock);
    at.n_ctx = n;
    ContextChoice c{n, plan_memory(at), ""};
    c.reason =
        (n >= train ? "context " + std::to_string(n) + ", the model's full training context: "
                    : "context " + std::to_string(n) +
                          " (the largest that fits; the model was trained for " +
                          std::to_string(train) + "): ") +
        breakdown(c.memory, at) + " of " + avail + ".";
    return c;
  }

  // Refuse, saying what would fit instead.
  const MemoryPlan need = plan_memory(at);
  std::string msg = "context " + std::to_string(at.n_ctx) + " needs " +
                    human_bytes((double)need.total()) + " (" + breakdown(need, at) + ") but only " +
                    avail + "; try:";
  std::vector<std::string> tips;
  if (fit_ctx > 0) tips.push_back("a smaller context (-c " + std::to_string(fit_ctx) + " fits)");
  if (in.suggest_kv_quant && (in.kv_type == DType::F16 || in.kv_type == DType::F32)) {
    PlanInput q8 = in;
    q8.kv_type = DType::Q8_0;
    const int64_t c8 = max_context(q8, usable, at.n_ctx);
    if (c8 > fit_ctx)
      tips.push_back("KV cache q8_0 (" +
                     (c8 >= at.n_ctx ? std::string("fits") : "fits up to " + std::to_string(c8)) +
                     ")");
  }
  if (in.n_parallel > 1) {
    PlanInput one = in;
    one.n_parallel = 1;
    const int64_t c1 = max_context(one, usable, at.n_ctx);
    if (c1 > fit_ctx)
      tips.push_back(
          "fewer parallel sequences (1 fits " +
          (c1 >= at.n_ctx ? std::string("this context") : "up to " + std::to_string(c1)) + ")");
  }
  // A smaller mix, if one fits this context (asked for) or at least kMinAutoCtx (automatic).
  const int64_t need_ctx = requested_ctx ? at.n_ctx : std::min<int64_t>(kMinAutoCtx, train);
  for (QuantMix mix : all_quant_mixes()) {
    PlanInput q = in;
    if (!apply_quant_mix(mix, q.model).is_ok()) continue;
    if (q.model.weight_bytes() >= in.model.weight_bytes()) continue;
    const int64_t cq = max_context(q, usable, at.n_ctx);
    if (cq >= need_ctx) {
      tips.push_back(
          "a smaller quant (" + std::string(quant_mix_name(mix)) + ": weights " +
          human_bytes((double)q.model.weight_bytes()) +
          (cq >= at.n_ctx ? std::string(", fits") : ", fits up to context " + std::to_string(cq)) +
          ")");
      break;
    }
  }
  if (tips.empty())
    tips.push_back("a machine with more memory (the weights alone are " +
                   human_bytes((double)(need.weights + need.embedding_mapped + need.metadata)) +
                   ")");
  for (size_t i = 0; i < tips.size(); i++) msg += (i ? ", " : " ") + tips[i];
  return error(msg);
}

Result<ContextChoice> choose_local_context(const gguf::GgufFile& file, PlanInput in,
                                           std::optional<int64_t> requested_ctx) {
  auto desc = describe_gguf(file);
  if (!desc.ok()) return desc.status();
  in.model = std::move(desc).value();
  in.local_repack = true;
  std::string source;
  auto mem = read_local_memory(&source);
  if (!mem.ok()) return mem.status();
  auto c = choose_context(in, mem->available_bytes, requested_ctx);
  if (source == "MemAvailable") return c;
  if (!c.ok()) return c.status().with_context("memory from " + source);
  c->reason += " (memory from " + source + ")";
  return c;
}

}  // namespace uma::plan

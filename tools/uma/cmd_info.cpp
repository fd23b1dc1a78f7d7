// uma info: what a GGUF file holds (version, alignment, metadata, tensor table, totals) and how much
// memory it needs at a context size: weights + KV cache, planned from the file alone.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli_util.h"
#include "commands.h"
#include "core/dtype.h"
#include "gguf/gguf.h"

namespace uma::cli {

namespace {

std::string human_bytes(double b) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (b >= 1024 && u < 5) {
    b /= 1024;
    u++;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.2f %s", b, kUnits[u]);
  return buf;
}

std::string human_count(double n) {
  static const char* kUnits[] = {"", " K", " M", " B", " T"};
  int u = 0;
  while (n >= 1000 && u < 4) {
    n /= 1000;
    u++;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f%s" : "%.2f%s", n, kUnits[u]);
  return buf;
}

// A per-layer hyperparameter: a scalar for every layer, or (some models) an array per layer.
std::optional<std::vector<uint64_t>> per_layer(const gguf::GgufFile& f, const std::string& key,
                                               uint64_t n_layer) {
  const gguf::Value* v = f.find(key);
  if (!v) return std::nullopt;
  if (!v->is_array()) {
    auto u = v->as_uint();
    if (!u) return std::nullopt;
    return std::vector<uint64_t>(n_layer, *u);
  }
  if (v->array_size() != n_layer) return std::nullopt;
  std::vector<uint64_t> out;
  for (uint64_t i = 0; i < n_layer; i++) {
    auto x = v->array_int(i);
    if (!x || *x < 0) return std::nullopt;
    out.push_back((uint64_t)*x);
  }
  return out;
}

// Bytes of one KV row of n elements: whole blocks for q8_0.
double kv_row_bytes(DType t, uint64_t n) {
  const auto& info = dtype_info(t);
  const uint64_t blocks = (n + info.block_elems - 1) / info.block_elems;
  return (double)blocks * info.block_bytes;
}

constexpr int64_t kMaxCtx = int64_t(1) << 40;  // far past any model; keeps the sums exact

struct InfoOptions {
  std::string file;
  int64_t n_ctx = 0;  // 0: the model's training context
  std::string kv_type = "f16";
};

// The memory section. Returns a note instead when the file cannot say (no architecture, no
// tensors, missing hyperparameters); those are not errors for `uma info`.
void print_memory(const gguf::GgufFile& f, const InfoOptions& o, uint64_t weight_bytes) {
  auto skip = [](const std::string& why) { std::printf("\nmemory: skipped (%s)\n", why.c_str()); };
  const gguf::Value* arch_v = f.find("general.architecture");
  if (!arch_v || !arch_v->as_string()) return skip("no general.architecture: not a model file");
  if (f.tensors().empty()) return skip("no tensors: vocab-only file");
  const std::string arch(*arch_v->as_string());
  auto uint_key = [&](const std::string& k) -> std::optional<uint64_t> {
    const gguf::Value* v = f.find(arch + "." + k);
    return v ? v->as_uint() : std::nullopt;
  };
  const auto n_layer = uint_key("block_count");
  if (!n_layer || *n_layer == 0 || *n_layer > (1u << 20))
    return skip("no usable " + arch + ".block_count");
  uint64_t n_ctx = (uint64_t)o.n_ctx;
  if (n_ctx == 0) {
    const auto c = uint_key("context_length");
    if (!c || *c == 0) return skip("no " + arch + ".context_length; pass -c");
    n_ctx = *c;
  }
  const auto n_head = per_layer(f, arch + ".attention.head_count", *n_layer);
  auto n_head_kv = per_layer(f, arch + ".attention.head_count_kv", *n_layer);
  if (!n_head_kv) n_head_kv = n_head;
  if (!n_head_kv) return skip("no usable " + arch + ".attention.head_count");
  // head_dim from the explicit key lengths, else n_embd / n_head (of the first layer with heads).
  auto head_dim = [&](const char* key) -> std::optional<uint64_t> {
    if (auto d = uint_key(std::string("attention.") + key)) return d;
    const auto n_embd = uint_key("embedding_length");
    if (!n_embd || !n_head) return std::nullopt;
    for (uint64_t h : *n_head)
      if (h > 0) return *n_embd / h;
    return std::nullopt;
  };
  const auto hd_k = head_dim("key_length");
  const auto hd_v = head_dim("value_length");
  if (!hd_k || !hd_v) return skip("cannot tell the head size (no " + arch + ".embedding_length)");

  const DType kv_type = *dtype_from_name(o.kv_type);
  double per_token = 0;  // bytes of K and V for one token over all layers
  for (uint64_t l = 0; l < *n_layer; l++)
    per_token += kv_row_bytes(kv_type, (*n_head_kv)[l] * *hd_k) +
                 kv_row_bytes(kv_type, (*n_head_kv)[l] * *hd_v);
  const double kv_bytes = per_token * (double)n_ctx;
  const bool uniform = std::all_of(n_head_kv->begin(), n_head_kv->end(),
                                   [&](uint64_t h) { return h == (*n_head_kv)[0]; });

  std::printf("\nmemory at context %llu (KV cache %s):\n", (unsigned long long)n_ctx,
              o.kv_type.c_str());
  std::printf("  weights   %s\n", human_bytes((double)weight_bytes).c_str());
  if (uniform) {
    std::printf("  KV cache  %s = %llu layers × %llu tokens × (%llu × %llu + %llu × %llu) × %s\n",
                human_bytes(kv_bytes).c_str(), (unsigned long long)*n_layer,
                (unsigned long long)n_ctx, (unsigned long long)(*n_head_kv)[0],
                (unsigned long long)*hd_k, (unsigned long long)(*n_head_kv)[0],
                (unsigned long long)*hd_v,
                kv_type == DType::Q8_0 ? "34/32 bytes (q8_0)"
                                       : (kv_type == DType::F32 ? "4 bytes" : "2 bytes"));
  } else {
    std::printf("  KV cache  %s (%llu layers with per-layer kv heads × %llu tokens)\n",
                human_bytes(kv_bytes).c_str(), (unsigned long long)*n_layer,
                (unsigned long long)n_ctx);
  }
  std::printf("  total     %s (activations and buffers not included)\n",
              human_bytes((double)weight_bytes + kv_bytes).c_str());
}

void print_info(const gguf::GgufFile& f, const InfoOptions& o) {
  std::printf("file:      %s (%s)\n", f.name().c_str(), human_bytes((double)f.file_size()).c_str());
  std::printf("version:   %u\n", f.version());
  std::printf("alignment: %llu\n", (unsigned long long)f.alignment());

  std::printf("\nmetadata (%zu keys):\n", f.metadata().size());
  for (const auto& [key, value] : f.metadata())
    std::printf("  %s = %s\n", key.c_str(), value.to_string(3).c_str());

  uint64_t params = 0, bytes = 0;
  size_t name_w = 4, shape_w = 5;
  for (const auto& t : f.tensors()) {
    name_w = std::max(name_w, t.name.size());
    shape_w = std::max(shape_w, t.shape_string().size());
  }
  std::printf("\ntensors (%zu):\n", f.tensors().size());
  if (!f.tensors().empty())
    std::printf("  %-*s  %-7s  %-*s  %12s\n", (int)name_w, "name", "type", (int)shape_w, "shape",
                "bytes");
  for (const auto& t : f.tensors()) {
    std::printf("  %-*s  %-7s  %-*s  %12llu\n", (int)name_w, t.name.c_str(),
                std::string(dtype_name(t.type)).c_str(), (int)shape_w, t.shape_string().c_str(),
                (unsigned long long)t.nbytes);
    params += t.n_elements();
    bytes += t.nbytes;
  }
  std::printf("\ntotals: %zu tensors, %s parameters (%llu), %s (%llu bytes)", f.tensors().size(),
              human_count((double)params).c_str(), (unsigned long long)params,
              human_bytes((double)bytes).c_str(), (unsigned long long)bytes);
  if (params > 0) std::printf(", %.2f bits per weight", 8.0 * (double)bytes / (double)params);
  std::printf("\n");

  print_memory(f, o, bytes);
}

}  // namespace

int cmd_info(int argc, char** argv) {
  InfoOptions o;
  CLI::App app{"Show a GGUF file's metadata, tensors and memory needs", "uma info"};
  app.add_option("file", o.file, "GGUF file")->required();
  std::string ctx_arg;  // parsed below: CLI11 saturates out-of-range integers silently
  auto* ctx_opt = app.add_option(
      "-c,--ctx-size", ctx_arg,
      "context size in tokens for the memory estimate (default: the model's training context)");
  app.add_option("--kv-type", o.kv_type, "KV cache type for the memory estimate: f16, f32, q8_0")
      ->check(CLI::IsMember({"f16", "f32", "q8_0"}));
  if (auto rc = parse_args(app, argc, argv, "info")) return *rc;
  if (ctx_opt->count() > 0) {
    const char* end = ctx_arg.data() + ctx_arg.size();
    auto [p, ec] = std::from_chars(ctx_arg.data(), end, o.n_ctx);
    if (ec != std::errc() || p != end || o.n_ctx <= 0 || o.n_ctx > kMaxCtx) {
      std::fprintf(stderr, "uma info: --ctx-size must be a whole number of tokens from 1 to %lld, "
                   "got '%s'\n", (long long)kMaxCtx, ctx_arg.c_str());
      return 2;
    }
  }

  auto f = gguf::GgufFile::open(o.file);
  if (!f.ok()) {
    std::fprintf(stderr, "uma info: %s\n", f.status().message().c_str());
    return 1;
  }
  print_info(*f, o);
  return 0;
}

}  // namespace uma::cli

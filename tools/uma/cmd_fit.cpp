// uma fit: will a model fit, and how fast will it decode? Memory (weights, KV cache, buffers,
// overhead) against each machine's usable memory, the largest context that fits, predicted decode
// tok/s (bandwidth × efficiency ÷ bytes per token) and the best quant mix — as a table, JSON or
// an SVG chart. The arithmetic lives in src/plan; this file parses flags and prints.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
#include "core/membw.h"
#include "core/thread_pool.h"
#include "plan/plan.h"
#include "plan/shapes.h"
#include "plan/svg_chart.h"

namespace uma::cli {

namespace {

using plan::human_bytes;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

struct FitOptions {
  std::string model;
  std::string ctx = std::to_string(plan::kDefaultCtx);
  std::string parallel = "1";
  std::string kv_type = "f16";
  std::string machine = "all";
  std::string plot;
  std::string min_tps;
  std::vector<std::string> bench;
  bool json = false;
};

// Whole number in [lo, hi]; CLI11 would saturate out-of-range integers silently.
std::optional<int64_t> parse_int(const std::string& s, int64_t lo, int64_t hi) {
  int64_t v = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end || v < lo || v > hi) return std::nullopt;
  return v;
}

std::string fmt(const char* f, double x) {
  char b[64];
  std::snprintf(b, sizeof(b), f, x);
  return b;
}

std::string tps_str(double t) {
  if (!(t > 0) || !std::isfinite(t)) return "?";
  return t >= 100 ? fmt("%.0f", t) : t >= 10 ? fmt("%.1f", t) : fmt("%.2f", t);
}

// Compact sizes for the table columns: "96.0 GiB", "11.8 MiB".
std::string gib(double b) {
  if (b >= kGiB) return fmt("%.1f GiB", b / kGiB);
  if (b >= 1024.0 * 1024) return fmt("%.1f MiB", b / (1024.0 * 1024));
  return fmt("%.1f KiB", b / 1024);
}

std::string signed_gib(int64_t b) { return (b >= 0 ? "+" : "-") + gib(std::fabs((double)b)); }

std::string human_count(double n) {
  static const char* kUnits[] = {"", " K", " M", " B", " T"};
  int u = 0;
  while (n >= 1000 && u < 4) {
    n /= 1000;
    u++;
  }
  char b[32];
  std::snprintf(b, sizeof(b), u == 0 ? "%.0f%s" : "%.2f%s", n, kUnits[u]);
  return b;
}

std::string eff_tag(const plan::Machine& m) {
  if (m.kind == "local") return m.efficiency_source.rfind("uma bench", 0) == 0 ? "b" : "d";
  return m.decode ? "m" : "k";
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "uma fit: %s (see 'uma fit --help')\n", msg.c_str());
  return 2;
}

struct MachineResult {
  const plan::Machine* machine;
  plan::MachineFit fit;
  std::vector<plan::QuantChoice> ladder;
  std::optional<plan::QuantChoice> best;
};

nlohmann::json memory_json(const plan::MemoryPlan& p) {
  return {{"weights_bytes", p.weights + p.embedding_mapped},
          {"weights_resident_bytes", p.weights},
          {"embedding_not_resident_bytes", p.embedding_mapped},
          {"metadata_bytes", p.metadata},
          {"kv_cache_bytes", p.kv},
          {"compute_bytes", p.compute},
          {"overhead_bytes", p.overhead},
          {"total_bytes", p.total()}};
}

void print_json(const plan::PlanInput& in, const plan::MemoryPlan& mem,
                const plan::MachineTable& table, const std::vector<MachineResult>& results,
                double min_tps) {
  const auto& m = in.model;
  nlohmann::json j;
  j["model"] = {{"name", m.name},
                {"arch", m.arch},
                {"quant", m.quant},
                {"source", m.source},
                {"params", m.n_params()},
                {"active_params", m.active_params()},
                {"weights_bytes", m.weight_bytes()},
                {"file_bytes", m.file_bytes()},
                {"bits_per_weight",
                 8.0 * (double)m.weight_bytes() / (double)std::max<uint64_t>(1, m.n_params())},
                {"n_layer", m.n_layer},
                {"n_ctx_train", m.n_ctx_train},
                {"n_expert", m.n_expert},
                {"n_expert_used", m.n_expert_used}};
  j["input"] = {{"ctx", in.n_ctx},
                {"parallel", in.n_parallel},
                {"kv_type", std::string(dtype_name(in.kv_type))},
                {"n_batch", in.n_batch},
                {"min_tps", min_tps}};
  j["memory"] = memory_json(mem);
  j["bytes_per_token"] = {{"weights", m.active_weight_bytes()},
                          {"kv_at_ctx", plan::kv_read_bytes(m, in.n_ctx, in.kv_type)},
                          {"total_at_ctx", plan::bytes_per_token(in, in.n_ctx)}};
  nlohmann::json ms = nlohmann::json::array();
  for (const auto& r : results) {
    const auto& mc = *r.machine;
    nlohmann::json e = {{"name", mc.name},
                        {"label", mc.label},
                        {"kind", mc.kind},
                        {"expected", mc.expected},
                        {"memory_bytes", mc.memory_bytes},
                        {"usable_bytes", mc.usable_bytes},
                        {"usable_rule", mc.usable_rule},
                        {"bandwidth_bytes_per_s", mc.bandwidth_bps},
                        {"efficiency", mc.efficiency},
                        {"efficiency_source", mc.efficiency_source},
                        {"needed_bytes", r.fit.needed},
                        {"fits", r.fit.fits},
                        {"margin_bytes", r.fit.margin},
                        {"max_ctx", r.fit.max_ctx},
                        {"max_ctx_is_training_ctx", r.fit.max_ctx_capped},
                        {"decode_tps", r.fit.tps_full},
                        {"decode_tps_start", r.fit.tps_short},
                        {"decode_tps_all_sequences", r.fit.tps_total},
                        {"sources", mc.sources}};
    if (mc.gpu_cores) e["gpu_cores"] = mc.gpu_cores;
    if (mc.cuda_cores) e["cuda_cores"] = mc.cuda_cores;
    e["best_quant"] =
        r.best ? nlohmann::json(std::string(plan::quant_mix_name(r.best->mix))) : nlohmann::json();
    nlohmann::json lad = nlohmann::json::array();
    for (const auto& q : r.ladder)
      lad.push_back({{"quant", std::string(plan::quant_mix_name(q.mix))},
                     {"weights_bytes", q.weights},
                     {"needed_bytes", q.needed},
                     {"fits", q.fits},
                     {"decode_tps", q.tps}});
    e["quants"] = lad;
    ms.push_back(e);
  }
  j["machines"] = ms;
  j["notes"] = table.notes;
  std::printf("%s\n", j.dump(2).c_str());
}

void print_table(const plan::PlanInput& in, const plan::MemoryPlan& mem,
                 const std::vector<MachineResult>& results, double min_tps) {
  const auto& m = in.model;
  const double params = (double)m.n_params();
  std::printf("model:    %s, %s, %s parameters", m.name.c_str(), m.quant.c_str(),
              human_count(params).c_str());
  if (m.n_expert > 1)
    std::printf(" (%s active per token)", human_count((double)m.active_params()).c_str());
  std::printf(", %.2f bits per weight\n", 8.0 * (double)m.weight_bytes() / std::max(1.0, params));
  std::printf("source:   %s\n", m.source.c_str());
  std::printf("plan:     context %lld x %d sequence%s, KV cache %s (model trained for %lld)\n",
              (long long)in.n_ctx, in.n_parallel, in.n_parallel == 1 ? "" : "s",
              std::string(dtype_name(in.kv_type)).c_str(), (long long)m.n_ctx_train);
  if (m.n_ctx_train > 0 && in.n_ctx > m.n_ctx_train)
    std::printf("note:     context %lld is beyond the model's training context %lld\n",
                (long long)in.n_ctx, (long long)m.n_ctx_train);
  std::printf("memory:   weights %s",
              human_bytes((double)(mem.weights + mem.embedding_mapped)).c_str());
  if (mem.embedding_mapped > 0)
    std::printf(" (%s resident: token_embd is only gathered)",
                human_bytes((double)mem.weights).c_str());
  std::printf(" + file metadata %s + KV cache %s + compute buffers %s + runtime %s = %s\n",
              human_bytes((double)mem.metadata).c_str(), human_bytes((double)mem.kv).c_str(),
              human_bytes((double)mem.compute).c_str(), human_bytes((double)mem.overhead).c_str(),
              human_bytes((double)mem.total()).c_str());
  std::printf("decode:   %s read per token (weights %s + KV %s at the end of the context)\n\n",
              human_bytes(plan::bytes_per_token(in, in.n_ctx)).c_str(),
              human_bytes((double)m.active_weight_bytes()).c_str(),
              human_bytes((double)plan::kv_read_bytes(m, in.n_ctx, in.kv_type)).c_str());

  std::printf("%-9s %-27s %9s %9s %4s %10s %8s %13s %6s  %s\n", "machine", "", "usable", "needed",
              "fits", "margin", "max ctx", "tok/s end|0", "eff",
              min_tps > 0 ? "best quant (>= min tok/s)" : "best quant");
  for (const auto& r : results) {
    const auto& mc = *r.machine;
    const std::string ctx =
        r.fit.max_ctx > 0 ? std::to_string(r.fit.max_ctx) + (r.fit.max_ctx_capped ? "*" : "") : "-";
    const std::string tps = tps_str(r.fit.tps_full) + "|" + tps_str(r.fit.tps_short);
    const std::string best = r.best ? std::string(plan::quant_mix_name(r.best->mix)) + " (" +
                                          tps_str(r.best->tps) + " tok/s)"
                                    : "none";
    std::printf("%-9s %-27s %9s %9s %4s %10s %8s %13s %5.2f%s  %s\n", mc.name.c_str(),
                mc.label.c_str(), gib((double)mc.usable_bytes).c_str(),
                gib((double)r.fit.needed).c_str(), r.fit.fits ? "yes" : "no",
                signed_gib(r.fit.margin).c_str(), ctx.c_str(), tps.c_str(), mc.efficiency,
                eff_tag(mc).c_str(), best.c_str());
  }
  std::printf(
      "\nmax ctx: largest context that fits (* = the model's training context). tok/s: predicted "
      "decode of one\n"
      "sequence at the end of the context | at its start = bandwidth x efficiency / bytes per "
      "token.\n"
      "eff: m = from a published decode measurement of that machine, k = median of its kind, b = "
      "uma bench,\n"
      "d = default. --json lists every figure's source.\n");
  for (const auto& r : results)
    if (r.machine->kind == "local")
      std::printf(
          "local:    %s of memory, %s usable (%s); read bandwidth %.1f GB/s (%s);\n"
          "          efficiency %.2f (%s)\n",
          human_bytes((double)r.machine->memory_bytes).c_str(),
          human_bytes((double)r.machine->usable_bytes).c_str(), r.machine->usable_rule.c_str(),
          r.machine->bandwidth_bps / 1e9,
          r.machine->sources.count("bandwidth_measured")
              ? r.machine->sources.at("bandwidth_measured").c_str()
              : "",
          r.machine->efficiency, r.machine->efficiency_source.c_str());
  if (results.size() == 1) {
    const auto& r = results[0];
    std::printf("\nquant mixes on %s:\n  %-7s %10s %10s %5s %8s\n", r.machine->name.c_str(),
                "quant", "weights", "needed", "fits", "tok/s");
    for (const auto& q : r.ladder)
      std::printf("  %-7s %10s %10s %5s %8s\n", std::string(plan::quant_mix_name(q.mix)).c_str(),
                  gib((double)q.weights).c_str(), gib((double)q.needed).c_str(),
                  q.fits ? "yes" : "no", tps_str(q.tps).c_str());
  }
}

Status write_plot(const std::string& path, const plan::PlanInput& in,
                  const std::vector<MachineResult>& results) {
  plan::ChartSpec spec;
  spec.title = "uma fit: " + in.model.name + " on " + std::to_string(results.size()) + " machine" +
               (results.size() == 1 ? "" : "s");
  spec.subtitle = "predicted decode tok/s at context " + std::to_string(in.n_ctx) + " (" +
                  std::to_string(in.n_parallel) + " sequence" + (in.n_parallel == 1 ? "" : "s") +
                  ", KV " + std::string(dtype_name(in.kv_type)) +
                  ") for each quant mix; hollow = does not fit";
  for (const auto& r : results) {
    plan::ChartSeries s;
    s.label = r.machine->label;
    for (const auto& q : r.ladder)
      s.points.push_back(
          {(double)q.weights / kGiB, q.tps, q.fits, std::string(plan::quant_mix_name(q.mix))});
    spec.series.push_back(std::move(s));
  }
  std::ofstream out(path, std::ios::binary);
  if (!out) return error("--plot: cannot write '" + path + "'");
  out << plan::render_svg(spec);
  out.close();
  if (!out) return error("--plot: cannot write '" + path + "'");
  return Status::ok();
}

}  // namespace

int cmd_fit(int argc, char** argv) {
  FitOptions o;
  CLI::App app{"Plan memory and decode speed of a model on this and other machines", "uma fit"};
  app.add_option("model", o.model, "a .gguf file, or SHAPE[:QUANT] such as llama3.1-70b:Q4_K_M")
      ->required();
  app.add_option("-c,--ctx", o.ctx, "context size in tokens per sequence (default 4096)");
  app.add_option("--parallel", o.parallel, "parallel sequences sharing the KV cache (default 1)");
  app.add_option("--kv-type", o.kv_type, "KV cache type: f16 (default), f32, q8_0, q4_0");
  app.add_option("--machine", o.machine, "one machine by name, or all (default)");
  app.add_flag("--json", o.json, "print JSON instead of a table");
  app.add_option("--plot", o.plot,
                 "write an SVG chart (model size vs predicted tok/s per machine)");
  app.add_option("--min-tps", o.min_tps,
                 "slowest acceptable decode tok/s when choosing the best quant");
  app.add_option("--bench", o.bench,
                 "'uma bench --json' results (repeatable): calibrate the local machine; the one "
                 "of the model's file type is used, else the first");
  app.footer("Shapes: " + plan::shape_names() + "\nQuant mixes: " + plan::quant_mix_names());
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    return usage_error(what);
  }

  plan::PlanInput in;
  const auto ctx = parse_int(o.ctx, 1, int64_t{1} << 24);
  if (!ctx)
    return usage_error("--ctx must be a whole number of tokens from 1 to 16777216, got '" + o.ctx +
                       "'");
  const auto par = parse_int(o.parallel, 1, 4096);
  if (!par)
    return usage_error("--parallel must be a whole number from 1 to 4096, got '" + o.parallel +
                       "'");
  const auto kv = dtype_from_name(o.kv_type);
  if (!kv || (*kv != DType::F16 && *kv != DType::F32 && *kv != DType::Q8_0 && *kv != DType::Q4_0))
    return usage_error("--kv-type must be f16, f32, q8_0 or q4_0, got '" + o.kv_type + "'");
  double min_tps = 0;
  if (!o.min_tps.empty()) {
    char* end = nullptr;
    min_tps = std::strtod(o.min_tps.c_str(), &end);
    if (end != o.min_tps.c_str() + o.min_tps.size() || !(min_tps > 0) || !std::isfinite(min_tps))
      return usage_error("--min-tps must be a positive number of tokens/s, got '" + o.min_tps +
                         "'");
  }
  in.n_ctx = *ctx;
  in.n_parallel = (int32_t)*par;
  in.kv_type = *kv;

  auto table_r = plan::load_machine_table();
  if (!table_r.ok()) {
    std::fprintf(stderr, "uma fit: %s\n", table_r.status().message().c_str());
    return 1;
  }
  plan::MachineTable table = std::move(table_r).value();
  std::vector<const plan::Machine*> selected;
  if (o.machine != "all") {
    if (!table.find(o.machine))
      return usage_error("unknown machine '" + o.machine + "' (known: all, " + table.names() + ")");
  }
  std::vector<plan::BenchCalibration> benches;
  for (const std::string& path : o.bench) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return usage_error("--bench: cannot read '" + path + "'");
    std::stringstream ss;
    ss << f.rdbuf();
    auto b = plan::parse_bench_json(ss.str());
    if (!b.ok()) return usage_error("--bench '" + path + "': " + b.status().message());
    benches.push_back(*b);
  }

  auto model = plan::describe_model(o.model);
  if (!model.ok()) {
    std::fprintf(stderr, "uma fit: %s\n", model.status().message().c_str());
    return 1;
  }
  in.model = std::move(model).value();
  // Decode efficiency depends on the kernels a file type runs (Q8_0 streams closer to the
  // bandwidth than Q4_0 on this CPU), so a run of the same type calibrates best.
  std::optional<plan::BenchCalibration> bench;
  for (const auto& b : benches)
    if (!bench && !b.type.empty() &&
        b.type == (in.model.file_type.empty() ? in.model.quant : in.model.file_type))
      bench = b;
  if (!bench && !benches.empty()) bench = benches.front();

  // Measure this machine only when it is asked about.
  if (o.machine == "all" || o.machine == "local") {
    plan::MemInfo mi;
    if (auto r = plan::read_meminfo(); r.ok()) mi = *r;
    double bw = 0;
    if (!bench) {
      MembwOptions mo;
      mo.buffer_bytes = size_t{512} << 20;
      mo.passes = 3;
      if (auto r = measure_read_bandwidth(mo); r.ok()) bw = r->bytes_per_s;
    }
    plan::fill_local(table, mi, bw, bench, ThreadPool::physical_cores());
  }
  for (const auto& mc : table.machines)
    if (o.machine == "all" ? (mc.kind != "local" || mc.memory_bytes > 0) : mc.name == o.machine)
      selected.push_back(&mc);

  std::vector<MachineResult> results;
  for (const auto* mc : selected) {
    MachineResult r{mc, plan::fit_machine(in, *mc), plan::quant_ladder(in, *mc, min_tps),
                    std::nullopt};
    r.best = plan::best_quant(r.ladder);
    results.push_back(std::move(r));
  }
  plan::PlanInput local_in = in;
  if (!selected.empty() && selected[0]->cpu_threads > 0)
    local_in.n_threads = selected[0]->cpu_threads;
  const plan::MemoryPlan mem = plan::plan_memory(local_in);

  if (!o.plot.empty()) {
    if (Status st = write_plot(o.plot, in, results); !st.is_ok()) {
      std::fprintf(stderr, "uma fit: %s\n", st.message().c_str());
      return 1;
    }
  }
  if (o.json)
    print_json(in, mem, table, results, min_tps);
  else
    print_table(in, mem, results, min_tps);
  return 0;
}

}  // namespace uma::cli

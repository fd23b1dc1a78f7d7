// uma bench: llama-bench-style speed test — prompt processing (pp: P random tokens in one
// decode), generation (tg: N single-token decodes) at optional context depths, time to first
// token, peak RSS, and the machine's memory read bandwidth measured in the same run, from which
// the decode roofline (bandwidth ÷ bytes read per token) and the fraction reached follow.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "bench_metrics.h"
#include "cli_util.h"
#include "commands.h"
#include "core/membw.h"
#include "model/context.h"
#include "model/model.h"
#include "quant/ftype_mix.h"

namespace uma::cli {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct BenchOptions {
  std::string model;
  std::vector<int64_t> n_prompt{512}, n_gen{128}, depth{0};
  int reps = 5;
  int32_t n_threads = 0;
  std::string kv_type = "f16";
  int64_t bw_mib = 1024;
  int64_t n_ctx = 0;
  bool json = false;
};

struct TestResult {
  std::string test;  // "pp512" / "tg128"
  bool is_tg = false;
  int64_t n = 0, depth = 0;
  std::vector<double> tps;      // tokens/s per repetition
  std::vector<double> seconds;  // wall time per repetition
  std::vector<double> bw;       // tg: bandwidth around each repetition (empty: no probes between)
};

TestResult make_test(bool is_tg, int64_t n, int64_t depth) {
  TestResult t;
  t.test = (is_tg ? "tg" : "pp") + std::to_string(n);
  t.is_tg = is_tg;
  t.n = n;
  t.depth = depth;
  return t;
}

int fail(const std::string& msg) {
  std::fprintf(stderr, "uma bench: %s\n", msg.c_str());
  return 1;
}

// Peak resident set (VmHWM, Linux) in bytes; getrusage's ru_maxrss elsewhere.
uint64_t peak_rss_bytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return (uint64_t)ru.ru_maxrss * 1024;
}

// Resets VmHWM to the current resident set ("5" to /proc/self/clear_refs, Linux >= 4.0), so a
// probe buffer mapped and unmapped before the model loads does not count as the model's peak.
bool reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  if (!f) return false;
  f << "5";
  f.flush();
  return f.good();
}

// The file type's llama.cpp name; files without general.file_type (or an unknown id) are named
// after the type holding the most bytes.
std::string file_type_label(const gguf::GgufFile& f) {
  if (const gguf::Value* v = f.find("general.file_type"))
    if (auto id = v->as_uint())
      if (auto ft = quant::file_type_from_id(*id)) return std::string(quant::file_type_name(*ft));
  std::vector<std::pair<DType, uint64_t>> by_type;
  for (const auto& t : f.tensors()) {
    auto it = std::find_if(by_type.begin(), by_type.end(), [&](auto& p) { return p.first == t.type; });
    if (it == by_type.end()) by_type.push_back({t.type, t.nbytes});
    else it->second += t.nbytes;
  }
  if (by_type.empty()) return "?";
  auto top = std::max_element(by_type.begin(), by_type.end(),
                              [](auto& a, auto& b) { return a.second < b.second; });
  std::string name(dtype_name(top->first));
  for (char& c : name) c = (char)std::toupper((unsigned char)c);
  return name;
}

// Shows which test is running, on a terminal only (the report itself goes to stdout).
void status_line(const std::string& s) {
  static const bool tty = isatty(STDERR_FILENO) == 1;
  if (tty) std::fprintf(stderr, "\r\033[Kuma bench: %s", s.c_str());
}

std::string test_label(const TestResult& r) {
  return r.test + (r.depth > 0 ? " @ d" + std::to_string(r.depth) : "");
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  BenchOptions o;
  CLI::App app{"Measure prompt and generation speed, time to first token, peak memory and the "
               "fraction of the memory-bandwidth roofline reached (like llama-bench)",
               "uma bench"};
  app.add_option("-m,--model", o.model, "GGUF model file")->required();
  app.add_option("-p,--n-prompt", o.n_prompt, "prompt tokens per pp test, comma list (0: none)")
      ->delimiter(',')->check(CLI::Range(int64_t{0}, int64_t{1} << 20));
  app.add_option("-n,--n-gen", o.n_gen, "generated tokens per tg test, comma list (0: none)")
      ->delimiter(',')->check(CLI::Range(int64_t{0}, int64_t{1} << 20));
  app.add_option("-d,--depth", o.depth, "tokens already in the context, comma list")
      ->delimiter(',')->check(CLI::Range(int64_t{0}, int64_t{1} << 22));
  app.add_option("-r,--repetitions", o.reps, "repetitions of each test")->check(CLI::Range(1, 1000));
  app.add_option("-t,--threads", o.n_threads, "threads (default: physical cores)")
      ->check(CLI::Range(0, 1024));
  app.add_option("--kv-type", o.kv_type, "KV cache type: f16 or f32")
      ->check(CLI::IsMember({"f16", "f32"}));
  app.add_option("--bw-buffer-mib", o.bw_mib, "size of the bandwidth probe's buffer in MiB")
      ->check(CLI::Range(int64_t{16}, int64_t{1} << 16));
  app.add_option("-c,--ctx-size", o.n_ctx,
                 "context to allocate (default: the largest depth + prompt/generation length); "
                 "peak RSS includes its whole KV cache")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 24));
  app.add_flag("--json", o.json, "print one JSON object instead of a markdown table");
  if (auto rc = parse_args(app, argc, argv, "bench")) return *rc;

  std::vector<TestResult> tests;
  int64_t max_p = 0, max_n = 0, max_d = 0;
  for (int64_t d : o.depth) {
    max_d = std::max(max_d, d);
    for (int64_t p : o.n_prompt)
      if (p > 0) tests.push_back(make_test(false, p, d));
    for (int64_t n : o.n_gen)
      if (n > 0) tests.push_back(make_test(true, n, d));
  }
  for (int64_t p : o.n_prompt) max_p = std::max(max_p, p);
  for (int64_t n : o.n_gen) max_n = std::max(max_n, n);
  if (tests.empty()) {
    std::fprintf(stderr, "uma bench: nothing to run: -p and -n are both 0 (see 'uma bench --help')\n");
    return 2;
  }

  // Full probes before the model loads and after the tests (the run's best bandwidth is the
  // fastest of all probes, these and the ones between tg repetitions below). The early probe
  // needs the peak-RSS reset; without it, only the late one runs and fractions are against it.
  const MembwOptions probe{.n_threads = o.n_threads, .buffer_bytes = (size_t)o.bw_mib << 20, .passes = 5};
  std::optional<MembwResult> bw_early;
  const bool can_reset_rss = reset_peak_rss();
  if (can_reset_rss) {
    status_line("measuring memory read bandwidth (before loading)");
    auto r = measure_read_bandwidth(probe);
    if (!r.ok()) return fail(r.status().message());
    bw_early = *r;
    reset_peak_rss();
  }

  auto model = Model::load(o.model);
  if (!model.ok()) return fail(model.status().message());
  const Model& m = **model;
  const HParams& hp = m.hparams();
  const DType kv_type = o.kv_type == "f32" ? DType::F32 : DType::F16;
  const int64_t need_ctx = max_d + std::max(max_p, max_n);
  if (o.n_ctx > 0 && o.n_ctx < need_ctx) {
    std::fprintf(stderr, "uma bench: --ctx-size %lld is smaller than depth + test length %lld\n",
                 (long long)o.n_ctx, (long long)need_ctx);
    return 2;
  }
  const int64_t n_ctx = o.n_ctx > 0 ? o.n_ctx : need_ctx;
  auto ctx_r = Context::create(m, {.n_ctx = n_ctx, .n_threads = o.n_threads, .kv_type = kv_type});
  if (!ctx_r.ok()) return fail(ctx_r.status().message());
  Context& ctx = **ctx_r;

  // Random token ids, as llama-bench uses: the cost of a step does not depend on them.
  std::mt19937 rng(1234);
  std::uniform_int_distribution<TokenId> pick(0, (TokenId)hp.n_vocab - 1);
  auto random_tokens = [&](int64_t n) {
    std::vector<TokenId> t((size_t)n);
    for (auto& x : t) x = pick(rng);
    return t;
  };
  auto decode = [&](const std::vector<TokenId>& t) -> Status {
    auto r = ctx.decode(t);
    return r.ok() ? Status::ok() : r.status();
  };

  // Warm-up: pages the mapped weights in and wakes the threads, outside any timing.
  status_line("warm-up");
  if (Status s = decode(random_tokens(std::min<int64_t>(std::max<int64_t>(max_p, 1), 32))); !s)
    return fail(s.message());
  ctx.truncate(0);
  if (Status s = decode(random_tokens(1)); !s) return fail(s.message());

  // Probes between tg repetitions: the bandwidth of this machine moved between 36 and 82 GB/s
  // within minutes, and probes only before loading and after the tests let a repetition meet a
  // bandwidth measured seconds away from it (fractions of 0.52 and 1.39 in one series). So each
  // tg repetition also gets the faster of the probes just before and just after it (3 passes
  // each), and its own fraction. Each probe's buffer is kept out of the peak RSS: the peak is
  // read before the probe and reset after it. Without the reset (not Linux), no such probes.
  uint64_t peak_before_probes = 0;
  double last_probe = 0;  // the probe right after the previous repetition (0: none yet)
  auto probe_now = [&]() -> Result<double> {
    peak_before_probes = std::max(peak_before_probes, peak_rss_bytes());
    auto r = measure_read_bandwidth({.n_threads = ctx.n_threads(), .buffer_bytes = probe.buffer_bytes, .passes = 3});
    reset_peak_rss();
    if (!r.ok()) return r.status();
    return r->bytes_per_s;
  };

  // Tests are grouped by depth (in -d order): the depth prefix is decoded once, untimed, and
  // every repetition truncates back to it.
  int64_t cur_depth = -1;
  for (TestResult& t : tests) {
    if (t.depth != cur_depth) {
      ctx.truncate(0);
      if (t.depth > 0) {
        status_line("filling the context to depth " + std::to_string(t.depth));
        if (Status s = decode(random_tokens(t.depth)); !s) return fail(s.message());
      }
      cur_depth = t.depth;
    }
    last_probe = 0;
    for (int r = 0; r < o.reps; r++) {
      status_line(test_label(t) + ", repetition " + std::to_string(r + 1) + "/" + std::to_string(o.reps));
      ctx.truncate(t.depth);
      double bw_before = 0;
      if (t.is_tg && can_reset_rss) {
        if (last_probe <= 0) {
          auto p = probe_now();
          if (!p.ok()) return fail(p.status().message());
          last_probe = *p;
        }
        bw_before = last_probe;
      }
      double sec = 0;
      if (!t.is_tg) {
        const std::vector<TokenId> prompt = random_tokens(t.n);
        const auto t0 = Clock::now();
        if (Status s = decode(prompt); !s) return fail(s.message());
        sec = seconds_since(t0);
      } else {
        const std::vector<TokenId> gen = random_tokens(t.n);
        const auto t0 = Clock::now();
        for (int64_t i = 0; i < t.n; i++)
          if (Status s = decode({gen[(size_t)i]}); !s) return fail(s.message());
        sec = seconds_since(t0);
      }
      t.seconds.push_back(sec);
      t.tps.push_back(sec > 0 ? (double)t.n / sec : 0.0);
      if (t.is_tg && can_reset_rss) {
        auto p = probe_now();
        if (!p.ok()) return fail(p.status().message());
        last_probe = *p;
        t.bw.push_back(std::max(bw_before, *p));
      }
    }
  }

  // Peak RSS before the probe, whose buffer is not the model's memory.
  const uint64_t peak_rss = std::max(peak_before_probes, peak_rss_bytes());
  status_line("measuring memory read bandwidth");
  auto bw = measure_read_bandwidth({.n_threads = ctx.n_threads(), .buffer_bytes = probe.buffer_bytes,
                                    .passes = probe.passes});
  status_line("");
  if (isatty(STDERR_FILENO)) std::fprintf(stderr, "\r\033[K");
  if (!bw.ok()) return fail(bw.status().message());
  // The best probe of the run (before loading, after the tests, between repetitions).
  double best_bw = std::max(bw->bytes_per_s, bw_early ? bw_early->bytes_per_s : 0.0);
  for (const auto& t : tests)
    for (double b : t.bw) best_bw = std::max(best_bw, b);

  // Bytes per decoded token: weights + the KV cache read at the tg test's depth.
  std::vector<bench::TensorBytes> tb;
  uint64_t file_tensor_bytes = 0, n_params = 0;
  for (const auto& t : m.file().tensors()) {
    tb.push_back({t.name, t.nbytes});
    file_tensor_bytes += t.nbytes;
    n_params += t.n_elements();
  }
  const uint64_t weight_bpt = bench::weight_bytes_per_token(tb);
  const bench::KvShape kv{.n_layer = hp.n_layer, .n_embd_k = hp.n_embd_k_gqa(),
                          .n_embd_v = hp.n_embd_v_gqa(), .elem_bytes = kv_type == DType::F32 ? 4 : 2};
  auto bytes_per_token = [&](const TestResult& t) {
    return weight_bpt + bench::kv_bytes_per_token(kv, bench::tg_mean_positions(t.depth, t.n));
  };
  const TestResult* first_tg = nullptr;
  const TestResult* first_pp = nullptr;
  for (const auto& t : tests) {
    if (t.is_tg && !first_tg) first_tg = &t;
    if (!t.is_tg && !first_pp) first_pp = &t;
  }
  // Time to first token: a prompt of the first -p length (at the first depth) decoded until its
  // logits exist; without pp tests, the first single-token decode.
  const double ttft_ms = first_pp ? bench::summarize(first_pp->seconds).median * 1e3
                                  : bench::summarize(first_tg->seconds).min / first_tg->n * 1e3;
  const uint64_t bpt = first_tg ? bytes_per_token(*first_tg) : weight_bpt;
  // A tg test's fraction: the median of its repetitions' own fractions where probes ran between
  // them, else against the best probe. `bandwidth` is what the first tg test was measured against.
  auto test_roofline = [&](const TestResult& t) {
    const double b = (double)bytes_per_token(t);
    return t.bw.empty() ? bench::roofline_fraction(bench::summarize(t.tps).median, b, best_bw)
                        : bench::repetition_roofline(t.tps, b, t.bw);
  };
  const bool per_rep = first_tg && !first_tg->bw.empty();
  const double bandwidth = per_rep ? bench::summarize(first_tg->bw).median : best_bw;
  const double roofline = first_tg ? test_roofline(*first_tg) : 0.0;
  const double roofline_best =
      first_tg ? bench::roofline_fraction(bench::summarize(first_tg->tps).median, (double)bpt, best_bw) : 0.0;
  const std::string type = file_type_label(m.file());

  if (o.json) {
    nlohmann::ordered_json j;
    j["model"] = o.model;
    j["type"] = type;
    j["threads"] = ctx.n_threads();
    j["bandwidth_bytes_per_s"] = bandwidth;
    j["bytes_per_token"] = bpt;
    j["peak_rss_bytes"] = peak_rss;
    j["ttft_ms"] = ttft_ms;
    j["results"] = nlohmann::ordered_json::array();
    for (const auto& t : tests) {
      const bench::Summary s = bench::summarize(t.tps);
      j["results"].push_back({{"test", t.test},
                              {"depth", t.depth},
                              {"tokens_per_s", {{"median", s.median}, {"min", s.min}, {"max", s.max}}}});
    }
    j["roofline_fraction"] = first_tg ? nlohmann::ordered_json(roofline) : nlohmann::ordered_json();
    j["best_bandwidth_bytes_per_s"] = best_bw;
    j["roofline_fraction_best_bandwidth"] = first_tg ? nlohmann::ordered_json(roofline_best) : nlohmann::ordered_json();
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }

  std::string name = o.model.substr(o.model.find_last_of('/') == std::string::npos ? 0 : o.model.find_last_of('/') + 1);
  std::printf("| model | type | size | params | threads | test | t/s | min | max | roofline |\n");
  std::printf("| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |\n");
  for (const auto& t : tests) {
    const bench::Summary s = bench::summarize(t.tps);
    const std::string roof =
        t.is_tg ? fmt("%.2f", test_roofline(t)) : "";
    std::printf("| %s | %s | %.2f GiB | %.2f B | %d | %s | %.2f | %.2f | %.2f | %s |\n", name.c_str(),
                type.c_str(), file_tensor_bytes / (1024.0 * 1024 * 1024), n_params / 1e9,
                ctx.n_threads(), test_label(t).c_str(), s.median, s.min, s.max, roof.c_str());
  }
  // The probes: before loading and after the tests (the best of these and of the ones between
  // repetitions is the run's best), and for the first tg test the bandwidth around each repetition.
  std::printf("\nmemory read bandwidth: %.2f GB/s best of the run (%d threads, %zu MiB buffer; best of %d passes",
              best_bw / 1e9, bw->n_threads, bw->buffer_bytes >> 20, bw->passes);
  if (bw_early)
    std::printf(" before loading and %d after the tests: %.2f and %.2f GB/s", bw->passes, bw_early->bytes_per_s / 1e9,
                bw->bytes_per_s / 1e9);
  else
    std::printf(" after the tests: %.2f GB/s", bw->bytes_per_s / 1e9);
  std::printf(")\n");
  if (per_rep) {
    std::printf("around each %s repetition (faster of the 3-pass probes before and after it):", test_label(*first_tg).c_str());
    for (double b : first_tg->bw) std::printf(" %.2f", b / 1e9);
    std::printf(" GB/s, median %.2f\n", bandwidth / 1e9);
  }
  if (first_tg)
    std::printf("bytes per token (%s): %.2f MB = weights %.2f MB + KV cache %.2f MB "
                "(%s, %.1f positions on average)\n",
                test_label(*first_tg).c_str(), bpt / 1e6, weight_bpt / 1e6, (bpt - weight_bpt) / 1e6,
                o.kv_type.c_str(), bench::tg_mean_positions(first_tg->depth, first_tg->n));
  if (first_tg && per_rep)
    std::printf("roofline: %s reaches %.0f%% of it (median of the repetitions' fractions, each against the "
                "bandwidth around it); %.0f%% of the %.2f tokens/s the run's best bandwidth allows\n",
                test_label(*first_tg).c_str(), roofline * 100, roofline_best * 100, best_bw / (double)bpt);
  else if (first_tg)
    std::printf("roofline: %.2f tokens/s at that bandwidth; %s reaches %.0f%% of it\n",
                best_bw / (double)bpt, test_label(*first_tg).c_str(), roofline * 100);
  std::printf("time to first token: %.1f ms (%s)\n", ttft_ms,
              first_pp ? test_label(*first_pp).c_str() : "one token");
  std::printf("peak RSS: %.2f GiB (context %lld)\n", peak_rss / (1024.0 * 1024 * 1024), (long long)n_ctx);
  return 0;
}

}  // namespace uma::cli

// Machine table: parse the compiled-in machines.json, calibrate each machine's decode efficiency
// from its published measurement, and measure `local` (/proc/meminfo, membw or uma bench JSON).
#include "plan/machines.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "plan/plan.h"

namespace uma::plan {

extern const char kMachinesJson[];  // machines_data.cpp, generated from machines.json by CMake

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

using Json = nlohmann::json;

std::string str_or(const Json& j, const char* key, std::string dflt = "") {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : dflt;
}

double num_or(const Json& j, const char* key, double dflt) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : dflt;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, x);
  return buf;
}

}  // namespace

std::string_view builtin_machines_json() { return kMachinesJson; }

const Machine* MachineTable::find(std::string_view name) const {
  for (const auto& m : machines)
    if (m.name == name) return &m;
  return nullptr;
}

std::string MachineTable::names() const {
  std::string s;
  for (const auto& m : machines) s += (s.empty() ? "" : ", ") + m.name;
  return s;
}

Result<MachineTable> parse_machine_table(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return error("machine table: not valid JSON");
  MachineTable t;
  const Json& pol = j.value("policies", Json::object());
  if (pol.contains("apple"))
    t.apple_usable_fraction = num_or(pol["apple"], "usable_fraction", 0.75);
  if (pol.contains("nvidia"))
    t.nvidia_reserve_bytes = (uint64_t)(num_or(pol["nvidia"], "reserve_gib", 0.5) * kGiB);
  if (pol.contains("local")) {
    t.local_headroom_fraction = num_or(pol["local"], "headroom_fraction", 0.05);
    t.local_headroom_min_bytes = (uint64_t)(num_or(pol["local"], "headroom_min_gib", 0.5) * kGiB);
    t.local_default_efficiency = num_or(pol["local"], "default_efficiency", 0.75);
  }
  for (const auto& n : j.value("notes", Json::array()))
    if (n.is_string()) t.notes.push_back(n.get<std::string>());

  const Json& ms = j.value("machines", Json::array());
  if (!ms.is_array() || ms.empty()) return error("machine table: no machines");
  for (const auto& e : ms) {
    Machine m;
    m.name = str_or(e, "name");
    m.kind = str_or(e, "kind");
    m.label = str_or(e, "label", m.name);
    if (m.name.empty()) return error("machine table: a machine without a name");
    if (m.kind != "apple" && m.kind != "nvidia" && m.kind != "local")
      return error("machine table: '" + m.name + "' has unknown kind '" + m.kind + "'");
    m.expected = e.value("expected", false);
    m.gpu_cores = (int)num_or(e, "gpu_cores", 0);
    m.cuda_cores = (int)num_or(e, "cuda_cores", 0);
    if (e.contains("sources") && e["sources"].is_object())
      for (const auto& [k, v] : e["sources"].items())
        if (v.is_string()) m.sources[k] = v.get<std::string>();
    if (m.kind != "local") {
      const double gib = num_or(e, "memory_gib", 0), gbs = num_or(e, "bandwidth_gbs", 0);
      if (!(gib > 0) || !(gbs > 0))
        return error("machine table: '" + m.name + "' needs memory_gib and bandwidth_gbs");
      if (!m.sources.count("memory") || !m.sources.count("bandwidth"))
        return error("machine table: '" + m.name + "' has no source for its memory or bandwidth");
      m.memory_bytes = (uint64_t)(gib * kGiB);
      m.bandwidth_bps = gbs * 1e9;
      if (m.kind == "apple") {
        m.usable_bytes = (uint64_t)((double)m.memory_bytes * t.apple_usable_fraction);
        m.usable_rule = fmt("%.0f%% of unified memory (the GPU's default working-set limit)",
                            100 * t.apple_usable_fraction);
      } else {
        m.usable_bytes =
            m.memory_bytes > t.nvidia_reserve_bytes ? m.memory_bytes - t.nvidia_reserve_bytes : 0;
        m.usable_rule =
            "VRAM less " + human_bytes((double)t.nvidia_reserve_bytes) + " for the CUDA context";
      }
    }
    if (e.contains("decode") && e["decode"].is_object()) {
      const Json& d = e["decode"];
      DecodeMeasurement dm{str_or(d, "model"), num_or(d, "tokens_per_s", 0), str_or(d, "source")};
      if (dm.model.empty() || !(dm.tokens_per_s > 0) || dm.source.empty())
        return error("machine table: '" + m.name +
                     "': decode needs model, tokens_per_s and source");
      m.decode = dm;
    }
    if (t.find(m.name)) return error("machine table: '" + m.name + "' is listed twice");
    t.machines.push_back(std::move(m));
  }

  // Efficiency: measured where a decode rate is known, else the median of the same kind.
  std::map<std::string, std::vector<double>> by_kind;
  for (auto& m : t.machines) {
    if (!m.decode) continue;
    m.efficiency = efficiency_from_measurement(*m.decode, m.bandwidth_bps);
    if (!(m.efficiency > 0) || m.efficiency > 1.5)
      return error("machine table: '" + m.name + "': decode measurement of '" + m.decode->model +
                   "' gives efficiency " + fmt("%.2f", m.efficiency));
    m.efficiency_source = fmt("%.0f", m.decode->tokens_per_s) + " tok/s measured on " +
                          m.decode->model + " (" + m.decode->source + ")";
    by_kind[m.kind].push_back(m.efficiency);
  }
  for (auto& m : t.machines) {
    if (m.decode || m.kind == "local") continue;
    const auto& v = by_kind[m.kind];
    m.efficiency = v.empty() ? 0.6 : median(v);
    m.efficiency_source = v.empty() ? "default 0.60 (no measurement of this kind)"
                                    : "median of the " + std::to_string(v.size()) + " measured " +
                                          m.kind + " machines (no measurement of this one)";
  }
  // `local` first: it is the machine the engine runs on.
  std::stable_partition(t.machines.begin(), t.machines.end(),
                        [](const Machine& m) { return m.kind == "local"; });
  return t;
}

Result<MachineTable> load_machine_table() { return parse_machine_table(builtin_machines_json()); }

Result<MemInfo> read_meminfo(const std::string& path) {
  std::ifstream in(path);
  if (!in) return error("cannot read " + path);
  MemInfo mi;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key;
    uint64_t kb = 0;
    if (!(ls >> key >> kb)) continue;
    if (key == "MemTotal:") mi.total_bytes = kb * 1024;
    if (key == "MemAvailable:") mi.available_bytes = kb * 1024;
  }
  if (mi.total_bytes == 0 || mi.available_bytes == 0)
    return error(path + ": no MemTotal/MemAvailable lines");
  return mi;
}

Result<uint64_t> parse_byte_size(std::string_view text) {
  uint64_t v = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; i++) {
    if (v > (UINT64_MAX - 9) / 10) return error("'" + std::string(text) + "' is too large");
    v = v * 10 + (uint64_t)(text[i] - '0');
  }
  if (i == 0) return error("'" + std::string(text) + "' is not a byte count (e.g. 8G, 512M)");
  int shift = 0;
  if (i < text.size()) {
    switch (text[i] | 0x20) {  // lower case
      case 'k': shift = 10; break;
      case 'm': shift = 20; break;
      case 'g': shift = 30; break;
      case 't': shift = 40; break;
      default: return error("'" + std::string(text) + "' is not a byte count (e.g. 8G, 512M)");
    }
    i++;
    if (i < text.size() && (text[i] | 0x20) == 'i') i++;  // "GiB"-style: same binary units
    if (i < text.size() && (text[i] | 0x20) == 'b') i++;
    if (i != text.size())
      return error("'" + std::string(text) + "' is not a byte count (e.g. 8G, 512M)");
  }
  if (shift && v > (UINT64_MAX >> shift)) return error("'" + std::string(text) + "' is too large");
  return v << shift;
}

namespace {
// cgroup v2: memory.max ("max" when unlimited) less memory.current, of this process's group.
std::optional<uint64_t> cgroup_available() {
  std::ifstream cg("/proc/self/cgroup");
  std::string line, group;
  while (std::getline(cg, line))
    if (line.rfind("0::", 0) == 0) group = line.substr(3);
  if (group.empty()) return std::nullopt;
  const std::string dir = "/sys/fs/cgroup" + (group == "/" ? std::string() : group);
  std::ifstream max_f(dir + "/memory.max"), cur_f(dir + "/memory.current");
  std::string max_s;
  uint64_t cur = 0;
  if (!(max_f >> max_s) || max_s == "max" || !(cur_f >> cur)) return std::nullopt;
  auto max = parse_byte_size(max_s);
  if (!max.ok()) return std::nullopt;
  return *max > cur ? *max - cur : 0;
}
}  // namespace

Result<MemInfo> read_local_memory(std::string* source) {
  auto mi = read_meminfo();
  if (!mi.ok()) return mi;
  std::string src = "MemAvailable";
  if (auto cg = cgroup_available(); cg && *cg < mi->available_bytes) {
    mi->available_bytes = *cg;
    src = "the cgroup memory limit";
  }
  if (const char* env = std::getenv("UMA_MEM_AVAILABLE"); env && *env) {
    auto v = parse_byte_size(env);
    if (!v.ok()) return error("UMA_MEM_AVAILABLE: " + v.status().message());
    if (*v == 0) return error("UMA_MEM_AVAILABLE: must be more than 0");
    mi->available_bytes = *v;
    src = "UMA_MEM_AVAILABLE";
  }
  if (source) *source = src;
  return mi;
}

uint64_t local_usable_bytes(const MachineTable& t, const MemInfo& mi) {
  const uint64_t headroom = std::max(
      t.local_headroom_min_bytes, (uint64_t)(t.local_headroom_fraction * (double)mi.total_bytes));
  return mi.available_bytes > headroom ? mi.available_bytes - headroom : 0;
}

Result<BenchCalibration> parse_bench_json(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return error("bench result: not valid JSON");
  BenchCalibration b;
  b.bandwidth_bps = num_or(j, "bandwidth_bytes_per_s", 0);
  b.roofline_fraction = num_or(j, "roofline_fraction", 0);
  b.model = str_or(j, "model");
  b.type = str_or(j, "type");
  if (!(b.bandwidth_bps > 1e6) || !std::isfinite(b.bandwidth_bps))
    return error(
        "bench result: no usable 'bandwidth_bytes_per_s' (expected uma bench --json output)");
  if (!(b.roofline_fraction > 0 && b.roofline_fraction <= 1.5))
    return error("bench result: no usable 'roofline_fraction' (expected uma bench --json output)");
  return b;
}

void fill_local(MachineTable& t, const MemInfo& mi, double measured_bandwidth_bps,
                const std::optional<BenchCalibration>& bench, int cpu_threads) {
  for (auto& m : t.machines) {
    if (m.kind != "local") continue;
    m.memory_bytes = mi.total_bytes;
    m.usable_bytes = local_usable_bytes(t, mi);
    m.usable_rule =
        "MemAvailable " + human_bytes((double)mi.available_bytes) + " less " +
        human_bytes((double)(mi.available_bytes - std::min(mi.available_bytes, m.usable_bytes))) +
        " headroom";
    m.cpu_threads = cpu_threads;
    if (bench) {
      m.bandwidth_bps = bench->bandwidth_bps;
      m.efficiency = bench->roofline_fraction;
      m.efficiency_source = "uma bench roofline fraction on " +
                            (bench->model.empty() ? std::string("this machine") : bench->model) +
                            (bench->type.empty() ? std::string() : " (" + bench->type + ")");
      m.sources["bandwidth_measured"] = "uma bench result given with --bench";
    } else {
      m.bandwidth_bps = measured_bandwidth_bps;
      m.sources["bandwidth_measured"] = measured_bandwidth_bps > 0
                                            ? "membw probe, measured now"
                                            : "membw probe failed: tok/s unknown";
      m.efficiency = t.local_default_efficiency;
      m.efficiency_source = fmt("default %.2f", t.local_default_efficiency) +
                            ": no uma bench result given (--bench FILE.json); uma's decode on the "
                            "2-core development VM (machines.json policies.local)";
    }
  }
}

}  // namespace uma::plan

// The machine table (src/plan/machines.json, compiled in): memory, bandwidth and GPU cores of
// Apple M-series chips and NVIDIA cards with their sources, the usable-memory policy per kind,
// and `local` — this machine, measured (/proc/meminfo, the membw probe or a uma bench result).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace uma::plan {

// A published batch-1 decode rate, used to calibrate the machine's efficiency.
struct DecodeMeasurement {
  std::string model;  // SHAPE:QUANT, e.g. "llama2-7b:Q4_0"
  double tokens_per_s = 0;
  std::string source;
};

struct Machine {
  std::string name;           // "m4-max", "rtx4090", "local"
  std::string label;          // "Apple M4 Max"
  std::string kind;           // apple | nvidia | local
  uint64_t memory_bytes = 0;  // total
  uint64_t usable_bytes = 0;  // what the model may take (policy of its kind applied)
  std::string usable_rule;    // how usable_bytes was derived, one line
  double bandwidth_bps = 0;   // bytes/s
  int gpu_cores = 0;          // Apple GPU cores
  int cuda_cores = 0;         // NVIDIA CUDA cores
  int cpu_threads = 0;        // local: threads the engine uses (sizes its score buffers)
  bool expected = false;      // announced or rumoured, not shipping
  std::map<std::string, std::string> sources;  // figure -> source
  std::optional<DecodeMeasurement> decode;
  double efficiency = 0;          // achieved fraction of bandwidth in decode
  std::string efficiency_source;  // where `efficiency` comes from, one line
};

struct MachineTable {
  std::vector<Machine> machines;  // in file order, `local` first
  std::vector<std::string> notes;
  double apple_usable_fraction = 0.75;
  uint64_t nvidia_reserve_bytes = 0;
  double local_headroom_fraction = 0.05;
  uint64_t local_headroom_min_bytes = 0;
  double local_default_efficiency = 0.75;

  const Machine* find(std::string_view name) const;
  std::string names() const;
};

// Parse a table (the compiled-in one by default). Efficiencies: from each machine's decode
// measurement (tok/s × bytes per token of that model ÷ bandwidth), else the median of its kind.
// `local` is left unmeasured (memory 0) until fill_local().
Result<MachineTable> parse_machine_table(std::string_view json);
Result<MachineTable> load_machine_table();
std::string_view builtin_machines_json();

struct MemInfo {
  uint64_t total_bytes = 0;
  uint64_t available_bytes = 0;
};
// MemTotal and MemAvailable from /proc/meminfo (or another file of that format).
Result<MemInfo> read_meminfo(const std::string& path = "/proc/meminfo");
// This process's memory: /proc/meminfo, lowered to the cgroup v2 limit when one is set
// (containers: MemAvailable shows the host), then UMA_MEM_AVAILABLE when set (bytes, or with a
// K/M/G/T suffix, binary units) as the available figure: a budget for uma, and how tests pin it.
// `source` says which applied. A malformed UMA_MEM_AVAILABLE is an error that names it.
Result<MemInfo> read_local_memory(std::string* source = nullptr);
// "24G", "512M", "1048576" -> bytes (binary units); error on anything else.
Result<uint64_t> parse_byte_size(std::string_view text);

// Usable bytes of this machine under the local policy: MemAvailable minus the headroom.
uint64_t local_usable_bytes(const MachineTable& t, const MemInfo& mi);

// A `uma bench --json` result: the bandwidth it measured and the roofline fraction it reached.
struct BenchCalibration {
  double bandwidth_bps = 0;
  double roofline_fraction = 0;
  std::string model;  // the benchmarked file, for the message
  std::string type;   // its file type ("Q4_K_M"): efficiency depends on the kernels it runs
};
Result<BenchCalibration> parse_bench_json(std::string_view json);

// Fill in `local`: memory from `mi`, bandwidth and efficiency from `bench` when given, else
// `measured_bandwidth_bps` (the membw probe) and the table's default efficiency.
void fill_local(MachineTable& t, const MemInfo& mi, double measured_bandwidth_bps,
                const std::optional<BenchCalibration>& bench, int cpu_threads);

}  // namespace uma::plan

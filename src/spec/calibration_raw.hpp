// Readers of raw measurement files for `mlsim calibrate --import`: the probe's versioned JSON
// (`mlsim.calibration.raw/1`, docs/calibration_probe.md) and nccl-tests logs, text or JSON (`-J`).
// JSON is read through the YAML loader (JSON is YAML's flow style), so every problem is reported
// at file:line:col. Nothing is fitted here (analysis/calibration_fit does that).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/diagnostics.hpp"
#include "spec/precision.hpp"
#include "spec/tree.hpp"

namespace mlsim::spec {

struct RawStats {
  double median_s = 0.0;
  long long samples = 0;
  double spread = 0.0;   // MAD / median
};

struct RawGemm {
  Precision precision = Precision::kBf16;
  double m = 0, n = 0, k = 0;
  RawStats stats;
};

struct RawSized {
  double bytes = 0.0;         // traffic (memory: read + write; collectives: nccl-tests S)
  double working_set = 0.0;   // L2 rows only
  RawStats stats;
};

struct RawCollective {
  std::string op;
  long long nranks = 1;
  long long nodes = 1;
  std::string dtype;
  double bytes = 0.0;
  RawStats stats;
  double algbw = 0.0, busbw = 0.0;   // B/s, as the file states them
};

struct RawCalibration {
  std::string source;   // "probe" or "nccl-tests"
  std::string tool, device, driver, date, mode;
  bool complete = true;
  std::vector<RawGemm> gemm;
  std::map<std::string, std::vector<RawSized>> memory;      // pattern -> rows
  std::vector<RawSized> l2;
  std::map<std::string, std::vector<RawSized>> host_link;   // direction -> rows
  std::optional<RawStats> device_gap, graph_gap, host_enqueue;
  std::vector<RawCollective> collectives;
  std::vector<std::string> notes;
};

// The probe's raw JSON. Unknown keys are allowed (the format reserves them for later versions);
// a wrong `format`, a missing key or a value of the wrong type is an error at its line:col.
RawCalibration read_raw_probe(const Node& root, Diagnostics& d);

// An nccl-tests log. `text` is the whole file; JSON logs (`-J`, starting with `{`) go through the
// YAML loader. The operation comes from the log (text: "Collective test starting: all_reduce_perf";
// JSON: the program in `args`), else from the file name, else from `op_override`. The group size
// comes from the log (text: its `Rank` lines, else nThread x nGpus of a single-process run; JSON:
// config.devices, one per process, x nthreads x ngpus), else from the ratio busbw / algbw, else
// from `nranks_override`. Out-of-place rows are used (nccl-tests' primary figures).
RawCalibration read_nccl_tests(const std::string& text, const std::string& file, Diagnostics& d,
                               std::optional<long long> nranks_override, const std::string& op_override = "");

// Several raw files of one device as one, for `mlsim calibrate --import A --import B` (a quick
// sweep and a `--shapes` run of the same GPU, say). The files must be of one kind (probe or
// nccl-tests) and, for probe files, name one device; a configuration measured in more than one file
// keeps the later file's measurement, and the result's notes say how many were replaced. `names`
// label the files in errors and notes (one per part).
RawCalibration merge_raw(std::vector<RawCalibration> parts, const std::vector<std::string>& names, Diagnostics& d);

// The group size that nccl-tests' bus factor `busbw / algbw` implies for `op` (nullopt when the
// ratio fits no integer group size within 2 %).
std::optional<long long> ranks_from_bus_ratio(const std::string& op, double busbw_over_algbw);

}  // namespace mlsim::spec

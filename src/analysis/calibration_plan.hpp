// What `mlsim calibrate` asks the probe to measure, and how long it should take: the GEMM shapes a
// scenario's operators use (`--shapes-of`, MAMF's advice to measure the shapes a workload runs,
// CALIBRATION.md 5.4), and the configuration counts and time estimates of the quick and full sweeps
// as the probe plans them (docs/calibration_probe.md, "Sweeps").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "spec/scenario.hpp"

namespace mlsim::analysis {

struct GemmShape {
  double m = 0, n = 0, k = 0;
  Precision precision = Precision::kBf16;
  friend bool operator==(const GemmShape&, const GemmShape&) = default;
};

// The distinct GEMM shapes of one forward pass of the scenario per accelerator (training: one
// micro-batch, n split by tensor parallelism; inference: the prefill and one decode step), in
// operator order. CNN scenarios have none (their convolutions carry no GEMM shape).
std::vector<GemmShape> gemm_shapes_of(const spec::Scenario& s);

// The probe's `--shapes` file: one `m,n,k,precision` per line.
std::string shapes_file_text(const std::vector<GemmShape>& shapes);

struct ProbePlanLine {
  std::string block;
  long long configurations = 0;
  double seconds = 0.0;
};

struct ProbePlan {
  std::string mode;                     // quick, full, shapes
  std::vector<ProbePlanLine> lines;
  double soak_s = 0.0;
  [[nodiscard]] double total_s() const;
};

// The plan of a probe run; `shapes` is used in the shapes mode. Times assume the probe's caps:
// each configuration warms up for 50 ms and samples until its spread is below 1 % (about 0.1 s for
// most), capped at 1 s (quick, shapes) or 3 s (full); the soak is 10 s (quick, shapes) or 20 s (full).
ProbePlan probe_plan(const std::string& mode, std::size_t shapes, long long gpus);

// The zoo accelerator a CUDA device name stands for ("NVIDIA H100 80GB HBM3" -> h100_sxm,
// "NVIDIA A100-SXM4-40GB" -> a100_sxm_40gb); nullopt when no zoo entry matches (PCIe A100s, NVL
// parts, unknown devices: pass --accelerator).
std::optional<std::string> accelerator_for_device(const std::string& cuda_name);

}  // namespace mlsim::analysis

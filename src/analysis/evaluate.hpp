// Evaluates a parsed scenario on one accelerator (and identical data-parallel serving replicas):
// builds the operators of each phase, prices them on the roofline with launch overheads, checks
// memory, and combines the walls into an Estimate. Pure: no I/O; reuses its buffers across calls.
#pragma once

#include <map>
#include <optional>

#include "analysis/estimate.hpp"
#include "system/cluster.hpp"
#include "spec/scenario.hpp"
#include "workload/operator.hpp"

namespace mlsim::analysis {

struct EvalOptions {
  bool detail = true;   // the per-operator table and the walls' notes (off in sweeps and benchmarks)
};

class Evaluator {
 public:
  Estimate evaluate(const spec::Scenario& s, const EvalOptions& options = {});

 private:
  void evaluate_training(const spec::Scenario& s, const EvalOptions& o, Estimate& e);
  void evaluate_inference(const spec::Scenario& s, const EvalOptions& o, Estimate& e);
  std::vector<std::pair<double, double>> rampup_steps(const spec::Scenario& s);   // (batch, step time)
  // The cluster graph of the last system evaluated: rebuilt only when the system changes, so a
  // sweep over batch or layout resolves the topology once (DESIGN.md).
  const system::Cluster& cluster_for(const spec::SystemSpec& s);
  workload::OperatorList ops_;
  std::optional<system::Cluster> cluster_;
  std::optional<spec::SystemSpec> cluster_system_;   // the system cluster_ was built from
};

// A scenario the single-accelerator solvers cannot express yet; empty when it can be evaluated.
std::string unsupported_reason(const spec::Scenario& s);

// Inference whose weights and activations share a low-bit format (fp8/int8/fp4/int4) that the
// accelerator has no peak for runs as weight-only quantization: the precision its math runs at
// (bf16, else fp16); nullopt when the scenario runs as written.
std::optional<Precision> weight_only_compute_precision(const spec::Scenario& s);

}  // namespace mlsim::analysis

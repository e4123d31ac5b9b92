// The operations wall for one run: GPU-hours, energy (IT and facility), carbon, water and money.
// Without an `operations:` section, power is the accelerators' TDP plus the node's share of
// overhead, as published training-energy estimates compute it (BLOOM: 1,082,990 GPU-hours x
// 400 W = 433,196 kWh; Luccioni et al. 2022). The section switches on the power curve in the busy
// fraction, embodied carbon, a carbon price, ownership cost and TCO, the queue wait on a shared
// cluster and the compute-optimal sizes (docs/operations.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/estimate.hpp"
#include "spec/scenario.hpp"

namespace mlsim::analysis {

// What the evaluation knows about the run beyond its duration.
struct OpsContext {
  double utilization = 1.0;                 // busy fraction of the accelerators
  std::optional<double> step_s;             // one training step
  std::optional<double> model_flops;        // model FLOPs of the whole run (Chinchilla budget)
  std::optional<double> params;             // model parameters
  std::optional<double> trained_tokens;     // tokens the run trains on
};

// `tokens` is the number of tokens (or samples) the run processes in `duration_s`.
OpsReport operations(const spec::Scenario& s, double duration_s, std::optional<double> tokens,
                     std::vector<std::string>& warnings, const OpsContext& ctx = {});

}  // namespace mlsim::analysis

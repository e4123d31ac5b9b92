// Failures, checkpoints and restarts of a training run on top of its failure-free time
// (solvers/reliability, docs/operations.md). The node MTBF comes from the scenario's
// reliability.node_mtbf, else from the node entry's per-component rates.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/estimate.hpp"
#include "spec/scenario.hpp"

namespace mlsim::analysis {

// Bytes of a full training checkpoint: weights in the training precision, an fp32 master copy
// when that precision is narrower, Adam's two fp32 moments, plus `extra` (Megatron-LM's layout).
double checkpoint_bytes(double params, Precision weights, double extra_bytes);

// Whether the scenario asks for (reliability:) or implies (more than one node with failure
// rates) the reliability section.
bool wants_reliability(const spec::Scenario& s);

// `work_s`: failure-free training time. Nullopt (with a warning) when no failure rate is known.
std::optional<ReliabilityReport> reliability(const spec::Scenario& s, double work_s, double params,
                                             std::vector<std::string>& warnings);

}  // namespace mlsim::analysis

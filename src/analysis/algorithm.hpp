// The algorithm walls of a training run (docs/operations.md): DP-SGD's per-sample gradient work
// and memory, and the bytes of pruned or quantized weights (solvers/scaling_laws).
#pragma once

#include "analysis/estimate.hpp"
#include "spec/scenario.hpp"

namespace mlsim::analysis {

// Needs the evaluated training report and memory; `params` is the model's parameter count.
AlgorithmReport algorithm_walls(const spec::Scenario& s, const TrainingReport& tr, const MemoryReport& mem, double params);

}  // namespace mlsim::analysis

// `mlsim plan` for training: every layout of the scenario's model on its cluster (TP within a
// node, PP dividing the layers, DP the rest, micro-batch, recomputation, ZeRO stage, interleaving),
// evaluated with the real solver, infeasible ones dropped, ranked by step time, each with the
// reason it lost to the one ranked above it.
#pragma once

#include <string>
#include <vector>

#include "analysis/estimate.hpp"
#include "spec/scenario.hpp"

namespace mlsim::analysis {

struct PlanOptions {
  std::size_t top = 10;
  std::vector<long long> micro_batches = {1, 2, 4, 8};
};

struct PlanCandidate {
  spec::Parallelism parallelism;
  long long micro_batch = 1;
  spec::Recompute recompute = spec::Recompute::kNone;
  Estimate estimate;            // without the operator table
  std::string lost_because;     // why it is slower than the candidate ranked above it
};

struct PlanResult {
  std::size_t evaluated = 0, feasible = 0;
  std::vector<PlanCandidate> ranked;   // the best `top`, fastest first
};

PlanResult plan_training(const spec::Scenario& s, const PlanOptions& options);

}  // namespace mlsim::analysis

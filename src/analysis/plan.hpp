// `mlsim plan` for training: every layout of the scenario's model on its cluster (TP within a
// node, CP, EP for MoE models, PP dividing the layers, DP the rest, micro-batch, recomputation,
// ZeRO stage, the pipeline schedule and interleaving), evaluated with the real solver, infeasible
// ones dropped, ranked by the objective, each with the reason it lost to the one ranked above it.
// Pruned only where a proof allows: memory grows with the micro-batch, so once a micro-batch does
// not fit, the larger ones of that layout are not evaluated.
#pragma once

#include <string>
#include <vector>

#include "analysis/estimate.hpp"
#include "spec/scenario.hpp"

namespace mlsim::analysis {

enum class PlanObjective { kStepTime, kMemory, kMfu };

struct PlanOptions {
  std::size_t top = 10;
  std::vector<long long> micro_batches = {1, 2, 4, 8};
  PlanObjective objective = PlanObjective::kStepTime;
};

struct PlanCandidate {
  spec::Parallelism parallelism;
  long long micro_batch = 1;
  spec::Recompute recompute = spec::Recompute::kNone;
  Estimate estimate;            // without the operator table
  std::string lost_because;     // why it is slower than the candidate ranked above it
};

struct PlanResult {
  std::size_t evaluated = 0, feasible = 0, pruned = 0;
  std::vector<PlanCandidate> ranked;   // the best `top`, fastest first
};

PlanResult plan_training(const spec::Scenario& s, const PlanOptions& options);

}  // namespace mlsim::analysis

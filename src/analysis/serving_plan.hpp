// `mlsim plan` for serving: every tensor-parallel degree (dividing the heads, within a node) times a
// cap on running requests, with the fewest data-parallel replicas that serve the scenario's arrival
// rate within its SLO (p99 TTFT, TPOT) under the closed-form steady state; ranked by cost per hour
// (GPUs x the accelerator's rental price, or GPUs when there is no price), with GPU-hours and cost
// per million output tokens and energy per token from the operations model.
#pragma once

#include <string>
#include <vector>

#include "analysis/estimate.hpp"
#include "spec/scenario.hpp"

namespace mlsim::analysis {

struct ServingCandidate {
  long long tp = 1, dp = 1, max_running = 0, gpus = 1;
  Estimate estimate;                 // without the operator table
  double usd_per_hour = 0.0;
  double gpu_hours_per_million_tokens = 0.0;
  std::optional<double> usd_per_million_tokens, joules_per_token;
  std::string lost_because;
};

struct ServingPlan {
  std::size_t evaluated = 0;
  std::vector<ServingCandidate> ranked;   // cheapest first
  std::string problem;                    // why no plan (no arrival rate or SLO)
};

ServingPlan plan_serving(const spec::Scenario& s, std::size_t top, long long max_replicas = 256);

}  // namespace mlsim::analysis

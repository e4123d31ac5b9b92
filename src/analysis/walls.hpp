// Shared pieces of the training and inference evaluations: the launch model of a scenario, the
// time and capacity walls, and the context-length check.
#pragma once

#include "analysis/estimate.hpp"
#include "analysis/pricing.hpp"
#include "solvers/launch_overhead.hpp"
#include "solvers/roofline.hpp"
#include "spec/scenario.hpp"

namespace mlsim::analysis {

solvers::LaunchModel launch_model(const spec::Scenario& s, bool graphs);

// The compute, memory-bandwidth and host-overhead walls of a step of `step_s` seconds.
void add_time_walls(Estimate& e, const Priced& p, const solvers::SequenceTime& t, double step_s, const solvers::Rates& r,
                    double peak_flops, bool detail, const std::string& what);

void add_capacity_wall(Estimate& e, bool detail);

// A sequence longer than the model's context: infeasible with learned positions, else a warning.
void check_context(const spec::ModelSpec& m, long long tokens, Estimate& e);

}  // namespace mlsim::analysis
